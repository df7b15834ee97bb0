using Idunox.Identity.Contracts;
using System.Globalization;
using System.Net;
using Idunox.Shared.Configuration;

namespace Idunox.Notifications.Templates;

/// <summary>The brand and links e-mails carry, from the platform's one set of settings (<see cref="PortalSettings"/>).</summary>
internal sealed record Brand(string Name, string ProductName, string PrimaryColor, string PortalUrl, string SupportEmail)
{
    public static Brand From(PortalSettings portal) =>
        new(portal.Brand.Name, portal.Brand.ProductName, portal.Brand.PrimaryColor, portal.Urls.Portal, portal.SupportEmail);
}

/// <summary>One key of a reminder digest: its prefix and name, the whole days left and when it expires.</summary>
internal sealed record ExpiringKeyLine(string Prefix, string Name, int Days, DateTime ExpiresAt);

/// <summary>One key of a retirement digest: its prefix and name and when its grace ended.</summary>
internal sealed record RetiredKeyLine(string Prefix, string Name, DateTime EndedAt);

/// <summary>A rendered e-mail: subject, plain text and HTML with the same content.</summary>
internal sealed record RenderedEmail(string Subject, string Text, string Html);

/// <summary>
/// Every e-mail the platform sends, in plain text and HTML with Idunox branding. Names and prefixes come from users and
/// are HTML-encoded; no template is given a secret, so none can print one.
/// </summary>
internal sealed class EmailTemplates(Brand brand)
{
    public RenderedEmail ExpiryReminder(string recipientName, string prefix, string keyName, int days, DateTime expiresAt)
    {
        var when = Days(days);
        var subject = $"Your API key {prefix}… ({keyName}) expires in {when}";
        return Render(subject, recipientName,
            [
                $"Your API key {prefix}… ({keyName}) expires in {when}, on {Date(expiresAt)}.",
                "Rotate it in the partner portal before then: the new key is shown once, and the old one keeps working for 24 to 72 hours while you switch over.",
            ],
            "Open the partner portal");
    }

    /// <summary>
    /// The reminders of one run for one person: every key of the organisation that crossed a threshold, nearest expiry
    /// first. One key reads exactly as a single reminder; several name the count and the nearest expiry.
    /// </summary>
    public RenderedEmail ExpiryDigest(string recipientName, IReadOnlyList<ExpiringKeyLine> keys)
    {
        if (keys.Count == 1)
        {
            return ExpiryReminder(recipientName, keys[0].Prefix, keys[0].Name, keys[0].Days, keys[0].ExpiresAt);
        }

        var ordered = keys.OrderBy(k => k.ExpiresAt).ThenBy(k => k.Prefix, StringComparer.Ordinal).ToList();
        var first = ordered[0];
        return Render($"{ordered.Count} of your API keys expire soon, the first in {Days(first.Days)}", recipientName,
            [
                $"{ordered.Count} of your organisation's API keys expire soon. The first, {first.Prefix}… ({first.Name}), expires in {Days(first.Days)}, on {Date(first.ExpiresAt)}.",
                "Rotate them in the partner portal before then: each new key is shown once, and the old one keeps working for 24 to 72 hours while you switch over.",
            ],
            "Open the partner portal",
            list: ordered.Select(k => $"{k.Prefix}… ({k.Name}) expires in {Days(k.Days)}, on {Date(k.ExpiresAt)}").ToList());
    }

    public RenderedEmail KeyCreated(string recipientName, string prefix, string keyName, string actor, DateTime at, DateTime expiresAt) =>
        Render($"A new API key was created: {prefix}… ({keyName})", recipientName,
            [
                $"{actor} created the API key {prefix}… ({keyName}) on {Date(at)} at {Time(at)} UTC. It is valid until {Date(expiresAt)}.",
                SecurityFooter,
            ],
            "Review your keys");

    public RenderedEmail KeyChanged(string recipientName, string prefix, string keyName, string actor, DateTime at, string changes) =>
        Render($"API key changed: {prefix}… ({keyName}) may now do more", recipientName,
            [
                $"{actor} changed the API key {prefix}… ({keyName}) on {Date(at)} at {Time(at)} UTC: {changes}.",
                SecurityFooter,
            ],
            "Review your keys");

    public RenderedEmail KeyRotated(string recipientName, string prefix, string keyName, string successorPrefix, string actor, DateTime at, DateTime graceEndsAt) =>
        Render($"API key rotated: {prefix}… ({keyName})", recipientName,
            [
                $"{actor} rotated the API key {prefix}… ({keyName}) on {Date(at)} at {Time(at)} UTC. Its successor is {successorPrefix}….",
                $"The old key keeps working until {Date(graceEndsAt)} at {Time(graceEndsAt)} UTC; switch your systems to the new key before then.",
                SecurityFooter,
            ],
            "Review your keys");

