using System.Text.RegularExpressions;
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
/// The web pages' common ground: server-rendered components, antiforgery, security headers, the theme switch and the
/// brand's stylesheet. Modules add pages; this adds what every page relies on.
/// </summary>
public static partial class WebSurface
{
    /// <summary>Scripts and styles from this origin only; no inline script, no frames, forms post only here.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; " +
        "frame-ancestors 'none'; form-action 'self'";

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

    /// <summary>
    /// The API reference (Scalar) and the job dashboard (Hangfire) bring inline scripts and styles of their own: they get
    /// a policy that allows those from this origin only — no other site's script, no framing, forms post only here,
    /// nothing loaded from elsewhere (the reference's fonts and scripts are served from this host).
    /// </summary>
    public const string ThirdPartyPagePolicy =
        "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
        "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'";

    /// <summary>
    /// nosniff, no referrer, no framing and a Content-Security-Policy on every answer: the strict one everywhere, a looser
    /// one (<see cref="ThirdPartyPagePolicy"/>) for the API reference and the job dashboard, which bring their own inline
    /// scripts; <c>Cache-Control: no-store</c> on every answer (the one place it is set) unless its endpoint says otherwise.
    /// </summary>
    public static Task AddSecurityHeaders(HttpContext context, RequestDelegate next)
    {
        var headers = context.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        headers.XFrameOptions = "DENY";
        var thirdParty = Surfaces.Of(context).ThirdPartyUi;
        headers.ContentSecurityPolicy = thirdParty ? ThirdPartyPagePolicy : ContentSecurityPolicy;

        if (!thirdParty)
        {
            // Answers are about one caller, and many carry a secret (a key, a one-time link, recovery codes): no browser
            // or proxy keeps them. What may be cached says so itself (the public configuration, brand.css, static
            // assets); the API reference and the job dashboard manage their own. Set up front: no per-request callback
            // on the data API's hot path.
            headers.CacheControl = "no-store";
        }

        return next(context);
    }

    /// <summary>
    /// <c>Strict-Transport-Security</c> on answers to HTTPS requests (as the trusted proxy reports them: runs after the
    /// forwarded headers), so a browser that came once over HTTPS never uses plain HTTP for this host again.
    /// <c>Http:HstsMaxAgeSeconds</c>: one year by default; 0 sends none.
    /// </summary>
    public static Func<HttpContext, RequestDelegate, Task> StrictTransportSecurity(IConfiguration configuration)
    {
        var maxAge = configuration.GetValue("Http:HstsMaxAgeSeconds", 31_536_000);
        var value = $"max-age={maxAge}";
        return (context, next) =>
        {
            if (maxAge > 0 && context.Request.IsHttps)
            {
                context.Response.Headers.StrictTransportSecurity = value;
            }

            return next(context);
        };
    }

    public static IEndpointRouteBuilder MapIdunoxWeb(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/theme", SetTheme).AllowAnonymous().ExcludeFromDescription();
        routes.MapGet("/brand.css", BrandStylesheet).AllowAnonymous().ExcludeFromDescription();
        return routes;
    }

    /// <summary>POST /theme (form: theme, returnUrl): keeps the choice for a year and goes back to the page.</summary>
    private static async Task<IResult> SetTheme(HttpContext http, IAntiforgery antiforgery)
    {
        if (!http.Request.HasFormContentType || !await IsFormFromOurPageAsync(http, antiforgery))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "The form has expired.",
                detail: "Go back, reload the page and try again.", extensions: new Dictionary<string, object?> { ["code"] = "form_expired" });
        }

        var form = await http.Request.ReadFormAsync(http.RequestAborted);
        var theme = form["theme"].ToString();
        var back = LocalUrl.Or(form["returnUrl"], "/");
        if (Theme.Choices.Contains(theme))
        {
            http.Response.Cookies.Append(Theme.CookieName, theme, new CookieOptions
            {
                HttpOnly = true,
                SameSite = SameSiteMode.Lax,
                Secure = http.Request.IsHttps,
                MaxAge = TimeSpan.FromDays(365),
                Path = "/",
                IsEssential = true,
            });
        }

        return TypedResults.Redirect(back);
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

    /// <summary>GET /brand.css: the configured brand colour as a custom property (inline styles are not allowed).</summary>
    private static IResult BrandStylesheet(ISiteBrandingSource brand, HttpContext http)
    {
        var colour = HexColour().IsMatch(brand.Current.PrimaryColor) ? brand.Current.PrimaryColor : new Idunox.Shared.Configuration.PortalSettings().Brand.PrimaryColor;
        http.Response.Headers.CacheControl = "public, max-age=300";
        return TypedResults.Text($":root {{ --brand: {colour}; }}\n", "text/css");
    }

    [GeneratedRegex("^#[0-9a-fA-F]{3,8}$")]
    private static partial Regex HexColour();
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
