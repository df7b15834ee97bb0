using System.Net;
using System.Text;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Idunox.Host.Tests;

/// <summary>
/// Every route the host maps, found from its own endpoint table, tried with hostile input — signed in and not: none may
/// answer 500 or anything but a problem document for an error.
/// </summary>
public sealed class HostileInputTests(PostgresAppFixture fixture) : IClassFixture<PostgresAppFixture>
{
    private static readonly string[] Bodies =
    [
        "",
        "{",
        "null",
        "[]",
        "\"just a string\"",
        "{\"name\": {\"nested\": [1, 2, {\"deeper\": true}]}, \"email\": [], \"password\": 12}",
        "{\"name\": \"\\u0000\\u202e\\ud83d\\ude00\", \"expiresInDays\": 99999999999999999999, \"graceHours\": 1e309}",
        new string('[', 5000) + new string(']', 5000),
        "{\"email\": \"" + new string('a', 60_000) + "\"}",
        // Well-formed but for one rule: names that would read differently from what they are.
        "{\"name\": \"invoice\\u202Egpj.exe\", \"expiresInDays\": 30, \"graceHours\": 24}",
        "{\"name\": \"pay\\u200Broll\", \"email\": \"it@partner.example\", \"password\": \"a long enough password\"}",
    ];

    [Fact]
    public async Task No_route_answers_hostile_input_with_a_500_or_without_a_problem_document()
    {
        var partner = await fixture.App.PartnerAsync();
        var token = await fixture.App.SignInAsync(partner);
        var routes = fixture.App.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText is { } raw && raw.StartsWith("/v1/", StringComparison.Ordinal))
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(m => (Method: m, Path: e.RoutePattern.RawText!,
                Paged: e.Metadata.GetMetadata<System.Reflection.MethodInfo>()?.GetParameters().Any(p => p.Name == "page") == true)))
            .Distinct().ToList();
        Assert.True(routes.Count >= 9, $"only {routes.Count} routes found");

        var failures = new List<string>();
        foreach (var (method, pattern, paged) in routes)
        {
            foreach (var id in new[] { Guid.NewGuid().ToString(), "not-a-guid", "..%2f..%2fetc", "%e2%80%ae", new string('9', 300) })
            {
                var path = pattern.Replace("{id}", id, StringComparison.Ordinal);
                foreach (var body in method == "GET" ? [""] : Bodies)
                {
                    foreach (var authenticated in new[] { false, true })
                    {
                        var client = authenticated ? fixture.App.ClientWithToken(token) : fixture.App.CreateClient();
                        client.DefaultRequestHeaders.TryAddWithoutValidation("X-Api-Key", "idx_test_" + new string('%', 40));
                        using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(path + "?page=-1&pageSize=abc", UriKind.Relative));
                        if (method != "GET")
                        {
                            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
                        }

                        using var response = await client.SendAsync(request);
                        var status = (int)response.StatusCode;
                        // Every body here is invalid, no id here exists, and the query is invalid paging: where any of
                        // those is read, the only right answer is a 4xx.
                        var mustRefuse = method != "GET" || pattern.Contains("{id}", StringComparison.Ordinal) || paged;
                        if (status >= 500 || (mustRefuse && status < 400) ||
                            (status >= 400 && response.Content.Headers.ContentType?.MediaType != "application/problem+json"))
                        {
                            failures.Add($"{method} {path} [{body[..Math.Min(body.Length, 30)]}] auth={authenticated}: {status}");
                        }
                    }
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(30)));
    }
}
