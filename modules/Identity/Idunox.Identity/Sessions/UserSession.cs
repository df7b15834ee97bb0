namespace Idunox.Identity.Sessions;

/// <summary>
/// One sign-in of a portal user or a staff member (<see cref="Kind"/>). The cookie carries its <see cref="Id"/>; the
/// session is open while <see cref="EndedAt"/> is null, the absolute limit (<see cref="ExpiresAt"/>) has not passed and
/// the last activity is within <see cref="IdleSeconds"/>.
/// </summary>
internal sealed class UserSession
{
    public const int MaxUserAgentLength = 256;
    public const int MaxAddressLength = 64;
    public const int MaxReasonLength = 64;

    public Guid Id { get; init; }

    public required string Kind { get; init; }

    public Guid UserId { get; init; }

    /// <summary>The organisation of a portal user's session (null for staff).</summary>
    public Guid? TenantId { get; init; }

    public DateTime CreatedAt { get; init; }

    public DateTime LastSeenAt { get; set; }

    public DateTime ExpiresAt { get; init; }

    public int IdleSeconds { get; init; }

    public DateTime? EndedAt { get; set; }

    /// <summary>Why it ended, in a few words: signed out, idle, expired, signed out everywhere, password changed, …</summary>
    public string? EndedBecause { get; set; }

    public string? Address { get; init; }

    public string? UserAgent { get; init; }
}
