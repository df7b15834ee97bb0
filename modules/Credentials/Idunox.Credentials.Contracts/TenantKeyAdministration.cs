using Idunox.Shared.Errors;

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

    Task<Outcome<KeyOverview>> RevokeAsync(Guid tenantId, Guid keyId, StaffKeyAction action, CancellationToken cancellationToken);

    /// <summary>
    /// Rotates on the partner's behalf: the old key's grace window starts now, and its successor waits for one of the
    /// organisation's users to collect it in the portal (they are told by e-mail). Staff never see the new key: it has
    /// no secret until a partner collects it, and it works only from then on.
    /// </summary>
    Task<Outcome<StaffRotation>> RotateAsync(Guid tenantId, Guid keyId, int graceHours, StaffKeyAction action, CancellationToken cancellationToken);

    /// <summary>Keys staff made for the organisation and whether they were collected (the last 30 days, newest first).</summary>
    Task<IReadOnlyList<KeyHandoverOverview>> ListHandoversAsync(Guid tenantId, CancellationToken cancellationToken);
}

/// <summary>Who acts (for the staff log; the partner sees "Idunox staff"), from where, and why.</summary>
public sealed record StaffKeyAction(Guid StaffUserId, string Reason, string? ClientAddress);

/// <summary>
/// A key as every page shows it, the partner's and the staff area's: masked (<see cref="Prefix"/> ends in an ellipsis),
/// with its status (<c>active</c>, <c>expiring</c>, <c>grace</c>, <c>revoked</c>, <c>expired</c>) computed now, the key that
/// replaced it, and <see cref="EndsAt"/>: when it stops or stopped working (its grace end or its expiry).
/// </summary>
public sealed record KeyOverview(
    Guid Id, string Name, string Prefix, string Status, DateTime CreatedAt, string CreatedBy, DateTime ExpiresAt, int? ExpiresInDays,
    DateTime? GraceEndsAt, DateTime? RevokedAt, DateTime? LastUsedAt, bool Rotatable, bool Usable, Guid? ReplacedById, DateTime EndsAt);

/// <summary>A staff rotation: the old key (now in grace) and the offer of its successor, which has no secret.</summary>
public sealed record StaffRotation(KeyOverview Previous, KeyHandoverOverview Offer);

/// <summary>A key staff made for an organisation: for which key, when, until when it can be collected, and who collected it when.</summary>
public sealed record KeyHandoverOverview(Guid Id, string Name, string? ReplacesPrefix, DateTime OfferedAt, DateTime CollectBy, DateTime? CollectedAt,
    string? CollectedBy, string Reason);
