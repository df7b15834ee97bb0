using Idunox.Notifications.Persistence;
using Idunox.Shared.Jobs;
using Idunox.Shared.Outbox;
using Idunox.Shared.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MimeKit;

namespace Idunox.Notifications.Email;

/// <summary>
/// Sends every e-mail that is due, over <c>Email:Smtp:Connections</c> connections at once (default 4; one on SQLite and
/// for the pickup folder), each reused for message after message. A worker claims a handful of due messages in one
/// statement (a lease: <c>FOR UPDATE SKIP LOCKED</c> on PostgreSQL, so servers share the queue), sends them, and marks
/// each sent the moment the server accepted it; no database transaction is open while the SMTP server is talked to.
/// A failure waits 1, 2, 4 … 60 minutes and is tried again, forever: nothing is dropped. When the server cannot be
/// reached, the worker gives the rest of its claim the same back-off and stops. A message's Message-ID is its id, so a
/// resend after a crash between accept and mark is recognisable.
/// </summary>
internal sealed class EmailDispatcher(
    IServiceScopeFactory scopes, IEmailTransport transport, EmailOptions options, NotificationsMetrics metrics, TimeProvider clock, ILogger<EmailDispatcher> logger)
{
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(10);

    /// <summary>Messages per claim: small, so a lease (10 minutes) outlasts the claim even on a slow server.</summary>
    private const int ClaimSize = 20;

    private sealed record Claimed(Guid Id, string Kind, string Recipient, string Subject, string TextBody, string HtmlBody, int Attempts);

    public async Task<(int Sent, int Failed)> DeliverDueAsync(CancellationToken cancellationToken)
    {
        var workers = _workers ??= await WorkersAsync();

        var results = await Task.WhenAll(Enumerable.Range(0, workers).Select(_ => Task.Run(() => WorkAsync(cancellationToken), cancellationToken)));
        return (results.Sum(r => r.Sent), results.Sum(r => r.Failed));
    }

    private int? _workers;

    /// <summary>One worker for the pickup folder and on SQLite (one writer); otherwise <c>Email:Smtp:Connections</c>. Decided once.</summary>
    private async Task<int> WorkersAsync()
    {
        await using var scope = scopes.CreateAsyncScope();
        var single = options.Mode == EmailMode.Pickup || !scope.ServiceProvider.GetRequiredService<NotificationsDbContext>().Database.IsNpgsql();
        return single ? 1 : options.Connections;
    }

    /// <summary>One connection's work: claim, send, mark — until nothing is due or the server is out of reach.</summary>
    private async Task<(int Sent, int Failed)> WorkAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<NotificationsDbContext>();
        int sent = 0, failed = 0;
        IEmailConnection? connection = null;
        try
        {
            while (true)
            {
                var claimed = await ClaimAsync(db, clock.GetUtcNow().UtcDateTime, cancellationToken);
                if (claimed.Count == 0)
                {
                    return (sent, failed);
                }

                for (var i = 0; i < claimed.Count; i++)
                {
                    var email = claimed[i];
                    var now = clock.GetUtcNow().UtcDateTime;
                    var connecting = connection is null;
                    try
                    {
                        connection ??= await transport.OpenAsync(cancellationToken);
                        await connection.SendAsync(ToMime(email, now), cancellationToken);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        await DropAsync(connection);
                        connection = null;
                        var error = Bounded($"{e.GetType().Name}: {e.Message}");
                        // Out of reach: the rest of this claim waits its back-off too, and this worker stops.
                        var failing = connecting ? claimed.Skip(i).ToList() : [email];
                        foreach (var item in failing)
                        {
                            var retryAt = now + LeasedDelivery.Backoff(item.Attempts);
                            logger.LogWarning("Sending e-mail {EmailId} ({Kind}) failed, retrying at {RetryAt}: {Error}", item.Id, item.Kind, retryAt, error);
                            metrics.Failed(item.Kind);
                            await db.OutgoingEmails.Where(m => m.Id == item.Id && m.SentAt == null)
                                .ExecuteUpdateAsync(s => s.SetProperty(m => m.NextAttemptAt, retryAt).SetProperty(m => m.LastError, error), CancellationToken.None);
                        }

                        failed += failing.Count;
                        if (connecting)
                        {
                            return (sent, failed);
                        }

                        continue;
                    }

                    // Accepted: record it at once (not with the token: a cancelled run must not resend what went out).
                    await db.OutgoingEmails.Where(m => m.Id == email.Id)
                        .ExecuteUpdateAsync(s => s.SetProperty(m => m.SentAt, now).SetProperty(m => m.LastError, (string?)null), CancellationToken.None);
                    metrics.Sent(email.Kind);
                    sent++;
                }
            }
        }
        finally
        {
            await DropAsync(connection);
        }
    }

    /// <summary>Takes up to <see cref="ClaimSize"/> due messages for a lease (counting the attempt) and answers them.</summary>
    private async Task<List<Claimed>> ClaimAsync(NotificationsDbContext db, DateTime now, CancellationToken cancellationToken)
    {
        var t = SqlNames.Of<OutgoingEmail>(db);
        string id = t.Column(nameof(OutgoingEmail.Id)), sentAt = t.Column(nameof(OutgoingEmail.SentAt)), next = t.Column(nameof(OutgoingEmail.NextAttemptAt)),
            attempts = t.Column(nameof(OutgoingEmail.Attempts));
        var connection = db.Database.GetDbConnection();
        if (connection.State != System.Data.ConnectionState.Open)
        {
            await db.Database.OpenConnectionAsync(cancellationToken);
        }

        await using var command = connection.CreateCommand();
        var due = $"SELECT {id} FROM {t.Table} WHERE {sentAt} IS NULL AND {next} <= @now ORDER BY {next}, {t.Column(nameof(OutgoingEmail.CreatedAt))} LIMIT {ClaimSize}";
        string[] returned = [id, t.Column(nameof(OutgoingEmail.Kind)), t.Column(nameof(OutgoingEmail.Recipient)), t.Column(nameof(OutgoingEmail.Subject)),
            t.Column(nameof(OutgoingEmail.TextBody)), t.Column(nameof(OutgoingEmail.HtmlBody)), attempts];
        // As the grace sweep's claim: a materialised CTE skipping locked rows on PostgreSQL, a plain subquery on SQLite.
        command.CommandText = db.Database.IsNpgsql()
            ? $"WITH due AS MATERIALIZED ({due} FOR UPDATE SKIP LOCKED) UPDATE {t.Table} AS m SET {next} = @lease, {attempts} = m.{attempts} + 1 " +
              $"FROM due WHERE m.{id} = due.{id} RETURNING {string.Join(", ", returned.Select(c => "m." + c))}"
            : $"UPDATE {t.Table} SET {next} = @lease, {attempts} = {attempts} + 1 WHERE {id} IN ({due}) AND {sentAt} IS NULL AND {next} <= @now " +
              $"RETURNING {string.Join(", ", returned)}";
        command.AddParameter("now", now);
        command.AddParameter("lease", now + Lease);
        var claimed = new List<Claimed>(ClaimSize);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            claimed.Add(new Claimed(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetString(5),
                reader.GetInt32(6)));
        }

        return claimed;
    }


    private static async Task DropAsync(IEmailConnection? connection)
    {
        if (connection is not null)
        {
            await connection.DisposeAsync();
        }
    }

    private static string Bounded(string error) => error.Length > 2000 ? error[..2000] : error;

    private MimeMessage ToMime(Claimed email, DateTime now)
    {
        var message = new MimeMessage
        {
            MessageId = $"{email.Id:N}@idunox.partner-platform",
            Subject = email.Subject,
            Date = new DateTimeOffset(now, TimeSpan.Zero),
            Body = new BodyBuilder { TextBody = email.TextBody, HtmlBody = email.HtmlBody }.ToMessageBody(),
        };
        message.From.Add(new MailboxAddress(options.FromName, options.FromAddress));
        message.To.Add(MailboxAddress.Parse(email.Recipient));
        message.Headers.Add("X-Idunox-Kind", email.Kind);
        return message;
    }
}

