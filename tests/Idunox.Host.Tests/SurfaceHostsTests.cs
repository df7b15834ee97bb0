using System.Net;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Idunox.Host.Tests;

/// <summary>With Hosts:* set, each surface answers on its own host name only, and other host names reach nothing.</summary>
public sealed class SurfaceHostsTests : IAsyncLifetime
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"idunox-hosts-{Guid.NewGuid():N}.db");
    private IdunoxApp _app = default!;

    public Task InitializeAsync()
    {
        _app = IdunoxApp.OnSqlite(_file, extra: new Dictionary<string, string?>
        {
            ["Hosts:Portal"] = "partner.idunox.test",
            ["Hosts:Admin"] = "admin.idunox.test",
            ["Hosts:Api"] = "api.idunox.test",
        });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        File.Delete(_file);
    }

    private async Task<HttpStatusCode> GetAsync(string host, string path, bool browser = false)
    {
        using var client = _app.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri($"https://{host}"), AllowAutoRedirect = false });
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (browser)
        {
            request.Headers.Accept.ParseAdd("text/html");
        }

        return (await client.SendAsync(request)).StatusCode;
    }

    [Theory]
    [InlineData("partner.idunox.test", "/partner/sign-in", HttpStatusCode.OK)]
    [InlineData("partner.idunox.test", "/admin/sign-in", HttpStatusCode.NotFound)]
    [InlineData("partner.idunox.test", "/hangfire", HttpStatusCode.NotFound)]
    [InlineData("partner.idunox.test", "/v1/partner/config", HttpStatusCode.NotFound)]
    [InlineData("admin.idunox.test", "/admin/sign-in", HttpStatusCode.OK)]
    [InlineData("admin.idunox.test", "/hangfire", HttpStatusCode.Unauthorized)]
    [InlineData("admin.idunox.test", "/partner/sign-in", HttpStatusCode.NotFound)]
    [InlineData("admin.idunox.test", "/v1/partner/config", HttpStatusCode.NotFound)]
    [InlineData("admin.idunox.test", "/", HttpStatusCode.Redirect)]
    [InlineData("api.idunox.test", "/v1/partner/config", HttpStatusCode.OK)]
    [InlineData("api.idunox.test", "/v1/partner-auth-probe", HttpStatusCode.Unauthorized)]
    [InlineData("api.idunox.test", "/partner/sign-in", HttpStatusCode.NotFound)]
    [InlineData("api.idunox.test", "/admin/sign-in", HttpStatusCode.NotFound)]
    [InlineData("API.idunox.test:443", "/v1/partner/config", HttpStatusCode.OK)]
    [InlineData("evil.example", "/partner/sign-in", HttpStatusCode.BadRequest)]
    [InlineData("evil.example", "/v1/partner/config", HttpStatusCode.BadRequest)]
    [InlineData("evil.example", "/health/live", HttpStatusCode.OK)]
    public async Task Each_surface_answers_only_on_its_host(string host, string path, HttpStatusCode expected)
    {
        Assert.Equal(expected, await GetAsync(host, path));
    }

    [Fact]
    public async Task The_staff_sign_in_sends_partners_to_the_portal_host()
    {
        using var client = _app.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri("https://admin.idunox.test") });

        var html = await client.GetStringAsync(new Uri("/admin/sign-in", UriKind.Relative));

        Assert.Contains("href=\"https://partner.idunox.test/partner/sign-in\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_page_on_the_wrong_host_is_the_friendly_not_found_page_and_the_api_a_problem()
    {
        using var client = _app.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri("https://partner.idunox.test") });
        var page = await client.GetAsync(new Uri("/admin/sign-in", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, page.StatusCode);
        Assert.Contains("Page not found", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        await (await client.GetAsync(new Uri("/v1/partner/config", UriKind.Relative))).AssertProblemAsync(HttpStatusCode.NotFound, "not_found");
        using var evil = _app.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri("https://evil.example") });
        await (await evil.GetAsync(new Uri("/partner/sign-in", UriKind.Relative))).AssertProblemAsync(HttpStatusCode.BadRequest, "unknown_host");
    }
}
