using Idunox.Shared.Persistence;

namespace Idunox.Credentials.Audit;

/// <summary>One line of an organisation's audit trail: who did what to which key, when and from where. Never the secret.</summary>
internal sealed class AuditEvent : ITenantOwned
{
    public Guid Id { get; init; }

    public Guid TenantId { get; set; }

    public DateTime OccurredAt { get; init; }

    /// <summary>The event's place among those one change records at the same instant (a rotation records two), for a stable order.</summary>
    public int Position { get; init; }

    /// <summary><c>key.created</c>, <c>key.rotated</c>, <c>key.revoked</c> or <c>key.expired</c>.</summary>
    public required string Action { get; init; }

    /// <summary><c>partner</c>, <c>staff</c> or <c>system</c>.</summary>
    public required string ActorType { get; init; }

    public Guid? ActorId { get; init; }

    /// <summary>The actor as people know it: an e-mail address, or the job's name.</summary>
    public required string ActorName { get; init; }

    public string? ClientAddress { get; init; }

    public Guid ApiKeyId { get; init; }

    public required string ApiKeyPrefix { get; init; }

    public required string ApiKeyName { get; init; }

    /// <summary>What else matters, e.g. <c>grace 48h, successor idx_test_Xy98…</c>.</summary>
    public string? Detail { get; init; }
}

internal static class AuditActions
{
    public const string KeyCreated = "key.created";
    public const string KeyRotated = "key.rotated";
    public const string KeyRevoked = "key.revoked";
    public const string KeyChanged = "key.changed";
    public const string KeyExpired = "key.expired";
}
