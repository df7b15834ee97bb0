using System.Net.Http.Json;
using System.Text.Json;
using Idunox.Credentials.Contracts;
using Idunox.Credentials.Persistence;
using Idunox.Shared.Outbox;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Idunox.Credentials.Tests;

public sealed class AuditTests(PostgresAppFixture fixture) : IClassFixture<PostgresAppFixture>
{
    private IdunoxApp App => fixture.App;

    [Fact]
    public async Task Create_rotate_and_revoke_are_recorded_with_actor_time_address_and_key_newest_first()
    {
        var session = await PartnerSession.StartAsync(App);
        var (_, created) = await session.CreateKeyAsync("audited");
        App.Clock.Advance(TimeSpan.FromMinutes(1));
        var (_, successor, _) = await session.RotateAsync(created.Id(), 72);
        App.Clock.Advance(TimeSpan.FromMinutes(1));
        await session.RevokeAsync(successor.Id());
        await session.RevokeAsync(successor.Id()); // idempotent: not recorded twice

        var page = await session.Portal.GetFromJsonAsync<JsonElement>(new Uri("/v1/partner/audit", UriKind.Relative));

        Assert.Equal(4, page.GetProperty("total").GetInt32());
        var items = page.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(["key.revoked", "key.created", "key.rotated", "key.created"], items.Select(i => i.GetProperty("action").GetString()));
        Assert.Equal([successor.Id(), successor.Id(), created.Id(), created.Id()], items.Select(i => i.GetProperty("key").GetProperty("id").GetGuid()));
        Assert.All(items, i =>
        {
            Assert.Equal("partner", i.GetProperty("actor").GetProperty("type").GetString());
            Assert.Equal(session.Partner.User.Id, i.GetProperty("actor").GetProperty("id").GetGuid());
            Assert.Equal(session.Partner.Email, i.GetProperty("actor").GetProperty("name").GetString());
            Assert.Matches("^idx_test_[0-9A-Za-z]{8}…$", i.GetProperty("key").GetProperty("prefix").GetString());
            Assert.Equal("audited", i.GetProperty("key").GetProperty("name").GetString());
            Assert.Equal("127.0.0.1", i.GetProperty("clientAddress").GetString());
        });
        Assert.Equal(created.GetProperty("createdAt").GetDateTime(), items[^1].GetProperty("occurredAt").GetDateTime());
        Assert.Equal(App.Clock.GetUtcNow().UtcDateTime, items[0].GetProperty("occurredAt").GetDateTime().ToUniversalTime());
        Assert.Contains("grace 72h", items[2].GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_audit_trail_is_paged()
    {
        var session = await PartnerSession.StartAsync(App);
        for (var i = 0; i < 5; i++)
        {
            await session.CreateKeyAsync($"key {i}");
            App.Clock.Advance(TimeSpan.FromSeconds(1));
        }

        var first = await session.Portal.GetFromJsonAsync<JsonElement>(new Uri("/v1/partner/audit?page=1&pageSize=2", UriKind.Relative));
        var third = await session.Portal.GetFromJsonAsync<JsonElement>(new Uri("/v1/partner/audit?page=3&pageSize=2", UriKind.Relative));
        var beyond = await session.Portal.GetFromJsonAsync<JsonElement>(new Uri("/v1/partner/audit?page=4&pageSize=2", UriKind.Relative));

        Assert.Equal(["key 4", "key 3"], first.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("key").GetProperty("name").GetString()));
        Assert.Equal(["key 0"], third.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("key").GetProperty("name").GetString()));
        Assert.Empty(beyond.GetProperty("items").EnumerateArray());
        Assert.Equal((5, 2, 3), (third.GetProperty("total").GetInt32(), third.GetProperty("pageSize").GetInt32(), third.GetProperty("page").GetInt32()));
    }

    [Fact]
    public async Task Each_change_writes_its_integration_event_to_the_outbox()
    {
        var session = await PartnerSession.StartAsync(App);
        var (_, created) = await session.CreateKeyAsync("evented");
        var (_, successor, _) = await session.RotateAsync(created.Id(), 24);
        await session.RevokeAsync(successor.Id());

        await using var scope = App.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CredentialsDbContext>();
        var messages = await db.Outbox.AsNoTracking().Where(m => m.TenantId == session.Partner.Organisation.Id).OrderBy(m => m.Sequence).ToListAsync();

        Assert.Equal([nameof(ApiKeyCreated), nameof(ApiKeyRotated), nameof(ApiKeyRevoked)], messages.Select(m => m.Type));
        var rotated = messages[1].Read<ApiKeyRotated>();
        Assert.Equal((created.Id(), successor.Id()), (rotated.Previous.Id, rotated.Successor.Id));
        Assert.Equal(session.Partner.Email, rotated.Actor.Name);
        Assert.Equal(App.Clock.GetUtcNow().UtcDateTime.AddHours(24), rotated.GraceEndsAt);
        Assert.All(messages, m => Assert.Null(m.ProcessedAt));
    }
}
