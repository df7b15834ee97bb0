using Idunox.Shared.Persistence;

namespace Idunox.Credentials.Keys.Handover;

/// <summary>
/// A key Idunox staff made for an organisation (today: by rotating one of its keys on its behalf), waiting for one of
/// the organisation's users to collect it. It has no secret: the key is generated when it is collected, and its
/// plaintext is in that one answer to that one user, so staff never see it and nothing works before a partner chose to
/// take it. Until collected (at most <see cref="CollectWithin"/>) it is listed on the organisation's keys page.
/// </summary>
internal sealed class KeyHandover : ITenantOwned
{
    /// <summary>How long a key staff made can be collected.</summary>
    public static readonly TimeSpan CollectWithin = TimeSpan.FromDays(7);

    public const int MaxReasonLength = 500;

    public Guid Id { get; init; }

    public Guid TenantId { get; set; }

    /// <summary>The name the key gets (the name of the key it replaces).</summary>
    public required string Name { get; init; }

    /// <summary>The key it replaces, whose grace window started when staff rotated it.</summary>
    public Guid? PredecessorId { get; init; }

    public int ValidityDays { get; init; }

    /// <summary>The scopes the key will have (as <see cref="ApiKey.Scopes"/>: null for full access).</summary>
    public string? Scopes { get; init; }

    /// <summary>The IP allow-list the key will have (those of the key it replaces).</summary>
    public string? IpAllowMode { get; init; }

    public string? IpAllowList { get; init; }

    /// <summary>The rate limit the key will have (that of the key it replaces).</summary>
    public int? RateLimitPerSecond { get; init; }

    public int? RateLimitPerMinute { get; init; }

    public DateTime OfferedAt { get; init; }

    /// <summary>The staff member who made it (for the staff log; the organisation sees "Idunox staff").</summary>
    public Guid? OfferedByStaffId { get; init; }

    public required string Reason { get; init; }

    public DateTime CollectBy { get; init; }

    public DateTime? CollectedAt { get; set; }

    /// <summary>The portal user who collected it (an e-mail address, as shown to users).</summary>
    public string? CollectedBy { get; set; }

    /// <summary>The key made when it was collected.</summary>
    public Guid? KeyId { get; set; }

    public bool IsOpenAt(DateTime now) => CollectedAt is null && CollectBy > now;
}
