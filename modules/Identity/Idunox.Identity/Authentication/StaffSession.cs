using System.Globalization;
using System.Security.Claims;
using Idunox.Identity.Contracts;
using Idunox.Shared;
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
/// The staff area's cookie session, apart from the portal's: its own cookie (<c>idunox.admin</c>), issued only after the
/// second factor (when <c>Admin:RequireTwoFactor</c>), 30 minutes idle and 8 hours at most (<c>Admin:Session:*</c>).
/// The cookie carries the id of a server-side session row (<see cref="IUserSessions"/>) that keeps both limits and ends
/// on sign-out on every server at once; the job dashboard's background polling does not count as activity.
/// Every request checks the member against the database (enabled, same security stamp) and takes its current roles.
/// Between password and code a short-lived pending cookie (<c>idunox.admin.pending</c>, sign-in pages only) carries
/// who passed the password step.
/// </summary>
internal static class StaffSession
{
    public const string CookieName = "idunox.admin";
    public const string PendingCookieName = "idunox.admin.pending";
    public const string SignInPath = StaffPaths.SignIn;
    public const string CodePath = "/admin/sign-in/code";
    public const string EnrolPath = "/admin/sign-in/authenticator";
    public const string HomePath = StaffPaths.Home;
    public const string SignedInAtClaim = "signed_in_at";
    public const string SecurityStampClaim = "stamp";
    private const string EnrolmentKeyClaim = "enrol_key";

    /// <summary>How the session was opened: <c>pwd</c>, or <c>pwd mfa</c> after the second factor.</summary>
    public const string MethodsClaim = "amr";

