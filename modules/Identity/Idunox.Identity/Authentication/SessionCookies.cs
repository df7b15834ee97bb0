using System.Security.Claims;
using Idunox.Identity.Contracts;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Idunox.Identity.Authentication;

/// <summary>What both areas' cookie sessions (<see cref="PortalSession"/>, <see cref="StaffSession"/>) do alike with their session row.</summary>
internal static class SessionCookies
{
    /// <summary>The claim with the id of the session's row.</summary>
    public const string SessionIdClaim = "sid";

    /// <summary>The session row a principal's cookie carries, if any.</summary>
    public static Guid? SessionIdOf(ClaimsPrincipal? principal) =>
        Guid.TryParse(principal?.FindFirst(SessionIdClaim)?.Value, out var id) ? id : null;

    /// <summary>Ends this browser's session of <paramref name="scheme"/>: its row (so a copy of the cookie opens nothing), then its cookies.</summary>
    public static async Task SignOutAsync(HttpContext http, string scheme, params string[] alsoSignOutOf)
    {
        var result = await http.AuthenticateAsync(scheme);
        if (SessionIdOf(result.Principal) is { } sessionId)
        {
            await http.RequestServices.GetRequiredService<IUserSessions>().EndAsync(sessionId, Sessions.UserSessions.SignedOut, http.RequestAborted);
        }

        foreach (var other in alsoSignOutOf)
        {
            await http.SignOutAsync(other);
        }

        await http.SignOutAsync(scheme);
    }
}
