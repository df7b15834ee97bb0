using Idunox.Identity.Contracts;
using Idunox.Identity.Authentication;
using Idunox.Shared.Web;
using Microsoft.AspNetCore.Http;

namespace Idunox.Identity.Staff;

/// <summary>The steps of a staff sign-in and where each one leads: password, then enrolment or a code, then the page asked for.</summary>
internal static class StaffSignInFlow
{
    public static string Destination(string? returnUrl) =>
        LocalUrl.Or(returnUrl, string.Empty, "/admin/") is { Length: > 0 } admin ? admin : LocalUrl.Or(returnUrl, StaffSession.HomePath, "/hangfire/");

    /// <summary>After the password: a code (or enrolment first) when a second factor is required or enrolled, else the session.</summary>
    public static async Task<string> AfterPasswordAsync(HttpContext http, StaffMember member, bool requireTwoFactor, string? returnUrl)
    {
        var back = string.IsNullOrEmpty(returnUrl) ? string.Empty : $"?returnUrl={Uri.EscapeDataString(returnUrl)}";
        if (member.HasAuthenticator)
        {
            await StaffSession.BeginSecondStepAsync(http, member);
            return StaffSession.CodePath + back;
        }

        if (requireTwoFactor)
        {
            await StaffSession.BeginSecondStepAsync(http, member);
            return StaffSession.EnrolPath + back;
        }

        await StaffSession.SignInAsync(http, member, secondFactor: false);
        return Destination(returnUrl);
    }
}
