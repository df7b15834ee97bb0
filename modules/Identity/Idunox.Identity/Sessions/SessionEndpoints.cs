using Idunox.Identity.Authentication;
using Idunox.Identity.Contracts;
using Idunox.Identity.Users;
using Idunox.Shared;
using Idunox.Shared.Security;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Routing;

namespace Idunox.Identity.Sessions;

/// <summary>
/// The account page's session forms (each with its antiforgery token): <c>POST /partner/sessions/{id}/sign-out</c> ends
/// one of the signed-in user's own sessions; <c>POST /partner/sessions/sign-out-everywhere</c> ends all of them, this
/// one included, and renews the security stamp, so access tokens issued to the user's scripts stop working too.
/// </summary>
internal static class SessionEndpoints
{
    public const string AccountPath = "/partner/account";

    public static void Map(IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/partner/sessions").RequireAuthorization(IdunoxAuthentication.PortalPolicy).ExcludeFromDescription();
        group.MapPost("/{id}/sign-out", EndOneAsync);
        group.MapPost("/sign-out-everywhere", EndAllAsync);
    }

    private static async Task<IResult> EndOneAsync(string id, HttpContext http, IAntiforgery antiforgery, IUserSessions sessions)
    {
        if (!await Idunox.Shared.Web.WebSurface.IsFormFromOurPageAsync(http, antiforgery))
        {
            return TypedResults.Redirect(AccountPath);
        }

        var userId = Guid.Parse(http.User.FindFirst(IdunoxClaimTypes.UserId)!.Value);
        // Only the user's own sessions: another user's id (of this organisation or any other) is "not found".
        var ended = Guid.TryParse(id, out var sessionId) &&
                    await sessions.EndOwnAsync(userId, SessionKinds.Portal, sessionId, UserSessions.EndedByOwner, http.RequestAborted);
        if (ended && sessionId == SessionCookies.SessionIdOf(http.User))
        {
            await http.SignOutAsync(IdunoxAuthentication.PortalCookieScheme);
            return TypedResults.Redirect($"{PortalSession.SignInPath}?signedOut=1");
        }

        return TypedResults.Redirect($"{AccountPath}?{(ended ? "sessionEnded=1" : "sessionNotFound=1")}#sessions");
    }

    private static async Task<IResult> EndAllAsync(HttpContext http, IAntiforgery antiforgery, IUserSessions sessions, UserManager<PartnerUser> users)
    {
        if (!await Idunox.Shared.Web.WebSurface.IsFormFromOurPageAsync(http, antiforgery))
        {
            return TypedResults.Redirect(AccountPath);
        }

        var userId = Guid.Parse(http.User.FindFirst(IdunoxClaimTypes.UserId)!.Value);
        await sessions.EndAllAsync(userId, SessionKinds.Portal, UserSessions.EverywhereReason, http.RequestAborted);
        if (await users.FindByIdAsync(userId.ToString()) is { } user)
        {
            await users.UpdateSecurityStampAsync(user); // ends the user's access tokens as well
        }

        await http.SignOutAsync(IdunoxAuthentication.PortalCookieScheme);
        return TypedResults.Redirect($"{PortalSession.SignInPath}?signedOut=everywhere");
    }
}
