namespace Idunox.Notifications.Notices;

/// <summary>
/// The inbox: that a subscriber of this module handled an event. Its key (event, handler) is unique and written in the
/// same transaction as what the handler did, so a redelivered event finds itself here and does nothing.
/// </summary>
internal sealed class HandledEvent
{
    public Guid EventId { get; init; }

    /// <summary>Which subscriber, e.g. <c>security-notices</c>.</summary>
    public required string Handler { get; init; }

    public DateTime HandledAt { get; init; }
}
