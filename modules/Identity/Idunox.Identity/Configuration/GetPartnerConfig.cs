using Idunox.Shared.Errors;
using Idunox.Identity.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;

namespace Idunox.Identity.Configuration;

/// <summary><c>GET /v1/partner/config</c>: public, cacheable facts the portal and integrators start from.</summary>
internal static class GetPartnerConfig
{
    public static void Map(IEndpointRouteBuilder routes) =>
        routes.MapGet("/v1/partner/config", Handle)
            .WithName("GetPartnerConfig")
            .WithTags("Portal")
            .WithSummary("Public configuration of the partner portal: environment, brand, URLs, support e-mail and key policy.")
            .WithExamples(null, new PartnerConfigResponse("live", new BrandResponse("Idunox", "Idunox Partner Portal", "#1f5fbf", ["light", "dark"]),
                new UrlsResponse("https://partner.idunox.com/partner", "https://api.idunox.com/v1", "https://developers.idunox.com", "https://admin.idunox.com/admin"),
                "partner@idunox.com", new KeyPolicyResponse("idx_live_", 365, 365, [24, 48, 72], 24, 30, 20)))
            .AllowAnonymous();

    /// <remarks>The key policy is contributed by the module that owns keys; with that module switched off there is none.</remarks>
    internal static Ok<PartnerConfigResponse> Handle(IOptions<Idunox.Shared.Configuration.PortalSettings> portal, IKeyPolicyPublisher keyPolicy, HttpContext http)
    {
        var p = portal.Value;
        var keys = keyPolicy.Published;
        http.Response.Headers.CacheControl = "public, max-age=300";
        return TypedResults.Ok(new PartnerConfigResponse(
            keys?.Environment,
            new BrandResponse(p.Brand.Name, p.Brand.ProductName, p.Brand.PrimaryColor, [.. p.Brand.Themes]),
            new UrlsResponse(p.Urls.Portal, p.Urls.Api, p.Urls.Docs, p.Urls.Admin),
            p.SupportEmail,
            keys is null
                ? null
                : new KeyPolicyResponse(keys.KeyPrefix, keys.DefaultValidityDays, keys.MaxValidityDays, keys.GraceHoursOptions,
                    keys.DefaultGraceHours, keys.ExpiringThresholdDays, keys.MaxActiveKeys)));
    }
}

internal sealed record PartnerConfigResponse(
    string? Environment, BrandResponse Brand, UrlsResponse Urls, string SupportEmail, KeyPolicyResponse? KeyPolicy);

internal sealed record BrandResponse(string Name, string ProductName, string PrimaryColor, IReadOnlyList<string> Themes);

internal sealed record UrlsResponse(string Portal, string Api, string Docs, string Admin);

internal sealed record KeyPolicyResponse(
    string KeyPrefix,
    int DefaultValidityDays,
    int MaxValidityDays,
    IReadOnlyList<int> GraceHoursOptions,
    int DefaultGraceHours,
    int ExpiringThresholdDays,
    int MaxActiveKeys);
