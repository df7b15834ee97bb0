using Idunox.Shared;
using Idunox.Shared.Persistence;
using Idunox.StaffAdmin.Actions;
using Microsoft.EntityFrameworkCore;

namespace Idunox.StaffAdmin.Persistence;

internal abstract class StaffAdminDbContext(DbContextOptions options, ITenantContext tenant) : ModuleDbContext(options, tenant)
{
    public const string SchemaName = "staffadmin";

    public override string Schema => SchemaName;

    public DbSet<StaffAction> StaffActions => Set<StaffAction>();

    protected override void BuildModel(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<StaffAction>(a =>
        {
            a.ToTable("staff_actions");
            a.HasKey(x => x.Id);
            a.Property(x => x.StaffEmail).HasMaxLength(320);
            a.Property(x => x.Action).HasMaxLength(64);
            a.Property(x => x.Subject).HasMaxLength(200);
            a.Property(x => x.ClientAddress).HasMaxLength(64);
            a.Property(x => x.Reason).HasMaxLength(Actions.StaffActionLog.MaxReasonLength);
            a.HasIndex(x => new { x.StaffEmail, x.OccurredAt });
            a.HasIndex(x => x.OccurredAt);
            a.HasIndex(x => new { x.TenantId, x.OccurredAt });
        });
    }
}

internal sealed class SqliteStaffAdminDbContext(DbContextOptions<SqliteStaffAdminDbContext> options, ITenantContext tenant)
    : StaffAdminDbContext(options, tenant);

internal sealed class PostgresStaffAdminDbContext(DbContextOptions<PostgresStaffAdminDbContext> options, ITenantContext tenant)
    : StaffAdminDbContext(options, tenant);

internal sealed class SqliteStaffAdminDesignTimeFactory() : ModuleDesignTimeFactory<SqliteStaffAdminDbContext>(DatabaseProvider.Sqlite, StaffAdminDbContext.SchemaName);

internal sealed class PostgresStaffAdminDesignTimeFactory() : ModuleDesignTimeFactory<PostgresStaffAdminDbContext>(DatabaseProvider.Postgres, StaffAdminDbContext.SchemaName);
