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
    /// <remarks><paramref name="access"/>: what the successor may call (null: what the old key may).</remarks>
    Task<Outcome<StaffRotation>> RotateAsync(Guid tenantId, Guid keyId, int graceHours, KeyAccess? access, StaffKeyAction action,
        CancellationToken cancellationToken);

    /// <summary>
    /// Changes what a key may call and where it may be used from, on the partner's behalf, without a new secret (null: that
    /// part stays). Audited with the reason; a loosening is told to the organisation by e-mail.
    /// </summary>
    Task<Outcome<KeyOverview>> ChangeAsync(Guid tenantId, Guid keyId, KeyAccess? access, IpAllowListChange? ipAllowList, KeyRateLimit? rateLimit,
        StaffKeyAction action, CancellationToken cancellationToken);

    /// <summary>The scopes a key can be restricted to now (those the gateway's routes name), with their descriptions.</summary>
    IReadOnlyList<ScopeDescription> Scopes();

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
    DateTime? GraceEndsAt, DateTime? RevokedAt, DateTime? LastUsedAt, bool Rotatable, bool Usable, Guid? ReplacedById, DateTime EndsAt,
    IReadOnlyList<string>? Scopes, string? IpAllowMode = null, IReadOnlyList<string>? IpAllowEntries = null, KeyRateLimit? RateLimit = null)
{
    /// <summary>Whether the key may call every route (no scopes chosen).</summary>
    public bool FullAccess => Scopes is null;
}

/// <summary>What a key may call: every route (<see cref="Scopes"/> null, full access) or the routes of the scopes named.</summary>
public sealed record KeyAccess(IReadOnlyList<string>? Scopes)
{
    public const string FullName = "full";
    public const string RestrictedName = "restricted";
    public const string AccessField = "access";
    public const string ScopesField = "scopes";

    public static readonly KeyAccess Full = new((IReadOnlyList<string>?)null);

    public bool IsFull => Scopes is null;

    /// <summary>
    /// The choice in a request or form: <c>access</c> (<c>full</c> or <c>restricted</c>) and/or <c>scopes</c>; scopes alone
    /// mean restricted to them, neither means the default (null: a new key has full access, a rotation keeps the old
    /// key's). What does not add up is added to <paramref name="errors"/>. The scopes are checked against the catalogue
    /// where the key is made.
    /// </summary>
    public static KeyAccess? Parse(string? access, IReadOnlyList<string>? scopes, ValidationErrors errors)
    {
        switch (access)
        {
            case null or "" when scopes is null:
                return null;
            case FullName when scopes is null or { Count: 0 }:
                return Full;
            case FullName:
                errors.Add(ScopesField, "A key with full access may call every scope: untick the scopes, or choose “only the scopes ticked”.");
                return null;
            case null or "" or RestrictedName:
                return new KeyAccess(scopes ?? []);
            default:
                errors.Add(AccessField, $"Access is either '{FullName}' (every scope) or '{RestrictedName}' (the scopes named).");
                return null;
        }
    }

    /// <summary>The messages about a key's access in a failure (its fields <c>access</c> and <c>scopes</c>), or null.</summary>
    public static IReadOnlyList<string>? Messages(UseCaseFailure? failure) =>
        failure is null ? null
            : (failure.MessagesFor(AccessField) ?? []).Concat(failure.MessagesFor(ScopesField) ?? []).ToList() is { Count: > 0 } all ? all : null;
}

/// <summary>A form's access choice: what it asks for (null: the default), what does not add up, and what was ticked (to show again).</summary>
public sealed record KeyAccessChoice(KeyAccess? Access, ValidationErrors Errors, bool Restricted, IReadOnlyList<string> Ticked)
{
    /// <summary>From the form's radio <c>access</c> and boxes <c>scopes</c>.</summary>
    public static KeyAccessChoice Of(string? access, IReadOnlyList<string> ticked)
    {
        var errors = new ValidationErrors();
        var parsed = KeyAccess.Parse(access, ticked.Count == 0 ? null : ticked, errors);
        return new KeyAccessChoice(parsed, errors, access == KeyAccess.RestrictedName, ticked);
    }
}

/// <summary>A key's IP allow-list: <c>off</c>, <c>report</c> or <c>enforce</c>, and its addresses and CIDR ranges.</summary>
public sealed record IpAllowListChange(string Mode, IReadOnlyList<string> Entries)
{
    /// <summary>The entries of a form's text box: one a line, or separated by commas or spaces.</summary>
    public static IReadOnlyList<string> EntriesOf(string? text) => text?.Split(['\n', '\r', ',', ' ', '\t'], StringSplitOptions.RemoveEmptyEntries) ?? [];
}

/// <summary>
/// A key's rate limit: at most <see cref="PerSecond"/> requests a second and <see cref="PerMinute"/> a minute, for the key as
/// a whole across every server (null: no limit of that kind; both null: <see cref="None"/>).
/// </summary>
public sealed record KeyRateLimit(int? PerSecond = null, int? PerMinute = null)
{
    public static readonly KeyRateLimit None = new(null, null);

    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsNone => PerSecond is null && PerMinute is null;

    /// <summary>For people: "50 a second, 2000 a minute", or "no rate limit".</summary>
    public override string ToString() => (PerSecond, PerMinute) switch
    {
        (null, null) => "no rate limit",
        ({ } s, null) => $"{s} a second",
        (null, { } m) => $"{m} a minute",
        ({ } s, { } m) => $"{s} a second, {m} a minute",
    };

    /// <summary>A form's two number boxes (blank: no limit of that kind; anything but a whole number is 0, which the rule refuses).</summary>
    public static KeyRateLimit FromForm(string? perSecond, string? perMinute) => new(Number(perSecond), Number(perMinute));

    private static int? Number(string? text) =>
        string.IsNullOrWhiteSpace(text) ? null
        : int.TryParse(text.Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value) ? value
        : 0;
}

/// <summary>A scope of the data API, as the pages offer it: <c>orders:read</c>, its resource (<c>orders</c>) and what it opens.</summary>
public sealed record ScopeDescription(string Name, string Resource, string? Description);

/// <summary>A staff rotation: the old key (now in grace) and the offer of its successor, which has no secret.</summary>
public sealed record StaffRotation(KeyOverview Previous, KeyHandoverOverview Offer);

/// <summary>A key staff made for an organisation: for which key, when, until when it can be collected, and who collected it when.</summary>
public sealed record KeyHandoverOverview(Guid Id, string Name, string? ReplacesPrefix, DateTime OfferedAt, DateTime CollectBy, DateTime? CollectedAt,
    string? CollectedBy, string Reason);
