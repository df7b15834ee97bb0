namespace Idunox.Shared;

/// <summary>The organisation (tenant) the current request, job or command acts for.</summary>
public interface ITenantContext
{
    /// <summary>The current tenant, or null when none has been resolved (anonymous request, system work).</summary>
    Guid? TenantId { get; }

    /// <summary>How the tenant was chosen: <c>jwt</c>, <c>api-key</c>, <c>explicit</c>; null without a tenant.</summary>
    string? Source { get; }
}

/// <summary>Claim types shared by every authentication scheme that carries a tenant.</summary>
public static class IdunoxClaimTypes
{
    public const string Tenant = "tenant";
    public const string UserId = "sub";
    public const string Email = "email";
}
