using Idunox.Credentials.Audit;
using Idunox.Credentials.Contracts;
using Idunox.Credentials.Persistence;
using Idunox.Shared;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Idunox.Credentials.Keys;

/// <summary>
/// Creates, rotates and revokes the current tenant's keys. Each change, its audit event and its integration event are
/// one transaction; changes of one tenant's keys take a per-tenant lock (PostgreSQL) so the key cap and rotations hold
/// under concurrency, and the unique successor index stops a second rotation of one key even without it.
/// </summary>
internal sealed class KeyLifecycle(
    CredentialsDbContext db,
    ITenantContext tenant,
    IOptions<KeyPolicyOptions> policy,
    TimeProvider clock,
    ILogger<KeyLifecycle> logger)
{
    private KeyPolicyOptions Policy => policy.Value;

    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    public async Task<IReadOnlyList<ApiKey>> ListAsync(CancellationToken cancellationToken) =>
        await db.ApiKeys.AsNoTracking().OrderByDescending(k => k.CreatedAt).ThenByDescending(k => k.Id).ToListAsync(cancellationToken);

    public Task<ApiKey?> FindAsync(Guid id, CancellationToken cancellationToken) =>
        db.ApiKeys.AsNoTracking().FirstOrDefaultAsync(k => k.Id == id, cancellationToken);

    public async Task<LifecycleResult<IssuedKey>> CreateAsync(
        string name, int validityDays, Actor actor, string? clientAddress, CancellationToken cancellationToken)
    {
        await using var transaction = await BeginTenantTransactionAsync(cancellationToken);
        var now = Now;
        var usable = await db.ApiKeys.CountAsync(
            k => k.RevokedAt == null && k.ExpiresAt > now && (k.GraceEndsAt == null || k.GraceEndsAt > now), cancellationToken);
        if (usable >= Policy.MaxActiveKeysPerTenant)
        {
            return LifecycleResult<IssuedKey>.Fail(LifecycleError.LimitReached);
        }

        var (key, plaintext) = NewKey(name, now, validityDays, actor, rotatedFrom: null);
        db.ApiKeys.Add(key);
        Audit(AuditActions.KeyCreated, key, now, actor, clientAddress, $"valid {validityDays} days");
        db.Publish(new ApiKeyCreated(Guid.CreateVersion7(), key.TenantId, now, Reference(key), actor));
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        logger.LogInformation("API key {KeyId} ({Prefix}) created in tenant {TenantId} by {ActorType} {ActorId}",
            key.Id, key.Prefix, key.TenantId, actor.Type, actor.Id);
        return LifecycleResult<IssuedKey>.Ok(new IssuedKey(key, plaintext));
    }

    public async Task<LifecycleResult<RotatedKey>> RotateAsync(
        Guid id, int graceHours, Actor actor, string? clientAddress, CancellationToken cancellationToken)
    {
        await using var transaction = await BeginTenantTransactionAsync(cancellationToken);
        var now = Now;
        var previous = await db.ApiKeys.FirstOrDefaultAsync(k => k.Id == id, cancellationToken);
        if (previous is null)
        {
            return LifecycleResult<RotatedKey>.Fail(LifecycleError.NotFound);
        }

        if (!previous.StatusAt(now, Policy.ExpiringThresholdDays).IsRotatable())
        {
            return LifecycleResult<RotatedKey>.Fail(LifecycleError.NotRotatable);
        }

        var (successor, plaintext) = NewKey(previous.Name, now, Policy.DefaultValidityDays, actor, rotatedFrom: previous.Id);
        var graceEnds = now.AddHours(graceHours);
        previous.GraceEndsAt = graceEnds < previous.ExpiresAt ? graceEnds : previous.ExpiresAt;
        previous.ReplacedById = successor.Id;
        db.ApiKeys.Add(successor);
        Audit(AuditActions.KeyRotated, previous, now, actor, clientAddress,
            $"grace {graceHours}h until {previous.GraceEndsAt:yyyy-MM-dd HH:mm} UTC, successor {successor.Prefix}{ApiKeyFormat.Ellipsis}");
        Audit(AuditActions.KeyCreated, successor, now, actor, clientAddress, $"successor of {previous.Prefix}{ApiKeyFormat.Ellipsis}", position: 1);
        db.Publish(new ApiKeyRotated(Guid.CreateVersion7(), previous.TenantId, now, Reference(previous), Reference(successor),
            previous.GraceEndsAt.Value, actor));
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Another rotation of this key won the unique successor index: this one changes nothing.
            return LifecycleResult<RotatedKey>.Fail(LifecycleError.NotRotatable);
        }

        logger.LogInformation("API key {KeyId} ({Prefix}) rotated to {SuccessorId} in tenant {TenantId}, grace until {GraceEndsAt}",
            previous.Id, previous.Prefix, successor.Id, previous.TenantId, previous.GraceEndsAt);
        return LifecycleResult<RotatedKey>.Ok(new RotatedKey(new IssuedKey(successor, plaintext), previous));
    }

    public async Task<LifecycleResult<ApiKey>> RevokeAsync(Guid id, Actor actor, string? clientAddress, CancellationToken cancellationToken)
    {
        await using var transaction = await BeginTenantTransactionAsync(cancellationToken);
        var key = await db.ApiKeys.FirstOrDefaultAsync(k => k.Id == id, cancellationToken);
        if (key is null)
        {
            return LifecycleResult<ApiKey>.Fail(LifecycleError.NotFound);
        }

        if (key.RevokedAt is not null)
        {
            return LifecycleResult<ApiKey>.Ok(key); // already revoked: nothing to do, nothing to record
        }

        var now = Now;
        key.RevokedAt = now;
        key.RevokedBy = actor.Name;
        Audit(AuditActions.KeyRevoked, key, now, actor, clientAddress, null);
        db.Publish(new ApiKeyRevoked(Guid.CreateVersion7(), key.TenantId, now, Reference(key), actor));
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        logger.LogInformation("API key {KeyId} ({Prefix}) revoked in tenant {TenantId}", key.Id, key.Prefix, key.TenantId);
        return LifecycleResult<ApiKey>.Ok(key);
    }

    private (ApiKey Key, string Plaintext) NewKey(string name, DateTime now, int validityDays, Actor actor, Guid? rotatedFrom)
    {
        var plaintext = ApiKeyFormat.Generate(Policy.Environment);
        var key = new ApiKey
        {
            Id = Guid.CreateVersion7(),
            TenantId = tenant.TenantId ?? throw new InvalidOperationException("Keys are created for the current tenant, and there is none."),
            Name = name,
            Prefix = ApiKeyFormat.Prefix(plaintext),
            Hash = ApiKeyFormat.Hash(plaintext),
            CreatedAt = now,
            CreatedBy = actor.Name,
            ExpiresAt = now.AddDays(validityDays),
            RotatedFromId = rotatedFrom,
        };
        return (key, plaintext);
    }

    private void Audit(string action, ApiKey key, DateTime now, Actor actor, string? clientAddress, string? detail, int position = 0) =>
        db.AuditEvents.Add(new AuditEvent
        {
            Id = Guid.CreateVersion7(),
            TenantId = key.TenantId,
            OccurredAt = now,
            Position = position,
            Action = action,
            ActorType = actor.Type,
            ActorId = actor.Id,
            ActorName = actor.Name,
            ClientAddress = clientAddress,
            ApiKeyId = key.Id,
            ApiKeyPrefix = key.Prefix,
            ApiKeyName = key.Name,
            Detail = detail,
        });

    private static KeyReference Reference(ApiKey key) => new(key.Id, key.Name, key.Prefix, key.ExpiresAt);

    /// <summary>A transaction holding the current tenant's key lock until it ends (PostgreSQL; SQLite has one writer anyway).</summary>
    private async Task<IDbContextTransaction> BeginTenantTransactionAsync(CancellationToken cancellationToken)
    {
        var tenantId = tenant.TenantId ?? throw new InvalidOperationException("Key changes need a current tenant.");
        var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (db.Database.IsNpgsql())
        {
            var lockKey = BitConverter.ToInt64(tenantId.ToByteArray(), 0);
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({lockKey})", cancellationToken);
        }

        return transaction;
    }
}

/// <summary>A new key and its plaintext, which exists only here and in the one HTTP response that carries it.</summary>
internal sealed record IssuedKey(ApiKey Key, string Plaintext)
{
    // Never print the secret, whoever logs or formats this.
    public override string ToString() => $"IssuedKey {{ Id = {Key.Id}, Prefix = {Key.Prefix}{ApiKeyFormat.Ellipsis} }}";
}

internal sealed record RotatedKey(IssuedKey Successor, ApiKey Previous);

internal enum LifecycleError
{
    NotFound,
    NotRotatable,
    LimitReached,
}

internal sealed class LifecycleResult<T>
{
    private LifecycleResult(T? value, LifecycleError? error)
    {
        Value = value;
        Error = error;
    }

    public T? Value { get; }

    public LifecycleError? Error { get; }

    public static LifecycleResult<T> Ok(T value) => new(value, null);

    public static LifecycleResult<T> Fail(LifecycleError error) => new(default, error);
}
