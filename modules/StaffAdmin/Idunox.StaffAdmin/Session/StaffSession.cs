using System.Globalization;
using System.Security.Claims;
using Idunox.Identity.Contracts;
using Idunox.Shared;
using Idunox.Shared.Security;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Idunox.StaffAdmin.Session;

/// <summary>
/// The staff area's cookie session, apart from the portal's: its own cookie (<c>idunox.admin</c>), issued only after the
/// second factor (when <c>Admin:RequireTwoFactor</c>), 30 minutes idle and 8 hours at most (<c>Admin:Session:*</c>).
/// Every request checks the member against the database (enabled, same security stamp) and takes its current roles.
/// Between password and code a short-lived pending cookie (<c>idunox.admin.pending</c>, sign-in pages only) carries
/// who passed the password step.
/// </summary>
internal static class StaffSession
{
    public const string CookieName = "idunox.admin";
    public const string PendingCookieName = "idunox.admin.pending";
    public const string SignInPath = "/admin/sign-in";
    public const string CodePath = "/admin/sign-in/code";
    public const string EnrolPath = "/admin/sign-in/authenticator";
    public const string HomePath = "/admin";
    public const string SignedInAtClaim = "signed_in_at";
    public const string SecurityStampClaim = "stamp";

    /// <summary>How the session was opened: <c>pwd</c>, or <c>pwd mfa</c> after the second factor.</summary>
    public const string MethodsClaim = "amr";

    public static void AddStaffSession(this IHostApplicationBuilder builder)
    {
        var settings = builder.Configuration.GetSection("Admin:Session");
        var idle = TimeSpan.FromMinutes(settings.GetValue("IdleMinutes", 30));
        var absolute = TimeSpan.FromHours(settings.GetValue("AbsoluteHours", 8));
        var secure = Idunox.Shared.Web.WebSurface.SecureCookies(builder);
        var policy = secure ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;

        builder.Services.Configure<Idunox.Shared.Web.WebSessionSchemes>(s => s.Add(IdunoxAuthentication.StaffCookieScheme));
        builder.Services.AddAuthentication()
            .AddCookie(IdunoxAuthentication.StaffCookieScheme, o =>
            {
                o.Cookie.Name = CookieName;
                o.Cookie.HttpOnly = true;
                // Strict: no link from another site arrives signed in to the staff area.
                o.Cookie.SameSite = SameSiteMode.Strict;
                o.Cookie.SecurePolicy = policy;
                o.Cookie.Path = "/";
                o.Cookie.IsEssential = true;
                o.ExpireTimeSpan = idle;
                o.SlidingExpiration = true;
                o.LoginPath = SignInPath;
                o.LogoutPath = "/admin/sign-out";
                o.AccessDeniedPath = "/admin/not-allowed";
                o.ReturnUrlParameter = "returnUrl";
                o.Events = new CookieAuthenticationEvents
                {
                    OnValidatePrincipal = context => ValidateAsync(context, absolute),
                    OnRedirectToLogin = context => RedirectOrRefuse(context, StatusCodes.Status401Unauthorized),
                    OnRedirectToAccessDenied = context => RedirectOrRefuse(context, StatusCodes.Status403Forbidden),
                };
            })
            .AddCookie(IdunoxAuthentication.StaffPendingScheme, o =>
            {
                o.Cookie.Name = PendingCookieName;
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Strict;
                o.Cookie.SecurePolicy = policy;
                o.Cookie.Path = SignInPath;
                o.Cookie.IsEssential = true;
                o.ExpireTimeSpan = TimeSpan.FromMinutes(10);
                o.SlidingExpiration = false;
                o.LoginPath = SignInPath;
            });
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(IdunoxAuthentication.StaffPolicy, p => p
                .AddAuthenticationSchemes(IdunoxAuthentication.StaffCookieScheme)
                .RequireAuthenticatedUser()
                .RequireClaim(IdunoxAuthentication.RoleClaim, StaffRoles.Staff))
            .AddPolicy(IdunoxAuthentication.OpsPolicy, p => p
                .AddAuthenticationSchemes(IdunoxAuthentication.StaffCookieScheme)
                .RequireAuthenticatedUser()
                .RequireClaim(IdunoxAuthentication.RoleClaim, StaffRoles.Ops));
    }

    /// <summary>Browsers are sent to the sign-in page; anything else (a script, the dashboard's API) gets the status.</summary>
    private static Task RedirectOrRefuse(RedirectContext<CookieAuthenticationOptions> context, int status)
    {
        var accept = context.Request.Headers.Accept.ToString();
        if (HttpMethods.IsGet(context.Request.Method) && accept.Contains("text/html", StringComparison.OrdinalIgnoreCase))
        {
            context.Response.Redirect(context.RedirectUri);
        }
        else
        {
            context.Response.StatusCode = status;
        }

        return Task.CompletedTask;
    }

