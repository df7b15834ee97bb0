using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;

namespace Idunox.Shared.Errors;

/// <summary>
/// The one error shape of the API: an RFC 9457 problem document with a stable snake_case <c>code</c>
/// (the host adds <c>traceId</c> to every problem).
/// </summary>
public static class ApiProblems
{
    public const string CodeKey = "code";

    public static ProblemHttpResult Create(int status, string code, string title, string? detail = null)
    {
        var problem = new ProblemDetails
        {
            Status = status,
            Title = title,
            Detail = detail,
            Type = TypeFor(status),
        };
        problem.Extensions[CodeKey] = code;
        return TypedResults.Problem(problem);
    }

    /// <summary>A 400 validation problem with the field errors under <c>errors</c> and <c>code</c> <c>validation_failed</c>.</summary>
    public static ValidationProblem Validation(IDictionary<string, string[]> errors, string? detail = null) =>
        TypedResults.ValidationProblem(
            errors,
            detail: detail ?? "One or more fields are invalid.",
            title: "The request is invalid.",
            type: TypeFor(StatusCodes.Status400BadRequest),
            extensions: new Dictionary<string, object?> { [CodeKey] = ProblemCodes.ValidationFailed });

    /// <summary>Writes a problem outside an endpoint (middleware, authentication challenges), through the host's problem details service.</summary>
    public static Task WriteAsync(HttpContext http, int status, string code, string title, string? detail,
        IEnumerable<KeyValuePair<string, object?>>? extensions = null)
    {
        http.Response.StatusCode = status;
        var problem = new ProblemDetails { Status = status, Title = title, Detail = detail, Type = TypeFor(status) };
        problem.Extensions[CodeKey] = code;
        foreach (var (name, value) in extensions ?? [])
        {
            problem.Extensions[name] = value;
        }

        return http.RequestServices.GetRequiredService<IProblemDetailsService>()
            .WriteAsync(new ProblemDetailsContext { HttpContext = http, ProblemDetails = problem })
            .AsTask();
    }

    /// <summary>Writes a 400 validation problem outside an endpoint (e.g. a body whose JSON has a value of the wrong type).</summary>
    public static Task WriteValidationAsync(HttpContext http, IDictionary<string, string[]> errors)
    {
        http.Response.StatusCode = StatusCodes.Status400BadRequest;
        var problem = new HttpValidationProblemDetails(errors)
        {
            Status = StatusCodes.Status400BadRequest,
            Title = "The request is invalid.",
            Detail = "One or more fields are invalid.",
            Type = TypeFor(StatusCodes.Status400BadRequest),
        };
        problem.Extensions[CodeKey] = ProblemCodes.ValidationFailed;
        return http.RequestServices.GetRequiredService<IProblemDetailsService>()
            .WriteAsync(new ProblemDetailsContext { HttpContext = http, ProblemDetails = problem })
            .AsTask();
    }

    /// <summary>The RFC 9110 section for a status, as ASP.NET Core's defaults use.</summary>
    public static string TypeFor(int status) => status switch
    {
        400 => "https://tools.ietf.org/html/rfc9110#section-15.5.1",
        401 => "https://tools.ietf.org/html/rfc9110#section-15.5.2",
        403 => "https://tools.ietf.org/html/rfc9110#section-15.5.4",
        404 => "https://tools.ietf.org/html/rfc9110#section-15.5.5",
        405 => "https://tools.ietf.org/html/rfc9110#section-15.5.6",
        409 => "https://tools.ietf.org/html/rfc9110#section-15.5.10",
        413 => "https://tools.ietf.org/html/rfc9110#section-15.5.14",
        415 => "https://tools.ietf.org/html/rfc9110#section-15.5.16",
        422 => "https://tools.ietf.org/html/rfc9110#section-15.5.21",
        429 => "https://tools.ietf.org/html/rfc6585#section-4",
        503 => "https://tools.ietf.org/html/rfc9110#section-15.6.4",
        _ => "https://tools.ietf.org/html/rfc9110#section-15.6.1",
    };
}

/// <summary>Codes every module may answer with; module-specific codes live with their module.</summary>
public static class ProblemCodes
{
    public const string ValidationFailed = UseCaseFailure.ValidationFailed;
    public const string MalformedRequest = "malformed_request";
    public const string PayloadTooLarge = "payload_too_large";
    public const string UnsupportedMediaType = "unsupported_media_type";
    public const string NotFound = "not_found";
    public const string MethodNotAllowed = "method_not_allowed";
    public const string Unauthorized = "unauthorized";
    public const string Forbidden = "forbidden";
    public const string Conflict = "conflict";
    public const string TooManyRequests = "too_many_requests";
    public const string InternalError = "internal_error";
    public const string ServiceUnavailable = "service_unavailable";

    /// <summary>The code of a problem nobody gave one, from its status.</summary>
    public static string ForStatus(int? status) => status switch
    {
        400 => MalformedRequest,
        401 => Unauthorized,
        403 => Forbidden,
        404 => NotFound,
        405 => MethodNotAllowed,
        409 => Conflict,
        413 => PayloadTooLarge,
        415 => UnsupportedMediaType,
        429 => TooManyRequests,
        503 => ServiceUnavailable,
        _ => InternalError,
    };
}
