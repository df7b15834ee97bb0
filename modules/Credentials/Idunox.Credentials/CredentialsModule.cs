using Idunox.Credentials.Contracts;
using Idunox.Credentials.Persistence;
using Idunox.Shared.Modularity;
using Idunox.Shared.Persistence;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Idunox.Credentials;

/// <summary>API keys: their lifecycle, format, hashing and verification, the X-Api-Key scheme and the audit trail.</summary>
public sealed class CredentialsModule : IModule
{
    public string Name => "Credentials";

    public void AddServices(IHostApplicationBuilder builder)
    {
        builder.AddModuleDbContext<CredentialsDbContext, SqliteCredentialsDbContext, PostgresCredentialsDbContext>(
            CredentialsDbContext.SchemaName);
        builder.Services.AddOptions<KeyPolicyOptions>().Bind(builder.Configuration.GetSection(KeyPolicyOptions.SectionName));
    }

    public void MapEndpoints(IEndpointRouteBuilder routes)
    {
    }
}
