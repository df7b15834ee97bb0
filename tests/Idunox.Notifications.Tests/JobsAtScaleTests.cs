using System.Globalization;
using System.Text.RegularExpressions;
using Idunox.Shared.Outbox;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;

namespace Idunox.Notifications.Tests;

/// <summary>A host on PostgreSQL with small job batches (20) and three SMTP connections, and a way to stop a unit of work mid-way.</summary>
public sealed class BatchJobsFixture : SmtpAppFixture
{
    public CommandFault Fault { get; } = new();

    protected override IReadOnlyDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>
    {
        ["Jobs:BatchSize"] = "20",
        ["Email:Smtp:Connections"] = "3",
    };

    protected override void ConfigureApp(IdunoxApp app) =>
        app.TestServices.Add(services => services.AddSingleton<Microsoft.EntityFrameworkCore.Diagnostics.IInterceptor>(Fault));
}

/// <summary>
/// The jobs in batches: the grace sweep and reminder planning claim sets of rows, several servers share a backlog, a run
/// that dies mid-batch leaves nothing half-recorded, and e-mail goes out over a few reused connections.
/// </summary>
public sealed class JobsAtScaleTests(BatchJobsFixture fixture) : IClassFixture<BatchJobsFixture>
{
    private IdunoxApp App => fixture.App;

    private string Db => fixture.Database.ConnectionString;

    private DateTime Now => App.Clock.GetUtcNow().UtcDateTime;

    private Task<long> CountAsync(string sql, Guid tenant) => BulkRows.ScalarAsync(Db, sql, ("tenant", tenant));

    private async Task<(long Keys, long Unrecorded, long Audit, long AuditKeys, long Events, long EventKeys)> SweepStateAsync(Guid tenant) => (
        await CountAsync("SELECT count(*) FROM credentials.api_keys WHERE tenant_id = @tenant", tenant),
        await CountAsync("SELECT count(*) FROM credentials.pending_grace_ends WHERE key_id IN (SELECT id FROM credentials.api_keys WHERE tenant_id = @tenant)", tenant),
        await CountAsync("SELECT count(*) FROM credentials.audit_events WHERE tenant_id = @tenant AND action = 'key.expired'", tenant),
        await CountAsync("SELECT count(DISTINCT api_key_id) FROM credentials.audit_events WHERE tenant_id = @tenant AND action = 'key.expired'", tenant),
        await CountAsync("SELECT count(*) FROM credentials.outbox_messages WHERE tenant_id = @tenant AND type = 'ApiKeyGraceEnded'", tenant),
        await CountAsync("SELECT count(DISTINCT payload::jsonb -> 'key' ->> 'id') FROM credentials.outbox_messages WHERE tenant_id = @tenant AND type = 'ApiKeyGraceEnded'", tenant));

    private static int Recorded(string outcome) =>
        int.Parse(Regex.Match(outcome, "of (\\d+) key").Groups[1].Value, CultureInfo.InvariantCulture);

    private List<MimeMessage> MailTo(string email) =>
        fixture.Smtp.Messages.Where(m => m.To.Mailboxes.Any(a => a.Address == email)).ToList();

