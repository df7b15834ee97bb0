using System.Diagnostics;
using Idunox.Shared.Errors;
using Idunox.Shared.Persistence;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;

namespace Idunox.Host.Platform;

/// <summary>
/// Every error the host answers is an RFC 9457 problem document with a stable <c>code</c> and a <c>traceId</c>:
/// unknown routes, malformed and oversized bodies, unhandled exceptions (never with a stack trace).
/// </summary>
internal static class ProblemDetailsSetup
{
    public static WebApplicationBuilder AddIdunoxProblemDetails(this WebApplicationBuilder builder)
    {
        builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = ctx =>
        {
            var problem = ctx.ProblemDetails;
            problem.Type ??= ApiProblems.TypeFor(problem.Status ?? 500);
            problem.Extensions.TryAdd(ApiProblems.CodeKey, ProblemCodes.ForStatus(problem.Status));
            problem.Extensions["traceId"] = Activity.Current?.Id ?? ctx.HttpContext.TraceIdentifier;
            // Only our own fields: never an exception's message or stack.
            problem.Extensions.Remove("exception");
        });
        builder.Services.AddExceptionHandler<BadRequestExceptionHandler>();
        builder.Services.AddExceptionHandler<DatabaseUnavailableExceptionHandler>();
        builder.Services.AddExceptionHandler<UnhandledExceptionHandler>();
        builder.Services.AddSingleton<DatabaseOutageLog>();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = builder.Configuration.GetValue<long>("Http:MaxRequestBodyBytes", 65536);
            k.AddServerHeader = false; // no "Server: Kestrel": nothing to tell a scanner
        });
        return builder;
    }

    public static WebApplication UseIdunoxProblemDetails(this WebApplication app)
    {
        // People reading pages get pages (with the trace id to quote); programs get problem documents.
        app.UseWhen(Idunox.Shared.Web.WebSurface.IsPageRequest, pages =>
        {
            pages.UseExceptionHandler(new ExceptionHandlerOptions
            {
                ExceptionHandlingPath = "/error/500",
                CreateScopeForErrors = true,
                // An unreachable database is "temporarily unavailable" (503), reported once per outage, not a stack trace a page.
                StatusCodeSelector = e => DatabaseOutage.IsUnavailable(e) ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status500InternalServerError,
                SuppressDiagnosticsCallback = c => DatabaseOutage.IsUnavailable(c.Exception),
            });
            pages.UseStatusCodePagesWithReExecute("/error/{0}", createScopeForStatusCodePages: true);
        });
        app.UseWhen(http => !Idunox.Shared.Web.WebSurface.IsPageRequest(http), api =>
        {
            api.UseExceptionHandler();
            api.UseStatusCodePages();
        });
        // The gateway's proxied routes stream bodies of any size to the data API: the platform's small-body rule is for its own endpoints.
        app.UseWhen(http => Idunox.Shared.Web.Surfaces.Of(http).Surface != Idunox.Shared.Web.Surface.Gateway,
            own => own.UseMiddleware<RequestBodyLimitMiddleware>());
        return app;
    }
}

/// <summary>Client mistakes the framework raises (unreadable JSON, wrong content type, too large) become 4xx problems.</summary>
internal sealed class BadRequestExceptionHandler(ILogger<BadRequestExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken cancellationToken)
    {
        if (http.Response.HasStarted)
        {
            return false;
        }

        if (exception is InvalidOperationException { Source: "Microsoft.AspNetCore.Http" } form &&
            form.Message.StartsWith("Incorrect Content-Type", StringComparison.Ordinal))
        {
            // A form endpoint (the job dashboard's) read without a form body: the caller's mistake, not ours.
            await ApiProblems.WriteAsync(http, StatusCodes.Status415UnsupportedMediaType, ProblemCodes.UnsupportedMediaType,
                "Unsupported content type.", "Send the body as application/x-www-form-urlencoded.");
            return true;
        }

        if (exception is not BadHttpRequestException bad)
        {
            return false;
        }

        // The framework's message names only the parameter and the expected type; the JSON reader's detail stays in the log.
        logger.LogInformation("Rejected a bad request to {Path}: {Status}", http.Request.Path, bad.StatusCode);
        if (bad.InnerException is System.Text.Json.JsonException { Path: { Length: > 2 } path } json && json.BytePositionInLine is not null &&
            (json.InnerException is FormatException ||
             json.InnerException?.Message.StartsWith("Cannot get the value of a token type", StringComparison.Ordinal) == true))
        {
            // Well-formed JSON with a value of the wrong type ("30" for a number, 30 for a string): a field error.
            var field = FieldName(path);
            await ApiProblems.WriteValidationAsync(http, new Dictionary<string, string[]>
            {
                [field] = [$"'{field}' has the wrong JSON type or is out of range: send numbers as JSON numbers (30, not \"30\"), whole numbers without decimals, text as strings."],
            });
            return true;
        }

        var (code, title, detail) = bad.StatusCode switch
        {
            StatusCodes.Status413PayloadTooLarge => (ProblemCodes.PayloadTooLarge, "The request body is too large.",
                "Send a smaller body."),
            StatusCodes.Status415UnsupportedMediaType => (ProblemCodes.UnsupportedMediaType, "Unsupported content type.",
                "Send the body as application/json."),
            _ => (ProblemCodes.MalformedRequest, "The request could not be read.",
                "The body must be a well-formed JSON object of the documented shape."),
        };
        await ApiProblems.WriteAsync(http, bad.StatusCode, code, title, detail);
        return true;
    }

    /// <summary>"$.expiresInDays" → "expiresInDays"; "$.items[2].name" → "items[2].name".</summary>
    private static string FieldName(string path) => path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');
}

