using System.Net;
using System.Text.Json;
using Idunox.Credentials.Verification;
using Microsoft.Extensions.DependencyInjection;

namespace Idunox.Credentials.Tests;

/// <summary>
/// A key's rate limit, a second and a minute: counted in memory by the one gate, 429 <c>rate_limited</c> with
/// <c>Retry-After</c> and the IETF draft's <c>RateLimit-Policy</c>/<c>RateLimit</c> fields past it, set on create and by
/// merge patch, kept by rotations; with several servers each enforces its share, and the key as a whole gets its limit.
/// </summary>
public sealed class RateLimitTests : IAsyncLifetime
{
    private readonly string _database = Path.Combine(Path.GetTempPath(), $"idunox-rate-{Guid.NewGuid():N}.db");
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

    private async Task<(HttpClient Portal, string Key, Guid Id, JsonElement Credential)> KeyWithLimitAsync(object rateLimit, object? ipAllowList = null)
    {
        var partner = await _app.PartnerAsync();
        var portal = _app.ClientWithToken(await _app.SignInAsync(partner));
        var created = await PartnerApi.ExpectAsync(await PartnerApi.PostCreateAsync(portal, new { name = "limited", rateLimit, ipAllowList }),
            HttpStatusCode.Created);
        var credential = created.GetProperty("credential");
        return (portal, created.GetProperty("apiKey").GetString()!, credential.GetProperty("id").GetGuid(), credential);
    }

    private Task<HttpResponseMessage> ProbeAsync(string key, string? address = null) => PartnerApi.ProbeAsync(_app, key, address);

    private static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(", ", values) : "";

    [Fact]
    public async Task A_key_past_its_limit_a_second_gets_429_with_Retry_After_and_the_rate_limit_fields_until_the_next_second()
    {
        var (_, key, _, credential) = await KeyWithLimitAsync(new { perSecond = 3 });
        Assert.Equal(3, credential.GetProperty("rateLimit").GetProperty("perSecond").GetInt32());
        Assert.Equal(JsonValueKind.Null, credential.GetProperty("rateLimit").GetProperty("perMinute").ValueKind);

        for (var i = 0; i < 3; i++)
        {
            var served = await ProbeAsync(key);
            Assert.Equal(HttpStatusCode.OK, served.StatusCode);
            Assert.Equal("\"per-second\";q=3;w=1", Header(served, "RateLimit-Policy"));
            Assert.Equal($"\"per-second\";r={2 - i};t=1", Header(served, "RateLimit"));
        }

        var refused = await ProbeAsync(key);
        var problem = await refused.AssertProblemAsync(HttpStatusCode.TooManyRequests, "rate_limited");
        Assert.Contains("3 a second", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal("1", Header(refused, "Retry-After"));
        Assert.Equal("\"per-second\";r=0;t=1", Header(refused, "RateLimit"));

        _app.Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.OK, (await ProbeAsync(key)).StatusCode);
    }

