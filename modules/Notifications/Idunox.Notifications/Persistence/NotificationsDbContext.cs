using Idunox.Notifications.Reminders;
using Idunox.Shared;
using Idunox.Shared.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Idunox.Notifications.Persistence;

internal abstract class NotificationsDbContext(DbContextOptions options, ITenantContext tenant) : ModuleDbContext(options, tenant)
{
    public const string SchemaName = "notifications";

    public override string Schema => SchemaName;

    public DbSet<SentReminder> SentReminders => Set<SentReminder>();

    protected override void BuildModel(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<SentReminder>(r =>
        {
            r.ToTable("sent_reminders");
            r.HasKey(x => x.Id);
            r.HasIndex(x => new { x.ApiKeyId, x.ThresholdDays }).IsUnique();
        });
    }
}

internal sealed class SqliteNotificationsDbContext(DbContextOptions<SqliteNotificationsDbContext> options, ITenantContext tenant)
    : NotificationsDbContext(options, tenant);

internal sealed class PostgresNotificationsDbContext(DbContextOptions<PostgresNotificationsDbContext> options, ITenantContext tenant)
    : NotificationsDbContext(options, tenant);

internal sealed class SqliteNotificationsDesignTimeFactory() : ModuleDesignTimeFactory<SqliteNotificationsDbContext>(DatabaseProvider.Sqlite, NotificationsDbContext.SchemaName)
{
    protected override SqliteNotificationsDbContext Create(DbContextOptions<SqliteNotificationsDbContext> options, ITenantContext tenant) => new(options, tenant);
}

internal sealed class PostgresNotificationsDesignTimeFactory() : ModuleDesignTimeFactory<PostgresNotificationsDbContext>(DatabaseProvider.Postgres, NotificationsDbContext.SchemaName)
{
    protected override PostgresNotificationsDbContext Create(DbContextOptions<PostgresNotificationsDbContext> options, ITenantContext tenant) => new(options, tenant);
}
