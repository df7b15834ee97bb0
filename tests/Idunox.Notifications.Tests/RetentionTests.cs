using Npgsql;

namespace Idunox.Notifications.Tests;

/// <summary>The retention job removes what has served its purpose, and nothing else: never the audit trail, never what is pending.</summary>
public sealed class RetentionTests(PostgresAppFixture fixture) : IClassFixture<PostgresAppFixture>
{
    private IdunoxApp App => fixture.App;

    [Fact]
    public async Task Delivered_events_and_sent_emails_go_after_30_days_stale_sign_in_counters_after_a_day_and_the_audit_trail_stays()
    {
        var partner = await App.PartnerAsync();
        var portal = await App.PortalAsync(partner);
        await portal.CreateKeyAsync("delivered");
        await App.RunJobAsync("outbox-dispatch"); // the event is delivered and its notice e-mail sent
        await App.CreateClient().PostLoginAsync($"nobody-{Guid.NewGuid():N}@partner.example", "a wrong password");
        Assert.Equal((1, 1, 1, 1), await CountsAsync());

        // From below: a minute short of a day, the counter stays (as does everything else).
        App.Clock.Advance(TimeSpan.FromDays(1) - TimeSpan.FromMinutes(1));
        await App.RunJobAsync("retention");
        Assert.Equal((1, 1, 1, 1), await CountsAsync());

        App.Clock.Advance(TimeSpan.FromMinutes(2));
        portal = await App.PortalAsync(partner); // the first token has expired by now
        await portal.CreateKeyAsync("pending"); // its event is not delivered: it must stay, however old
        var summary = await App.RunJobAsync("retention");
        Assert.Contains("1 stale sign-in counters", summary, StringComparison.Ordinal);
        Assert.Equal((2, 1, 0, 2), await CountsAsync());

        // A few minutes short of 30 days since delivery, the delivered event and the sent e-mail stay.
        App.Clock.Advance(TimeSpan.FromDays(29) - TimeSpan.FromMinutes(5));
        await App.RunJobAsync("retention");
        Assert.Equal((2, 1, 0, 2), await CountsAsync());

        App.Clock.Advance(TimeSpan.FromDays(1));
        await App.RunJobAsync("retention");
        Assert.Equal((1, 0, 0, 2), await CountsAsync());
    }

    /// <summary>Outbox events, sent e-mails, sign-in counters and audit events in this class's database.</summary>
    private async Task<(long Outbox, long Emails, long LoginAttempts, long Audit)> CountsAsync()
    {
        await using var connection = new NpgsqlConnection(fixture.Database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT (SELECT count(*) FROM credentials.outbox_messages),
                   (SELECT count(*) FROM notifications.outgoing_emails WHERE sent_at IS NOT NULL),
                   (SELECT count(*) FROM identity.login_attempts),
                   (SELECT count(*) FROM credentials.audit_events)
            """, connection);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3));
    }
}