/// <summary>
/// The database cannot be reached (stopped, refusing connections, restarting, out of connections): 503
/// <c>service_unavailable</c> with <c>Retry-After</c>, and one warning per outage (<see cref="DatabaseOutageLog"/>)
/// instead of a stack trace per request. Nothing was half-done: every write runs in one transaction, which the database
/// never committed. Pages get the "temporarily unavailable" page (the page branch's status selector).
/// </summary>
internal sealed class DatabaseUnavailableExceptionHandler(DatabaseOutageLog outages) : IExceptionHandler
{
    public const int RetryAfterSeconds = 5;

    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken cancellationToken)
    {
        if (http.Response.HasStarted || !DatabaseOutage.IsUnavailable(exception))
        {
            return false;
        }

        outages.Report(exception);
        if (Idunox.Shared.Web.WebSurface.IsPageRequest(http))
        {
            return false;
        }

        http.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await ApiProblems.WriteAsync(http, StatusCodes.Status503ServiceUnavailable, ProblemCodes.ServiceUnavailable,
            "The service is temporarily unavailable.", $"Nothing was changed. Try again in {RetryAfterSeconds} seconds; quote the traceId if it keeps happening.");
        return true;
    }
}

/// <summary>Anything else is our fault: a 500 problem with the trace id to quote, and the details in the log only.</summary>
internal sealed class UnhandledExceptionHandler(ILogger<UnhandledExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken cancellationToken)
    {
        if (http.Response.HasStarted)
        {
            return false;
        }

        if (Idunox.Shared.Web.WebSurface.IsPageRequest(http))
        {
            // A page shows the friendly error page (/error/500); the middleware logs the exception.
            return false;
        }

        if (exception is OperationCanceledException && http.RequestAborted.IsCancellationRequested)
        {
            // The client went away; there is nobody to answer.
            http.Response.StatusCode = 499;
            return true;
        }

        // The request's own logging scope has ended by now: the error names the tenant it was for itself.
        using (http.RequestServices.GetService<Idunox.Shared.ITenantContext>()?.TenantId is { } tenant
                   ? logger.BeginScope(new Idunox.Shared.Observability.TenantLogScope(tenant))
                   : null)
        {
            logger.LogError(exception, "Unhandled exception on {Method} {Path}", http.Request.Method, http.Request.Path);
        }

        await ApiProblems.WriteAsync(http, StatusCodes.Status500InternalServerError, ProblemCodes.InternalError,
            "An unexpected error occurred.", "Quote the traceId when contacting support.");
        return true;
    }
}

/// <summary>
/// Refuses a body whose declared length is over <c>Http:MaxRequestBodyBytes</c> before anything reads it. Kestrel enforces
/// the same limit on bodies without a length (chunked), which surfaces as a 413 <see cref="BadHttpRequestException"/>.
/// </summary>
internal sealed class RequestBodyLimitMiddleware(RequestDelegate next, IConfiguration configuration)
{
    private readonly long _limit = configuration.GetValue<long>("Http:MaxRequestBodyBytes", 65536);

    public Task InvokeAsync(HttpContext http)
    {
        if (http.Request.ContentLength > _limit)
        {
            return ApiProblems.WriteAsync(http, StatusCodes.Status413PayloadTooLarge, ProblemCodes.PayloadTooLarge,
                "The request body is too large.", $"The body may be at most {_limit} bytes.");
        }

        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = _limit;
        }

        if (http.Request.ContentLength > 0 || http.Request.Headers.TransferEncoding.Count > 0)
        {
            // Read through a buffer (in memory: bodies are small). On SIGTERM Kestrel wakes every connection's pending read
            // to close idle ones; a JSON body still arriving, read straight from the connection, would see that as a
            // cancellation (dotnet/aspnetcore#19476) and a request in flight would fail instead of finishing.
            http.Request.EnableBuffering(bufferThreshold: (int)Math.Min(_limit, int.MaxValue)); // Kestrel enforces the limit (413)
        }

        return next(http);
    }
}
