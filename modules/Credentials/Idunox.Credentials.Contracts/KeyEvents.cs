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

/// <summary>
/// A key was changed without rotating it (its name, what it may call, its expiry): <paramref name="Changes"/> says what
/// changed, before and after, for people. <paramref name="WidensAccess"/>: it may now call more, or for longer.
/// <paramref name="PreviousExpiresAt"/> is its expiry before the change (the same as the key's when that did not change).
/// </summary>
public sealed record ApiKeyChanged(
    Guid EventId, Guid TenantId, DateTime OccurredAt, KeyReference Key, Actor Actor, string Changes, bool WidensAccess, DateTime PreviousExpiresAt)
    : IIntegrationEvent;

public sealed record ApiKeyRevoked(Guid EventId, Guid TenantId, DateTime OccurredAt, KeyReference Key, Actor Actor) : IIntegrationEvent;

/// <summary>A rotated key's grace window ended: it no longer works (verification refused it from that instant on).</summary>
public sealed record ApiKeyGraceEnded(Guid EventId, Guid TenantId, DateTime OccurredAt, KeyReference Key, DateTime GraceEndedAt) : IBulkIntegrationEvent;

/// <summary>
/// Idunox staff rotated <paramref name="Previous"/> on the organisation's behalf: it keeps working until
/// <paramref name="GraceEndsAt"/>, and its successor waits for one of the organisation's users to collect it (until
/// <paramref name="CollectBy"/>). No secret exists yet: it is made when a partner collects the key.
/// </summary>
public sealed record ApiKeyHandoverOffered(
    Guid EventId, Guid TenantId, DateTime OccurredAt, Guid HandoverId, KeyReference Previous, DateTime GraceEndsAt, DateTime CollectBy, string Reason,
    Actor Actor) : IIntegrationEvent;
