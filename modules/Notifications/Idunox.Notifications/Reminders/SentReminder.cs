using Idunox.Shared.Persistence;

namespace Idunox.Notifications.Reminders;

/// <summary>
/// The record that one key's "expires in N days" reminder for one threshold was sent. Its unique key
/// (key, threshold) is what makes each reminder go out once, however often or wherever the job runs.
/// </summary>
internal sealed class SentReminder : ITenantOwned
{
    public Guid Id { get; init; }

    public Guid TenantId { get; set; }

    public Guid ApiKeyId { get; init; }

    public int ThresholdDays { get; init; }

    public DateTime SentAt { get; init; }
}