    [Fact]
    public async Task A_limit_a_minute_says_how_long_until_the_minute_ends_and_requests_refused_for_another_reason_do_not_count()
    {
        var (_, key, _, _) = await KeyWithLimitAsync(new { perSecond = 3, perMinute = 4 },
            new { mode = "enforce", entries = new[] { "203.0.113.0/24" } });

        // Refused by the allow-list: never counted against the limit.
        for (var i = 0; i < 5; i++)
        {
            await (await ProbeAsync(key, "198.51.100.1")).AssertProblemAsync(HttpStatusCode.Forbidden, "api_key_ip_not_allowed");
        }

        _app.Clock.Advance(TimeSpan.FromSeconds(20));
        for (var i = 0; i < 4; i++)
        {
            if (i == 2)
            {
                _app.Clock.Advance(TimeSpan.FromSeconds(1)); // two in one second, two in the next: the second's limit is not reached
            }

            var served = await ProbeAsync(key, "203.0.113.9");
            Assert.Equal(HttpStatusCode.OK, served.StatusCode);
            Assert.Equal("\"per-second\";q=3;w=1, \"per-minute\";q=4;w=60", Header(served, "RateLimit-Policy"));
        }

        var refused = await ProbeAsync(key, "203.0.113.9");
        await refused.AssertProblemAsync(HttpStatusCode.TooManyRequests, "rate_limited");
        Assert.Equal("39", Header(refused, "Retry-After")); // the minute's end, not the second's
        Assert.Equal("\"per-second\";r=1;t=1, \"per-minute\";r=0;t=39", Header(refused, "RateLimit"));

        _app.Clock.Advance(TimeSpan.FromSeconds(38));
        await (await ProbeAsync(key, "203.0.113.9")).AssertProblemAsync(HttpStatusCode.TooManyRequests, "rate_limited");
        _app.Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.OK, (await ProbeAsync(key, "203.0.113.9")).StatusCode);
    }

    [Fact]
    public async Task A_key_without_a_limit_carries_no_rate_limit_fields_and_shows_rateLimit_null()
    {
        var partner = await _app.PartnerAsync();
        var portal = _app.ClientWithToken(await _app.SignInAsync(partner));
        var (key, credential) = await PartnerApi.CreateAsync(portal, "unlimited");
        Assert.Equal(JsonValueKind.Null, credential.GetProperty("rateLimit").ValueKind);

        var served = await ProbeAsync(key);

        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.False(served.Headers.Contains("RateLimit"));
        Assert.False(served.Headers.Contains("RateLimit-Policy"));
    }

    [Fact]
    public async Task A_merge_patch_sets_raises_and_removes_the_limit_at_once_is_audited_and_rotations_keep_it()
    {
        var partner = await _app.PartnerAsync();
        var portal = _app.ClientWithToken(await _app.SignInAsync(partner));
        var (key, credential) = await PartnerApi.CreateAsync(portal, "patched");
        var id = credential.GetProperty("id").GetGuid();
        Assert.Equal(HttpStatusCode.OK, (await ProbeAsync(key)).StatusCode); // cached without a limit

        var limited = await PartnerApi.ExpectAsync(await PartnerApi.PatchAsync(portal, id, """{"rateLimit": {"perSecond": 1}}"""), HttpStatusCode.OK);
        Assert.Equal(1, limited.GetProperty("credential").GetProperty("rateLimit").GetProperty("perSecond").GetInt32());
        Assert.Equal(HttpStatusCode.OK, (await ProbeAsync(key)).StatusCode);
        await (await ProbeAsync(key)).AssertProblemAsync(HttpStatusCode.TooManyRequests, "rate_limited"); // the cached key was narrowed at once

        await PartnerApi.ExpectAsync(await PartnerApi.PatchAsync(portal, id, """{"rateLimit": {"perSecond": 2}}"""), HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.OK, (await ProbeAsync(key)).StatusCode); // the second of this second

        var rotated = await PartnerApi.ExpectAsync(await PartnerApi.PostRotateAsync(portal, id, new { graceHours = 24 }), HttpStatusCode.Created);
        Assert.Equal(2, rotated.GetProperty("credential").GetProperty("rateLimit").GetProperty("perSecond").GetInt32());
        var successor = rotated.GetProperty("credential").GetProperty("id").GetGuid();

        var removed = await PartnerApi.ExpectAsync(await PartnerApi.PatchAsync(portal, successor, """{"rateLimit": null}"""), HttpStatusCode.OK);
        Assert.Equal(JsonValueKind.Null, removed.GetProperty("credential").GetProperty("rateLimit").ValueKind);
        var newKey = rotated.GetProperty("apiKey").GetString()!;
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await ProbeAsync(newKey)).StatusCode);
        }

        var audit = await portal.GetStringAsync(new Uri("/v1/partner/audit", UriKind.Relative));
        Assert.Contains("rate limit no rate limit → 1 a second", audit, StringComparison.Ordinal);
        Assert.Contains("rate limit 2 a second → no rate limit", audit, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"rateLimit": {"perSecond": 0}}""", "rateLimit.perSecond")]
    [InlineData("""{"rateLimit": {"perMinute": 6000001}}""", "rateLimit.perMinute")]
    [InlineData("""{"rateLimit": {"perSecond": 99999999999}}""", "rateLimit.perSecond")]
    [InlineData("""{"rateLimit": {"perSecond": 10, "perMinute": 5}}""", "rateLimit.perSecond")]
    [InlineData("""{"rateLimit": {"perSecond": "50"}}""", "rateLimit")]
    [InlineData("""{"rateLimit": {"perSecond": 1.5}}""", "rateLimit")]
    [InlineData("""{"rateLimit": {"burst": 5}}""", "rateLimit")]
    [InlineData("""{"rateLimit": {}}""", "rateLimit")]
    [InlineData("""{"rateLimit": 50}""", "rateLimit")]
    public async Task A_patch_with_a_limit_out_of_range_or_of_the_wrong_shape_is_a_400_naming_it_and_changes_nothing(string body, string member)
    {
        var partner = await _app.PartnerAsync();
        var portal = _app.ClientWithToken(await _app.SignInAsync(partner));
        var (_, credential) = await PartnerApi.CreateAsync(portal, "kept");
        var id = credential.GetProperty("id").GetGuid();

        var problem = await (await PartnerApi.PatchAsync(portal, id, body)).AssertProblemAsync(HttpStatusCode.BadRequest, "validation_failed");

        Assert.True(problem.GetProperty("errors").TryGetProperty(member, out _), problem.GetRawText());
        Assert.Equal(JsonValueKind.Null, (await PartnerApi.GetAsync(portal, id)).GetProperty("rateLimit").ValueKind);
    }

    [Fact]
    public async Task Create_refuses_a_limit_out_of_range_naming_it()
    {
        var partner = await _app.PartnerAsync();
        var portal = _app.ClientWithToken(await _app.SignInAsync(partner));

        var problem = await (await PartnerApi.PostCreateAsync(portal, new { name = "too fast", rateLimit = new { perSecond = 0, perMinute = 10 } }))
            .AssertProblemAsync(HttpStatusCode.BadRequest, "validation_failed");

        Assert.True(problem.GetProperty("errors").TryGetProperty("rateLimit.perSecond", out _), problem.GetRawText());
        Assert.Empty(await PartnerApi.ListAsync(portal));
    }

    /// <summary>
    /// Two servers share a key limited to 10 a second; its systems send 3× that, spread over both, for 60 seconds: the key
    /// as a whole is served its limit (each server its half), within the +10 % the design promises. Then the shares follow
    /// the servers running: three share a limit with the remainder going one each to the first, and a server left alone
    /// enforces the whole limit.
    /// </summary>
    [Fact]
    public async Task Two_servers_sharing_a_key_at_three_times_its_limit_for_a_minute_serve_the_limit_within_ten_percent()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync();
        await using var hostA = IdunoxApp.OnPostgres(database);
        await using var hostB = IdunoxApp.OnPostgres(database);
        var partner = await hostA.PartnerAsync();
        var portal = hostA.ClientWithToken(await hostA.SignInAsync(partner));
        var created = await PartnerApi.ExpectAsync(await PartnerApi.PostCreateAsync(portal, new { name = "shared", rateLimit = new { perSecond = 10 } }),
            HttpStatusCode.Created);
        var key = created.GetProperty("apiKey").GetString()!;
        _ = hostB.Services; // started
        var hosts = new[] { hostA, hostB };
        await BeatAsync(hosts);
        Assert.All(hosts, h => Assert.Equal(2, h.Services.GetRequiredService<LiveHosts>().Current.Count));

        var accepted = new int[2];
        var clients = hosts.Select(h => h.CreateClient()).ToArray();
        for (var second = 0; second < 60; second++)
        {
            if (second % 5 == 4)
            {
                await BeatAsync(hosts); // as their timers do every 5 seconds
            }

            for (var i = 0; i < 30; i++)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/partner-auth-probe");
                request.Headers.Add("X-Api-Key", key);
                var answer = await clients[i % 2].SendAsync(request);
                Assert.True(answer.StatusCode is HttpStatusCode.OK or HttpStatusCode.TooManyRequests, answer.StatusCode.ToString());
                accepted[i % 2] += answer.StatusCode == HttpStatusCode.OK ? 1 : 0;
            }

            foreach (var host in hosts)
            {
                host.Clock.Advance(TimeSpan.FromSeconds(1));
            }
        }

        var total = accepted.Sum();
        Assert.InRange(total, 600, 660);
        Assert.Equal([300, 300], accepted);

        // Three servers: 10 = 4 + 3 + 3; a limit below the number of servers allows one a server.
        await using var hostC = IdunoxApp.OnPostgres(database);
        hostC.Clock.Advance(hostA.Clock.GetUtcNow() - hostC.Clock.GetUtcNow()); // the servers' clocks agree
        _ = hostC.Services;
        hosts = [hostA, hostB, hostC];
        await BeatAsync(hosts);
        var shares = hosts.Select(h => h.Services.GetRequiredService<LiveHosts>()).ToArray();
        Assert.Equal(10, shares.Sum(s => s.Share(10)));
        Assert.Equal([3, 3, 4], shares.Select(s => s.Share(10)).Order());
        Assert.Equal(2000, shares.Sum(s => s.Share(2000)));
        Assert.All(shares, s => Assert.Equal(1, s.Share(2)));

        // B and C stop (gracefully: their rows go); A alone enforces the whole limit from its next beat.
        await hostB.DisposeAsync();
        await hostC.DisposeAsync();
        await BeatAsync([hostA]);
        Assert.Equal(1, shares[0].Current.Count);
        Assert.Equal(10, shares[0].Share(10));
    }

    /// <summary>Every host beats, twice: the second time each one reads the others' first beats.</summary>
    private static async Task BeatAsync(IReadOnlyList<IdunoxApp> hosts)
    {
        for (var round = 0; round < 2; round++)
        {
            foreach (var host in hosts)
            {
                await host.Services.GetRequiredService<LiveHosts>().BeatAsync(CancellationToken.None);
            }
        }
    }
}
