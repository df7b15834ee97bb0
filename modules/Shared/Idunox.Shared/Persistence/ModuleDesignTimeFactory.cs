using Idunox.Shared.MultiTenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Idunox.Shared.Persistence;

/// <summary>
/// Lets <c>dotnet ef</c> build a module's provider-specific context without the host. The connection string is
/// only used when a command talks to a database (<c>database update</c>); generating migrations never connects.
/// </summary>
public abstract class ModuleDesignTimeFactory<TContext>(DatabaseProvider provider, string schema) : IDesignTimeDbContextFactory<TContext>
    where TContext : ModuleDbContext
{
    public TContext CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<TContext>();
        var connectionString = Environment.GetEnvironmentVariable("ConnectionStrings__Idunox");
        if (provider == DatabaseProvider.Sqlite)
        {
            PersistenceServiceCollectionExtensions.ConfigureSqlite(options, connectionString ?? "Data Source=design-time.db", schema);
        }
        else
        {
            PersistenceServiceCollectionExtensions.ConfigurePostgres(options, connectionString ?? "Host=localhost;Database=idunox_design", schema);
        }

        // Every module context takes (its options, the tenant context): one factory serves them all.
        return (TContext)Activator.CreateInstance(typeof(TContext), options.Options, new TenantContext())!;
    }
}
