using Idunox.Identity.Authentication;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Idunox.Identity.SignIn;

/// <summary><c>POST /partner/sign-out</c> (a form with its antiforgery token): ends the portal session.</summary>
internal static class SignOut
{
    public static void Map(IEndpointRouteBuilder routes) =>
        routes.MapPost("/partner/sign-out", Handle).AllowAnonymous().ExcludeFromDescription();

    private static async Task<IResult> Handle(HttpContext http, IAntiforgery antiforgery)
    {
        if (!await Idunox.Shared.Web.WebSurface.IsFormFromOurPageAsync(http, antiforgery))
        {
            // A sign-out from another site is refused; the person can sign out from the page itself.
            return TypedResults.Redirect(PortalSession.HomePath);
        }

        await PortalSession.SignOutAsync(http);
        return TypedResults.Redirect($"{PortalSession.SignInPath}?signedOut=1");
    }
}
