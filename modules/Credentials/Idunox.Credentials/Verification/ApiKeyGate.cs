using System.Diagnostics;
using System.Text;
using Idunox.Shared.Errors;
using Idunox.Shared.MultiTenancy;
using Idunox.Shared.Observability;
using Idunox.Shared.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Idunox.Credentials.Verification;

/// <summary>
/// The data API's door. Its endpoints are short-circuited by routing: none of the authentication, authorization, tenant
/// resolution or antiforgery middleware runs for them (they are for sessions and tokens, and cost most of a data API
/// request); this filter reads <c>X-Api-Key</c>, verifies it, and either answers the refusal itself (401 with a code
/// saying why and <c>WWW-Authenticate: ApiKey</c>, or 429 for an address that keeps presenting keys nobody issued) or lets
/// the endpoint run with the key's tenant set and its <see cref="Verification"/> (key, status, organisation) as a
/// request feature.
/// </summary>
internal static class DataApi
{
    /// <summary>An endpoint of the data API: open only with a valid key in <c>X-Api-Key</c>.</summary>
    public static RouteHandlerBuilder RequireApiKey(this RouteHandlerBuilder endpoint)
    {
        endpoint.WithMetadata(new RequiresApiKeyAttribute()).AddEndpointFilterFactory((factory, next) =>
        {
            var gate = factory.ApplicationServices.GetRequiredService<ApiKeyGate>();
            return invocation => gate.InvokeAsync(invocation, next);
        });
        endpoint.ShortCircuit();
        return endpoint;
    }
}