/// <summary><c>email-dispatch</c> (every minute): sends what is due, including retries of earlier failures.</summary>
internal sealed class EmailDispatchJob(EmailDispatcher dispatcher) : IRecurringJob
{
    public const string JobName = "email-dispatch";

    public async Task<JobOutcome> RunAsync(CancellationToken cancellationToken) => EmailOutcome.Of("", await dispatcher.DeliverDueAsync(cancellationToken));
}

internal static class EmailOutcome
{
    /// <summary>
    /// A job whose e-mails could not all be sent fails, so the dashboard shows it; the e-mails are retried. Its items are
    /// the reminders it <paramref name="planned"/>, or (for the dispatch alone) the e-mails it sent.
    /// </summary>
    public static JobOutcome Of(string prefix, (int Sent, int Failed) result, int? planned = null)
    {
        var summary = $"{prefix}sent {result.Sent} e-mail(s), {result.Failed} failed";
        return result.Failed > 0
            ? throw new JobRetryException($"{summary}; failed e-mails are retried with backoff.")
            : new JobOutcome(summary, DidNothing: result.Sent == 0 && planned is null or 0, Items: planned ?? result.Sent);
    }
}

/// <summary>Sent e-mails are kept for the retention period (to answer "did it go out?"), then removed.</summary>
internal sealed class SentEmailRetention(NotificationsDbContext db) : IRetentionPolicy
{
    public string What => "sent e-mails";

    public Task<int> PurgeAsync(DateTime now, TimeSpan retention, CancellationToken cancellationToken)
    {
        var before = now - retention;
        return db.OutgoingEmails.Where(m => m.SentAt != null && m.SentAt < before).ExecuteDeleteAsync(cancellationToken);
    }
}
