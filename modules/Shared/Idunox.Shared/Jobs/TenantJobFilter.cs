using Hangfire.Client;
using Hangfire.Common;
using Hangfire.Server;
using Idunox.Shared.MultiTenancy;

namespace Idunox.Shared.Jobs;

/// <summary>
/// Jobs carry their tenant explicitly: a job enqueued while a tenant is current gets it as the job parameter
/// <c>TenantId</c>, and when a server performs the job the tenant is restored, so the job's scoped
/// <see cref="TenantContext"/> starts with it. A job enqueued without a tenant runs without one.
/// </summary>
public sealed class TenantJobFilter : JobFilterAttribute, IClientFilter, IServerFilter
{
    public const string Parameter = "TenantId";

    public void OnCreating(CreatingContext context)
    {
        if (AmbientTenant.Current is { } tenant)
        {
            context.SetJobParameter(Parameter, tenant);
        }
    }

    public void OnCreated(CreatedContext context)
    {
    }

    public void OnPerforming(PerformingContext context)
    {
        var tenant = context.GetJobParameter<Guid?>(Parameter);
        // Set here, before the job's service scope exists; read by TenantContext when the scope creates it.
        AmbientTenant.Current = tenant is { } id && id != Guid.Empty ? id : null;
    }

    public void OnPerformed(PerformedContext context) => AmbientTenant.Current = null;
}
