using System.Globalization;
using System.Security.Claims;
using Idunox.Identity.Persistence;
using Idunox.Identity.SignIn;
using Idunox.Shared;
using Idunox.Shared.MultiTenancy;
using Idunox.Shared.Security;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Idunox.Identity.Authentication;

/// <summary>
/// The partner portal's cookie session: HttpOnly, SameSite=Lax, Secure unless <c>Http:SecureCookies</c> is false (Development), 60 minutes idle and 12 hours
/// at most (<c>Portal:Session:*</c>). Every request runs the same check as bearer tokens (<see cref="PartnerAuthentication.SessionCheck"/>):
/// disabling the user, suspending the organisation or changing the password ends the session at once. The cookie opens
/// only the portal's pages; the /v1 API accepts bearer tokens only.
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
        var secure = Idunox.Shared.Web.WebSurface.SecureCookies(builder);

        builder.Services.AddClaimTenantStrategy(IdunoxAuthentication.PortalCookieScheme, TenantSources.PortalCookie);
        builder.Services.Configure<Idunox.Shared.Web.WebSessionSchemes>(s => s.Add(IdunoxAuthentication.PortalCookieScheme));
        builder.Services.AddAuthentication().AddCookie(IdunoxAuthentication.PortalCookieScheme, o =>
        {
            o.Cookie.Name = CookieName;
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Lax;
            o.Cookie.SecurePolicy = secure ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;
            o.Cookie.Path = "/";
            o.Cookie.IsEssential = true;
            o.ExpireTimeSpan = idle;
            o.SlidingExpiration = true;
            o.LoginPath = SignInPath;
            o.LogoutPath = "/partner/sign-out";
            o.AccessDeniedPath = SignInPath;
            o.ReturnUrlParameter = "returnUrl";
            o.Events = new CookieAuthenticationEvents
            {
                OnValidatePrincipal = context => ValidateAsync(context, absolute),
            };
        });
        builder.Services.AddAuthorizationBuilder().AddPolicy(IdunoxAuthentication.PortalPolicy, p => p
            .AddAuthenticationSchemes(IdunoxAuthentication.PortalCookieScheme)
            .RequireAuthenticatedUser()
            .RequireClaim(IdunoxClaimTypes.Tenant));
    }

    /// <summary>Starts a session for a signed-in partner, with the same claims a bearer token carries.</summary>
    public static Task SignInAsync(HttpContext http, SignedIn signedIn)
    {
        var now = http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
        var identity = new ClaimsIdentity(
        [
            new Claim(IdunoxClaimTypes.UserId, signedIn.User.Id.ToString()),
            new Claim(IdunoxClaimTypes.Email, signedIn.User.Email ?? string.Empty),
            new Claim(IdunoxClaimTypes.Tenant, signedIn.Organisation.Id.ToString()),
            new Claim(PartnerTokens.SecurityStampClaim, signedIn.User.SecurityStamp ?? string.Empty),
            new Claim(PartnerTokens.OrganisationStampClaim, signedIn.Organisation.SessionStamp),
            new Claim(SignedInAtClaim, now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)),
        ], IdunoxAuthentication.PortalCookieScheme, IdunoxClaimTypes.Email, null);
        return http.SignInAsync(IdunoxAuthentication.PortalCookieScheme, new ClaimsPrincipal(identity),
            new AuthenticationProperties { IsPersistent = false, IssuedUtc = now });
    }

    public static Task SignOutAsync(HttpContext http) => http.SignOutAsync(IdunoxAuthentication.PortalCookieScheme);

    private static async Task ValidateAsync(CookieValidatePrincipalContext context, TimeSpan absolute)
    {
        var principal = context.Principal;
        var clock = context.HttpContext.RequestServices.GetRequiredService<TimeProvider>();
        var valid = Guid.TryParse(principal?.FindFirst(IdunoxClaimTypes.UserId)?.Value, out var userId) &
                    Guid.TryParse(principal?.FindFirst(IdunoxClaimTypes.Tenant)?.Value, out var tenantId) &
                    long.TryParse(principal?.FindFirst(SignedInAtClaim)?.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var signedInAt);
        valid = valid && clock.GetUtcNow() - DateTimeOffset.FromUnixTimeSeconds(signedInAt) < absolute;
        valid = valid && await PartnerAuthentication.SessionCheck.IsStillValidAsync(
            context.HttpContext.RequestServices.GetRequiredService<IdentityModuleDbContext>(), userId, tenantId,
            principal!.FindFirst(PartnerTokens.SecurityStampClaim)?.Value, principal.FindFirst(PartnerTokens.OrganisationStampClaim)?.Value,
            context.HttpContext.RequestAborted);
        if (!valid)
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(IdunoxAuthentication.PortalCookieScheme);
        }
    }
}
