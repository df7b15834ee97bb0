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

/// <summary>
/// An event no person is waiting for, made in bulk by the system (a grace sweep ends thousands of grace windows). The
/// outbox delivers these after every event someone is waiting for (a security notice), so a backlog of them never
/// delays a notice.
/// </summary>
public interface IBulkIntegrationEvent : IIntegrationEvent;
