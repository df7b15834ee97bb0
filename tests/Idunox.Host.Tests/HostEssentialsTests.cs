using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Idunox.Testing;
using Newtonsoft.Json.Linq;
using Snapshooter.Xunit;

namespace Idunox.Host.Tests;

public sealed class HostEssentialsTests(PostgresAppFixture fixture) : IClassFixture<PostgresAppFixture>
{
    private readonly HttpClient _client = fixture.App.CreateClient();

    [Fact]
    public async Task Liveness_and_readiness_answer_healthy_when_the_database_is_migrated()
    {
        var live = await _client.GetAsync(new Uri("/health/live", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);

        var ready = await _client.GetAsync(new Uri("/health/ready", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        using var body = JsonDocument.Parse(await ready.Content.ReadAsStringAsync());
        Assert.Equal("healthy", body.RootElement.GetProperty("status").GetString());
        var modules = body.RootElement.GetProperty("checks").GetProperty("databases").GetProperty("data");
        Assert.Equal(["credentials", "identity", "notifications", "staffadmin"], modules.EnumerateObject().Select(p => p.Name).Order());
        Assert.All(modules.EnumerateObject(), p => Assert.Equal("ok", p.Value.GetString()));
        var jobs = body.RootElement.GetProperty("checks").GetProperty("jobs");
        Assert.Equal("healthy", jobs.GetProperty("status").GetString());
        Assert.Empty(jobs.GetProperty("data").EnumerateObject()); // no job statistics in a public answer
    }

    [Fact]
    public async Task Partner_config_is_public_and_documented()
    {
        var response = await _client.GetAsync(new Uri("/v1/partner/config", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Snapshot.Match(JToken.Parse(await response.Content.ReadAsStringAsync()));
    }

    [Fact]
    public async Task The_OpenAPI_document_describes_the_API()
    {
        var document = await _client.GetFromJsonAsync<JsonElement>(new Uri("/openapi/v1.json", UriKind.Relative));

        Assert.StartsWith("3.", document.GetProperty("openapi").GetString(), StringComparison.Ordinal);
        Assert.Equal("Idunox Partner Platform API", document.GetProperty("info").GetProperty("title").GetString());
        Assert.True(document.GetProperty("paths").TryGetProperty("/v1/partner/config", out var config));
        Assert.Equal("getPartnerConfig", config.GetProperty("get").GetProperty("operationId").GetString());
    }

    [Fact]
    public async Task The_OpenAPI_document_says_how_each_operation_authenticates()
    {
        var document = await _client.GetFromJsonAsync<JsonElement>(new Uri("/openapi/v1.json", UriKind.Relative));

        var schemes = document.GetProperty("components").GetProperty("securitySchemes");
        Assert.Equal("bearer", schemes.GetProperty("Bearer").GetProperty("scheme").GetString());
        Assert.Equal("X-Api-Key", schemes.GetProperty("ApiKey").GetProperty("name").GetString());
        Assert.Equal("header", schemes.GetProperty("ApiKey").GetProperty("in").GetString());

        var paths = document.GetProperty("paths");
        Assert.Equal(["Bearer"], SecurityOf(paths.GetProperty("/v1/partner/credentials").GetProperty("get")));
        Assert.Equal(["ApiKey"], SecurityOf(paths.GetProperty("/v1/partner-auth-probe").GetProperty("get")));
        Assert.Empty(SecurityOf(paths.GetProperty("/v1/partner/auth/login").GetProperty("post")));
    }

    private static List<string> SecurityOf(JsonElement operation) =>
        operation.TryGetProperty("security", out var security)
            ? security.EnumerateArray().SelectMany(r => r.EnumerateObject().Select(p => p.Name)).ToList()
            : [];

    [Fact]
    public async Task The_API_reference_is_served_at_docs()
    {
        var response = await _client.GetAsync(new Uri("/docs/", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("<title>Idunox Partner Platform API</title>", html, StringComparison.Ordinal);
        Assert.Contains("openapi/v1.json", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/no/such/route")]
    [InlineData("/v1/partner/nothing-here")]
    public async Task An_unknown_route_is_a_404_problem(string path)
    {
        var response = await _client.GetAsync(new Uri(path, UriKind.Relative));

        await response.AssertProblemAsync(HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task A_wrong_method_is_a_405_problem()
    {
        var response = await _client.DeleteAsync(new Uri("/v1/partner/config", UriKind.Relative));

        await response.AssertProblemAsync(HttpStatusCode.MethodNotAllowed, "method_not_allowed");
    }
}

/// <summary>What a new operator meets on the embedded default.</summary>
public sealed class FirstHourTests
{
    [Fact]
    public async Task In_Development_the_portal_links_follow_Urls_and_JSON_answers_end_with_a_newline()
    {
        var file = Path.Combine(Path.GetTempPath(), $"idunox-urls-{Guid.NewGuid():N}.db");
        await using var app = IdunoxApp.OnSqlite(file, "Development", new Dictionary<string, string?> { ["Urls"] = "http://localhost:6123" });

        var response = await app.CreateClient().GetAsync(new Uri("/v1/partner/config", UriKind.Relative));
        var text = await response.Content.ReadAsStringAsync();

        Assert.EndsWith("}\n", text, StringComparison.Ordinal);
        var urls = JsonDocument.Parse(text).RootElement.GetProperty("urls");
        Assert.Equal("http://localhost:6123/partner", urls.GetProperty("portal").GetString());
        Assert.Equal("http://localhost:6123/docs", urls.GetProperty("docs").GetString());
        var problem = await app.CreateClient().GetAsync(new Uri("/no/such/page", UriKind.Relative));
        Assert.EndsWith("}\n", await problem.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_job_run_that_found_nothing_to_do_is_not_logged_above_debug()
    {
        var file = Path.Combine(Path.GetTempPath(), $"idunox-idle-{Guid.NewGuid():N}.db");
        await using var app = IdunoxApp.OnSqlite(file);

        await app.RunJobAsync("email-dispatch");
        await app.RunJobAsync("outbox-dispatch");

        var lines = app.Logs.Lines.Where(l => l.Contains("Job email-dispatch", StringComparison.Ordinal) || l.Contains("Job outbox-dispatch", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, lines.Count);
        Assert.All(lines, l => Assert.StartsWith("Debug ", l, StringComparison.Ordinal));
    }
}
