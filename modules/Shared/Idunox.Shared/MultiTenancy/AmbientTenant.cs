namespace Idunox.Shared.MultiTenancy;

/// <summary>
/// The tenant of the work under way outside an HTTP request (a background job, an explicit tenant scope), flowing with
/// the async context. A <see cref="TenantContext"/> created while it is set starts with that tenant.
/// </summary>
public static class AmbientTenant
{
    private static readonly AsyncLocal<Guid?> Value = new();

    public static Guid? Current
    {
        get => Value.Value;
        set => Value.Value = value;
    }
}