internal sealed partial class ApiKeyGate(
    ApiKeyVerifier verifier, KeyRefusalLimiter limiter, ApiKeyRefusals refusals, IpFindings findings, KeyRateLimiter rates, TimeProvider clock,
    CredentialsMetrics metrics, ILogger<ApiKeyGate> logger)
{
    /// <summary>The answer to an address past its refusal limit (429, the code sign-in uses too).</summary>
    public const string TooManyAttempts = "too_many_attempts";

    /// <summary>The verification metric's outcome for a key that was let in.</summary>
    public const string Accepted = "accepted";

    /// <summary>A valid key on a gateway route whose scope it does not hold: 403, never forwarded.</summary>
    public const string ScopeMissing = "api_key_scope_missing";

    /// <summary>A valid key used from outside its enforced IP allow-list: 403, never forwarded.</summary>
    public const string IpNotAllowed = "api_key_ip_not_allowed";

    /// <summary>A valid key past its rate limit: 429 with <c>Retry-After</c>, never forwarded.</summary>
    public const string RateLimited = "rate_limited";

    /// <summary>The IETF draft's fields: the key's limits, and what is left of them.</summary>
    public const string RateLimitPolicyHeader = "RateLimit-Policy";

    public const string RateLimitHeader = "RateLimit";

    /// <summary>The problem's extension member naming the scope the route needs.</summary>
    public const string RequiredScopeMember = "requiredScope";

    /// <summary>The problem's extension member naming the address a request came from, as the gate saw it.</summary>
    public const string ClientAddressMember = "clientAddress";

    /// <summary>The data API's own endpoints (the probe): an endpoint filter.</summary>
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
    {
        if (await AdmitAsync(invocation.HttpContext, requiredScope: null) is not { } key)
        {
            return EmptyResult;
        }

        // Whatever the endpoint logs names the tenant and the key (its id, never the key).
        using (logger.BeginScope(new TenantLogScope(key.TenantId, key.Id)))
        {
            return await next(invocation);
        }
    }

    /// <summary>
    /// The gateway's proxied routes: the same gate as a step of the proxy pipeline, with the scope the route needs (none:
    /// any valid key).
    /// </summary>
    public async Task InvokeAsync(HttpContext http, string? requiredScope, Func<Task> next)
    {
        if (await AdmitAsync(http, requiredScope) is not { } key)
        {
            return;
        }

        using (logger.BeginScope(new TenantLogScope(key.TenantId, key.Id)))
        {
            await next();
        }
    }

    /// <summary>
    /// Reads and verifies <c>X-Api-Key</c> (and that the key holds <paramref name="requiredScope"/>, when one is named): the
    /// key let in (its <see cref="Verification"/> set as a request feature, its tenant as the request's), or null when the
    /// refusal was answered here.
    /// </summary>
    private async ValueTask<Keys.ApiKey?> AdmitAsync(HttpContext http, string? requiredScope)
    {
        var headers = http.Request.Headers[IdunoxAuthentication.ApiKeyHeader];
        if (headers.Count > 1)
        {
            await refusals.WriteAsync(http, VerificationCodes.Malformed);
            return null;
        }

        // HTTP allows spaces and tabs around a field value, and nothing else: any other whitespace is part of the value.
        var presented = headers.Count == 1 ? headers[0].AsSpan().Trim(" \t") : default;
        if (presented.IsEmpty)
        {
            await refusals.WriteAsync(http, VerificationCodes.Missing);
            return null;
        }

        // An address that keeps presenting keys nobody issued is guessing: past its limit, keys this server would have to
        // look up wait; keys it knows (valid ones included) are still answered, so a partner's valid keys never pay for
        // a stale or made-up one on the same address.
        var clientAddress = AddressBucket.Of(http.Connection.RemoteIpAddress);
        var limited = limiter.IsLimited(clientAddress, out var wait);
        var verification = await verifier.VerifyAsync(presented.Length == headers[0]!.Length ? headers[0] : presented.ToString(), http.RequestAborted,
            mayQuery: !limited);
        if (verification.Code == VerificationCodes.NotChecked)
        {
            metrics.Verified(TooManyAttempts);
            var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
            http.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            await ApiProblems.WriteAsync(http, StatusCodes.Status429TooManyRequests, TooManyAttempts,
                "Too many unknown API keys from this address.", $"Check the key your system sends, then try again in {seconds} seconds.");
            return null;
        }

        if (verification.Succeeded && requiredScope is not null && !verification.Key!.Allows(requiredScope))
        {
            metrics.Verified(ScopeMissing);
            LogRefused(logger, ScopeMissing);
            await ApiProblems.WriteAsync(http, StatusCodes.Status403Forbidden, ScopeMissing, "The API key may not use this part of the API.",
                $"This request needs the scope {requiredScope}, which the key does not have. Rotate the key with that scope, or use a key that has it.",
                [new(RequiredScopeMember, requiredScope)]);
            return null;
        }

        if (verification.Succeeded && verification.Key!.IpAllowMode is { } ipMode && !verification.Key.AllowsAddress(http.Connection.RemoteIpAddress))
        {
            if (ipMode == Keys.IpAllowLists.Enforce)
            {
                metrics.Verified(IpNotAllowed);
                LogRefused(logger, IpNotAllowed);
                var address = http.Connection.RemoteIpAddress is { } remote ? Keys.IpAllowLists.Plain(remote) : null;
                await ApiProblems.WriteAsync(http, StatusCodes.Status403Forbidden, IpNotAllowed, "The API key may not be used from this address.",
                    $"The key's IP allow-list does not include {address}. Add the address in the partner portal, or call from an address on the list.",
                    [new(ClientAddressMember, address?.ToString())]);
                return null;
            }

            findings.Record(verification.Key, http.Connection.RemoteIpAddress, clock.GetUtcNow().UtcDateTime); // report only: served
        }

        if (verification.Succeeded && verification.Key!.HasRateLimit)
        {
            var decision = rates.Acquire(verification.Key);
            var (policy, state) = decision.Fields(verification.Key);
            http.Response.Headers[RateLimitPolicyHeader] = policy;
            http.Response.Headers[RateLimitHeader] = state;
            if (!decision.Allowed)
            {
                metrics.Verified(RateLimited);
                LogRefused(logger, RateLimited);
                var seconds = decision.RetryAfterSeconds;
                http.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                await ApiProblems.WriteAsync(http, StatusCodes.Status429TooManyRequests, RateLimited, "Too many requests with this API key.",
                    $"The key allows {verification.Key.RateLimit}. Try again in {seconds} {(seconds == 1 ? "second" : "seconds")}, or raise the key's rate limit in the partner portal.");
                return null;
            }
        }

        metrics.Verified(verification.Code ?? Accepted);
        if (!verification.Succeeded)
        {
            // Refusals are counted in metrics; a log line each would let anyone fill the logs. Never the presented value.
            if (VerificationCodes.CountsAsGuess(verification.Code!))
            {
                limiter.Record(clientAddress);
            }

            LogRefused(logger, verification.Code!);
            await refusals.WriteAsync(http, verification.Code!);
            return null;
        }

        // What the endpoint needs of the key is the verification itself; no principal is made (nothing here reads one).
        http.Features.Set(verification);
        var key = verification.Key!;
        http.RequestServices.GetRequiredService<TenantContext>().Set(key.TenantId, TenantSources.ApiKey);
        return key;
    }

    private static readonly IResult EmptyResult = Results.Empty;

    [LoggerMessage(LogLevel.Debug, "Refused an API key: {Code}")]
    private static partial void LogRefused(ILogger logger, string code);
}

