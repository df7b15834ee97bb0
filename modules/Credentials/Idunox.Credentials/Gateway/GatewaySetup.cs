using System.Diagnostics;
using Idunox.Credentials.Verification;
using Idunox.Shared.Errors;
using Idunox.Shared.Persistence;
using Idunox.Shared.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Transforms;

namespace Idunox.Credentials.Gateway;

/// <summary>
/// The data API's front door: YARP proxies the routes and clusters configured under <c>Gateway</c> (YARP's own shape,
/// reloaded when the configuration changes). Every proxied request first passes the one key gate the probe uses; then
/// <c>X-Api-Key</c> and any <c>Idunox-Identity</c> the client sent are removed, and the signed statement of the caller is
/// added. Upstream faults are answered as problems (502 <c>upstream_unavailable</c>, 504 <c>upstream_timeout</c>); what
/// the upstream answers passes through unchanged, and bodies stream both ways.
/// </summary>
internal static class GatewaySetup
{
    public const string SectionName = "Gateway";
    public const string UpstreamUnavailable = "upstream_unavailable";
    public const string UpstreamTimeout = "upstream_timeout";

    public static void AddGateway(this IHostApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection(SectionName);
        foreach (var route in section.GetSection("Routes").GetChildren())
        {
            var metadata = route.GetSection("Metadata").GetChildren().Where(m => m.Value is not null).ToDictionary(m => m.Key, m => m.Value!);
            if (GatewayRoutes.Refusal(route.Key, route["Match:Path"], metadata, builder.Environment) is { } refusal)
            {
                throw new StartupConfigurationException(refusal);
            }
        }

        var keys = GatewayKeys.From(builder.Configuration, builder.Environment);
        if (keys.All.Count == 0 && section.GetSection("Routes").GetChildren().Any())
        {
            throw new StartupConfigurationException(
                "Gateway:SigningKeys is required when Gateway:Routes has routes: the gateway signs every forwarded request (ES256). " +
                "Make a key with: openssl ecparam -name prime256v1 -genkey -noout | openssl pkcs8 -topk8 -nocrypt");
        }

        builder.Services.AddSingleton(keys);
        builder.Services.AddSingleton<IdentityTokens>();
        builder.Services.AddSingleton<ScopeCatalogue>();
        builder.Services.AddReverseProxy()
            .LoadFromConfig(section)
            .AddConfigFilter<GatewayRouteFilter>()
            .AddTransforms(context =>
            {
                var audience = context.Cluster?.ClusterId ?? context.Route.ClusterId ?? "";
                var tokens = context.Services.GetRequiredService<IdentityTokens>();
                context.AddRequestHeaderRemove(IdunoxAuthentication.ApiKeyHeader);
                context.AddRequestTransform(transform =>
                {
                    var headers = transform.ProxyRequest.Headers;
                    headers.Remove(IdentityTokens.HeaderName); // whatever the client claimed
                    if (transform.HttpContext.Features.Get<Verification.Verification>() is { } verification)
                    {
                        headers.TryAddWithoutValidation(IdentityTokens.HeaderName, tokens.For(verification, audience));
                    }

                    return ValueTask.CompletedTask;
                });
            });
    }

    public static void MapGateway(IEndpointRouteBuilder routes)
    {
        var tokens = routes.ServiceProvider.GetRequiredService<IdentityTokens>();
        routes.MapGet("/.well-known/jwks.json", (HttpContext http) =>
            {
                http.Response.Headers.CacheControl = "public, max-age=300";
                return Results.Bytes(tokens.Jwks, "application/json");
            })
            .AllowAnonymous().ExcludeFromDescription();

        var gate = routes.ServiceProvider.GetRequiredService<ApiKeyGate>();
        routes.MapReverseProxy(proxy =>
        {
            proxy.Use((context, next) =>
            {
                var metadata = context.GetReverseProxyFeature().Route.Config.Metadata;
                if (metadata is null)
                {
                    return gate.InvokeAsync(context, requiredScope: null, () => next());
                }

                // KeyCheck is refused by the route rules anywhere but the benchmark's environment.
                return metadata.ContainsKey(GatewayRoutes.KeyCheckMetadata)
                    ? next()
                    : gate.InvokeAsync(context, metadata.GetValueOrDefault(GatewayRoutes.ScopeMetadata), () => next());
            });
            proxy.Use(StreamBodies); // only for a caller the gate let in
            proxy.Use(AnswerUpstreamFaults);
            proxy.UseSessionAffinity();
            proxy.UseLoadBalancing();
            proxy.UsePassiveHealthChecks();
        }).ShortCircuit();
    }

    /// <summary>
    /// Proxied bodies are streamed, at any size: the platform's own small-body limit does not apply to them, and the data
    /// API's answer passes through as it was written (no newline is added to its JSON).
    /// </summary>
    private static Task StreamBodies(HttpContext http, Func<Task> next)
    {
        Idunox.Shared.Http.JsonNewline.LeaveUntouched(http);
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = null;
        }

        return next();
    }

    /// <summary>An upstream that cannot be reached or does not answer in time: a problem document, never its address.</summary>
    private static async Task AnswerUpstreamFaults(HttpContext http, Func<Task> next)
    {
        await next();
        if (http.GetForwarderErrorFeature() is not { } fault || http.Response.HasStarted)
        {
            return;
        }

        Idunox.Shared.Http.JsonNewline.LeaveUntouched(http, untouched: false); // the answer is the platform's own problem

        switch (fault.Error)
        {
            case ForwarderError.RequestTimedOut:
                await ApiProblems.WriteAsync(http, StatusCodes.Status504GatewayTimeout, UpstreamTimeout, "The data API did not answer in time.",
                    "Try again later; if it keeps happening, tell Idunox support the trace id.");
                break;
            case ForwarderError.RequestCanceled or ForwarderError.RequestBodyCanceled or ForwarderError.ResponseBodyCanceled:
                break; // the client went away
            default:
                await ApiProblems.WriteAsync(http, StatusCodes.Status502BadGateway, UpstreamUnavailable, "The data API is not available.",
                    "Try again in a moment; if it keeps happening, tell Idunox support the trace id.");
                break;
        }
    }
}

/// <summary>A reloaded configuration is checked as at start: a route that breaks the rules is refused (the last good one stays).</summary>
internal sealed class GatewayRouteFilter(IHostEnvironment environment) : IProxyConfigFilter
{
    public ValueTask<ClusterConfig> ConfigureClusterAsync(ClusterConfig cluster, CancellationToken cancel) => ValueTask.FromResult(cluster);

    public ValueTask<RouteConfig> ConfigureRouteAsync(RouteConfig route, ClusterConfig? cluster, CancellationToken cancel) =>
        GatewayRoutes.Refusal(route.RouteId, route.Match.Path, route.Metadata, environment) is { } refusal
            ? throw new InvalidOperationException(refusal)
            : ValueTask.FromResult(route);
}
