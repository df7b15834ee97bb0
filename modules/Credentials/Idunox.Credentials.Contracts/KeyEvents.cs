using Idunox.Shared;

namespace Idunox.Credentials.Contracts;

/// <summary>Who did something to a key: a portal user, a staff member, or the system (jobs).</summary>
public sealed record Actor(string Type, Guid? Id, string Name)
{
    public const string Partner = "partner";
    public const string Staff = "staff";
    public const string System = "system";

    public static Actor SystemJob(string job) => new(System, null, job);
}

/// <summary>What every key event says about its key: enough to name it to people, nothing of its secret.</summary>
public sealed record KeyReference(Guid Id, string Name, string Prefix, DateTime ExpiresAt);

public sealed record ApiKeyCreated(Guid EventId, Guid TenantId, DateTime OccurredAt, KeyReference Key, Actor Actor) : IIntegrationEvent;

public sealed record ApiKeyRotated(
    Guid EventId, Guid TenantId, DateTime OccurredAt, KeyReference Previous, KeyReference Successor, DateTime GraceEndsAt, Actor Actor) : IIntegrationEvent;

public sealed record ApiKeyRevoked(Guid EventId, Guid TenantId, DateTime OccurredAt, KeyReference Key, Actor Actor) : IIntegrationEvent;

/// <summary>A rotated key's grace window ended: it no longer works (verification refused it from that instant on).</summary>
public sealed record ApiKeyGraceEnded(Guid EventId, Guid TenantId, DateTime OccurredAt, KeyReference Key, DateTime GraceEndedAt) : IBulkIntegrationEvent;
