using Hangfire.Dashboard;
using Idunox.Identity.Contracts;
using Idunox.Shared.Security;

namespace Idunox.Host.Platform;

/// <summary>
/// The dashboard's own check, behind the endpoint's staff policy (which already signed the member in from the staff
/// cookie): a staff member of the staff session, and nobody else, whatever reaches the dashboard's handlers.
/// </summary>
internal sealed class StaffDashboardAuthorization : IDashboardAuthorizationFilter
{
    public bool Authorize(DashboardContext context) => IsStaff(context.GetHttpContext());

    private static bool IsStaff(HttpContext http) => StaffIdentity(http)?.HasClaim(IdunoxAuthentication.RoleClaim, StaffRoles.Staff) == true;

    public static bool IsOps(HttpContext http) => StaffIdentity(http)?.HasClaim(IdunoxAuthentication.RoleClaim, StaffRoles.Ops) == true;

    private static System.Security.Claims.ClaimsIdentity? StaffIdentity(HttpContext http) =>
        http.User.Identities.FirstOrDefault(i => i.IsAuthenticated && i.AuthenticationType == IdunoxAuthentication.StaffCookieScheme);
}
