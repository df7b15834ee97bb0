using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Idunox.Identity.Users;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;

namespace Idunox.Identity.Onboarding;

/// <summary>
/// One-time links for portal users (an invitation, a password reset) and staff (an invitation): a Data Protection token, like ASP.NET Core
/// Identity's, bound to the user's security stamp and to its purpose, with an expiry by the host's clock. Choosing a
/// password renews the stamp, so a link works once; a newer link, a disabled user or another password change void it.
/// Nothing is stored: any server with the shared key ring can check a link.
/// </summary>
internal sealed class PartnerLinks(IDataProtectionProvider protection, TimeProvider clock, IOptions<Idunox.Shared.Configuration.PortalSettings> portal)
{
    public const string Invitation = "invitation";
    public const string PasswordReset = "password-reset";
    public const string StaffInvitation = "staff-invitation";
    public const int MaxTokenLength = 1024;

    public static TimeSpan LifetimeOf(string purpose) => purpose is Invitation or StaffInvitation ? TimeSpan.FromHours(72) : TimeSpan.FromHours(2);

    private IDataProtector Protector => protection.CreateProtector("Idunox.Identity.PartnerLinks.v1");

    public (Uri Link, DateTime ExpiresAt) Create(PartnerUser user, string purpose) =>
        Create(user.Id, user.SecurityStamp, purpose, $"{portal.Value.Urls.Portal.TrimEnd('/')}/{(purpose == Invitation ? "welcome" : "reset-password")}");

    /// <summary>A staff invitation: the staff area's welcome page, where the member chooses a password and then enrols an authenticator.</summary>
    public (Uri Link, DateTime ExpiresAt) CreateForStaff(StaffUser user) =>
        Create(user.Id, user.SecurityStamp, StaffInvitation, $"{portal.Value.Urls.Admin.TrimEnd('/')}/welcome");

    private (Uri Link, DateTime ExpiresAt) Create(Guid userId, string? securityStamp, string purpose, string page)
    {
        var expires = clock.GetUtcNow().UtcDateTime + LifetimeOf(purpose);
        var payload = string.Join('|', purpose, userId.ToString("N"), securityStamp, expires.Ticks.ToString(CultureInfo.InvariantCulture));
        var token = WebEncoders.Base64UrlEncode(Protector.Protect(Encoding.UTF8.GetBytes(payload)));
        return (new Uri($"{page}?token={token}"), expires);
    }

    /// <summary>What a token says, if it is one of ours for this purpose; whether it has expired is the caller's to check.</summary>
    public LinkToken? Read(string? token, string purpose)
    {
        if (string.IsNullOrEmpty(token) || token.Length > MaxTokenLength)
        {
            return null;
        }

        try
        {
            var parts = Encoding.UTF8.GetString(Protector.Unprotect(WebEncoders.Base64UrlDecode(token))).Split('|');
            return parts.Length == 4 && parts[0] == purpose && Guid.TryParseExact(parts[1], "N", out var userId) &&
                   long.TryParse(parts[3], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
                ? new LinkToken(userId, parts[2], new DateTime(ticks, DateTimeKind.Utc))
                : null;
        }
        catch (Exception e) when (e is CryptographicException or FormatException)
        {
            return null; // not ours, altered, or cut short
        }
    }
}

internal sealed record LinkToken(Guid UserId, string SecurityStamp, DateTime ExpiresAt);
