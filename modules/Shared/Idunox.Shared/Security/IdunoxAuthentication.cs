namespace Idunox.Shared.Security;

/// <summary>The authentication schemes and authorization policies the modules share by name.</summary>
public static class IdunoxAuthentication
{
    /// <summary>The host's default scheme: authenticates nobody. Endpoints name their scheme through their policy.</summary>
    public const string DefaultScheme = "Idunox";

    /// <summary>The portal's JWT bearer scheme (Identity module).</summary>
    public const string PartnerScheme = "Bearer";

    /// <summary>The partner portal pages' cookie session (Identity module): never accepted by the /v1 API.</summary>
    public const string PortalCookieScheme = "PartnerCookie";

    /// <summary>The staff area's cookie session (Identity module): opens /admin and the job dashboard, never the portal.</summary>
    public const string StaffCookieScheme = "StaffCookie";

    /// <summary>A staff member between the password and the second factor: opens only the sign-in steps.</summary>
    public const string StaffPendingScheme = "StaffPending";

    /// <summary>A signed-in Idunox staff member (role <c>staff</c>), second factor done: the staff area and a read-only job dashboard.</summary>
    public const string StaffPolicy = "staff";

    /// <summary>A signed-in staff member with the <c>ops</c> role: the whole job dashboard.</summary>
    public const string OpsPolicy = "ops";

    /// <summary>A signed-in staff member with the <c>admin</c> role: the staff accounts.</summary>
    public const string AdminPolicy = "staff-admin";

    /// <summary>The claim that carries a staff member's roles.</summary>
    public const string RoleClaim = "role";

    /// <summary>The data API's X-Api-Key credential (Credentials module): its name in the API reference's security schemes. Keys are checked by the key gate, not by an authentication handler.</summary>
    public const string ApiKeyScheme = "ApiKey";

    public const string ApiKeyHeader = "X-Api-Key";

    /// <summary>A signed-in portal user of an active organisation.</summary>
    public const string PartnerPolicy = "partner";

    /// <summary>A signed-in portal user of an active organisation, on the portal's pages (cookie session).</summary>
    public const string PortalPolicy = "partner-portal";
}

/// <summary>
/// Marks an endpoint of the data API: it opens only with a valid key in <c>X-Api-Key</c>, checked by the endpoint's own
/// filter (the Credentials module's <c>RequireApiKey</c>) instead of the authentication and authorization middleware.
/// </summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Class)]
public sealed class RequiresApiKeyAttribute : Attribute;
