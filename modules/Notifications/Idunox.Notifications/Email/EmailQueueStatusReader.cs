using Idunox.Notifications.Contracts;
using Idunox.Notifications.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Idunox.Notifications.Email;

/// <summary>Answers the staff area's question "is mail going out?" from the queue itself (no recipients, no bodies).</summary>
internal sealed class EmailQueueStatusReader(NotificationsDbContext db) : IEmailQueueStatus
{
    public async Task<EmailQueueStatus?> GetAsync(CancellationToken cancellationToken)
    {
        var waiting = db.OutgoingEmails.AsNoTracking().Where(m => m.SentAt == null);
        var summary = await waiting.GroupBy(_ => 1)
            .Select(g => new { Count = g.Count(), Oldest = g.Min(m => (DateTime?)m.CreatedAt), Retrying = g.Count(m => m.Attempts > 0 && m.LastError != null) })
            .SingleOrDefaultAsync(cancellationToken);
        var latestError = summary is { Retrying: > 0 }
            ? await waiting.Where(m => m.LastError != null).OrderByDescending(m => m.NextAttemptAt).Select(m => m.LastError).FirstOrDefaultAsync(cancellationToken)
            : null;
        return new EmailQueueStatus(summary?.Count ?? 0, summary?.Oldest, summary?.Retrying ?? 0, latestError);
    }
}
