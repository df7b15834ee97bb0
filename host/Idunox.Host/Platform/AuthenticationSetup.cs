using Idunox.Shared.Security;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace Idunox.Host.Platform;

/// <summary>
/// One default scheme for the whole host: a request with an X-Api-Key header is the data API's, any other the
/// portal's bearer token. Modules register the schemes themselves; the tenant is resolved from whichever answered.
/// </summary>
internal static class AuthenticationSetup
{
    public static WebApplicationBuilder AddIdunoxAuthentication(this WebApplicationBuilder builder)
    {
        builder.Services.AddAuthentication(IdunoxAuthentication.DefaultScheme)
            .AddPolicyScheme(IdunoxAuthentication.DefaultScheme, "API key or bearer token", _ => { });
        builder.Services.AddOptions<PolicySchemeOptions>(IdunoxAuthentication.DefaultScheme)
            .Configure<IOptions<AuthenticationOptions>>((o, authentication) =>
            {
                var registered = new Lazy<HashSet<string>>(() => authentication.Value.Schemes.Select(s => s.Name).ToHashSet(StringComparer.Ordinal));
                o.ForwardDefaultSelector = http =>
                    http.Request.Headers.ContainsKey(IdunoxAuthentication.ApiKeyHeader) && registered.Value.Contains(IdunoxAuthentication.ApiKeyScheme)
                        ? IdunoxAuthentication.ApiKeyScheme
                        : registered.Value.Contains(IdunoxAuthentication.PartnerScheme)
                            ? IdunoxAuthentication.PartnerScheme
                            : NoScheme.Name;
            });
        builder.Services.AddAuthentication().AddScheme<AuthenticationSchemeOptions, NoScheme>(NoScheme.Name, null);
        builder.Services.AddAuthorization();

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

    /// <summary>Authenticates nobody: the default when no module offers a scheme.</summary>
    private sealed class NoScheme(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, System.Text.Encodings.Web.UrlEncoder encoder)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        public const string Name = "None";

        protected override Task<AuthenticateResult> HandleAuthenticateAsync() => Task.FromResult(AuthenticateResult.NoResult());
    }
}
