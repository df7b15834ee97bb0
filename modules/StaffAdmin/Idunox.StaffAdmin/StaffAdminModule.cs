using Idunox.Shared.Modularity;
using Idunox.Shared.Persistence;
using Idunox.StaffAdmin.Actions;
using Idunox.StaffAdmin.Persistence;
using Idunox.StaffAdmin.Session;
using Idunox.Shared.Web.Sessions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Idunox.StaffAdmin;

/// <summary>
/// The staff area under <c>/admin</c>: staff sign-in with a second factor, organisations and their status, and the log
/// of what staff did. It reaches organisations, users and keys only through the Identity and Credentials contracts.
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
        var production = builder.Environment.IsProduction();
        builder.Services.AddOptions<AdminOptions>().Bind(builder.Configuration.GetSection(AdminOptions.SectionName))
            .Validate(o => o.RequireTwoFactor || !production, "Admin:RequireTwoFactor cannot be false in Production: staff sign in with a second factor.")
            .ValidateOnStart();
        builder.AddStaffSession();
        builder.Services.AddScoped<StaffActionLog>();
        builder.Services.AddScoped<Staff.StaffMembers>();
        builder.Services.AddScoped<Organisations.OrganisationAdministration>();
        builder.Services.AddScoped<Keys.StaffKeyActions>();
        // The job page's mail queue, while the module that sends e-mail is switched off (that module registers its own).
        builder.Services.TryAddScoped<Idunox.Notifications.Contracts.IEmailQueueStatus, Idunox.Notifications.Contracts.NoEmailQueue>();
        builder.Services.AddSingleton<IHostVerb, Cli.StaffVerb>();
    }

    public void MapEndpoints(IEndpointRouteBuilder routes)
    {
        routes.MapSignOut(StaffSession.SignOutPath, StaffSession.SignInPath, StaffSession.HomePath, StaffSession.SignOutAsync);
    }
}