    /// <summary>Staff rotated a key on the organisation's behalf; its successor waits in the portal, shown once to whoever collects it.</summary>
    public RenderedEmail KeyHandoverOffered(string recipientName, string prefix, string keyName, DateTime at, DateTime graceEndsAt, DateTime collectBy,
        string reason) =>
        Render($"Collect your new API key: {keyName}", recipientName,
            [
                $"Idunox staff rotated your API key {prefix}… ({keyName}) on {Date(at)} at {Time(at)} UTC. Their reason: “{reason}”",
                $"The new key waits for you in the partner portal: open your keys and choose “Collect the key”. It is made at that moment and shown once, to " +
                "you only (nobody at Idunox has seen it); the first of your colleagues to collect it gets it.",
                $"The old key keeps working until {Date(graceEndsAt)} at {Time(graceEndsAt)} UTC; switch your systems to the new key before then. " +
                $"The new key can be collected until {Date(collectBy)}.",
                SecurityFooter,
            ],
            "Collect the key", $"{brand.PortalUrl.TrimEnd('/')}/keys");

    public RenderedEmail KeyRevoked(string recipientName, string prefix, string keyName, string actor, DateTime at) =>
        Render($"API key revoked: {prefix}… ({keyName})", recipientName,
            [
                $"{actor} revoked the API key {prefix}… ({keyName}) on {Date(at)} at {Time(at)} UTC. It no longer works.",
                SecurityFooter,
            ],
            "Review your keys");

    public RenderedEmail GraceEnded(string recipientName, string prefix, string keyName, DateTime endedAt) =>
        Render($"Rotated API key retired: {prefix}… ({keyName})", recipientName,
            [
                $"The grace period of the rotated API key {prefix}… ({keyName}) ended on {Date(endedAt)} at {Time(endedAt)} UTC. It no longer works; its successor does.",
            ],
            "Review your keys");

    /// <summary>Rotated keys of one organisation whose grace ended together: one notice listing them (one key reads as <see cref="GraceEnded"/>).</summary>
    public RenderedEmail GraceEndedDigest(string recipientName, IReadOnlyList<RetiredKeyLine> keys)
    {
        if (keys.Count == 1)
        {
            return GraceEnded(recipientName, keys[0].Prefix, keys[0].Name, keys[0].EndedAt);
        }

        var ordered = keys.OrderBy(k => k.EndedAt).ThenBy(k => k.Prefix, StringComparer.Ordinal).ToList();
        return Render($"{ordered.Count} rotated API keys retired", recipientName,
            [
                $"The grace periods of {ordered.Count} rotated API keys of your organisation ended. They no longer work; their successors do.",
            ],
            "Review your keys",
            list: ordered.Select(k => $"{k.Prefix}… ({k.Name}), grace ended on {Date(k.EndedAt)} at {Time(k.EndedAt)} UTC").ToList());
    }

    public RenderedEmail Invitation(string recipientName, string organisationName, Uri link, DateTime expiresAt) =>
        Render($"You are invited to the {brand.ProductName}", recipientName,
            [
                $"Idunox has given you access to the {brand.ProductName} for {organisationName}. There you create, rotate and revoke your organisation's API keys for the Idunox data API.",
                $"Choose your password with the button below. The link works once, until {Date(expiresAt)} at {Time(expiresAt)} UTC.",
                $"If you did not expect this, ignore this e-mail or tell {brand.SupportEmail}.",
            ],
            "Choose your password", link.ToString());

    public RenderedEmail StaffInvitation(string recipient, IReadOnlyList<string> roles, string invitedBy, Uri link, DateTime expiresAt) =>
        Render($"You are invited to the {brand.Name} staff area", recipient,
            [
                $"{invitedBy} invited you to the {brand.Name} staff area, where Idunox staff look after partner organisations, their users and keys " +
                $"(your roles: {string.Join(", ", roles)}).",
                $"Choose your password with the button below; then set up an authenticator app for two-factor sign-in. The link works once, until " +
                $"{Date(expiresAt)} at {Time(expiresAt)} UTC.",
                $"If you did not expect this, ignore this e-mail or tell {brand.SupportEmail}.",
            ],
            "Choose your password", link.ToString());

