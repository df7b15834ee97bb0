using Idunox.Credentials.Contracts;
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
            .AllowAnonymous();

    internal static Ok<PartnerConfigResponse> Handle(
        IOptions<PortalOptions> portal, IOptions<KeyPolicyOptions> keys, HttpContext http)
    {
        var p = portal.Value;
        var k = keys.Value;
        http.Response.Headers.CacheControl = "public, max-age=300";
        return TypedResults.Ok(new PartnerConfigResponse(
            k.Environment,
            new BrandResponse(p.Brand.Name, p.Brand.ProductName, p.Brand.PrimaryColor, [.. p.Brand.Themes]),
            new UrlsResponse(p.Urls.Portal, p.Urls.Api, p.Urls.Docs, p.Urls.Admin),
            p.SupportEmail,
            new KeyPolicyResponse(
                k.KeyPrefix,
                k.DefaultValidityDays,
                k.MaxValidityDays,
                [.. KeyPolicyOptions.GraceHoursOptions],
                KeyPolicyOptions.DefaultGraceHours,
                k.ExpiringThresholdDays,
                k.MaxActiveKeysPerTenant)));
    }
}

internal sealed record PartnerConfigResponse(
    string Environment, BrandResponse Brand, UrlsResponse Urls, string SupportEmail, KeyPolicyResponse KeyPolicy);

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
