using Idunox.Shared.Modularity;
using Idunox.Shared.Persistence;
using Idunox.StaffAdmin.Persistence;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;

namespace Idunox.StaffAdmin;

/// <summary>The staff area: provisioning organisations and portal users, and managing keys on a tenant's behalf.</summary>
public sealed class StaffAdminModule : IModule
{
    public string Name => "StaffAdmin";

    /// <summary>Staff users, organisations and the keys it manages live in these.</summary>
    public IReadOnlyList<string> DependsOn => ["Identity", "Credentials"];

    public void AddServices(IHostApplicationBuilder builder)
    {
        builder.AddModuleDbContext<StaffAdminDbContext, SqliteStaffAdminDbContext, PostgresStaffAdminDbContext>(
            StaffAdminDbContext.SchemaName);
    }

    public void MapEndpoints(IEndpointRouteBuilder routes)
    {
    }
}
