using Microsoft.AspNetCore.Http;

namespace Idunox.Shared.Web;

/// <summary>The parts of the platform a request can be for, each with its own audience.</summary>
public enum Surface
{
    /// <summary>The partner portal's pages (<c>/partner</c>, and <c>/</c>): partners' IT teams.</summary>
    Portal,

    /// <summary>The staff area's pages (<c>/admin</c>): Idunox staff.</summary>
    Admin,

    /// <summary>The job dashboard (<c>/hangfire</c>, Hangfire's own UI): staff with the ops role.</summary>
    Jobs,

    /// <summary>The platform's own API (<c>/v1/partner…</c>, the probe): the portal's API clients and partners' first call.</summary>
    Api,

    /// <summary>The data API behind the gateway (every other path under <c>/v1</c>): partners' systems, proxied with their key checked.</summary>
    Gateway,

    /// <summary>The API reference and its document (<c>/docs</c>, <c>/openapi</c>; Scalar's own UI).</summary>
    Docs,

    /// <summary>Health probes (<c>/health</c>): load balancers and orchestrators.</summary>
    Health,

    /// <summary>What every page area shares (<c>/error</c>, <c>/not-found</c>, <c>/theme</c>, <c>/brand.css</c>, static assets).</summary>
    Common,
}

/// <summary>
/// One surface's facts: its path prefixes, whether people use it with a browser (answered with HTML pages, errors as
/// pages), the <c>Hosts:*</c> key of the host name that serves it (null: any configured host; <see cref="AnyHostName"/>:
/// any host name at all), and whether it is a third-party UI that brings inline scripts of its own.
/// </summary>
public sealed record SurfaceMap(Surface Surface, IReadOnlyList<string> Prefixes, bool Pages, string? HostKey, bool ThirdPartyUi)
{
    public const string AnyHostName = "*";
}

/// <summary>
/// The surfaces as one map, read by every part that treats them differently: host filtering (which host name serves
/// which surface), the security headers (the third-party UIs' content policy), error answers (pages or problem
/// documents), telemetry (health probes are not traced) and one-time forms (a cookie per area).
/// </summary>
public static class Surfaces
{
    public static IReadOnlyList<SurfaceMap> All { get; } =
    [
        new(Surface.Portal, ["/partner"], Pages: true, HostKey: "Portal", ThirdPartyUi: false),
        new(Surface.Admin, ["/admin"], Pages: true, HostKey: "Admin", ThirdPartyUi: false),
        new(Surface.Jobs, ["/hangfire"], Pages: false, HostKey: "Admin", ThirdPartyUi: true),
        new(Surface.Api, ["/v1/partner", "/v1/partner-auth-probe"], Pages: false, HostKey: "Api", ThirdPartyUi: false),
        new(Surface.Gateway, ["/v1"], Pages: false, HostKey: "Api", ThirdPartyUi: false),
        new(Surface.Docs, ["/docs", "/openapi"], Pages: false, HostKey: null, ThirdPartyUi: true),
        new(Surface.Health, ["/health"], Pages: false, HostKey: SurfaceMap.AnyHostName, ThirdPartyUi: false),
        new(Surface.Common, ["/error", "/not-found", "/theme"], Pages: true, HostKey: null, ThirdPartyUi: false),
    ];

    private static readonly SurfaceMap PortalMap = All[0];
    private static readonly SurfaceMap CommonMap = All[^1] with { Pages = false };

    /// <summary>Whether requests to a surface answer with problem documents of the API (the platform's and the data API's).</summary>
    public static bool IsApi(Surface surface) => surface is Surface.Api or Surface.Gateway;

    /// <summary>The surface a path belongs to: <c>/</c> is the portal's home; anything unlisted is common ground (no pages).</summary>
    public static SurfaceMap Of(PathString path)
    {
        if (path == "/")
        {
            return PortalMap;
        }

        foreach (var surface in All)
        {
            foreach (var prefix in surface.Prefixes)
            {
                if (path.StartsWithSegments(prefix, StringComparison.OrdinalIgnoreCase))
                {
                    return surface;
                }
            }
        }

        return CommonMap;
    }

    public static SurfaceMap Of(HttpContext http) => Of(http.Request.Path);
}
