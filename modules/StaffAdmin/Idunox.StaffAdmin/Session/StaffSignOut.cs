using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Idunox.StaffAdmin.Session;

/// <summary><c>POST /admin/sign-out</c> (a form with its antiforgery token): ends the staff session.</summary>
internal static class StaffSignOut
{
    public static void Map(IEndpointRouteBuilder routes) =>
        routes.MapPost("/admin/sign-out", Handle).AllowAnonymous().ExcludeFromDescription();

    private static async Task<IResult> Handle(HttpContext http, IAntiforgery antiforgery)
    {
        if (!await Idunox.Shared.Web.WebSurface.IsFormFromOurPageAsync(http, antiforgery))
        {
            return TypedResults.Redirect(StaffSession.HomePath);
        }

        await StaffSession.SignOutAsync(http);
        return TypedResults.Redirect($"{StaffSession.SignInPath}?signedOut=1");
    }
}
