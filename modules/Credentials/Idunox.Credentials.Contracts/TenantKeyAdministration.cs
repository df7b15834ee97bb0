namespace Idunox.Credentials.Contracts;

/// <summary>
/// The keys of one organisation, for Idunox staff acting on its behalf: the same masked view the partner has, and revoke
/// and rotate with a required reason. Every action appears in the organisation's audit trail as "Idunox staff" with the
/// reason, and the organisation's users get the usual security notice. Another organisation's key id is not found.
/// </summary>
public interface ITenantKeyAdministration
{
    /// <summary>Working keys and those that stopped in the last 30 days, newest first (at most 100).</summary>
    Task<IReadOnlyList<KeyOverview>> ListAsync(Guid tenantId, CancellationToken cancellationToken);

    Task<KeyOverview?> FindAsync(Guid tenantId, Guid keyId, CancellationToken cancellationToken);

    Task<StaffKeyResult> RevokeAsync(Guid tenantId, Guid keyId, StaffKeyAction action, CancellationToken cancellationToken);

    /// <summary>Rotates on the partner's behalf (an emergency): the successor's plaintext is in the answer, once, for that staff member only.</summary>
    Task<StaffKeyResult> RotateAsync(Guid tenantId, Guid keyId, int graceHours, StaffKeyAction action, CancellationToken cancellationToken);
}

/// <summary>Who acts (for the staff log; the partner sees "Idunox staff"), from where, and why.</summary>
public sealed record StaffKeyAction(Guid StaffUserId, string Reason, string? ClientAddress);

/// <summary>A key as staff see it: masked, with its status computed now.</summary>
public sealed record KeyOverview(
    Guid Id, string Name, string Prefix, string Status, DateTime CreatedAt, string CreatedBy, DateTime ExpiresAt, int? ExpiresInDays,
    DateTime? GraceEndsAt, DateTime? RevokedAt, DateTime? LastUsedAt, bool Rotatable, bool Usable);

/// <summary>The key after the action, the successor of a rotation (with its plaintext, once), or why nothing happened.</summary>
public sealed record StaffKeyResult(KeyOverview? Key, KeyOverview? Successor, string? SuccessorPlaintext, string? ErrorCode, string? ErrorMessage)
{
    public bool Succeeded => ErrorCode is null;

    public override string ToString() => $"StaffKeyResult {{ Key = {Key?.Id}, Successor = {Successor?.Id}, ErrorCode = {ErrorCode} }}";
}
