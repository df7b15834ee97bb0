using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Idunox.Shared.Web;

/// <summary>
/// The web pages' common ground: server-rendered components, antiforgery, cookie names, the check that a form came from
/// our own page, and the routes of the theme switch and the brand's stylesheet (<see cref="ThemeAndBrand"/>). Security
/// headers are in <see cref="SecurityHeaders"/>, the surfaces in <see cref="Surfaces"/>.
/// </summary>
public static class WebSurface
{
    /// <summary>Requests people make with a browser (the portal, the staff area, their error pages): answered with HTML.</summary>
    public static bool IsPageRequest(HttpContext http) => Surfaces.Of(http).Pages;

    /// <summary>
    /// Cookies are sent over HTTPS only (<c>Http:SecureCookies</c>, true outside Development). Behind a proxy that ends
    /// TLS, list the proxy in <c>Http:TrustedProxies</c> so its X-Forwarded-Proto says the request was HTTPS.
    /// </summary>
    public static bool SecureCookies(IHostApplicationBuilder builder) =>
        builder.Configuration.GetValue("Http:SecureCookies", !builder.Environment.IsDevelopment());

    /// <summary>
    /// A session or form cookie's name: with the <c>__Host-</c> prefix when cookies are HTTPS-only, so browsers accept it
    /// only with Secure, for the path <c>/</c> and without a Domain — a sibling subdomain cannot plant one.
    /// </summary>
    public static string CookieName(string name, bool secure) => secure ? HostPrefix + name : name;

    public const string HostPrefix = "__Host-";

    public static IHostApplicationBuilder AddIdunoxWeb(this IHostApplicationBuilder builder)
    {
        builder.Services.AddRazorComponents();
        var secure = SecureCookies(builder);
        builder.Services.AddAntiforgery(o =>
        {
            o.Cookie.Name = CookieName("idunox.antiforgery", secure);
            // The token cookie follows the request (HTTPS in production): "Always" would make every form of a
            // misconfigured plain-HTTP host, and the job dashboard, fail with a 500 instead of working (its browser
            // then drops the __Host- cookie, and forms answer "the form has expired").
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.Path = "/";
        });
        return builder;
    }

    public static IEndpointRouteBuilder MapIdunoxWeb(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/theme", ThemeAndBrand.SetTheme).AllowAnonymous().ExcludeFromDescription();
        routes.MapGet("/brand.css", ThemeAndBrand.BrandStylesheet).AllowAnonymous().ExcludeFromDescription();
        return routes;
    }

    /// <summary>
    /// Antiforgery tokens are bound to who was signed in when the page was made. Endpoints that serve pages of every
    /// area (theme, sign-out) are open to all, so they check the token as an anonymous form first, then as the
    /// signed-in person of each area's session cookie (<see cref="WebSessionSchemes"/>).
    /// </summary>
    public static async Task<bool> IsFormFromOurPageAsync(HttpContext http, IAntiforgery antiforgery)
    {
        if (await antiforgery.IsRequestValidAsync(http))
        {
            return true;
        }

        foreach (var scheme in http.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<WebSessionSchemes>>().Value.Schemes)
        {
            var result = await http.AuthenticateAsync(scheme);
            if (result.Succeeded)
            {
                http.User = result.Principal;
                if (await antiforgery.IsRequestValidAsync(http))
                {
                    return true;
                }
            }
        }

        return false;
    }
}

/// <summary>
/// The cookie schemes of the web areas (portal, staff area); each module adds its own when it registers:
/// <c>services.Configure&lt;WebSessionSchemes&gt;(s =&gt; s.Add(scheme))</c>.
/// </summary>
public sealed class WebSessionSchemes
{
    private readonly List<string> _schemes = [];

    public IReadOnlyList<string> Schemes => _schemes;

    public void Add(string scheme)
    {
        if (!_schemes.Contains(scheme))
        {
            _schemes.Add(scheme);
        }
    }
}
