namespace Idunox.Notifications.Contracts;

/// <summary>How the outgoing e-mail queue is doing, for the staff area: what waits, since when, and what keeps failing.</summary>
public interface IEmailQueueStatus
{
    /// <summary>The queue now, or null when the platform sends no e-mail (the Notifications module is switched off).</summary>
    Task<EmailQueueStatus?> GetAsync(CancellationToken cancellationToken);
}

/// <summary>The answer when the Notifications module is switched off: there is no queue.</summary>
public sealed class NoEmailQueue : IEmailQueueStatus
{
    public Task<EmailQueueStatus?> GetAsync(CancellationToken cancellationToken) => Task.FromResult<EmailQueueStatus?>(null);
}

/// <summary>
/// <paramref name="Waiting"/> e-mails not sent yet, the oldest queued at <paramref name="OldestQueuedAt"/>;
/// <paramref name="Retrying"/> of them failed at least once, the latest failure being <paramref name="LatestError"/>.
/// </summary>
public sealed record EmailQueueStatus(int Waiting, DateTime? OldestQueuedAt, int Retrying, string? LatestError);
