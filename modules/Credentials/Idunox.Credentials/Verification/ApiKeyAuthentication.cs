using System.Security.Claims;
using System.Text.Encodings.Web;
using Idunox.Shared;
using Idunox.Shared.Errors;
using Idunox.Shared.Security;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Idunox.Credentials.Verification;

/// <summary>
/// The data API's <c>ApiKey</c> scheme: reads <c>X-Api-Key</c>, verifies it, and puts the key's tenant and id in the
/// principal. A refusal is a 401 problem with a code saying why and <c>WWW-Authenticate: ApiKey</c>.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    private const string RefusalItem = "idunox.api-key-refusal";
    private const string RetryAfterItem = "idunox.api-key-retry-after";

    /// <summary>The answer to an address past its refusal limit (429, the code sign-in uses too).</summary>
    public const string TooManyAttempts = "too_many_attempts";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var headers = Request.Headers[IdunoxAuthentication.ApiKeyHeader];
        if (headers.Count > 1)
        {
            return Refuse(VerificationCodes.Malformed);
        }

        // HTTP allows spaces and tabs around a field value, and nothing else: any other whitespace is part of the value.
        var presented = headers.FirstOrDefault()?.Trim(' ', '\t');
        if (string.IsNullOrEmpty(presented))
        {
            Context.Items[RefusalItem] = VerificationCodes.Missing;
            return AuthenticateResult.NoResult();
        }

        // An address that keeps presenting refused keys is guessing: it waits before anything is checked for it again.
        var limiter = Context.RequestServices.GetRequiredService<KeyRefusalLimiter>();
        var clientAddress = Context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        if (limiter.IsLimited(clientAddress, out var wait))
        {
            Context.Items[RetryAfterItem] = wait;
            VerificationMetrics.Record(TooManyAttempts);
            return Refuse(TooManyAttempts);
        }

        var verifier = Context.RequestServices.GetRequiredService<ApiKeyVerifier>();
        var verification = await verifier.VerifyAsync(presented, Context.RequestAborted);
        VerificationMetrics.Record(verification.Code ?? "accepted");
        if (!verification.Succeeded)
        {
            limiter.Record(clientAddress);
            // Refusals are counted in metrics; a log line each would let anyone fill the logs. Never the presented value.
            Logger.LogDebug("Refused an API key: {Code}", verification.Code);
            return Refuse(verification.Code!);
        }

        var key = verification.Key!;
        var identity = new ClaimsIdentity(
        [
            new Claim(IdunoxClaimTypes.Tenant, key.TenantId.ToString()),
            new Claim(IdunoxClaimTypes.CredentialId, key.Id.ToString()),
            new Claim(ClaimTypes.Name, key.Prefix),
        ], IdunoxAuthentication.ApiKeyScheme);
        Context.Features.Set(verification);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var code = Context.Items[RefusalItem] as string ?? VerificationCodes.Missing;
        if (code == TooManyAttempts && Context.Items[RetryAfterItem] is TimeSpan wait)
        {
            var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
            Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            await ApiProblems.WriteAsync(Context, StatusCodes.Status429TooManyRequests, code,
                "Too many refused API keys from this address.", $"Check the key your system sends, then try again in {seconds} seconds.");
            return;
        }

        Response.Headers.WWWAuthenticate = "ApiKey";
        await ApiProblems.WriteAsync(Context, StatusCodes.Status401Unauthorized, code,
            Titles.GetValueOrDefault(code, "The API key was refused."), Details.GetValueOrDefault(code));
    }

    private AuthenticateResult Refuse(string code)
    {
        Context.Items[RefusalItem] = code;
        return AuthenticateResult.Fail(code);
    }

    private static readonly Dictionary<string, string> Titles = new()
    {
        [VerificationCodes.Missing] = "An API key is required.",
        [VerificationCodes.Malformed] = "The API key is malformed.",
        [VerificationCodes.WrongEnvironment] = "The API key is for another environment.",
        [VerificationCodes.Invalid] = "The API key is not valid.",
        [VerificationCodes.Revoked] = "The API key has been revoked.",
        [VerificationCodes.Expired] = "The API key has expired.",
        [VerificationCodes.OrganisationSuspended] = "The API key's organisation is suspended.",
    };

    private static readonly Dictionary<string, string> Details = new()
    {
        [VerificationCodes.Missing] = $"Send your key in the {IdunoxAuthentication.ApiKeyHeader} header.",
        [VerificationCodes.Malformed] = "Keys look like idx_<env>_ followed by 38 letters and digits; check for a copy-and-paste mistake.",
        [VerificationCodes.WrongEnvironment] = "Test keys work only against the test API and live keys only against production.",
        [VerificationCodes.Invalid] = "No such key exists. Create one in the partner portal.",
        [VerificationCodes.Revoked] = "Use another key, or create one in the partner portal.",
        [VerificationCodes.Expired] = "The key's validity or its rotation grace period has ended. Use its successor or create a new key.",
        [VerificationCodes.OrganisationSuspended] = "Contact partner@idunox.com.",
    };
}