    public RenderedEmail PasswordReset(string recipientName, Uri link, DateTime expiresAt) =>
        Render($"Reset your {brand.ProductName} password", recipientName,
            [
                "Someone asked to reset the password of your partner portal account. If it was you, choose a new password with the button below.",
                $"The link works once, until {Date(expiresAt)} at {Time(expiresAt)} UTC. Your current password keeps working until you choose a new one.",
                $"If it was not you, ignore this e-mail; nothing changes. Tell {brand.SupportEmail} if it keeps happening.",
            ],
            "Choose a new password", link.ToString());

    public RenderedEmail SecurityNotice(string recipientName, SecurityNoticeKind kind, DateTime at, string? address, bool staff)
    {
        var account = staff ? "your Idunox staff account" : "your partner portal account";
        var when = $"on {Date(at)} at {Time(at)} UTC{(string.IsNullOrEmpty(address) ? string.Empty : $", from the address {address}")}";
        var (subject, what) = kind switch
        {
            SecurityNoticeKind.PasswordChanged => ("Your password was changed",
                $"The password of {account} was changed {when}. Every other session and access token of yours was signed out."),
            SecurityNoticeKind.PasswordResetWithLink => ("Your password was reset",
                $"A password reset link was used to choose a new password for {account} {when}. Every earlier session and access token of yours was signed out."),
            SecurityNoticeKind.SecondFactorReset => ("Your two-factor sign-in was reset",
                $"The authenticator and recovery codes of {account} were removed {when}. Your next sign-in sets up an authenticator app again."),
            SecurityNoticeKind.SessionEndedByStaff => ("One of your sessions was ended",
                $"Idunox staff signed out sessions of {account} {when}. Sign in again where you need to."),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        return Render($"{subject} · {brand.ProductName}", recipientName,
            [what, $"If this was not you or someone you asked, contact {brand.SupportEmail} at once."],
            staff ? "Open the staff area" : "Open the partner portal");
    }

    private string SecurityFooter => $"If you did not expect this, contact {brand.SupportEmail} at once.";

    private RenderedEmail Render(string subject, string recipientName, IReadOnlyList<string> paragraphs, string action, string? actionUrl = null,
        IReadOnlyList<string>? list = null)
    {
        var url = actionUrl ?? brand.PortalUrl;
        var items = list is { Count: > 0 } ? "\n\n" + string.Join("\n", list.Select(l => $"- {l}")) : string.Empty;
        var text = $"Hello {recipientName},\n\n{string.Join("\n\n", paragraphs)}{items}\n\n{action}: {url}\n\n-- \n{brand.ProductName}\n" +
                   $"Questions? {brand.SupportEmail}\n";
        var e = (string value) => WebUtility.HtmlEncode(value);
        var htmlList = list is { Count: > 0 } ? $"<ul>{string.Concat(list.Select(l => $"<li>{e(l)}</li>"))}</ul>" : string.Empty;
        var html = $"""
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>{e(subject)}</title></head>
            <body style="margin:0;padding:0;background:#f4f6f9;font-family:Segoe UI,Helvetica,Arial,sans-serif;color:#1c2430">
              <table role="presentation" width="100%" cellpadding="0" cellspacing="0"><tr><td align="center" style="padding:24px">
                <table role="presentation" width="600" cellpadding="0" cellspacing="0" style="background:#ffffff;border-radius:8px;overflow:hidden">
                  <tr><td style="background:{e(brand.PrimaryColor)};color:#ffffff;padding:16px 24px;font-size:18px;font-weight:600">{e(brand.ProductName)}</td></tr>
                  <tr><td style="padding:24px">
                    <p>Hello {e(recipientName)},</p>
                    {string.Concat(paragraphs.Select(p => $"<p>{e(p)}</p>"))}{htmlList}
                    <p><a href="{e(url)}" style="display:inline-block;background:{e(brand.PrimaryColor)};color:#ffffff;padding:10px 16px;border-radius:4px;text-decoration:none">{e(action)}</a></p>
                  </td></tr>
                  <tr><td style="padding:16px 24px;font-size:12px;color:#5b6675;border-top:1px solid #e3e7ee">{e(brand.Name)} · Questions? <a href="mailto:{e(brand.SupportEmail)}">{e(brand.SupportEmail)}</a></td></tr>
                </table>
              </td></tr></table>
            </body></html>
            """;
        return new RenderedEmail(subject, text, html);
    }

    private static string Days(int days) => days == 1 ? "1 day" : $"{days} days";

    private static string Date(DateTime value) => value.ToString("d MMMM yyyy", CultureInfo.InvariantCulture);

    private static string Time(DateTime value) => value.ToString("HH:mm", CultureInfo.InvariantCulture);
}
