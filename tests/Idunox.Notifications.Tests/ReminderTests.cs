using Idunox.Identity.Contracts;
using MimeKit;

namespace Idunox.Notifications.Tests;

public sealed class ReminderTests(SmtpAppFixture fixture) : IClassFixture<SmtpAppFixture>
{
    private IdunoxApp App => fixture.App;

    private List<MimeMessage> MailTo(string email) =>
        fixture.Smtp.Messages.Where(m => m.To.Mailboxes.Any(a => a.Address == email)).ToList();

    private void MoveTo(DateTime instant) => App.Clock.Advance(instant - App.Clock.GetUtcNow().UtcDateTime);

    [Fact]
    public async Task A_years_key_gets_the_30_7_and_1_day_reminders_once_each_as_time_passes()
    {
        var partner = await App.PartnerAsync();
        var colleague = await App.SecondUserAsync(partner);
        var (_, _, prefix) = await (await App.PortalAsync(partner)).CreateKeyAsync("nightly export");
        var expiresAt = App.Clock.GetUtcNow().UtcDateTime.AddDays(365);

        // Every six hours from 31 days before expiry until it expires, as the hourly job would see it (and more often).
        for (var at = expiresAt.AddDays(-31); at < expiresAt; at = at.AddHours(6))
        {
            MoveTo(at);
            await App.RunJobAsync("expiry-reminders");
        }

        foreach (var email in new[] { partner.Email, colleague.Email })
        {
            var mail = MailTo(email);
            Assert.Equal(
            [
                $"Your API key {prefix}… (nightly export) expires in 30 days",
                $"Your API key {prefix}… (nightly export) expires in 7 days",
                $"Your API key {prefix}… (nightly export) expires in 1 day",
            ], mail.Select(m => m.Subject));
            Assert.Contains($"expires in 30 days, on {expiresAt:d MMMM yyyy}", mail[0].TextBody, StringComparison.Ordinal);
            Assert.Contains("Open the partner portal: https://partner.idunox.com/partner", mail[0].TextBody, StringComparison.Ordinal);
            Assert.Contains("Idunox Partner Portal", mail[0].HtmlBody, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_late_run_sends_only_the_nearest_threshold_and_a_rerun_nothing()
    {
        var partner = await App.PartnerAsync();
        var (_, _, prefix) = await (await App.PortalAsync(partner)).CreateKeyAsync("late", expiresInDays: 60);
        var expiresAt = App.Clock.GetUtcNow().UtcDateTime.AddDays(60);

        MoveTo(expiresAt.AddDays(-5).AddHours(-3)); // past the 30- and 7-day thresholds, no run in between
        await App.RunJobAsync("expiry-reminders");
        await App.RunJobAsync("expiry-reminders");

        Assert.Equal([$"Your API key {prefix}… (late) expires in 6 days"], MailTo(partner.Email).Select(m => m.Subject));

        MoveTo(expiresAt.AddHours(-2));
        await App.RunJobAsync("expiry-reminders");
        Assert.Equal(2, MailTo(partner.Email).Count);
        Assert.Equal($"Your API key {prefix}… (late) expires in 1 day", MailTo(partner.Email)[^1].Subject);
    }

    [Fact]
    public async Task Two_concurrent_runs_send_each_reminder_once()
    {
        var partner = await App.PartnerAsync();
        await App.SecondUserAsync(partner);
        await (await App.PortalAsync(partner)).CreateKeyAsync("raced", expiresInDays: 3);

        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => App.RunJobAsync("expiry-reminders")));

        Assert.Single(MailTo(partner.Email));
    }

    [Fact]
    public async Task The_same_run_on_three_servers_at_once_sends_each_reminder_once()
    {
        var partner = await App.PartnerAsync();
        var second = await App.SecondUserAsync(partner);
        var portal = await App.PortalAsync(partner);
        var (_, _, a) = await portal.CreateKeyAsync("three servers a", expiresInDays: 3);
        var (_, _, b) = await portal.CreateKeyAsync("three servers b", expiresInDays: 2);

        // Two more hosts, each with its own services and memory, on the same database and mail server.
        await using var hostB = IdunoxApp.OnPostgres(fixture.Database, extra: fixture.Smtp.Settings);
        await using var hostC = IdunoxApp.OnPostgres(fixture.Database, extra: fixture.Smtp.Settings);
        foreach (var other in new[] { hostB, hostC })
        {
            other.Clock.SetUtcNow(App.Clock.GetUtcNow());
        }

        await Task.WhenAll(new[] { App, hostB, hostC }.SelectMany(host => new[] { host.RunJobAsync("expiry-reminders"), host.RunJobAsync("expiry-reminders") }));

        // One digest each, naming both keys, nearest expiry first.
        foreach (var email in new[] { partner.Email, second.Email })
        {
            var mail = Assert.Single(MailTo(email));
            Assert.Equal("2 of your API keys expire soon, the first in 2 days", mail.Subject);
            var text = mail.TextBody ?? string.Empty;
            var nearest = text.IndexOf($"- {b}… (three servers b) expires in 2 days", StringComparison.Ordinal);
            Assert.True(nearest >= 0, text);
            Assert.True(text.IndexOf($"- {a}… (three servers a) expires in 3 days", StringComparison.Ordinal) > nearest, text);
        }
    }

    [Fact]
    public async Task Keys_crossing_in_one_run_share_one_email_and_each_next_threshold_comes_on_its_own()
    {
        var partner = await App.PartnerAsync();
        var portal = await App.PortalAsync(partner);
        var (_, _, near) = await portal.CreateKeyAsync("near", expiresInDays: 20);
        var (_, _, far) = await portal.CreateKeyAsync("far", expiresInDays: 25);
        var start = App.Clock.GetUtcNow().UtcDateTime;

        await App.RunJobAsync("expiry-reminders"); // both within 30 days: one digest
        var digest = Assert.Single(MailTo(partner.Email));
        Assert.Equal("2 of your API keys expire soon, the first in 20 days", digest.Subject);
        Assert.Contains($"{near}… (near) expires in 20 days, on {start.AddDays(20):d MMMM yyyy}", digest.TextBody, StringComparison.Ordinal);
        Assert.Contains($"{far}… (far) expires in 25 days", digest.TextBody, StringComparison.Ordinal);
        Assert.Contains($"<li>{near}… (near) expires in 20 days", digest.HtmlBody, StringComparison.Ordinal);

        MoveTo(start.AddDays(13).AddHours(1)); // near crosses 7 days; far is at 12
        await App.RunJobAsync("expiry-reminders");
        MoveTo(start.AddDays(18).AddHours(1)); // far crosses 7 days
        await App.RunJobAsync("expiry-reminders");
        await App.RunJobAsync("expiry-reminders");

        Assert.Equal(
        [
            "2 of your API keys expire soon, the first in 20 days",
            $"Your API key {near}… (near) expires in 7 days",
            $"Your API key {far}… (far) expires in 7 days",
        ], MailTo(partner.Email).Select(m => m.Subject));
    }

    [Fact]
    public async Task Revoked_rotated_and_expired_keys_and_disabled_users_get_no_reminder()
    {
        var partner = await App.PartnerAsync();
        var disabled = await App.SecondUserAsync(partner);
        await App.ProvisionAsync(p => p.SetPartnerUserEnabledAsync(disabled.Email, false, CancellationToken.None));
        var portal = await App.PortalAsync(partner);
        var (_, revoked, _) = await portal.CreateKeyAsync("revoked", expiresInDays: 3);
        await portal.RevokeKeyAsync(revoked);
        var (_, rotated, _) = await portal.CreateKeyAsync("rotated", expiresInDays: 3);
        await portal.RotateKeyAsync(rotated, 24);
        var (_, _, kept) = await portal.CreateKeyAsync("kept", expiresInDays: 3);

        await App.RunJobAsync("expiry-reminders");

        Assert.Equal([$"Your API key {kept}… (kept) expires in 3 days"], MailTo(partner.Email).Select(m => m.Subject));
        Assert.Empty(MailTo(disabled.Email));
    }

    [Fact]
    public async Task With_the_SMTP_server_down_the_job_fails_and_a_later_run_delivers_exactly_once()
    {
        var partner = await App.PartnerAsync();
        await (await App.PortalAsync(partner)).CreateKeyAsync("outage", expiresInDays: 2);
        await fixture.Smtp.StopAsync();
        try
        {
            var failure = await Assert.ThrowsAsync<Idunox.Shared.Outbox.JobRetryException>(() => App.RunJobAsync("expiry-reminders"));
            Assert.Contains("failed", failure.Message, StringComparison.Ordinal);
        }
        finally
        {
            fixture.Smtp.Start();
        }

        Assert.Empty(MailTo(partner.Email));
        await App.RunJobAsync("expiry-reminders"); // the retry is not due yet: nothing is sent twice, nothing lost
        Assert.Empty(MailTo(partner.Email));

        App.Clock.Advance(TimeSpan.FromMinutes(1));
        await App.RunJobAsync("email-dispatch");
        await App.RunJobAsync("expiry-reminders");
        App.Clock.Advance(TimeSpan.FromHours(1));
        await App.RunJobAsync("email-dispatch");

        Assert.Single(MailTo(partner.Email));
    }
}
