using Idunox.Notifications.Email;
using Idunox.Notifications.Notices;
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

    public DbSet<OutgoingEmail> OutgoingEmails => Set<OutgoingEmail>();

    public DbSet<HandledEvent> HandledEvents => Set<HandledEvent>();

    protected override void BuildModel(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<SentReminder>(r =>
        {
            r.ToTable("sent_reminders");
            r.HasKey(x => x.Id);
            r.HasIndex(x => new { x.ApiKeyId, x.ThresholdDays }).IsUnique();
        });

        modelBuilder.Entity<OutgoingEmail>(m =>
        {
            m.ToTable("outgoing_emails");
            m.HasKey(x => x.Id);
            m.Property(x => x.DedupeKey).HasMaxLength(200);
            m.HasIndex(x => x.DedupeKey).IsUnique();
            m.Property(x => x.Kind).HasMaxLength(32);
            m.Property(x => x.Recipient).HasMaxLength(320);
            m.Property(x => x.Subject).HasMaxLength(500);
            m.Property(x => x.LastError).HasMaxLength(2000);
            m.HasIndex(x => new { x.SentAt, x.NextAttemptAt });
        });

        modelBuilder.Entity<HandledEvent>(h =>
        {
            h.ToTable("inbox");
            h.HasKey(x => new { x.EventId, x.Handler });
            h.Property(x => x.Handler).HasMaxLength(64);
            h.HasIndex(x => x.HandledAt);
        });
    }
}

internal sealed class SqliteNotificationsDbContext(DbContextOptions<SqliteNotificationsDbContext> options, ITenantContext tenant)
    : NotificationsDbContext(options, tenant);

internal sealed class PostgresNotificationsDbContext(DbContextOptions<PostgresNotificationsDbContext> options, ITenantContext tenant)
    : NotificationsDbContext(options, tenant);

internal sealed class SqliteNotificationsDesignTimeFactory() : ModuleDesignTimeFactory<SqliteNotificationsDbContext>(DatabaseProvider.Sqlite, NotificationsDbContext.SchemaName);

internal sealed class PostgresNotificationsDesignTimeFactory() : ModuleDesignTimeFactory<PostgresNotificationsDbContext>(DatabaseProvider.Postgres, NotificationsDbContext.SchemaName);
