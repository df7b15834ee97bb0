using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;

namespace Idunox.Notifications.Tests;

public sealed class NoticeTests(SmtpAppFixture fixture) : IClassFixture<SmtpAppFixture>
{
    private IdunoxApp App => fixture.App;

    private List<MimeMessage> MailTo(string email) =>
        fixture.Smtp.Messages.Where(m => m.To.Mailboxes.Any(a => a.Address == email)).ToList();

    [Fact]
    public async Task Create_rotate_and_revoke_send_security_notices_once_and_without_the_secret()
    {
        var partner = await App.PartnerAsync();
        var portal = await App.PortalAsync(partner);
        var (first, firstId, firstPrefix) = await portal.CreateKeyAsync("payments");
        var (second, secondId) = await portal.RotateKeyAsync(firstId, 48);
        await portal.RevokeKeyAsync(secondId);

        await App.RunJobAsync("outbox-dispatch");
        await App.RunJobAsync("outbox-dispatch"); // nothing is delivered twice

        var mail = MailTo(partner.Email);
        Assert.Equal(
        [
            $"A new API key was created: {firstPrefix}… (payments)",
            $"API key rotated: {firstPrefix}… (payments)",
            $"API key revoked: {second[..17]}… (payments)",
        ], mail.Select(m => m.Subject));
        Assert.Contains(partner.Email, mail[0].TextBody, StringComparison.Ordinal); // who did it
        Assert.Contains("keeps working until", mail[1].TextBody, StringComparison.Ordinal);
        foreach (var message in mail)
        {
            foreach (var secret in new[] { first, second, first[17..], second[17..] })
            {
                Assert.DoesNotContain(secret, message.TextBody, StringComparison.Ordinal);
                Assert.DoesNotContain(secret, message.HtmlBody, StringComparison.Ordinal);
                Assert.DoesNotContain(secret, message.Subject, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public async Task The_grace_sweep_records_each_ended_grace_once_and_notifies()
    {
        var partner = await App.PartnerAsync();
        var portal = await App.PortalAsync(partner);
        var (_, id, prefix) = await portal.CreateKeyAsync("swept");
        await portal.RotateKeyAsync(id, 24);
        await App.RunJobAsync("outbox-dispatch");

        Assert.Contains("of 0 key(s)", await App.RunJobAsync("grace-sweep"), StringComparison.Ordinal);
        App.Clock.Advance(TimeSpan.FromHours(24));
        var outcomes = await Task.WhenAll(App.RunJobAsync("grace-sweep"), App.RunJobAsync("grace-sweep"));
        await App.RunJobAsync("grace-sweep");
        await App.RunJobAsync("outbox-dispatch");
        await App.RunJobAsync("email-dispatch"); // retirement notices are bulk: they go with the e-mail run

        // Of two sweeps at once, exactly one records the key, however their queries interleave.
        Assert.Equal(1, outcomes.Sum(o => int.Parse(System.Text.RegularExpressions.Regex.Match(o, "of (\\d+) key").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)));
        portal = await App.PortalAsync(partner);
        var audit = await portal.GetFromJsonAsync<JsonElement>(new Uri("/v1/partner/audit", UriKind.Relative));
        var expired = audit.GetProperty("items").EnumerateArray().Where(e => e.GetProperty("action").GetString() == "key.expired").ToList();
        Assert.Single(expired);
        Assert.Equal(("system", "grace-sweep"), (expired[0].GetProperty("actor").GetProperty("type").GetString(), expired[0].GetProperty("actor").GetProperty("name").GetString()));
        Assert.Equal(id, expired[0].GetProperty("key").GetProperty("id").GetGuid());
        Assert.Single(MailTo(partner.Email), m => m.Subject == $"Rotated API key retired: {prefix}… (swept)");
    }

    [Fact]
    public async Task The_job_dashboard_refuses_anonymous_callers_and_partner_users_outside_Development()
    {
        var partner = await App.PartnerAsync();

        var anonymous = await App.CreateClient().GetAsync(new Uri("/hangfire", UriKind.Relative));
        var asPartner = await (await App.PortalAsync(partner)).GetAsync(new Uri("/hangfire", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.True(asPartner.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden, $"{asPartner.StatusCode}");
        Assert.DoesNotContain("Hangfire Dashboard", await asPartner.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Recurring_jobs_are_scheduled_in_the_PostgreSQL_job_storage()
    {
        var storage = App.Services.GetRequiredService<Hangfire.JobStorage>();
        Assert.IsType<Hangfire.PostgreSql.PostgreSqlStorage>(storage);

        using var connection = storage.GetConnection();
        var jobs = Hangfire.Storage.StorageConnectionExtensions.GetRecurringJobs(connection);

        Assert.Equal(["email-dispatch", "expiry-reminders", "grace-sweep", "outbox-dispatch", "retention"], jobs.Select(j => j.Id).Order());
        Assert.Equal("*/5 * * * *", jobs.Single(j => j.Id == "grace-sweep").Cron);
        Assert.Equal("0 * * * *", jobs.Single(j => j.Id == "expiry-reminders").Cron);
    }
}
