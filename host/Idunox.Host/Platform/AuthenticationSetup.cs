using Idunox.Shared.Security;
using Idunox.Shared.Errors;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace Idunox.Host.Platform;

/// <summary>
/// No credential is read unless an endpoint asks for it: the default scheme authenticates nobody, and each endpoint's
/// policy names its own scheme (bearer token for the portal API, X-Api-Key for the data API). So an X-Api-Key on
/// /health/live, a 404 or a portal route costs nothing and decides nothing, and the tenant always comes from the
/// principal of the endpoint's own scheme. The default policy refuses everyone: an endpoint that says only
/// <c>RequireAuthorization()</c> is closed, never open to whichever credential happens to be on the request.
/// </summary>
internal static class AuthenticationSetup
{
    public static WebApplicationBuilder AddIdunoxAuthentication(this WebApplicationBuilder builder)
    {
        builder.Services.AddAuthentication(IdunoxAuthentication.DefaultScheme)
            .AddScheme<AuthenticationSchemeOptions, NoScheme>(IdunoxAuthentication.DefaultScheme, null);
        builder.Services.AddAuthorization(o => o.DefaultPolicy = new AuthorizationPolicyBuilder(IdunoxAuthentication.DefaultScheme)
            .RequireAssertion(_ => false)
            .Build());

        // Behind a reverse proxy, the client address (rate limits, audit) comes from X-Forwarded-For of trusted proxies only.
        builder.Services.Configure<ForwardedHeadersOptions>(o =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            foreach (var proxy in builder.Configuration.GetSection("Http:TrustedProxies").Get<string[]>() ?? [])
            {
                if (System.Net.IPAddress.TryParse(proxy, out var address))
                {
                    o.KnownProxies.Add(address);
                }
            }
        });
        return builder;
    }

    /// <summary>Authenticates nobody; refuses with a problem document (401, or 403 for a principal a policy refused).</summary>
    private sealed class NoScheme(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, System.Text.Encodings.Web.UrlEncoder encoder)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        protected override Task<AuthenticateResult> HandleAuthenticateAsync() => Task.FromResult(AuthenticateResult.NoResult());

        protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
            ApiProblems.WriteAsync(Context, StatusCodes.Status401Unauthorized, ProblemCodes.Unauthorized, "Sign-in required.", null);

        protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
            ApiProblems.WriteAsync(Context, StatusCodes.Status403Forbidden, ProblemCodes.Forbidden, "Not allowed.", null);
    }
}
