using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Idunox.Shared.Persistence;

/// <summary>
/// The base of every module's DbContext: the module's own schema, the named tenant query filter on every
/// <see cref="ITenantOwned"/> entity, the cross-tenant save guard and UTC timestamps on both providers.
/// Each module derives one context and, from it, one sealed context per provider that owns that provider's migrations.
/// </summary>
public abstract class ModuleDbContext : DbContext
{
    /// <summary>The name of the tenant query filter, for a deliberate <c>IgnoreQueryFilters([TenantFilter])</c>.</summary>
    public const string TenantFilter = "Tenant";

    private readonly ITenantContext _tenant;

    protected ModuleDbContext(DbContextOptions options, ITenantContext tenant)
        : base(options)
    {
        _tenant = tenant;
    }

    /// <summary>The module's schema on PostgreSQL; on SQLite (no schemas) it prefixes the module's table names.</summary>
    public abstract string Schema { get; }

    /// <summary>Read by the query filter at query time, so each query sees the tenant of the moment.</summary>
    public Guid? CurrentTenantId => _tenant.TenantId;

    protected sealed override void OnModelCreating(ModelBuilder modelBuilder)
    {
        var sqlite = Database.IsSqlite();
        if (!sqlite)
        {
            modelBuilder.HasDefaultSchema(Schema);
        }

        BuildModel(modelBuilder);

        foreach (var entity in modelBuilder.Model.GetEntityTypes().Where(e => e.BaseType is null).ToList())
        {
            if (typeof(ITenantOwned).IsAssignableFrom(entity.ClrType))
            {
                modelBuilder.Entity(entity.ClrType).HasQueryFilter(TenantFilter, TenantFilterFor(entity.ClrType));
                if (!entity.GetIndexes().Any(i => i.Properties[0].Name == nameof(ITenantOwned.TenantId)))
                {
                    modelBuilder.Entity(entity.ClrType).HasIndex(nameof(ITenantOwned.TenantId));
                }
            }

            if (sqlite && entity.GetTableName() is { } table && !entity.IsOwned())
            {
                // SQLite has one namespace for every table and index: the schema becomes a prefix.
                entity.SetTableName($"{Schema}_{table}");
                entity.SetSchema(null);
            }
        }
    }

    /// <summary>The module's own model: its entities, keys and indexes.</summary>
    protected abstract void BuildModel(ModelBuilder modelBuilder);

    /// <summary>Records an integration event in this module's outbox; it is saved by the same <c>SaveChanges</c> as the change.</summary>
    public void Publish(IIntegrationEvent @event) => Add(Outbox.OutboxMessage.From(@event));

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // Timestamps are UTC DateTime everywhere; SQLite hands them back unspecified, so mark them UTC on read.
        configurationBuilder.Properties<DateTime>().HaveConversion<UtcDateTimeConverter>();
        configurationBuilder.Properties<DateTime?>().HaveConversion<NullableUtcDateTimeConverter>();
    }

    public override int SaveChanges(bool acceptAllChangesOnSuccess)
    {
        GuardTenantWrites();
        return base.SaveChanges(acceptAllChangesOnSuccess);
    }

    public override Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken cancellationToken = default)
    {
        GuardTenantWrites();
        return base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
    }

    private bool _systemInserts;

    /// <summary>
    /// For <see cref="BulkWrites"/>: while the answer is not disposed, new rows that name their tenant are saved without a
    /// current tenant (a system job writing for many tenants at once); changes to existing rows are still guarded.
    /// </summary>
    internal IDisposable AllowSystemInserts()
    {
        _systemInserts = true;
        return new SystemInserts(this);
    }

    private sealed class SystemInserts(ModuleDbContext db) : IDisposable
    {
        public void Dispose() => db._systemInserts = false;
    }

    private void GuardTenantWrites()
    {
        foreach (var entry in ChangeTracker.Entries<ITenantOwned>())
        {
            if (entry.State is not (EntityState.Added or EntityState.Modified or EntityState.Deleted))
            {
                continue;
            }

            if (_systemInserts && entry.State == EntityState.Added && entry.Entity.TenantId != Guid.Empty)
            {
                continue;
            }

            var current = _tenant.TenantId ?? throw new CrossTenantWriteException(
                $"Cannot save a {entry.Metadata.ClrType.Name} without a current tenant.");

            if (entry.State == EntityState.Added && entry.Entity.TenantId == Guid.Empty)
            {
                entry.Entity.TenantId = current;
            }

            var original = entry.State == EntityState.Added
                ? entry.Entity.TenantId
                : entry.Property(e => e.TenantId).OriginalValue;
            if (entry.Entity.TenantId != current || original != current)
            {
                throw new CrossTenantWriteException(
                    $"Cannot save a {entry.Metadata.ClrType.Name} of another tenant than the current one.");
            }
        }
    }

    private LambdaExpression TenantFilterFor(Type entityType)
    {
        // e => (Guid?)e.TenantId == this.CurrentTenantId — with no tenant, nothing matches.
        var e = Expression.Parameter(entityType, "e");
        var tenantId = Expression.Convert(Expression.Property(e, nameof(ITenantOwned.TenantId)), typeof(Guid?));
        var current = Expression.Property(Expression.Constant(this), nameof(CurrentTenantId));
        return Expression.Lambda(Expression.Equal(tenantId, current), e);
    }

    /// <summary>
    /// Every timestamp is UTC. A local time is converted; an unspecified one (SQLite reads, values built from parts) is
    /// taken as UTC as it is — converting it would shift it by the server's time zone.
    /// </summary>
    internal static DateTime AsUtc(DateTime value) => value.Kind switch
    {
        DateTimeKind.Utc => value,
        DateTimeKind.Local => value.ToUniversalTime(),
        _ => DateTime.SpecifyKind(value, DateTimeKind.Utc),
    };

    private sealed class UtcDateTimeConverter() : ValueConverter<DateTime, DateTime>(
        v => AsUtc(v),
        v => DateTime.SpecifyKind(v, DateTimeKind.Utc));

    private sealed class NullableUtcDateTimeConverter() : ValueConverter<DateTime?, DateTime?>(
        v => v.HasValue ? AsUtc(v.Value) : v,
        v => v.HasValue ? DateTime.SpecifyKind(v.Value, DateTimeKind.Utc) : v);
}
