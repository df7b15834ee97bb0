namespace Idunox.Identity.Contracts;

/// <summary>
/// E-mails that carry a one-time link (an invitation, a password reset). They are sent in the background, at once,
/// and never stored: the link exists in the e-mail and nowhere else on the platform (no table, no log, no job argument).
/// If the mail server is down the message is lost, and the person asks again (or staff pass the link on themselves).
/// Identity needs them sent; the Notifications module sends them. With that module switched off, nothing is sent
/// (<see cref="Enabled"/> is false) and the pages say so.
/// </summary>
public interface IAccountEmails
{
    /// <summary>Whether e-mail goes out at all on this platform.</summary>
    bool Enabled { get; }

    void SendInvitation(AccountEmail email);

    void SendPasswordReset(AccountEmail email);

    /// <summary>An invitation to the staff area: the link to choose a password, after which the person enrols an authenticator.</summary>
    void SendStaffInvitation(StaffInvitationEmail email);

    /// <summary>
    /// Tells a person that something happened to their account's security (a new password, a reset link used, the second
    /// factor reset, a session ended by staff): if it was not them, they know at once. Sent like the others: in the
    /// background, never stored.
    /// </summary>
    void SendSecurityNotice(SecurityNotice notice);
}

/// <summary>What happened to whose account, when, and from which client address (if a request made it).</summary>
public sealed record SecurityNotice(Guid? TenantId, string Recipient, string RecipientName, SecurityNoticeKind Kind, DateTime At, string? Address,
    bool Staff = false);

public enum SecurityNoticeKind
{
    PasswordChanged,
    PasswordResetWithLink,
    SecondFactorReset,
    SessionEndedByStaff,
}

/// <summary>Who gets the e-mail, the organisation it is about, the link and until when it works.</summary>
public sealed record AccountEmail(Guid TenantId, string Recipient, string RecipientName, string OrganisationName, Uri Link, DateTime ExpiresAt)
{
    public override string ToString() => $"AccountEmail {{ TenantId = {TenantId}, ExpiresAt = {ExpiresAt:O} }}";
}

/// <summary>Who is invited to the staff area, with which roles, by whom, and the link with its expiry.</summary>
public sealed record StaffInvitationEmail(string Recipient, IReadOnlyList<string> Roles, string InvitedBy, Uri Link, DateTime ExpiresAt)
{
    public override string ToString() => $"StaffInvitationEmail {{ ExpiresAt = {ExpiresAt:O} }}";
}

/// <summary>No e-mail: the default while no module sends any.</summary>
public sealed class NoAccountEmails : IAccountEmails
{
    public bool Enabled => false;

    public void SendInvitation(AccountEmail email)
    {
    }

    public void SendPasswordReset(AccountEmail email)
    {
    }

    public void SendStaffInvitation(StaffInvitationEmail email)
    {
    }

    public void SendSecurityNotice(SecurityNotice notice)
    {
    }
}
