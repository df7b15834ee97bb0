using System.Collections.Concurrent;
using Idunox.Credentials.Contracts;
using Idunox.Shared;
using Idunox.Shared.Outbox;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;

namespace Idunox.Notifications.Tests;

/// <summary>A subscriber of key creations that fails for the keys a test names: a handler with a bug, or a dependency down.</summary>
public sealed class FlakySubscriber : IIntegrationEventHandler<ApiKeyCreated>
{
    public static readonly ConcurrentDictionary<string, bool> FailFor = new(StringComparer.Ordinal);

    public Task HandleAsync(ApiKeyCreated e, CancellationToken cancellationToken) =>
        FailFor.ContainsKey(e.Key.Name) ? throw new InvalidOperationException($"the subscriber cannot take '{e.Key.Name}' now") : Task.CompletedTask;
}

/// <summary>A host on PostgreSQL and SMTP with outbox claims of 100 events and a second subscriber that can be made to fail.</summary>
public sealed class OutboxFixture : SmtpAppFixture
{
    protected override IReadOnlyDictionary<string, string?> ExtraSettings => new Dictionary<string, string?> { ["Outbox:BatchSize"] = "100" };

    protected override void ConfigureApp(IdunoxApp app) => app.TestServices.Add(Subscribe);

    public static void Subscribe(IServiceCollection services) => services.AddIntegrationEventHandler<ApiKeyCreated, FlakySubscriber>();
}

/// <summary>
/// The outbox under a bulk backlog: notices first, per-tenant order, a failing event retried alone, two dispatchers
/// at once, the inbox against redelivery, and the end of many grace windows as one digest.
/// </summary>
public sealed class OutboxAtScaleTests(OutboxFixture fixture) : IClassFixture<OutboxFixture>
{
    private IdunoxApp App => fixture.App;

    private string Db => fixture.Database.ConnectionString;

    private List<MimeMessage> MailTo(string email) =>
        fixture.Smtp.Messages.Where(m => m.To.Mailboxes.Any(a => a.Address == email)).ToList();

    private Task<long> ScalarAsync(string sql, params (string, object)[] parameters) => BulkRows.ScalarAsync(Db, sql, parameters);

