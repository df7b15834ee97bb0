using System.Security.Claims;
using Idunox.Shared.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Idunox.Host.Tests;

/// <summary>
/// Who may call what is written on each endpoint, never left to a default: every endpoint either allows anonymous
/// callers or names a policy whose authentication schemes are explicit, or is an endpoint of the data API (its key is
/// checked by the endpoint's own filter, and it is tried here without one); and the default policy refuses everyone.
/// </summary>
public sealed class EndpointAuthorizationTests(PostgresAppFixture fixture) : IClassFixture<PostgresAppFixture>
{
    /// <summary>Endpoints that authorize in their own way, each with its reason.</summary>
    private static readonly Dictionary<string, string> OwnAuthorization = new(StringComparer.Ordinal)
    {
        ["/hangfire"] = "the staff policy, then the dashboard's own filter (staff read-only, ops full); checked by the browser tests",
        ["{**path:file}"] = "the static web assets' fallback for files (the UI kit's stylesheet and script): public like every stylesheet",
    };

    [Fact]
    public async Task Every_endpoint_allows_anonymous_callers_or_names_a_policy_with_explicit_schemes()
    {
        var policies = fixture.App.Services.GetRequiredService<IAuthorizationPolicyProvider>();
        var endpoints = fixture.App.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();
        Assert.True(endpoints.Count >= 10, $"only {endpoints.Count} endpoints found");

        var failures = new List<string>();
        var dataApi = new List<RouteEndpoint>();
        foreach (var endpoint in endpoints)
        {
            var pattern = endpoint.RoutePattern.RawText ?? string.Empty;
            if (OwnAuthorization.Keys.Any(p => pattern.StartsWith(p, StringComparison.Ordinal)) || endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null)
            {
                continue;
            }

            var authorize = endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>();
            if (endpoint.Metadata.GetMetadata<RequiresApiKeyAttribute>() is not null)
            {
                if (authorize.Count > 0)
                {
                    failures.Add($"{pattern}: a data API endpoint with an authorization policy as well");
                }

                dataApi.Add(endpoint);
                continue;
            }

            if (authorize.Count == 0)
            {
                failures.Add($"{pattern} ({endpoint.DisplayName}): neither anonymous nor authorized");
                continue;
            }

            foreach (var data in authorize)
            {
                var policy = data.Policy is { } name ? await policies.GetPolicyAsync(name) : null;
                if (policy is null || policy.AuthenticationSchemes.Count == 0)
                {
                    failures.Add($"{pattern}: policy '{data.Policy ?? "(default)"}' names no authentication scheme");
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.NotEmpty(dataApi);

        // The data API's endpoints are open only with a key: without one (or with a portal token instead) each refuses.
        using var client = fixture.App.CreateClient();
        foreach (var endpoint in dataApi)
        {
            var method = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods.FirstOrDefault() ?? "GET";
            using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(endpoint.RoutePattern.RawText!, UriKind.Relative));
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "not-a-key");
            using var response = await client.SendAsync(request);
            await response.AssertProblemAsync(System.Net.HttpStatusCode.Unauthorized, "api_key_missing");
            Assert.Equal("ApiKey", response.Headers.WwwAuthenticate.ToString());
        }
    }

    [Fact]
    public async Task The_default_policy_refuses_even_a_principal_with_every_claim()
    {
        var policies = fixture.App.Services.GetRequiredService<IAuthorizationPolicyProvider>();
        var authorization = fixture.App.Services.GetRequiredService<IAuthorizationService>();
        var everything = new ClaimsPrincipal(new ClaimsIdentity(
            [new Claim("sub", Guid.NewGuid().ToString()), new Claim("tenant", Guid.NewGuid().ToString()), new Claim("credential", Guid.NewGuid().ToString())],
            "Bearer"));

        var result = await authorization.AuthorizeAsync(everything, null, await policies.GetDefaultPolicyAsync());

        Assert.False(result.Succeeded);
    }
}