    /// <summary>Starts the staff session once every step that is required has passed.</summary>
    public static async Task SignInAsync(HttpContext http, StaffMember member, bool secondFactor)
    {
        var now = http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
        var identity = new ClaimsIdentity(IdentityClaims(member, secondFactor, now.ToUnixTimeSeconds()),
            IdunoxAuthentication.StaffCookieScheme, IdunoxClaimTypes.Email, IdunoxAuthentication.RoleClaim);
        await http.SignOutAsync(IdunoxAuthentication.StaffPendingScheme);
        await http.SignInAsync(IdunoxAuthentication.StaffCookieScheme, new ClaimsPrincipal(identity),
            new AuthenticationProperties { IsPersistent = false, IssuedUtc = now });
    }

    /// <summary>Remembers, for ten minutes and on the sign-in pages only, who passed the password step.</summary>
    public static Task BeginSecondStepAsync(HttpContext http, StaffMember member)
    {
        var identity = new ClaimsIdentity(
        [
            new Claim(IdunoxClaimTypes.UserId, member.Id.ToString()),
            new Claim(IdunoxClaimTypes.Email, member.Email),
        ], IdunoxAuthentication.StaffPendingScheme, IdunoxClaimTypes.Email, null);
        return http.SignInAsync(IdunoxAuthentication.StaffPendingScheme, new ClaimsPrincipal(identity));
    }

    /// <summary>The member between password and code, or null.</summary>
    public static async Task<(Guid Id, string Email)?> PendingAsync(HttpContext http)
    {
        var result = await http.AuthenticateAsync(IdunoxAuthentication.StaffPendingScheme);
        return result.Succeeded && Guid.TryParse(result.Principal.FindFirst(IdunoxClaimTypes.UserId)?.Value, out var id)
            ? (id, result.Principal.FindFirst(IdunoxClaimTypes.Email)?.Value ?? string.Empty)
            : null;
    }

    public static async Task SignOutAsync(HttpContext http)
    {
        await http.SignOutAsync(IdunoxAuthentication.StaffPendingScheme);
        await http.SignOutAsync(IdunoxAuthentication.StaffCookieScheme);
    }

    /// <summary>The signed-in staff member of this request (the staff cookie's principal), if any.</summary>
    public static async Task<ClaimsPrincipal?> MemberAsync(HttpContext http)
    {
        if (http.User.Identities.Any(i => i.IsAuthenticated && i.AuthenticationType == IdunoxAuthentication.StaffCookieScheme))
        {
            return http.User;
        }

        var result = await http.AuthenticateAsync(IdunoxAuthentication.StaffCookieScheme);
        return result.Succeeded ? result.Principal : null;
    }

    private static List<Claim> IdentityClaims(StaffMember member, bool secondFactor, long signedInAt)
    {
        var claims = new List<Claim>
        {
            new(IdunoxClaimTypes.UserId, member.Id.ToString()),
            new(IdunoxClaimTypes.Email, member.Email),
            new(SecurityStampClaim, member.SecurityStamp),
            new(SignedInAtClaim, signedInAt.ToString(CultureInfo.InvariantCulture)),
            new(MethodsClaim, secondFactor ? "pwd mfa" : "pwd"),
        };
        claims.AddRange(member.Roles.Select(r => new Claim(IdunoxAuthentication.RoleClaim, r)));
        return claims;
    }

    private static async Task ValidateAsync(CookieValidatePrincipalContext context, TimeSpan absolute)
    {
        var principal = context.Principal!;
        var services = context.HttpContext.RequestServices;
        var clock = services.GetRequiredService<TimeProvider>();
        var requireTwoFactor = services.GetRequiredService<Microsoft.Extensions.Options.IOptions<AdminOptions>>().Value.RequireTwoFactor;
        var valid = Guid.TryParse(principal.FindFirst(IdunoxClaimTypes.UserId)?.Value, out var userId) &
                    long.TryParse(principal.FindFirst(SignedInAtClaim)?.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var signedInAt);
        var mfa = principal.FindFirst(MethodsClaim)?.Value == "pwd mfa";
        valid = valid && clock.GetUtcNow() - DateTimeOffset.FromUnixTimeSeconds(signedInAt) < absolute && (mfa || !requireTwoFactor);
        var member = valid
            ? await services.GetRequiredService<IStaffAccounts>().FindSessionMemberAsync(userId, principal.FindFirst(SecurityStampClaim)?.Value,
                context.HttpContext.RequestAborted)
            : null;
        if (member is null)
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(IdunoxAuthentication.StaffCookieScheme);
            return;
        }

        // Roles are the member's roles now, not when the session started.
        var roles = principal.FindAll(IdunoxAuthentication.RoleClaim).Select(c => c.Value).Order(StringComparer.Ordinal);
        if (!roles.SequenceEqual(member.Roles))
        {
            var identity = new ClaimsIdentity(IdentityClaims(member, mfa, signedInAt), IdunoxAuthentication.StaffCookieScheme,
                IdunoxClaimTypes.Email, IdunoxAuthentication.RoleClaim);
            context.ReplacePrincipal(new ClaimsPrincipal(identity));
            context.ShouldRenew = true;
        }
    }
}

/// <summary><c>Admin:*</c>: how staff sign in.</summary>
internal sealed class AdminOptions
{
    public const string SectionName = "Admin";

    /// <summary>Staff must use an authenticator app (TOTP) after their password. Cannot be turned off in Production.</summary>
    public bool RequireTwoFactor { get; set; } = true;
}