/// <summary>
/// The data API's refusals, written the cheap way: a refusal must cost about what a bare request costs, because anyone
/// can send garbage as fast as they like. Each code's problem document is rendered once by the host's own problem
/// details service (so it is the document every other error is: type, title, status, detail, code, traceId) and kept
/// as bytes around the trace id; a refusal then only adds its trace id and is written in one piece with its length.
/// </summary>
internal sealed class ApiKeyRefusals
{
    private const string TracePlaceholder = "trace-placeholder-0f3a";
    private readonly Dictionary<string, (byte[] Before, byte[] After)> _documents = new(StringComparer.Ordinal);

    public ApiKeyRefusals(IServiceProvider services, Microsoft.Extensions.Options.IOptions<Idunox.Shared.Configuration.PortalSettings> portal)
    {
        foreach (var (code, (title, detail)) in Answers)
        {
            _documents[code] = Render(services, code, title, detail?.Replace(SupportPlaceholder, portal.Value.SupportEmail, StringComparison.Ordinal));
        }
    }

    /// <summary>Where a refusal names the configured support address (<c>Portal:SupportEmail</c>).</summary>
    private const string SupportPlaceholder = "{support}";

    public static readonly IReadOnlyDictionary<string, (string Title, string? Detail)> Answers = new Dictionary<string, (string, string?)>
    {
        [VerificationCodes.Missing] = ("An API key is required.", $"Send your key in the {IdunoxAuthentication.ApiKeyHeader} header."),
        [VerificationCodes.Malformed] = ("The API key is malformed.", "Keys look like idx_<env>_ followed by 38 letters and digits; check for a copy-and-paste mistake."),
        [VerificationCodes.WrongEnvironment] = ("The API key is for another environment.", "Test keys work only against the test API and live keys only against production."),
        [VerificationCodes.Invalid] = ("The API key is not valid.", "No such key exists. Create one in the partner portal."),
        [VerificationCodes.Revoked] = ("The API key has been revoked.", "Use another key, or create one in the partner portal."),
        [VerificationCodes.Expired] = ("The API key has expired.", "The key's validity or its rotation grace period has ended. Use its successor or create a new key."),
        [VerificationCodes.OrganisationSuspended] = ("The API key's organisation is suspended.", $"Contact {SupportPlaceholder}."),
    };

    /// <summary>A 401 refusal with <paramref name="code"/>.</summary>
    public Task WriteAsync(HttpContext http, string code)
    {
        var (before, after) = _documents[code];
        var traceId = Activity.Current?.Id ?? http.TraceIdentifier;
        var length = before.Length + Encoding.UTF8.GetByteCount(traceId) + after.Length;
        var body = new byte[length];
        before.CopyTo(body, 0);
        var written = before.Length + Encoding.UTF8.GetBytes(traceId, 0, traceId.Length, body, before.Length);
        after.CopyTo(body, written);
        var response = http.Response;
        response.StatusCode = StatusCodes.Status401Unauthorized;
        response.Headers.WWWAuthenticate = "ApiKey";
        response.ContentType = "application/problem+json";
        response.ContentLength = length;
        return response.Body.WriteAsync(body, 0, length, http.RequestAborted);
    }

    /// <summary>The document as every other problem is written, with a newline at the end, split around the trace id.</summary>
    private static (byte[], byte[]) Render(IServiceProvider services, string code, string title, string? detail)
    {
        var ambient = Activity.Current;
        Activity.Current = null; // the trace id then comes from the placeholder
        try
        {
            var http = new DefaultHttpContext { RequestServices = services, TraceIdentifier = TracePlaceholder };
            using var body = new MemoryStream();
            http.Response.Body = body;
            ApiProblems.WriteAsync(http, StatusCodes.Status401Unauthorized, code, title, detail).GetAwaiter().GetResult();
            var text = Encoding.UTF8.GetString(body.ToArray()) + Idunox.Shared.Http.JsonNewline.Text;
            var at = text.IndexOf(TracePlaceholder, StringComparison.Ordinal);
            if (at < 0)
            {
                throw new InvalidOperationException("The problem details service wrote no traceId.");
            }

            return (Encoding.UTF8.GetBytes(text[..at]), Encoding.UTF8.GetBytes(text[(at + TracePlaceholder.Length)..]));
        }
        finally
        {
            Activity.Current = ambient;
        }
    }
}