    [Fact]
    public async Task Three_servers_sweeping_one_backlog_at_once_record_each_key_once()
    {
        var partner = await App.PartnerAsync();
        var tenant = partner.Organisation.Id;
        await BulkRows.InsertGraceEndedKeysAsync(Db, tenant, 250, Now.AddHours(-1));
        await using var b = IdunoxApp.OnPostgres(fixture.Database, extra: fixture.HostSettings);
        await using var c = IdunoxApp.OnPostgres(fixture.Database, extra: fixture.HostSettings);
        b.Clock.SetUtcNow(App.Clock.GetUtcNow());
        c.Clock.SetUtcNow(App.Clock.GetUtcNow());

        var outcomes = await Task.WhenAll(new[] { App, b, c }.SelectMany(host => new[] { host.RunJobAsync("grace-sweep"), host.RunJobAsync("grace-sweep") }));

        Assert.Equal(250, outcomes.Sum(Recorded));
        Assert.Equal((250L, 0L, 250L, 250L, 250L, 250L), await SweepStateAsync(tenant));
        Assert.Contains("of 0 key(s)", await App.RunJobAsync("grace-sweep"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_sweep_that_dies_mid_batch_leaves_no_half_batch_and_the_next_run_does_the_rest()
    {
        var partner = await App.PartnerAsync();
        var tenant = partner.Organisation.Id;
        await BulkRows.InsertGraceEndedKeysAsync(Db, tenant, 70, Now.AddMinutes(-5));

        // A batch dies after its claim, audit events and outbox events were written, before its commit: it must leave
        // none of the three. (Two workers run batches at once; the other stops after the batch in hand, so how many were
        // recorded varies.)
        fixture.Fault.FailAtCommit(occurrence: 2);
        var crash = await Assert.ThrowsAnyAsync<Exception>(() => App.RunJobAsync("grace-sweep"));
        Assert.Contains(nameof(SimulatedCrashException), crash.ToString(), StringComparison.Ordinal);

        var (keys, unrecorded, audit, auditKeys, events, eventKeys) = await SweepStateAsync(tenant);
        Assert.Equal(70, keys);
        Assert.InRange(unrecorded, 20, 70); // the batch that died is among them
        Assert.Equal(70 - unrecorded, audit);
        Assert.Equal((audit, audit, audit), (auditKeys, events, eventKeys));
        Assert.Equal(0, audit % 20); // whole batches only

        Assert.Equal(unrecorded, Recorded(await App.RunJobAsync("grace-sweep")));
        Assert.Equal((70L, 0L, 70L, 70L, 70L, 70L), await SweepStateAsync(tenant));
    }

    [Fact]
    public async Task A_reminder_run_that_dies_mid_batch_loses_no_reminder_and_sends_none_twice()
    {
        // Two organisations of 15 keys each: batches hold whole organisations (at most 20 keys), so two batches.
        var first = await App.PartnerAsync();
        var second = await App.PartnerAsync();
        await BulkRows.InsertExpiringKeysAsync(Db, first.Organisation.Id, 15, Now.AddDays(3));
        await BulkRows.InsertExpiringKeysAsync(Db, second.Organisation.Id, 15, Now.AddDays(3));

        fixture.Fault.FailAt(sql => sql.StartsWith("INSERT INTO notifications.outgoing_emails", StringComparison.Ordinal), occurrence: 2);
        await Assert.ThrowsAsync<SimulatedCrashException>(() => App.RunJobAsync("expiry-reminders"));

        // One organisation's batch is recorded whole (its reminders and its digest), the other's not at all.
        var reminders = new[] { first, second }.Select(p => CountAsync("SELECT count(*) FROM notifications.sent_reminders WHERE tenant_id = @tenant", p.Organisation.Id).Result).ToList();
        var queued = new[] { first, second }.Select(p => CountAsync("SELECT count(*) FROM notifications.outgoing_emails WHERE tenant_id = @tenant", p.Organisation.Id).Result).ToList();
        Assert.Equal([0L, 15L], reminders.Order());
        Assert.Equal(reminders.Select(r => r == 0 ? 0L : 1L), queued);

        await App.RunJobAsync("expiry-reminders");
        await App.RunJobAsync("expiry-reminders");
        await App.RunJobAsync("email-dispatch");

        foreach (var partner in new[] { first, second })
        {
            var digest = Assert.Single(MailTo(partner.Email));
            Assert.Equal("15 of your API keys expire soon, the first in 3 days", digest.Subject);
            Assert.Equal(15, Regex.Matches(digest.TextBody ?? string.Empty, "^- idx_test_.*expires in 3 days", RegexOptions.Multiline).Count);
        }
    }

    [Fact]
    public async Task Everything_due_goes_out_in_one_run_over_at_most_the_configured_connections()
    {
        await BulkRows.InsertDueEmailsAsync(Db, "bulk-a", 90, Now);
        var sessions = fixture.Smtp.Sessions;

        var outcome = await App.RunJobAsync("email-dispatch");

        Assert.Contains("sent 90 e-mail(s), 0 failed", outcome, StringComparison.Ordinal);
        var delivered = fixture.Smtp.Messages.Where(m => m.To.Mailboxes.Single().Address.StartsWith("bulk-a-", StringComparison.Ordinal)).ToList();
        Assert.Equal(90, delivered.Count);
        Assert.Equal(90, delivered.Select(m => m.To.Mailboxes.Single().Address).Distinct().Count());
        Assert.InRange(fixture.Smtp.Sessions - sessions, 1, 3);
    }

    [Fact]
    public async Task When_the_mail_server_fails_mid_run_the_rest_is_retried_later_and_nothing_is_sent_twice()
    {
        await BulkRows.InsertDueEmailsAsync(Db, "bulk-b", 30, Now);
        fixture.Smtp.AcceptOnly(12);
        try
        {
            var failure = await Assert.ThrowsAsync<JobRetryException>(() => App.RunJobAsync("email-dispatch"));
            Assert.Contains("sent 12 e-mail(s), 18 failed", failure.Message, StringComparison.Ordinal);
        }
        finally
        {
            fixture.Smtp.AcceptAll();
        }

        Assert.Equal(12, Delivered());
        Assert.Contains("sent 0 e-mail(s)", await App.RunJobAsync("email-dispatch"), StringComparison.Ordinal); // not due yet
        App.Clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Contains("sent 18 e-mail(s), 0 failed", await App.RunJobAsync("email-dispatch"), StringComparison.Ordinal);

        var addresses = fixture.Smtp.Messages.Select(m => m.To.Mailboxes.Single().Address).Where(a => a.StartsWith("bulk-b-", StringComparison.Ordinal)).ToList();
        Assert.Equal(30, addresses.Count);
        Assert.Equal(30, addresses.Distinct().Count());

        int Delivered() => fixture.Smtp.Messages.Count(m => m.To.Mailboxes.Single().Address.StartsWith("bulk-b-", StringComparison.Ordinal));
    }
}
