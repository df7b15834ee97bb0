using Microsoft.AspNetCore.Identity;

namespace Idunox.Identity.Users;

/// <summary>
/// A partner organisation's portal user. It carries its tenant rather than being filtered by it: sign-in finds a user
/// by e-mail before any tenant is known (e-mail is unique across organisations), and the user is where the JWT's
/// tenant claim comes from. Every tenant-scoped read of users filters by <see cref="TenantId"/> explicitly.
/// </summary>
internal sealed class PartnerUser : IdentityUser<Guid>
{
    public const int MaxDisplayNameLength = 200;

    public Guid TenantId { get; set; }

    public string DisplayName { get; set; } = string.Empty;

    public DateTime CreatedAt { get; init; }

    /// <summary>Set when the user was disabled: it cannot sign in and its tokens stop working.</summary>
    public DateTime? DisabledAt { get; set; }
}

/// <summary>An Idunox staff member, in a store of its own: it can never sign in to the portal, nor a partner to the staff area.</summary>
internal sealed class StaffUser : IdentityUser<Guid>
{
    public DateTime CreatedAt { get; init; }

    public DateTime? DisabledAt { get; set; }

    /// <summary>The time step of the last authenticator code accepted: a code of that step or an earlier one is refused.</summary>
    public long? AuthenticatorLastStep { get; set; }
}

internal sealed class StaffRole : IdentityRole<Guid>;
