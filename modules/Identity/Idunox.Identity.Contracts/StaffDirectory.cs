using Idunox.Shared.Errors;
namespace Idunox.Identity.Contracts;

/// <summary>
/// Idunox's own staff accounts and their lifecycle, for the staff area (members with the role <c>admin</c>) and the
/// command line: list, invite by a one-time link (nobody ever chooses another person's password; the link lets its holder
/// choose one, so it is shown once, to whoever invites, and e-mailed to the person only), disable and
/// enable, change roles, reset two-factor, end sessions, and a member's own password. The staff area's use cases
/// record each change in the staff log; refusals are answers, not exceptions.
/// </summary>
public interface IStaffDirectory
{
    /// <summary>Every staff member, by e-mail address.</summary>
    Task<IReadOnlyList<StaffMemberInfo>> ListAsync(CancellationToken cancellationToken);

    Task<StaffMemberInfo?> FindAsync(Guid id, CancellationToken cancellationToken);

    Task<StaffMemberInfo?> FindByEmailAsync(string email, CancellationToken cancellationToken);

    /// <summary>
    /// Invites a staff member: a new account without a password (role <c>staff</c> plus <paramref name="roles"/>), or a
    /// new link for one who has not chosen a password yet (the earlier link stops working). The link works once, for 72
    /// hours; with it the person chooses a password and then enrols an authenticator.
    /// </summary>
    Task<Outcome<StaffInvitation>> InviteAsync(string? email, IReadOnlyCollection<string> roles, CancellationToken cancellationToken);

    /// <summary>A disabled member cannot sign in, and every session of theirs ends at once. Refused for the last enabled admin.</summary>
    Task<Outcome<StaffMemberInfo>> SetEnabledAsync(Guid id, bool enabled, CancellationToken cancellationToken);

    /// <summary>Sets the member's roles (<c>staff</c> is always kept); open sessions take the new roles at their next request. Refused when it would leave no enabled admin.</summary>
    Task<Outcome<StaffMemberInfo>> SetRolesAsync(Guid id, IReadOnlyCollection<string> roles, CancellationToken cancellationToken);

    /// <summary>Removes the member's authenticator and recovery codes (a lost phone) and ends every session: the next sign-in enrols again.</summary>
    Task<Outcome<StaffMemberInfo>> ResetTwoFactorAsync(Guid id, CancellationToken cancellationToken);

    /// <summary>Ends every open session of the member; answers how many.</summary>
    Task<Outcome<int>> EndSessionsAsync(Guid id, CancellationToken cancellationToken);

    /// <summary>
    /// The member changes their own password (the current one is required): every session of theirs ends, the caller
    /// starts a new one with the answered member (its new security stamp).
    /// </summary>
    Task<Outcome<StaffMember>> ChangePasswordAsync(Guid id, string? currentPassword, string? newPassword, string? confirmation,
        CancellationToken cancellationToken);

    /// <summary>The member a staff invitation link is for, or null when the link does not work (used, replaced, expired, altered).</summary>
    Task<StaffMemberInfo?> CheckInvitationAsync(string? token, CancellationToken cancellationToken);

    /// <summary>Chooses the password with an invitation link (which uses it up): answers the member, who goes on to enrol an authenticator.</summary>
    Task<Outcome<StaffMember>> AcceptInvitationAsync(string? token, string? password, string? confirmation, CancellationToken cancellationToken);
}

/// <summary>A staff member as the staff directory shows it.</summary>
public sealed record StaffMemberInfo(Guid Id, string Email, IReadOnlyList<string> Roles, bool Enabled, bool PasswordSet, bool TwoFactorEnabled,
    DateTime CreatedAt)
{
    public bool IsAdmin => Roles.Contains(StaffRoles.Admin);
}

/// <summary>A one-time link for a new staff member, to hand over once (whoever holds it can choose the password).</summary>
public sealed record StaffInvitation(StaffMemberInfo Member, Uri Link, DateTime ExpiresAt)
{
    public override string ToString() => $"StaffInvitation {{ Member = {Member.Id}, ExpiresAt = {ExpiresAt:O} }}";
}
