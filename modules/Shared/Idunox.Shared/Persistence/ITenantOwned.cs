namespace Idunox.Shared.Persistence;

/// <summary>An entity that belongs to one organisation. Queries see only the current tenant's rows; saves into another tenant fail.</summary>
public interface ITenantOwned
{
    Guid TenantId { get; set; }
}

/// <summary>Raised when a save would write a tenant-owned row outside the current tenant (or with no tenant at all).</summary>
public sealed class CrossTenantWriteException(string message) : InvalidOperationException(message);
