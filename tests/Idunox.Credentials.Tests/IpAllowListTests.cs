using System.Net;
using System.Text;
using System.Text.Json;
using Idunox.Credentials.Verification;
using Microsoft.Extensions.DependencyInjection;

namespace Idunox.Credentials.Tests;

/// <summary>
/// A key's IP allow-list, checked by the one gate from the cached key: enforce refuses exactly the addresses outside
/// (IPv4, IPv6, IPv4-mapped, the boundary addresses of each range), report-only serves them and reports them.
/// </summary>
public sealed class IpAllowListTests : IAsyncLifetime
{
    private readonly string _database = Path.Combine(Path.GetTempPath(), $"idunox-ip-{Guid.NewGuid():N}.db");
    private IdunoxApp _app = null!;

    public Task InitializeAsync()
    {
        _app = IdunoxApp.OnSqlite(_database);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        File.Delete(_database);
    }

    private Task<HttpResponseMessage> ProbeFromAsync(string key, string address) => PartnerApi.ProbeAsync(_app, key, address);

    [Theory]
    [InlineData("203.0.113.0", true)]   // the range's first address
    [InlineData("203.0.113.255", true)] // its last
    [InlineData("203.0.112.255", false)] // one before
    [InlineData("203.0.114.0", false)]  // one after
    [InlineData("::ffff:203.0.113.9", true)] // IPv4-mapped IPv6 is the IPv4 address
    [InlineData("198.51.100.7", true)]  // a single address
    [InlineData("198.51.100.8", false)]
    [InlineData("2001:db8::", true)]    // the IPv6 range's first address
    [InlineData("2001:db8:0:ffff:ffff:ffff:ffff:ffff", true)] // its last
    [InlineData("2001:db8:1::", false)] // the next /48
    [InlineData("2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", false)]
    public async Task An_enforced_list_refuses_exactly_the_addresses_outside_it(string address, bool allowed)
    {
        var partner = await _app.PartnerAsync();
        var portal = _app.ClientWithToken(await _app.SignInAsync(partner));
        var created = await PartnerApi.ExpectAsync(await PartnerApi.PostCreateAsync(portal, new
        {
            name = "office only",
            ipAllowList = new { mode = "enforce", entries = new[] { "203.0.113.0/24", "198.51.100.7", "2001:db8::/48" } },
        }), HttpStatusCode.Created);
        var key = created.GetProperty("apiKey").GetString()!;
        Assert.Equal("enforce", created.GetProperty("credential").GetProperty("ipAllowList").GetProperty("mode").GetString());

        var answer = await ProbeFromAsync(key, address);

        if (allowed)
        {
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        }
        else
        {
            var problem = await answer.AssertProblemAsync(HttpStatusCode.Forbidden, "api_key_ip_not_allowed");
            Assert.Equal(IPAddress.Parse(address).ToString(), problem.GetProperty("clientAddress").GetString());
        }
    }

