using System.Text.RegularExpressions;
using MimeKit;

namespace Idunox.Notifications.Tests;

/// <summary>
/// The built host, run as the <c>jobs run</c> verb in a process of its own, killed with <c>SIGKILL</c> part of the way
/// through the reminder run and through the outbox dispatch: no handler runs, nothing is flushed. After a restart every
/// reminder and every event is delivered exactly once — each key in exactly one e-mail per user.
/// </summary>
public sealed class KilledProcessTests(SmtpAppFixture fixture) : IClassFixture<SmtpAppFixture>
{
    private const int Organisations = 40;
    private const int KeysEach = 100;

    private string Db => fixture.Database.ConnectionString;

    private Dictionary<string, string?> Environment()
    {
        var environment = new Dictionary<string, string?>
        {
            ["Database__Provider"] = "Postgres",
            ["ConnectionStrings__Idunox"] = Db,
            ["Jwt__SigningKey"] = IdunoxApp.JwtSigningKey,
            ["Credentials__Environment"] = "test",
            // Small claims, so a run is many committed steps and the kill lands between some of them.
            ["Jobs__BatchSize"] = KeysEach.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Outbox__BatchSize"] = "50",
        };
        foreach (var (key, value) in fixture.Smtp.Settings)
        {
            environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        return environment;
    }

    private async Task<List<TestPartner>> PartnersAsync()
    {
        var partners = new List<TestPartner>();
        for (var i = 0; i < Organisations; i++)
        {
            partners.Add(await fixture.App.PartnerAsync());
        }

        return partners;
    }

    /// <summary>Starts the verb and kills it once <paramref name="progress"/> shows some of its work committed.</summary>
    private async Task<long> KillPartWayAsync(string job, Func<Task<long>> progress)
    {
        using var run = HostProcess.Start(["jobs", "run", job], Environment());
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (await progress() == 0)
        {
            if (run.HasExited)
            {
                Assert.Fail($"The run ended before any of its work was seen: {await run.OutputAsync()}");
            }

            Assert.True(DateTime.UtcNow < deadline, "The run made no progress in two minutes.");
        }

        await run.KillAsync();
        return await progress();
    }

    private async Task RunToTheEndAsync(string job)
    {
        var (exitCode, output, error) = await HostProcess.RunAsync(["jobs", "run", job], Environment());
        Assert.True(exitCode == 0, $"{job} failed after the restart: {output} {error}");
    }

    /// <summary>The distinct messages each partner received (a message sent twice has the same Message-Id), and the raw count.</summary>
    private (List<MimeMessage> Distinct, int Received) MailTo(TestPartner partner)
    {
        var received = fixture.Smtp.Messages.Where(m => m.To.Mailboxes.Any(a => a.Address == partner.Email)).ToList();
        return (received.GroupBy(m => m.MessageId).Select(g => g.First()).ToList(), received.Count);
    }

    [Fact]
    public async Task A_reminder_run_killed_part_way_loses_no_reminder_and_sends_none_twice_after_a_restart()
    {
        var partners = await PartnersAsync();
        var tenants = partners.Select(p => p.Organisation.Id).ToArray();
        foreach (var tenant in tenants)
        {
            await BulkRows.InsertExpiringKeysAsync(Db, tenant, KeysEach, DateTime.UtcNow.AddDays(3));
        }

        Task<long> Planned() => BulkRows.ScalarAsync(Db, "SELECT count(*) FROM notifications.sent_reminders WHERE tenant_id = ANY(@t)", ("t", tenants));
        var plannedWhenKilled = await KillPartWayAsync("expiry-reminders", Planned);

        // Killed while planning: whole organisations were planned (a batch is one organisation here), the rest not at all.
        Assert.InRange(plannedWhenKilled, KeysEach, Organisations * KeysEach - KeysEach);
        Assert.Equal(0, plannedWhenKilled % KeysEach);
        Assert.Equal(plannedWhenKilled / KeysEach, await BulkRows.ScalarAsync(Db,
            "SELECT count(*) FROM notifications.outgoing_emails WHERE tenant_id = ANY(@t) AND kind = 'expiry-reminder'", ("t", tenants)));

        await RunToTheEndAsync("expiry-reminders");
        await RunToTheEndAsync("email-dispatch");

        Assert.Equal(Organisations * KeysEach, await Planned());
        Assert.Equal(Organisations * KeysEach, await BulkRows.ScalarAsync(Db,
            "SELECT count(DISTINCT (api_key_id, threshold_days)) FROM notifications.sent_reminders WHERE tenant_id = ANY(@t)", ("t", tenants)));
        Assert.Equal(0, await BulkRows.ScalarAsync(Db, "SELECT count(*) FROM notifications.outgoing_emails WHERE tenant_id = ANY(@t) AND sent_at IS NULL", ("t", tenants)));
        foreach (var partner in partners)
        {
            var (distinct, received) = MailTo(partner);
            var digest = Assert.Single(distinct);
            Assert.Equal(1, received);
            Assert.Equal($"{KeysEach} of your API keys expire soon, the first in 3 days", digest.Subject);
            Assert.Equal(KeysEach, Regex.Matches(digest.TextBody ?? string.Empty, "^- idx_test_.*expires in 3 days", RegexOptions.Multiline).Count);
        }
    }

    [Fact]
    public async Task An_outbox_dispatch_killed_part_way_delivers_every_event_once_after_a_restart()
    {
        var partners = await PartnersAsync();
        var tenants = partners.Select(p => p.Organisation.Id).ToArray();
        foreach (var tenant in tenants)
        {
            await BulkRows.InsertGraceEndedEventsAsync(Db, tenant, KeysEach, DateTime.UtcNow.AddMinutes(-1));
        }

        Task<long> Handled() => BulkRows.ScalarAsync(Db,
            "SELECT count(*) FROM credentials.outbox_messages WHERE tenant_id = ANY(@t) AND processed_at IS NOT NULL", ("t", tenants));
        var handledWhenKilled = await KillPartWayAsync("outbox-dispatch", Handled);
        Assert.InRange(handledWhenKilled, 1, Organisations * KeysEach - 1);

        // The restart delivers everything but the killed run's claim in hand: that claim is leased for 5 minutes (a
        // dispatcher that is only slow keeps it), and then delivered again. The lease's end is moved forward here
        // (the processes run on the real clock) rather than waited for.
        await RunToTheEndAsync("outbox-dispatch");
        Task<long> Leased() => BulkRows.ScalarAsync(Db,
            "SELECT count(*) FROM credentials.outbox_messages WHERE tenant_id = ANY(@t) AND processed_at IS NULL AND next_attempt_at > now()", ("t", tenants));
        var leased = await Leased();
        Assert.InRange(leased, 0, 50); // at most one claim
        Assert.Equal(Organisations * KeysEach - leased, await Handled());
        await BulkRows.ScalarAsync(Db,
            "WITH ended AS (UPDATE credentials.outbox_messages SET next_attempt_at = now() - interval '1 second' " +
            "WHERE tenant_id = ANY(@t) AND processed_at IS NULL AND next_attempt_at > now() RETURNING 1) SELECT count(*) FROM ended", ("t", tenants));
        await RunToTheEndAsync("outbox-dispatch");
        await RunToTheEndAsync("email-dispatch");

        // Every event handled, each by its subscriber once (the inbox), and nothing left to send.
        Assert.Equal(Organisations * KeysEach, await Handled());
        Assert.Equal(Organisations * KeysEach, await BulkRows.ScalarAsync(Db,
            "SELECT count(DISTINCT i.event_id) FROM notifications.inbox i JOIN credentials.outbox_messages o ON o.event_id = i.event_id WHERE o.tenant_id = ANY(@t)",
            ("t", tenants)));
        Assert.Equal(0, await BulkRows.ScalarAsync(Db, "SELECT count(*) FROM notifications.outgoing_emails WHERE tenant_id = ANY(@t) AND sent_at IS NULL", ("t", tenants)));

        // Each retired key is named in exactly one e-mail to its organisation's user. A message may arrive twice only
        // as the same message (same Message-Id), the duplicate the README documents; none did here.
        foreach (var partner in partners)
        {
            var (distinct, received) = MailTo(partner);
            Assert.Equal(distinct.Count, received);
            var named = distinct.SelectMany(m => Regex.Matches(m.TextBody ?? string.Empty, "idx_test_\\d{8}").Select(x => x.Value)).ToList();
            Assert.Equal(KeysEach, named.Count);
            Assert.Equal(KeysEach, named.Distinct().Count());
        }
    }
}
