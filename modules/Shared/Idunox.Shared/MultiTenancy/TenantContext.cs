namespace Idunox.Shared.MultiTenancy;

/// <summary>
/// The scoped tenant context. Set once per request by <see cref="TenantResolutionMiddleware"/>, or explicitly by the
/// staff area, jobs and command-line verbs through <see cref="Use"/>. Everything tenant-owned reads it.
/// </summary>
public sealed class TenantContext : ITenantContext
{
    public TenantContext()
    {
        if (AmbientTenant.Current is { } ambient)
        {
            TenantId = ambient;
            Source = TenantSources.Inherited;
        }
    }

    public Guid? TenantId { get; private set; }

    public string? Source { get; private set; }

    /// <summary>Sets the tenant from a resolution strategy (once per scope).</summary>
    public void Set(Guid tenantId, string source)
    {
        if (tenantId == Guid.Empty)
        {
            throw new ArgumentException("A tenant id cannot be empty.", nameof(tenantId));
        }

        if (TenantId is { } current && current != tenantId)
        {
            throw new InvalidOperationException("The tenant of this scope is already set to another tenant.");
        }

        TenantId = tenantId;
        Source = source;
        AmbientTenant.Current = tenantId; // flows on to the scopes and jobs this request starts
    }

    /// <summary>
    /// Acts explicitly for <paramref name="tenantId"/> until the returned scope is disposed, then restores what was
    /// there before. For the staff area, jobs and the command line, which choose their tenant deliberately.
    /// </summary>
    public IDisposable Use(Guid tenantId)
    {
        if (tenantId == Guid.Empty)
        {
            throw new ArgumentException("A tenant id cannot be empty.", nameof(tenantId));
        }

        var previous = (TenantId, Source, AmbientTenant.Current);
        TenantId = tenantId;
        Source = TenantSources.Explicit;
        AmbientTenant.Current = tenantId;
        return new Restore(this, previous.TenantId, previous.Source, previous.Item3);
    }

    private sealed class Restore(TenantContext context, Guid? tenantId, string? source, Guid? ambient) : IDisposable
    {
        private bool _disposed;

        public void Dispose()
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            context.TenantId = tenantId;
            context.Source = source;
            AmbientTenant.Current = ambient;
        }
    }
}

public static class TenantSources
{
    public const string Jwt = "jwt";
    public const string ApiKey = "api-key";
    public const string PortalCookie = "portal-cookie";
    public const string Explicit = "explicit";
    /// <summary>Taken over from the work that started this scope: a request, an explicit scope or a job.</summary>
    public const string Inherited = "inherited";
}
