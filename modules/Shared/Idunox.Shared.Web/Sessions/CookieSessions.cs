using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Idunox.Shared.Web.Sessions;

/// <summary>
/// What differs between the two areas' cookie sessions (the partner portal's and the staff area's): the scheme, the
/// cookie's name and SameSite mode, the absolute limit, the area's paths and the per-request check. Everything else is
/// the same for both and set once by <see cref="CookieSessions.AddCookieSession"/>.
/// </summary>
public sealed record CookieSessionProfile(
    string Scheme,
    string CookieName,
    SameSiteMode SameSite,
    TimeSpan Absolute,
    string SignInPath,
    string SignOutPath,
    string AccessDeniedPath,
    Func<CookieValidatePrincipalContext, Task> ValidateAsync)
{
    /// <summary>Where an unauthenticated request goes (default: a redirect to <see cref="SignInPath"/>).</summary>
    public Func<RedirectContext<CookieAuthenticationOptions>, Task>? OnRedirectToLogin { get; init; }

    /// <summary>Where a signed-in request without the right goes (default: a redirect to <see cref="AccessDeniedPath"/>).</summary>
    public Func<RedirectContext<CookieAuthenticationOptions>, Task>? OnRedirectToAccessDenied { get; init; }
}

/// <summary>The one cookie-session builder of the web areas, and their sign-out endpoint.</summary>
public static class CookieSessions
{
    /// <summary>
    /// A server-backed cookie session: HttpOnly, <c>__Host-</c> and Secure when cookies are HTTPS-only
    /// (<see cref="WebSurface.SecureCookies"/>), path <c>/</c>, living as long as the absolute limit and never renewed by
    /// itself (the session row keeps the idle limit, so activity needs no new cookie and an ended row ends the session
    /// wherever the cookie was copied to). Its scheme joins <see cref="WebSessionSchemes"/> for the shared form check.
    /// </summary>
    public static AuthenticationBuilder AddCookieSession(this IHostApplicationBuilder builder, CookieSessionProfile profile)
    {
        var secure = WebSurface.SecureCookies(builder);
        builder.Services.Configure<WebSessionSchemes>(s => s.Add(profile.Scheme));
        return builder.Services.AddAuthentication().AddCookie(profile.Scheme, o =>
        {
            // __Host-: sent only over HTTPS, only to this host, for every path; a sibling subdomain cannot plant or overwrite it.
            o.Cookie.Name = WebSurface.CookieName(profile.CookieName, secure);
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = profile.SameSite;
            o.Cookie.SecurePolicy = secure ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;
            o.Cookie.Path = "/";
            o.Cookie.IsEssential = true;
            o.ExpireTimeSpan = profile.Absolute;
            o.SlidingExpiration = false;
            o.LoginPath = profile.SignInPath;
            o.LogoutPath = profile.SignOutPath;
            o.AccessDeniedPath = profile.AccessDeniedPath;
            o.ReturnUrlParameter = "returnUrl";
            o.Events = new CookieAuthenticationEvents { OnValidatePrincipal = profile.ValidateAsync };
            if (profile.OnRedirectToLogin is { } toLogin)
            {
                o.Events.OnRedirectToLogin = toLogin;
            }

            if (profile.OnRedirectToAccessDenied is { } toDenied)
            {
                o.Events.OnRedirectToAccessDenied = toDenied;
            }
        });
    }

    /// <summary>
    /// <c>POST {signOutPath}</c> (a form with its antiforgery token): ends the area's session with
    /// <paramref name="signOutAsync"/> and goes to the sign-in page; a sign-out posted from another site is refused (back
    /// to <paramref name="homePath"/>, where the person can sign out from the page itself).
    /// </summary>
    public static void MapSignOut(this IEndpointRouteBuilder routes, string signOutPath, string signInPath, string homePath,
        Func<HttpContext, Task> signOutAsync) =>
        routes.MapPost(signOutPath, async (HttpContext http, IAntiforgery antiforgery) =>
            {
                if (!await WebSurface.IsFormFromOurPageAsync(http, antiforgery))
                {
                    return Results.Redirect(homePath);
                }

                await signOutAsync(http);
                return Results.Redirect($"{signInPath}?signedOut=1");
            })
            .AllowAnonymous().ExcludeFromDescription();
}
