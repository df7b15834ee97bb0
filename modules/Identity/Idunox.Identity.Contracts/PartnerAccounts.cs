using Idunox.Shared.Errors;
namespace Idunox.Identity.Contracts;

/// <summary>
/// Onboarding and looking after an organisation's portal users, for the staff area and the command line. Staff never
/// see or choose a partner's password: a user is invited with a one-time link to choose it, and a forgotten password is
/// replaced through a one-time reset link. Every id is checked against the organisation it is given with.
/// </summary>
public interface IPartnerAccounts
{
    /// <summary>
    /// Invites a portal user to an organisation: a new user without a password, or a new link for one who has not
    /// chosen it yet (the earlier link stops working). The link works once, for 72 hours.
    /// </summary>
    Task<Outcome<AccountLink>> InviteAsync(Guid tenantId, string? email, string? displayName, CancellationToken cancellationToken);

    /// <summary>A disabled user cannot sign in, and its sessions, tokens and links stop working.</summary>
    Task<Outcome<PartnerUserInfo>> SetEnabledAsync(Guid tenantId, Guid userId, bool enabled, CancellationToken cancellationToken);

    /// <summary>A one-time link to choose a new password (2 hours); the current password works until then.</summary>
    Task<Outcome<AccountLink>> CreatePasswordResetAsync(Guid tenantId, Guid userId, CancellationToken cancellationToken);
}

/// <summary>A one-time link for a user, to hand over once (it is a secret: whoever holds it can choose the password).</summary>
public sealed record AccountLink(PartnerUserInfo User, string OrganisationName, Uri Link, DateTime ExpiresAt)
{
    public override string ToString() => $"AccountLink {{ User = {User.Id}, ExpiresAt = {ExpiresAt:O} }}";
}
