using Idunox.Shared.Modularity;
using Idunox.Shared.Persistence;
using Idunox.StaffAdmin.Actions;
using Idunox.StaffAdmin.Persistence;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Idunox.StaffAdmin;

/// <summary>
/// The staff area under <c>/admin</c>: organisations and their status, their users and keys, the staff accounts, the job
/// page and the log of what staff did. Staff sign in through Identity (its staff session and pages). It reaches organisations, users and keys only through the Identity and Credentials contracts.
/// </summary>
public sealed class StaffAdminModule : IModule
{
    public string Name => "StaffAdmin";

    /// <summary>Staff users and organisations (Identity) and the keys it manages (Credentials).</summary>
    public IReadOnlyList<Type> DependsOn => [typeof(Idunox.Identity.Contracts.IStaffDirectory), typeof(Idunox.Credentials.Contracts.ITenantKeyAdministration)];

    public System.Reflection.Assembly PageAssembly => typeof(StaffAdminModule).Assembly;

    public void AddServices(IHostApplicationBuilder builder)
    {
        builder.AddModuleDbContext<StaffAdminDbContext, SqliteStaffAdminDbContext, PostgresStaffAdminDbContext>(
            StaffAdminDbContext.SchemaName);
        builder.Services.AddScoped<StaffActionLog>();
        builder.Services.AddScoped<Idunox.Identity.Contracts.IStaffActivityLog, StaffActivityRecorder>();
        builder.Services.AddScoped<Staff.StaffMembers>();
        builder.Services.AddScoped<Organisations.OrganisationAdministration>();
        builder.Services.AddScoped<Keys.StaffKeyActions>();
        // The job page's mail queue, while the module that sends e-mail is switched off (that module registers its own).
        builder.Services.TryAddScoped<Idunox.Notifications.Contracts.IEmailQueueStatus, Idunox.Notifications.Contracts.NoEmailQueue>();
        builder.Services.AddSingleton<IHostVerb, Cli.StaffVerb>();
    }

    public void MapEndpoints(IEndpointRouteBuilder routes)
    {
    }
}