    public static void AddStaffSession(this IHostApplicationBuilder builder)
    {
        var settings = builder.Configuration.GetSection("Admin:Session");
        var idle = TimeSpan.FromMinutes(settings.GetValue("IdleMinutes", 30));
        var absolute = TimeSpan.FromHours(settings.GetValue("AbsoluteHours", 8));
        var secure = Idunox.Shared.Web.WebSurface.SecureCookies(builder);
        var policy = secure ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;

        builder.Services.AddSingleton(new StaffSessionLimits(idle, absolute));
        builder.AddCookieSession(Profile(absolute))
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
                .RequireClaim(IdunoxAuthentication.RoleClaim, StaffRoles.Ops))
            .AddPolicy(IdunoxAuthentication.AdminPolicy, p => p
                .AddAuthenticationSchemes(IdunoxAuthentication.StaffCookieScheme)
                .RequireAuthenticatedUser()
                .RequireClaim(IdunoxAuthentication.RoleClaim, StaffRoles.Admin));
    }

    /// <summary>
    /// The staff area's profile of the one cookie session: Strict (no link from another site arrives signed in to the
    /// staff area), its own paths, and scripts get a status where browsers get the sign-in page.
    /// </summary>
    public static CookieSessionProfile Profile(TimeSpan absolute) => new(IdunoxAuthentication.StaffCookieScheme, CookieName, SameSiteMode.Strict, absolute,
        SignInPath, SignOutPath, "/admin/not-allowed", ValidateAsync)
    {
        OnRedirectToLogin = context => RedirectOrRefuse(context, StatusCodes.Status401Unauthorized),
        OnRedirectToAccessDenied = context => RedirectOrRefuse(context, StatusCodes.Status403Forbidden),
    };

    public const string SignOutPath = "/admin/sign-out";

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

    /// <summary>
    /// Starts the staff session once every step that is required has passed. <paramref name="continuing"/> (the sign-in
    /// time of the session this one replaces, after a password change) keeps that session's second factor and its
    /// absolute limit: a new session never outlives the sign-in it continues.
    /// </summary>
    public static async Task SignInAsync(HttpContext http, StaffMember member, bool secondFactor, DateTimeOffset? continuing = null)
    {
        var now = http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
        var limits = http.RequestServices.GetRequiredService<StaffSessionLimits>();
        var signedInAt = continuing is { } since && since <= now ? since : now;
        var absolute = limits.Absolute - (now - signedInAt);
        var sessionId = await http.RequestServices.GetRequiredService<IUserSessions>().StartAsync(new SessionStart(SessionKinds.Staff, member.Id,
            null, http.Connection.RemoteIpAddress?.ToString(), http.Request.Headers.UserAgent.ToString(), limits.Idle,
            absolute > TimeSpan.FromMinutes(1) ? absolute : TimeSpan.FromMinutes(1)), http.RequestAborted);
        var identity = new ClaimsIdentity(IdentityClaims(member, secondFactor, signedInAt.ToUnixTimeSeconds(), sessionId),
            IdunoxAuthentication.StaffCookieScheme, IdunoxClaimTypes.Email, IdunoxAuthentication.RoleClaim);
        await http.SignOutAsync(IdunoxAuthentication.StaffPendingScheme);
        await http.SignInAsync(IdunoxAuthentication.StaffCookieScheme, new ClaimsPrincipal(identity),
            new AuthenticationProperties { IsPersistent = false, IssuedUtc = now, ExpiresUtc = signedInAt + limits.Absolute });
    }

    /// <summary>When the session of <paramref name="principal"/> was signed in to (its second factor included), if it says.</summary>
    public static DateTimeOffset? SignedInAt(ClaimsPrincipal principal) =>
        long.TryParse(principal.FindFirst(SignedInAtClaim)?.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : null;

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

    /// <summary>
    /// Keeps the authenticator key of this enrolment attempt in the pending cookie (encrypted by Data Protection, on the
    /// sign-in pages only, gone after the same ten minutes): the key belongs to this browser and this attempt, and is
    /// stored for the member only when a code made with it completes the enrolment.
    /// </summary>
    public static async Task RememberEnrolmentKeyAsync(HttpContext http, string key)
    {
        var result = await http.AuthenticateAsync(IdunoxAuthentication.StaffPendingScheme);
        if (!result.Succeeded)
        {
            return;
        }

        var identity = new ClaimsIdentity(result.Principal.Claims.Where(c => c.Type != EnrolmentKeyClaim).Append(new Claim(EnrolmentKeyClaim, key)),
            IdunoxAuthentication.StaffPendingScheme, IdunoxClaimTypes.Email, null);
        await http.SignInAsync(IdunoxAuthentication.StaffPendingScheme, new ClaimsPrincipal(identity),
            new AuthenticationProperties { IssuedUtc = result.Properties.IssuedUtc, ExpiresUtc = result.Properties.ExpiresUtc });
    }

    /// <summary>The member between password and code (with the key of an enrolment in progress, if any), or null.</summary>
    public static async Task<PendingMember?> PendingAsync(HttpContext http)
    {
        var result = await http.AuthenticateAsync(IdunoxAuthentication.StaffPendingScheme);
        return result.Succeeded && Guid.TryParse(result.Principal.FindFirst(IdunoxClaimTypes.UserId)?.Value, out var id)
            ? new PendingMember(id, result.Principal.FindFirst(IdunoxClaimTypes.Email)?.Value ?? string.Empty,
                result.Principal.FindFirst(EnrolmentKeyClaim)?.Value)
            : null;
    }

    public static Task SignOutAsync(HttpContext http) => SessionCookies.SignOutAsync(http, IdunoxAuthentication.StaffCookieScheme, IdunoxAuthentication.StaffPendingScheme);

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


    private static List<Claim> IdentityClaims(StaffMember member, bool secondFactor, long signedInAt, Guid sessionId)
    {
        var claims = new List<Claim>
        {
            new(IdunoxClaimTypes.UserId, member.Id.ToString()),
            new(IdunoxClaimTypes.Email, member.Email),
            new(SecurityStampClaim, member.SecurityStamp),
            new(SignedInAtClaim, signedInAt.ToString(CultureInfo.InvariantCulture)),
            new(MethodsClaim, secondFactor ? "pwd mfa" : "pwd"),
            new(SessionCookies.SessionIdClaim, sessionId.ToString()),
        };
        claims.AddRange(member.Roles.Select(r => new Claim(IdunoxAuthentication.RoleClaim, r)));
        return claims;
    }

    /// <summary>
    /// The job dashboard's own background requests (its statistics, polled every few seconds while the page is open):
    /// they keep nobody's session alive.
    /// </summary>
    public static bool IsBackgroundPolling(HttpRequest request) =>
        request.Path.StartsWithSegments("/hangfire/stats", StringComparison.OrdinalIgnoreCase);

    private static async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        var principal = context.Principal!;
        var services = context.HttpContext.RequestServices;
        var requireTwoFactor = services.GetRequiredService<Microsoft.Extensions.Options.IOptions<AdminOptions>>().Value.RequireTwoFactor;
        var valid = Guid.TryParse(principal.FindFirst(IdunoxClaimTypes.UserId)?.Value, out var userId) &
                    long.TryParse(principal.FindFirst(SignedInAtClaim)?.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var signedInAt);
        var mfa = principal.FindFirst(MethodsClaim)?.Value == "pwd mfa";
        var sessionId = SessionCookies.SessionIdOf(principal);
        valid = valid && sessionId is not null && (mfa || !requireTwoFactor) &&
                await services.GetRequiredService<IUserSessions>().CheckAsync(sessionId.Value, userId, SessionKinds.Staff,
                    activity: !IsBackgroundPolling(context.Request), context.HttpContext.RequestAborted);
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
            var identity = new ClaimsIdentity(IdentityClaims(member, mfa, signedInAt, sessionId!.Value), IdunoxAuthentication.StaffCookieScheme,
                IdunoxClaimTypes.Email, IdunoxAuthentication.RoleClaim);
            context.ReplacePrincipal(new ClaimsPrincipal(identity));
            context.ShouldRenew = true;
        }
    }
}

/// <summary>The staff session's limits (<c>Admin:Session:IdleMinutes</c>, <c>AbsoluteHours</c>), kept on each session row.</summary>
internal sealed record StaffSessionLimits(TimeSpan Idle, TimeSpan Absolute);

/// <summary>Who passed the password step, and the authenticator key of the enrolment attempt in progress, if any.</summary>
internal sealed record PendingMember(Guid Id, string Email, string? EnrolmentKey);

/// <summary><c>Admin:*</c>: how staff sign in.</summary>
internal sealed class AdminOptions
{
    public const string SectionName = "Admin";

    /// <summary>Staff must use an authenticator app (TOTP) after their password. Cannot be turned off in Production.</summary>
    public bool RequireTwoFactor { get; set; } = true;
}
