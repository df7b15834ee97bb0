using Idunox.Notifications.Persistence;
using Idunox.Shared.Jobs;
using Idunox.Shared.Outbox;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using MimeKit;

namespace Idunox.Notifications.Email;

/// <summary>
/// Sends the e-mails that are due. Each is claimed with a lease first, so two servers never send one together; it is
/// marked sent right after the server accepted it. A failure waits 1, 2, 4 … 60 minutes and is tried again, forever:
/// nothing is dropped. Its Message-ID is its id, so a resend after a crash between accept and mark is recognisable.
/// </summary>
internal sealed class EmailDispatcher(NotificationsDbContext db, IEmailTransport transport, EmailOptions options, TimeProvider clock, ILogger<EmailDispatcher> logger)
{
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(10);
    private const int Batch = 100;

    public async Task<(int Sent, int Failed)> DeliverDueAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var due = await db.OutgoingEmails.AsNoTracking()
            .Where(m => m.SentAt == null && m.NextAttemptAt <= now)
            .OrderBy(m => m.NextAttemptAt).ThenBy(m => m.CreatedAt).Take(Batch)
            .ToListAsync(cancellationToken);

        return await LeasedDelivery.RunAsync(due, new Steps(this, db, transport, logger), clock, cancellationToken);
    }

    private sealed class Steps(EmailDispatcher dispatcher, NotificationsDbContext db, IEmailTransport transport, ILogger logger) : LeaseSteps<OutgoingEmail>
    {
        private DbSet<OutgoingEmail> Emails => db.OutgoingEmails;

        public override async Task<bool> ClaimAsync(OutgoingEmail email, DateTime now, CancellationToken cancellationToken) =>
            await Emails.Where(m => m.Id == email.Id && m.SentAt == null && m.NextAttemptAt <= now)
                .ExecuteUpdateAsync(s => s.SetProperty(m => m.NextAttemptAt, now + Lease).SetProperty(m => m.Attempts, m => m.Attempts + 1), cancellationToken) > 0;

        public override Task WorkAsync(OutgoingEmail email, DateTime now, CancellationToken cancellationToken) =>
            transport.SendAsync(dispatcher.ToMime(email, now), cancellationToken);

        public override Task MarkDoneAsync(OutgoingEmail email, DateTime now, CancellationToken cancellationToken) =>
            Emails.Where(m => m.Id == email.Id)
                .ExecuteUpdateAsync(s => s.SetProperty(m => m.SentAt, now).SetProperty(m => m.LastError, (string?)null), cancellationToken);

        public override Task MarkFailedAsync(OutgoingEmail email, DateTime retryAt, string error, Exception exception, CancellationToken cancellationToken)
        {
            logger.LogWarning("Sending e-mail {EmailId} ({Kind}) failed, retrying at {RetryAt}: {Error}", email.Id, email.Kind, retryAt, error);
            return Emails.Where(m => m.Id == email.Id)
                .ExecuteUpdateAsync(s => s.SetProperty(m => m.NextAttemptAt, retryAt).SetProperty(m => m.LastError, error), cancellationToken);
        }

        public override int AttemptsBefore(OutgoingEmail email) => email.Attempts;
    }

    private MimeMessage ToMime(OutgoingEmail email, DateTime now)
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
    /// <summary>A job whose e-mails could not all be sent fails, so the dashboard shows it; the e-mails are retried.</summary>
    public static JobOutcome Of(string prefix, (int Sent, int Failed) result, int planned = 0)
    {
        var summary = $"{prefix}sent {result.Sent} e-mail(s), {result.Failed} failed";
        return result.Failed > 0
            ? throw new JobRetryException($"{summary}; failed e-mails are retried with backoff.")
            : new JobOutcome(summary, DidNothing: result.Sent == 0 && planned == 0);
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
