using System.Net;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Idunox.Credentials.Tests;

public sealed class LifecycleTests(PostgresAppFixture fixture) : IClassFixture<PostgresAppFixture>
{
    private IdunoxApp App => fixture.App;

    private DateTime Now => App.Clock.GetUtcNow().UtcDateTime;

    [Fact]
    public async Task Create_probe_rotate_with_grace_then_expire_and_revoke_all_through_HTTP()
    {
        var session = await PartnerSession.StartAsync(App);

        var (oldKey, created) = await session.CreateKeyAsync("billing sync");
        Assert.Matches("^idx_test_[0-9A-Za-z]{38}$", oldKey);
        var probe = await PartnerSession.Expect(await session.ProbeAsync(oldKey), HttpStatusCode.OK);
        Assert.True(probe.GetProperty("authenticated").GetBoolean());
        Assert.Equal("test", probe.GetProperty("environment").GetString());
        Assert.Equal(session.Partner.Organisation.Id, probe.GetProperty("tenant").GetProperty("id").GetGuid());
        Assert.Equal(session.Partner.Organisation.Name, probe.GetProperty("tenant").GetProperty("name").GetString());
        Assert.Equal(created.Id(), probe.GetProperty("credential").GetProperty("id").GetGuid());
        Assert.Equal(oldKey[..17] + "…", probe.GetProperty("credential").GetProperty("prefix").GetString());
        Assert.Equal("active", probe.GetProperty("credential").Status());

        var (newKey, successor, previous) = await session.RotateAsync(created.Id(), graceHours: 48);
        Assert.Equal("grace", previous.Status());
        Assert.Equal(Now.AddHours(48), previous.GetProperty("graceEndsAt").GetDateTime().ToUniversalTime());
        Assert.Equal(successor.Id(), previous.GetProperty("replacedById").GetGuid());
        Assert.Equal(created.Id(), successor.GetProperty("rotatedFromId").GetGuid());
        Assert.Equal(HttpStatusCode.OK, (await session.ProbeAsync(oldKey)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await session.ProbeAsync(newKey)).StatusCode);

        App.Clock.Advance(TimeSpan.FromHours(48));
        await (await session.ProbeAsync(oldKey)).AssertProblemAsync(HttpStatusCode.Unauthorized, "api_key_expired");
        Assert.Equal(HttpStatusCode.OK, (await session.ProbeAsync(newKey)).StatusCode);

        var revoked = await session.RevokeAsync(successor.Id());
        Assert.Equal("revoked", revoked.Status());
        var refused = await session.ProbeAsync(newKey);
        await refused.AssertProblemAsync(HttpStatusCode.Unauthorized, "api_key_revoked");
        Assert.Equal("ApiKey", refused.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Fact]
    public async Task The_plaintext_is_answered_once_with_no_store_and_the_list_shows_only_masked_prefixes_newest_first()
    {
        var session = await PartnerSession.StartAsync(App);

        var response = await session.PostCreateAsync(new { name = "first" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.True(response.Headers.CacheControl?.NoStore);
        var first = (await PartnerSession.Expect(response, HttpStatusCode.Created)).GetProperty("credential");
        Assert.Equal($"/v1/partner/credentials/{first.Id()}", response.Headers.Location?.ToString());
        App.Clock.Advance(TimeSpan.FromSeconds(1));
        var (secondKey, second) = await session.CreateKeyAsync("second");
        var rotation = await session.PostRotateAsync(second.Id());
        Assert.True(rotation.Headers.CacheControl?.NoStore);

        var list = await session.ListAsync();
        var listText = string.Join("\n", list.Select(c => c.GetRawText()));
        Assert.Equal(3, list.Count);
        Assert.Equal(second.Id(), list[1].Id());
        Assert.Equal(first.Id(), list[2].Id());
        Assert.All(list, c => Assert.Matches("^idx_test_[0-9A-Za-z]{8}…$", c.GetProperty("prefix").GetString()));
        Assert.DoesNotContain(secondKey, listText, StringComparison.Ordinal);
        Assert.DoesNotContain(secondKey[17..], listText, StringComparison.Ordinal);
        Assert.DoesNotContain("apiKey", listText, StringComparison.Ordinal);
        Assert.Equal(session.Partner.Email, first.GetProperty("createdBy").GetString());
        Assert.Equal(365, first.GetProperty("expiresInDays").GetInt32());
    }

    [Fact]
    public async Task Status_moves_from_active_to_expiring_to_expired_at_its_boundaries()
    {
        var session = await PartnerSession.StartAsync(App);
        var (key, created) = await session.CreateKeyAsync("boundaries", expiresInDays: 40);
        var expiresAt = created.GetProperty("expiresAt").GetDateTime().ToUniversalTime();
        Assert.Equal(Now.AddDays(40), expiresAt);

        App.Clock.Advance(expiresAt - TimeSpan.FromDays(30) - TimeSpan.FromSeconds(1) - Now);
        var justBefore = await session.GetAsync(created.Id());
        Assert.Equal(("active", 31), (justBefore.Status(), justBefore.GetProperty("expiresInDays").GetInt32()));

        App.Clock.Advance(TimeSpan.FromSeconds(1)); // exactly 30 days left: the expiring threshold
        var expiring = await session.GetAsync(created.Id());
        Assert.Equal(("expiring", 30), (expiring.Status(), expiring.GetProperty("expiresInDays").GetInt32()));

        App.Clock.Advance(expiresAt - TimeSpan.FromSeconds(1) - Now);
        var lastSecond = await session.GetAsync(created.Id());
        Assert.Equal(("expiring", 1), (lastSecond.Status(), lastSecond.GetProperty("expiresInDays").GetInt32()));
        Assert.Equal(HttpStatusCode.OK, (await session.ProbeAsync(key)).StatusCode);

        App.Clock.Advance(TimeSpan.FromSeconds(1));
        var expired = await session.GetAsync(created.Id());
        Assert.Equal("expired", expired.Status());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, expired.GetProperty("expiresInDays").ValueKind);
        await (await session.ProbeAsync(key)).AssertProblemAsync(HttpStatusCode.Unauthorized, "api_key_expired");
    }

    [Fact]
    public async Task Grace_ends_on_the_hour_and_a_rotated_key_is_no_longer_rotatable()
    {
        var session = await PartnerSession.StartAsync(App);
        var (oldKey, created) = await session.CreateKeyAsync();
        var (_, _, previous) = await session.RotateAsync(created.Id(), graceHours: 24);

        await (await session.PostRotateAsync(created.Id())).AssertProblemAsync(HttpStatusCode.Conflict, "key_not_rotatable");

        App.Clock.Advance(TimeSpan.FromHours(24) - TimeSpan.FromSeconds(1));
        Assert.Equal("grace", (await session.GetAsync(created.Id())).Status());
        Assert.Equal(HttpStatusCode.OK, (await session.ProbeAsync(oldKey)).StatusCode);

        App.Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("expired", (await session.GetAsync(created.Id())).Status());
        await (await session.ProbeAsync(oldKey)).AssertProblemAsync(HttpStatusCode.Unauthorized, "api_key_expired");
        Assert.Equal(previous.GetProperty("graceEndsAt").GetDateTime(), (await session.GetAsync(created.Id())).GetProperty("graceEndsAt").GetDateTime());
    }

    [Fact]
    public async Task Grace_never_outlasts_the_old_keys_own_expiry()
    {
        var session = await PartnerSession.StartAsync(App);
        var (oldKey, created) = await session.CreateKeyAsync("short-lived", expiresInDays: 1);
        App.Clock.Advance(TimeSpan.FromHours(20));

        var (_, successor, previous) = await session.RotateAsync(created.Id(), graceHours: 72);

        var expiresAt = created.GetProperty("expiresAt").GetDateTime();
        Assert.Equal(expiresAt, previous.GetProperty("graceEndsAt").GetDateTime());
        Assert.Equal(Now.AddDays(365), successor.GetProperty("expiresAt").GetDateTime().ToUniversalTime()); // a fresh validity
        App.Clock.Advance(TimeSpan.FromHours(4));
        await (await session.ProbeAsync(oldKey)).AssertProblemAsync(HttpStatusCode.Unauthorized, "api_key_expired");
    }

    [Fact]
    public async Task Revoked_and_expired_keys_do_not_rotate()
    {
        var session = await PartnerSession.StartAsync(App);
        var (_, revoked) = await session.CreateKeyAsync("to revoke");
        await session.RevokeAsync(revoked.Id());
        var (_, expiring) = await session.CreateKeyAsync("to expire", expiresInDays: 1);
        App.Clock.Advance(TimeSpan.FromDays(1));

        await (await session.PostRotateAsync(revoked.Id())).AssertProblemAsync(HttpStatusCode.Conflict, "key_not_rotatable");
        await (await session.PostRotateAsync(expiring.Id())).AssertProblemAsync(HttpStatusCode.Conflict, "key_not_rotatable");
        Assert.Equal(2, (await session.ListAsync()).Count); // no successor was issued
    }

    [Fact]
    public async Task Revoking_is_immediate_during_grace_and_revoking_twice_changes_nothing()
    {
        var session = await PartnerSession.StartAsync(App);
        var (oldKey, created) = await session.CreateKeyAsync();
        await session.RotateAsync(created.Id(), graceHours: 72);
        Assert.Equal(HttpStatusCode.OK, (await session.ProbeAsync(oldKey)).StatusCode);

        var first = await session.RevokeAsync(created.Id());
        await (await session.ProbeAsync(oldKey)).AssertProblemAsync(HttpStatusCode.Unauthorized, "api_key_revoked");

        App.Clock.Advance(TimeSpan.FromMinutes(5));
        var second = await session.RevokeAsync(created.Id());
        Assert.Equal(first.GetProperty("revokedAt").GetDateTime(), second.GetProperty("revokedAt").GetDateTime());
        Assert.Equal("revoked", second.Status());
    }

    [Fact]
    public async Task Rotation_defaults_to_24_hours_of_grace_when_the_body_is_empty()
    {
        var session = await PartnerSession.StartAsync(App);
        var (_, created) = await session.CreateKeyAsync();

        var response = await session.Portal.PostAsync(new Uri($"/v1/partner/credentials/{created.Id()}/rotate", UriKind.Relative), null);

        var body = await PartnerSession.Expect(response, HttpStatusCode.Created);
        Assert.Equal(Now.AddHours(24), body.GetProperty("previous").GetProperty("graceEndsAt").GetDateTime().ToUniversalTime());
    }

    [Fact]
    public async Task Last_use_is_recorded_to_the_minute_off_the_request_path()
    {
        var session = await PartnerSession.StartAsync(App);
        var (key, created) = await session.CreateKeyAsync();
        var firstUse = Now;

        // The request only notes the time: nothing is written until the writer flushes (every few seconds, and at shutdown).
        await session.ProbeAsync(key);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, (await session.GetAsync(created.Id())).GetProperty("lastUsedAt").ValueKind);
        await FlushLastUsedAsync();
        Assert.Equal(firstUse, (await session.GetAsync(created.Id())).GetProperty("lastUsedAt").GetDateTime().ToUniversalTime());

        App.Clock.Advance(TimeSpan.FromSeconds(59));
        await session.ProbeAsync(key);
        await FlushLastUsedAsync();
        Assert.Equal(firstUse, (await session.GetAsync(created.Id())).GetProperty("lastUsedAt").GetDateTime().ToUniversalTime());

        App.Clock.Advance(TimeSpan.FromSeconds(1));
        await session.ProbeAsync(key);
        await FlushLastUsedAsync();
        Assert.Equal(Now, (await session.GetAsync(created.Id())).GetProperty("lastUsedAt").GetDateTime().ToUniversalTime());
    }

    [Fact]
    public async Task Last_use_of_many_keys_is_written_in_one_flush_and_never_moves_back()
    {
        var session = await PartnerSession.StartAsync(App);
        var keys = new List<(string Key, Guid Id)>();
        for (var i = 0; i < 5; i++)
        {
            var (key, created) = await session.CreateKeyAsync($"key {i}");
            keys.Add((key, created.Id()));
        }

        foreach (var (key, _) in keys)
        {
            await session.ProbeAsync(key);
        }

        await FlushLastUsedAsync();
        foreach (var (_, id) in keys)
        {
            Assert.Equal(Now, (await session.GetAsync(id)).GetProperty("lastUsedAt").GetDateTime().ToUniversalTime());
        }

        // Another server's later time is kept when this one writes an older one.
        var later = Now.AddMinutes(10);
        await using (var scope = App.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<Idunox.Credentials.Persistence.CredentialsDbContext>();
            await db.ApiKeys.IgnoreQueryFilters().Where(k => k.Id == keys[0].Id).ExecuteUpdateAsync(s => s.SetProperty(k => k.LastUsedAt, later));
        }

        var recorder = App.Services.GetRequiredService<Idunox.Credentials.Verification.LastUsedRecorder>();
        recorder.Return([new(keys[0].Id, Now.AddMinutes(2))]);
        await FlushLastUsedAsync();
        Assert.Equal(later, (await session.GetAsync(keys[0].Id)).GetProperty("lastUsedAt").GetDateTime().ToUniversalTime());
    }

    // The writer also flushes by itself when the fake clock passes its interval: the tests look at the rows, not the counts.
    private Task<int> FlushLastUsedAsync() =>
        App.Services.GetRequiredService<Idunox.Credentials.Verification.LastUsedWriter>().FlushAsync(CancellationToken.None);

    [Fact]
    public async Task Two_concurrent_rotations_of_one_key_give_exactly_one_successor()
    {
        var session = await PartnerSession.StartAsync(App);
        for (var round = 0; round < 5; round++)
        {
            var (_, created) = await session.CreateKeyAsync($"race {round}");

            // Both requests are inside the use case, at its tenant lock, before either goes on: they truly overlap.
            HttpResponseMessage[] answers;
            using (fixture.Gate.Arm("pg_advisory_xact_lock", parties: 2))
            {
                answers = await Task.WhenAll(session.PostRotateAsync(created.Id()), session.PostRotateAsync(created.Id()));
                Assert.Equal(2, fixture.Gate.Arrived);
            }

            Assert.Equal([HttpStatusCode.Created, HttpStatusCode.Conflict], answers.Select(a => a.StatusCode).Order());
            await answers.Single(a => a.StatusCode == HttpStatusCode.Conflict).AssertProblemAsync(HttpStatusCode.Conflict, "key_not_rotatable");
            var successors = (await session.ListAsync()).Where(c =>
                c.GetProperty("rotatedFromId").ValueKind != System.Text.Json.JsonValueKind.Null && c.GetProperty("rotatedFromId").GetGuid() == created.Id());
            Assert.Single(successors);
        }
    }
}

public sealed class KeyLimitFixture : PostgresAppFixture
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Credentials:MaxActiveKeysPerTenant"] = "2",
    };
}

