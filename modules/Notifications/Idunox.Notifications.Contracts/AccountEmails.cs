namespace Idunox.Notifications.Contracts;

/// <summary>
/// E-mails that carry a one-time link (an invitation, a password reset). They are sent in the background, at once,
/// and never stored: the link exists in the e-mail and nowhere else on the platform (no table, no log, no job argument).
/// If the mail server is down the message is lost, and the person asks again (or staff pass the link on themselves).
/// </summary>
public interface IAccountEmails
{
    void SendInvitation(AccountEmail email);

    void SendPasswordReset(AccountEmail email);
}

/// <summary>Who gets the e-mail, the organisation it is about, the link and until when it works.</summary>
public sealed record AccountEmail(Guid TenantId, string Recipient, string RecipientName, string OrganisationName, Uri Link, DateTime ExpiresAt)
{
    public override string ToString() => $"AccountEmail {{ TenantId = {TenantId}, ExpiresAt = {ExpiresAt:O} }}";
}
