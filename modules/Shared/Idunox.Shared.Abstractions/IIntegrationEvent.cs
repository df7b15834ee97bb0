namespace Idunox.Shared;

/// <summary>
/// A fact one module publishes for others (key created, rotated, revoked, grace ended). It is written to the
/// publisher's outbox in the same transaction as the change and delivered at least once; handlers are idempotent.
/// </summary>
public interface IIntegrationEvent
{
    Guid EventId { get; }
    Guid TenantId { get; }
    DateTime OccurredAt { get; }
}
