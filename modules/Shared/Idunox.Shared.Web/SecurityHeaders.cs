using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;

namespace Idunox.Shared.Web;

/// <summary>The headers every answer carries: content policy, no sniffing, no referrer, no framing, no-store, HSTS.</summary>
public static class SecurityHeaders
{
    /// <summary>Scripts and styles from this origin only; no inline script, no frames, forms post only here.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; " +
        "frame-ancestors 'none'; form-action 'self'";

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
    public static Task Add(HttpContext context, RequestDelegate next)
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
}
