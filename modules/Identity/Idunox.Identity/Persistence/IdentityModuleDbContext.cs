using Idunox.Identity.Organisations;
using Idunox.Shared;
using Idunox.Shared.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Idunox.Identity.Persistence;

internal abstract class IdentityModuleDbContext(DbContextOptions options, ITenantContext tenant) : ModuleDbContext(options, tenant)
{
    public const string SchemaName = "identity";

    public override string Schema => SchemaName;

    public DbSet<Organisation> Organisations => Set<Organisation>();

    protected override void BuildModel(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Organisation>(o =>
        {
            o.ToTable("organisations");
            o.HasKey(x => x.Id);
            o.Property(x => x.Name).HasMaxLength(Organisation.MaxNameLength);
            o.Property(x => x.Slug).HasMaxLength(Organisation.MaxSlugLength);
            o.HasIndex(x => x.Slug).IsUnique();
            o.Property(x => x.Status).HasConversion<string>().HasMaxLength(16);
        });
    }
}

/// <summary>The SQLite flavour; owns <c>Persistence/Migrations/Sqlite</c>.</summary>
internal sealed class SqliteIdentityModuleDbContext(DbContextOptions<SqliteIdentityModuleDbContext> options, ITenantContext tenant)
    : IdentityModuleDbContext(options, tenant);

/// <summary>The PostgreSQL flavour; owns <c>Persistence/Migrations/Postgres</c>.</summary>
internal sealed class PostgresIdentityModuleDbContext(DbContextOptions<PostgresIdentityModuleDbContext> options, ITenantContext tenant)
    : IdentityModuleDbContext(options, tenant);

internal sealed class SqliteIdentityDesignTimeFactory() : ModuleDesignTimeFactory<SqliteIdentityModuleDbContext>(DatabaseProvider.Sqlite, IdentityModuleDbContext.SchemaName)
{
    protected override SqliteIdentityModuleDbContext Create(DbContextOptions<SqliteIdentityModuleDbContext> options, ITenantContext tenant) => new(options, tenant);
}

internal sealed class PostgresIdentityDesignTimeFactory() : ModuleDesignTimeFactory<PostgresIdentityModuleDbContext>(DatabaseProvider.Postgres, IdentityModuleDbContext.SchemaName)
{
    protected override PostgresIdentityModuleDbContext Create(DbContextOptions<PostgresIdentityModuleDbContext> options, ITenantContext tenant) => new(options, tenant);
}