    [Fact]
    public async Task Report_only_serves_every_request_and_reports_the_addresses_outside_then_enforce_refuses_them_at_once()
    {
        var partner = await _app.PartnerAsync();
        var portal = _app.ClientWithToken(await _app.SignInAsync(partner));
        var (key, credential) = await PartnerApi.CreateAsync(portal, "trial");
        var id = credential.GetProperty("id").GetGuid();
        Assert.Equal(HttpStatusCode.OK, (await ProbeFromAsync(key, "192.0.2.50")).StatusCode); // cached before the change

        var reporting = await PartnerApi.ExpectAsync(
            await PartnerApi.PatchAsync(portal, id, """{"ipAllowList": {"mode": "report", "entries": ["10.0.0.0/8"]}}"""), HttpStatusCode.OK);
        Assert.Equal(["10.0.0.0/8"], reporting.GetProperty("credential").GetProperty("ipAllowList").GetProperty("entries").EnumerateArray().Select(e => e.GetString()));
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await ProbeFromAsync(key, "192.0.2.50")).StatusCode); // outside: served
        }

        Assert.Equal(HttpStatusCode.OK, (await ProbeFromAsync(key, "10.1.2.3")).StatusCode); // inside: not reported
        await _app.Services.GetRequiredService<LastUsedWriter>().FlushAsync(CancellationToken.None);

        var findings = await PartnerApi.ExpectAsync(
            await portal.GetAsync(new Uri($"/v1/partner/credentials/{id}/ip-findings", UriKind.Relative)), HttpStatusCode.OK);
        Assert.Equal("report", findings.GetProperty("mode").GetString());
        var finding = Assert.Single(findings.GetProperty("items").EnumerateArray());
        Assert.Equal("192.0.2.50", finding.GetProperty("address").GetString());
        Assert.Equal(3, finding.GetProperty("requests").GetInt64());

        // Another organisation sees nothing of them.
        var other = _app.ClientWithToken(await _app.SignInAsync(await _app.PartnerAsync()));
        await (await other.GetAsync(new Uri($"/v1/partner/credentials/{id}/ip-findings", UriKind.Relative))).AssertProblemAsync(HttpStatusCode.NotFound, "key_not_found");

        await PartnerApi.ExpectAsync(await PartnerApi.PatchAsync(portal, id, """{"ipAllowList": {"mode": "enforce", "entries": ["10.0.0.0/8"]}}"""), HttpStatusCode.OK);
        await (await ProbeFromAsync(key, "192.0.2.50")).AssertProblemAsync(HttpStatusCode.Forbidden, "api_key_ip_not_allowed");
        var audit = await portal.GetStringAsync(new Uri("/v1/partner/audit", UriKind.Relative));
        Assert.Contains("IP allow-list off → IP allow-list report: 10.0.0.0/8", audit, StringComparison.Ordinal);
        Assert.Contains("IP allow-list report: 10.0.0.0/8 → IP allow-list enforce: 10.0.0.0/8", audit, StringComparison.Ordinal);

        // A rotation keeps the list.
        var (successor, _, _) = await PartnerApi.RotateAsync(portal, id, 24);
        await (await ProbeFromAsync(successor, "192.0.2.50")).AssertProblemAsync(HttpStatusCode.Forbidden, "api_key_ip_not_allowed");
        Assert.Equal(HttpStatusCode.OK, (await ProbeFromAsync(successor, "10.9.9.9")).StatusCode);
    }

    [Theory]
    [InlineData("""{"mode": "sometimes", "entries": ["10.0.0.0/8"]}""", "ipAllowList.mode")]
    [InlineData("""{"mode": "enforce", "entries": []}""", "ipAllowList.entries")]
    [InlineData("""{"mode": "enforce", "entries": ["10.0.0.1/8"]}""", "ipAllowList.entries")]
    [InlineData("""{"mode": "enforce", "entries": ["10.0.0.0/33"]}""", "ipAllowList.entries")]
    [InlineData("""{"mode": "enforce", "entries": ["example.com"]}""", "ipAllowList.entries")]
    [InlineData("""{"mode": "enforce", "entries": "10.0.0.0/8"}""", "ipAllowList")]
    public async Task A_list_that_does_not_add_up_is_a_400_naming_it_and_the_key_stays_as_it_was(string list, string member)
    {
        var partner = await _app.PartnerAsync();
        var portal = _app.ClientWithToken(await _app.SignInAsync(partner));
        var (key, credential) = await PartnerApi.CreateAsync(portal, "unchanged");
        var id = credential.GetProperty("id").GetGuid();

        var problem = await (await PartnerApi.PatchAsync(portal, id, $$"""{"ipAllowList": {{list}}}""")).AssertProblemAsync(HttpStatusCode.BadRequest, "validation_failed");

        Assert.True(problem.GetProperty("errors").TryGetProperty(member, out var messages), problem.GetRawText());
        if (list.Contains("10.0.0.1/8", StringComparison.Ordinal))
        {
            Assert.Contains("did you mean 10.0.0.0/8", messages[0].GetString(), StringComparison.Ordinal);
        }

        Assert.Equal("off", (await PartnerApi.GetAsync(portal, id)).GetProperty("ipAllowList").GetProperty("mode").GetString());
        Assert.Equal(HttpStatusCode.OK, (await ProbeFromAsync(key, "192.0.2.1")).StatusCode);
    }

    [Fact]
    public async Task Fifty_one_entries_are_refused_and_fifty_are_taken()
    {
        var partner = await _app.PartnerAsync();
        var portal = _app.ClientWithToken(await _app.SignInAsync(partner));
        var entries = Enumerable.Range(0, 51).Select(i => $"10.{i}.0.0/16").ToArray();

        await (await PartnerApi.PostCreateAsync(portal, new { name = "too many", ipAllowList = new { mode = "enforce", entries } }))
            .AssertProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        var created = await PartnerApi.ExpectAsync(
            await PartnerApi.PostCreateAsync(portal, new { name = "fifty", ipAllowList = new { mode = "enforce", entries = entries[..50] } }), HttpStatusCode.Created);
        var key = created.GetProperty("apiKey").GetString()!;
        Assert.Equal(HttpStatusCode.OK, (await ProbeFromAsync(key, "10.49.255.255")).StatusCode);
        await (await ProbeFromAsync(key, "10.50.0.0")).AssertProblemAsync(HttpStatusCode.Forbidden, "api_key_ip_not_allowed");
    }
}