    private async Task<(int Delivered, int Failed)> DispatchAsync(IdunoxApp app, bool urgentOnly = false)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var outbox = scope.ServiceProvider.GetServices<IOutboxDispatcher>().Single();
        return await outbox.DispatchAsync(CancellationToken.None, urgentOnly);
    }

    [Fact]
    public async Task A_notice_written_behind_10000_bulk_events_is_delivered_before_them()
    {
        var partner = await App.PartnerAsync();
        await DispatchAsync(App); // whatever earlier tests left
        await BulkRows.InsertGraceEndedEventsAsync(Db, partner.Organisation.Id, 10_000, App.Clock.GetUtcNow().UtcDateTime);
        var (_, _, prefix) = await (await App.PortalAsync(partner)).CreateKeyAsync("behind the backlog");

        // What the urgent pump does every few seconds: the notice goes out, the backlog is not touched.
        Assert.Equal((1, 0), await DispatchAsync(App, urgentOnly: true));
        Assert.Equal([$"A new API key was created: {prefix}… (behind the backlog)"], MailTo(partner.Email).Select(m => m.Subject));
        Assert.Equal(10_000, await ScalarAsync("SELECT count(*) FROM credentials.outbox_messages WHERE processed_at IS NULL AND priority = 1 AND tenant_id = @t",
            ("t", partner.Organisation.Id)));

        // The job then works through the backlog in claims of 100, each organisation's run of events as one digest.
        Assert.Equal((10_000, 0), await DispatchAsync(App));
        await App.RunJobAsync("email-dispatch");
        var digests = MailTo(partner.Email).Skip(1).ToList();
        Assert.Equal(100, digests.Count);
        Assert.All(digests, d => Assert.Equal("100 rotated API keys retired", d.Subject));
        Assert.Equal(10_000, digests.Sum(d => d.TextBody!.Split('\n').Count(l => l.StartsWith("- idx_test_", StringComparison.Ordinal))));
        Assert.Equal(10_000, await ScalarAsync("SELECT count(*) FROM notifications.inbox WHERE handler = 'security-notices' AND event_id IN " +
            "(SELECT event_id FROM credentials.outbox_messages WHERE tenant_id = @t AND type = 'ApiKeyGraceEnded')", ("t", partner.Organisation.Id)));
    }

    [Fact]
    public async Task A_failing_event_is_retried_alone_and_its_tenants_later_events_wait_for_it()
    {
        var partner = await App.PartnerAsync();
        var other = await App.PartnerAsync();
        var portal = await App.PortalAsync(partner);
        await portal.CreateKeyAsync("first");
        await portal.CreateKeyAsync("poison");
        await portal.CreateKeyAsync("after the poison");
        await (await App.PortalAsync(other)).CreateKeyAsync("another organisation");
        FlakySubscriber.FailFor["poison"] = true;
        try
        {
            var failure = await Assert.ThrowsAsync<JobRetryException>(() => App.RunJobAsync("outbox-dispatch"));
            Assert.Contains("1 failed", failure.Message, StringComparison.Ordinal);
        }
        finally
        {
            FlakySubscriber.FailFor.Clear();
        }

        // Delivered: the event before the poison, and the other organisation's. Waiting: the poison (retry in a minute)
        // and the event after it (not tried: its attempt is not counted).
        Assert.Equal(["A new API key was created"], MailTo(other.Email).Select(m => (m.Subject ?? string.Empty).Split(':')[0]));
        var attempts = await AttemptsAsync(partner.Organisation.Id);
        Assert.Equal([("first", 1, true), ("poison", 1, false), ("after the poison", 0, false)], attempts);

        await App.RunJobAsync("outbox-dispatch"); // the retry is not due yet, and nothing overtakes it
        Assert.Equal(attempts, await AttemptsAsync(partner.Organisation.Id));

        App.Clock.Advance(TimeSpan.FromMinutes(1));
        await App.RunJobAsync("outbox-dispatch");
        Assert.Equal([("first", 1, true), ("poison", 2, true), ("after the poison", 1, true)], await AttemptsAsync(partner.Organisation.Id));

        // The notices went out once each, in the order the keys were created; the first was not sent again.
        Assert.Equal(["(first)", "(poison)", "(after the poison)"], MailTo(partner.Email).Select(m => m.Subject ?? string.Empty).Select(s => s[s.IndexOf('(', StringComparison.Ordinal)..]));
    }

    private async Task<List<(string Name, int Attempts, bool Delivered)>> AttemptsAsync(Guid tenant)
    {
        await using var connection = new Npgsql.NpgsqlConnection(Db);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(
            "SELECT payload::jsonb -> 'key' ->> 'name', attempts, processed_at IS NOT NULL FROM credentials.outbox_messages " +
            "WHERE tenant_id = @t AND type = 'ApiKeyCreated' ORDER BY sequence", connection);
        command.Parameters.AddWithValue("t", tenant);
        var rows = new List<(string, int, bool)>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetString(0), reader.GetInt32(1), reader.GetBoolean(2)));
        }

        return rows;
    }

    [Fact]
    public async Task Two_dispatchers_at_once_deliver_each_event_once_and_in_order()
    {
        var partners = new[] { await App.PartnerAsync(), await App.PartnerAsync() };
        foreach (var partner in partners)
        {
            var portal = await App.PortalAsync(partner);
            for (var i = 0; i < 8; i++)
            {
                var (_, id, _) = await portal.CreateKeyAsync($"key {i}");
                if (i % 2 == 0)
                {
                    await portal.RevokeKeyAsync(id);
                }
            }
        }

        await using var second = IdunoxApp.OnPostgres(fixture.Database, extra: fixture.HostSettings);
        second.TestServices.Add(OutboxFixture.Subscribe);
        second.Clock.SetUtcNow(App.Clock.GetUtcNow());
        await Task.WhenAll(App.RunJobAsync("outbox-dispatch"), second.RunJobAsync("outbox-dispatch"), App.RunJobAsync("outbox-dispatch"), second.RunJobAsync("outbox-dispatch"));

        foreach (var partner in partners)
        {
            var subjects = MailTo(partner.Email).Select(m => m.Subject ?? string.Empty).ToList();
            Assert.Equal(12, subjects.Count); // 8 created, 4 revoked
            Assert.Equal(12, subjects.Distinct().Count());
            for (var i = 0; i < 8; i += 2)
            {
                // A key's revocation notice never comes before its creation notice.
                Assert.True(subjects.FindIndex(s => s.StartsWith("A new API key", StringComparison.Ordinal) && s.EndsWith($"(key {i})", StringComparison.Ordinal)) <
                            subjects.FindIndex(s => s.StartsWith("API key revoked", StringComparison.Ordinal) && s.EndsWith($"(key {i})", StringComparison.Ordinal)), string.Join("\n", subjects));
            }
        }
    }

    [Fact]
    public async Task A_redelivered_event_is_a_no_op_thanks_to_the_inbox()
    {
        var partner = await App.PartnerAsync();
        var (_, _, prefix) = await (await App.PortalAsync(partner)).CreateKeyAsync("delivered twice");
        await App.RunJobAsync("outbox-dispatch");
        Assert.Single(MailTo(partner.Email));

        // A dispatcher that died after the subscribers took the event but before marking it delivered: it comes again.
        await ScalarAsync("UPDATE credentials.outbox_messages SET processed_at = NULL, next_attempt_at = NULL WHERE tenant_id = @t", ("t", partner.Organisation.Id));
        Assert.Equal((1, 0), await DispatchAsync(App));

        Assert.Equal([$"A new API key was created: {prefix}… (delivered twice)"], MailTo(partner.Email).Select(m => m.Subject));
        Assert.Equal(1, await ScalarAsync("SELECT count(*) FROM notifications.inbox WHERE event_id = (SELECT event_id FROM credentials.outbox_messages WHERE tenant_id = @t)",
            ("t", partner.Organisation.Id)));
    }
}
