using Idunox.Credentials.Audit;
using Idunox.Credentials.Keys;
using Idunox.Credentials.Keys.Handover;
using Idunox.Shared;
using Idunox.Shared.Outbox;
using Idunox.Shared.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Idunox.Credentials.Persistence;

internal abstract class CredentialsDbContext(DbContextOptions options, ITenantContext tenant) : ModuleDbContext(options, tenant)
{
    public const string SchemaName = "credentials";

    public override string Schema => SchemaName;

    public DbSet<ApiKey> ApiKeys => Set<ApiKey>();

    public DbSet<PendingGraceEnd> PendingGraceEnds => Set<PendingGraceEnd>();

    public DbSet<AuditEvent> AuditEvents => Set<AuditEvent>();

    public DbSet<KeyHandover> KeyHandovers => Set<KeyHandover>();

    public DbSet<OutboxMessage> Outbox => Set<OutboxMessage>();

    public DbSet<Verification.IpFinding> IpFindings => Set<Verification.IpFinding>();

    public DbSet<Verification.LiveHost> LiveHosts => Set<Verification.LiveHost>();

    protected override void BuildModel(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<ApiKey>(k =>
        {
            k.ToTable("api_keys");
            k.HasKey(x => x.Id);
            k.Property(x => x.Name).HasMaxLength(ApiKey.MaxNameLength);
            k.Property(x => x.Prefix).HasMaxLength(32);
            k.Property(x => x.Hash).HasMaxLength(32);
            k.HasIndex(x => x.Hash).IsUnique();
            k.Property(x => x.CreatedBy).HasMaxLength(320);
            k.Property(x => x.RevokedBy).HasMaxLength(320);
            k.Property(x => x.Scopes).HasMaxLength(ApiKey.MaxScopesLength);
            k.Ignore(x => x.ScopeList);
            k.Property(x => x.IpAllowMode).HasMaxLength(8);
            k.Property(x => x.IpAllowList).HasMaxLength(IpAllowLists.MaxStoredLength);
            k.Ignore(x => x.AllowedNetworks);
            k.Ignore(x => x.RateLimit);
            k.Ignore(x => x.HasRateLimit);
            // The database itself refuses a second successor of one key: concurrent rotations cannot both win.
            k.HasIndex(x => x.RotatedFromId).IsUnique().HasFilter("\"rotated_from_id\" IS NOT NULL"); // partial: most keys have no predecessor
            k.HasIndex(x => new { x.TenantId, x.CreatedAt });
            // expiry-reminders' due query, partial so it holds only keys still in use (same SQL on both providers).
            k.HasIndex(x => x.ExpiresAt).HasDatabaseName("ix_api_keys_expiry_due")
                .HasFilter("\"revoked_at\" IS NULL AND \"grace_ends_at\" IS NULL AND \"replaced_by_id\" IS NULL");
        });

        // grace-sweep's work list: one row per rotated key whose end of grace is still to be recorded.
        modelBuilder.Entity<PendingGraceEnd>(p =>
        {
            p.ToTable("pending_grace_ends");
            p.HasKey(x => x.KeyId);
            p.HasOne<ApiKey>().WithOne().HasForeignKey<PendingGraceEnd>(x => x.KeyId).OnDelete(DeleteBehavior.Cascade);
            p.HasIndex(x => x.GraceEndsAt);
        });

        // Keys staff made for an organisation, waiting to be collected (no secret until then).
        modelBuilder.Entity<KeyHandover>(h =>
        {
            h.ToTable("key_handovers");
            h.HasKey(x => x.Id);
            h.Property(x => x.Name).HasMaxLength(ApiKey.MaxNameLength);
            h.Property(x => x.Reason).HasMaxLength(KeyHandover.MaxReasonLength);
            h.Property(x => x.CollectedBy).HasMaxLength(320);
            h.Property(x => x.Scopes).HasMaxLength(ApiKey.MaxScopesLength);
            h.Property(x => x.IpAllowMode).HasMaxLength(8);
            h.Property(x => x.IpAllowList).HasMaxLength(IpAllowLists.MaxStoredLength);
            // One offer per replaced key: a second staff rotation of the same key cannot slip in beside the first.
            h.HasIndex(x => x.PredecessorId).IsUnique().HasFilter("\"predecessor_id\" IS NOT NULL");
            h.HasIndex(x => new { x.TenantId, x.OfferedAt });
        });

        modelBuilder.Entity<AuditEvent>(a =>
        {
            a.ToTable("audit_events");
            a.HasKey(x => x.Id);
            a.Property(x => x.Action).HasMaxLength(32);
            a.Property(x => x.ActorType).HasMaxLength(16);
            a.Property(x => x.ActorName).HasMaxLength(320);
            a.Property(x => x.ClientAddress).HasMaxLength(64);
            a.Property(x => x.ApiKeyPrefix).HasMaxLength(32);
            a.Property(x => x.ApiKeyName).HasMaxLength(ApiKey.MaxNameLength);
            a.Property(x => x.Detail).HasMaxLength(500);
            a.HasIndex(x => new { x.TenantId, x.OccurredAt });
        });

        // What report-only allow-lists would have refused, per key and address (added to by every server's flush).
        modelBuilder.Entity<Verification.IpFinding>(f =>
        {
            f.ToTable("ip_findings");
            f.HasKey(x => new { x.KeyId, x.Address });
            f.Property(x => x.Address).HasMaxLength(64);
            f.HasOne<ApiKey>().WithMany().HasForeignKey(x => x.KeyId).OnDelete(DeleteBehavior.Cascade);
            f.HasIndex(x => x.LastSeenAt); // the retention job's purge
        });

        // The servers running now, by their heartbeats: keys' rate limits are shared among them.
        modelBuilder.Entity<Verification.LiveHost>(h =>
        {
            h.ToTable("live_hosts");
            h.HasKey(x => x.Id);
            h.Property(x => x.Name).HasMaxLength(200);
        });

        modelBuilder.AddOutbox();
    }
}

internal sealed class SqliteCredentialsDbContext(DbContextOptions<SqliteCredentialsDbContext> options, ITenantContext tenant)
    : CredentialsDbContext(options, tenant);

internal sealed class PostgresCredentialsDbContext(DbContextOptions<PostgresCredentialsDbContext> options, ITenantContext tenant)
    : CredentialsDbContext(options, tenant);

internal sealed class SqliteCredentialsDesignTimeFactory() : ModuleDesignTimeFactory<SqliteCredentialsDbContext>(DatabaseProvider.Sqlite, CredentialsDbContext.SchemaName);

internal sealed class PostgresCredentialsDesignTimeFactory() : ModuleDesignTimeFactory<PostgresCredentialsDbContext>(DatabaseProvider.Postgres, CredentialsDbContext.SchemaName);
