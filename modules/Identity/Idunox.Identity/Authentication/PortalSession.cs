using System.Globalization;
using System.Security.Claims;
using Idunox.Identity.Contracts;
using Idunox.Identity.Persistence;
using Idunox.Identity.Sessions;
using Idunox.Identity.SignIn;
using Idunox.Shared;
using Idunox.Shared.MultiTenancy;
using Idunox.Shared.Security;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Idunox.Shared.Web.Sessions;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Idunox.Identity.Authentication;

/// <summary>
/// The partner portal's cookie session: HttpOnly, SameSite=Lax, Secure unless <c>Http:SecureCookies</c> is false (Development), 60 minutes idle and 12 hours
/// at most (<c>Portal:Session:*</c>). The cookie carries the id of a server-side session row (<see cref="IUserSessions"/>),
/// which keeps the idle and absolute limits and ends on sign-out, "sign out everywhere" or a sign-out from another
/// session — on every server at once. Every request also runs the same check as bearer tokens
/// (<see cref="PartnerAuthentication.SessionCheck"/>): disabling the user, suspending the organisation or changing the
/// password ends the session at once. The cookie opens only the portal's pages; the /v1 API accepts bearer tokens only.
/// </summary>
internal static class PortalSession
{
    public const string CookieName = "idunox.portal";
    public const string SignInPath = "/partner/sign-in";
    public const string HomePath = "/partner/keys";

    /// <summary>When the person signed in: the absolute limit counts from here, whatever sliding renewals happened.</summary>
    public const string SignedInAtClaim = "signed_in_at";


    public static void AddPortalSession(this IHostApplicationBuilder builder)
    {
        var settings = builder.Configuration.GetSection("Portal:Session");
        var idle = TimeSpan.FromMinutes(settings.GetValue("IdleMinutes", 60));
        var absolute = TimeSpan.FromHours(settings.GetValue("AbsoluteHours", 12));
        builder.Services.AddSingleton(new PortalSessionLimits(idle, absolute));
        builder.Services.AddClaimTenantStrategy(IdunoxAuthentication.PortalCookieScheme, TenantSources.PortalCookie);
        builder.AddCookieSession(Profile(absolute));
        builder.Services.AddAuthorizationBuilder().AddPolicy(IdunoxAuthentication.PortalPolicy, p => p
            .AddAuthenticationSchemes(IdunoxAuthentication.PortalCookieScheme)
            .RequireAuthenticatedUser()
            .RequireClaim(IdunoxClaimTypes.Tenant));
    }

    /// <summary>The portal's profile of the one cookie session: Lax (links from e-mails arrive signed in), the portal's paths.</summary>
    public static CookieSessionProfile Profile(TimeSpan absolute) => new(IdunoxAuthentication.PortalCookieScheme, CookieName, SameSiteMode.Lax, absolute,
        SignInPath, SignOutPath, SignInPath, ValidateAsync);

    public const string SignOutPath = "/partner/sign-out";

    /// <summary>Starts a session for a signed-in partner: a session row, and a cookie with its id and the claims a bearer token carries.</summary>
    public static async Task SignInAsync(HttpContext http, SignedIn signedIn)
    {
        var now = http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
        var limits = http.RequestServices.GetRequiredService<PortalSessionLimits>();
        var sessionId = await http.RequestServices.GetRequiredService<IUserSessions>().StartAsync(new SessionStart(SessionKinds.Portal,
            signedIn.User.Id, signedIn.Organisation.Id, http.Connection.RemoteIpAddress?.ToString(), http.Request.Headers.UserAgent.ToString(),
            limits.Idle, limits.Absolute), http.RequestAborted);
        var identity = new ClaimsIdentity(
        [
            new Claim(IdunoxClaimTypes.UserId, signedIn.User.Id.ToString()),
            new Claim(IdunoxClaimTypes.Email, signedIn.User.Email ?? string.Empty),
            new Claim(IdunoxClaimTypes.Tenant, signedIn.Organisation.Id.ToString()),
            new Claim(PartnerTokens.SecurityStampClaim, signedIn.User.SecurityStamp ?? string.Empty),
            new Claim(PartnerTokens.OrganisationStampClaim, signedIn.Organisation.SessionStamp),
            new Claim(SignedInAtClaim, now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)),
            new Claim(SessionCookies.SessionIdClaim, sessionId.ToString()),
        ], IdunoxAuthentication.PortalCookieScheme, IdunoxClaimTypes.Email, null);
        await http.SignInAsync(IdunoxAuthentication.PortalCookieScheme, new ClaimsPrincipal(identity),
            new AuthenticationProperties { IsPersistent = false, IssuedUtc = now });
    }

    /// <summary>Ends this browser's session: its row (so a copy of the cookie opens nothing) and its cookie.</summary>
    public static Task SignOutAsync(HttpContext http) => SessionCookies.SignOutAsync(http, IdunoxAuthentication.PortalCookieScheme);


    private static async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        var principal = context.Principal;
        var services = context.HttpContext.RequestServices;
        var valid = Guid.TryParse(principal?.FindFirst(IdunoxClaimTypes.UserId)?.Value, out var userId) &
                    Guid.TryParse(principal?.FindFirst(IdunoxClaimTypes.Tenant)?.Value, out var tenantId);
        valid = valid && SessionCookies.SessionIdOf(principal) is { } sessionId &&
                await services.GetRequiredService<IUserSessions>().CheckAsync(sessionId, userId, SessionKinds.Portal, activity: true,
                    context.HttpContext.RequestAborted);
        valid = valid && await PartnerAuthentication.SessionCheck.IsStillValidAsync(
            services.GetRequiredService<IdentityModuleDbContext>(), userId, tenantId,
            principal!.FindFirst(PartnerTokens.SecurityStampClaim)?.Value, principal.FindFirst(PartnerTokens.OrganisationStampClaim)?.Value,
            context.HttpContext.RequestAborted);
        if (!valid)
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(IdunoxAuthentication.PortalCookieScheme);
        }
    }
}

/// <summary>The portal session's limits (<c>Portal:Session:IdleMinutes</c>, <c>AbsoluteHours</c>), kept on each session row.</summary>
internal sealed record PortalSessionLimits(TimeSpan Idle, TimeSpan Absolute);