public sealed class KeyLimitTests(KeyLimitFixture fixture) : IClassFixture<KeyLimitFixture>
{
    [Fact]
    public async Task An_organisation_holds_at_most_the_configured_number_of_usable_keys()
    {
        var session = await PartnerSession.StartAsync(fixture.App);
        var (_, first) = await session.CreateKeyAsync("one");
        await session.CreateKeyAsync("two");

        var refused = await session.PostCreateAsync(new { name = "three" });
        var problem = await refused.AssertProblemAsync(HttpStatusCode.Conflict, "key_limit_reached");
        Assert.Contains("2", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);

        // Rotation replaces a key rather than adding one: it is allowed at the cap.
        await session.RotateAsync(first.Id(), graceHours: 24);
        await session.RevokeAsync(first.Id());
        await (await session.PostCreateAsync(new { name = "three" })).AssertProblemAsync(HttpStatusCode.Conflict, "key_limit_reached");

        // Each organisation has its own cap.
        var other = await PartnerSession.StartAsync(fixture.App);
        await other.CreateKeyAsync("theirs");
    }

    [Fact]
    public async Task Concurrent_creations_cannot_exceed_the_cap()
    {
        var session = await PartnerSession.StartAsync(fixture.App);

        HttpResponseMessage[] answers;
        using (fixture.Gate.Arm("pg_advisory_xact_lock", parties: 4))
        {
            answers = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => session.PostCreateAsync(new { name = $"racer {i}" })));
            Assert.Equal(4, fixture.Gate.Arrived);
        }

        Assert.Equal(2, answers.Count(a => a.StatusCode == HttpStatusCode.Created));
        Assert.Equal(2, answers.Count(a => a.StatusCode == HttpStatusCode.Conflict));
        Assert.Equal(2, (await session.ListAsync()).Count);
    }
}
