using Idunox.Credentials.Contracts;
using Idunox.Identity.Configuration;
using Idunox.Identity.Contracts;
using Idunox.Identity.Organisations;
using Idunox.Identity.Persistence;
using Idunox.Shared.Modularity;
using Idunox.Shared.Persistence;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Idunox.Identity;

/// <summary>Organisations (tenants), portal and staff users, sign-in, <c>/me</c> and the public portal configuration.</summary>
public sealed class IdentityModule : IModule
{
    public string Name => "Identity";

    public void AddServices(IHostApplicationBuilder builder)
    {
        builder.AddModuleDbContext<IdentityModuleDbContext, SqliteIdentityModuleDbContext, PostgresIdentityModuleDbContext>(
            IdentityModuleDbContext.SchemaName);
        builder.Services.AddOptions<PortalOptions>().Bind(builder.Configuration.GetSection(PortalOptions.SectionName));
        builder.Services.AddOptions<KeyPolicyOptions>().Bind(builder.Configuration.GetSection(KeyPolicyOptions.SectionName));
        builder.Services.AddScoped<IOrganisationDirectory, OrganisationDirectory>();
    }

    public void MapEndpoints(IEndpointRouteBuilder routes)
    {
        GetPartnerConfig.Map(routes);
    }
}
