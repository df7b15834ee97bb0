using Idunox.Credentials.Audit;
using Idunox.Credentials.Contracts;
using Idunox.Credentials.Persistence;
using Idunox.Credentials.Verification;
using Idunox.Shared;
using Idunox.Shared.Errors;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;

namespace Idunox.Credentials.Keys;

/// <summary>
/// What every key use case shares: the current tenant's keys (the one place a key is looked up by id), the key-change
/// unit (<see cref="BeginChangeAsync"/>), new keys, audit rows and key references for events. The rules themselves live
/// in the use cases (<c>CreateKey</c>, <c>RotateKey</c>, <c>RevokeKey</c>, <c>HandOverKey</c>). Pages read keys through
/// <see cref="KeyQueries"/>, never through this.
/// </summary>
internal sealed class KeyStore(CredentialsDbContext db, ITenantContext tenant, IOptions<KeyPolicyOptions> policy, TimeProvider clock,
    KeyVerificationCache cache)
{
    public CredentialsDbContext Db => db;

    public KeyPolicyOptions Policy => policy.Value;

    public DateTime Now => clock.GetUtcNow().UtcDateTime;

    public Guid TenantId => tenant.TenantId ?? throw new InvalidOperationException("Keys belong to the current tenant, and there is none.");

    /// <summary>Usable keys of the tenant at <paramref name="now"/>: not revoked, not past expiry, not past grace.</summary>
    public Task<int> CountUsableAsync(DateTime now, CancellationToken cancellationToken) =>
        db.ApiKeys.CountAsync(k => k.RevokedAt == null && k.ExpiresAt > now && (k.GraceEndsAt == null || k.GraceEndsAt > now), cancellationToken);

    /// <summary>One key of the current tenant; another tenant's key is not found. <paramref name="forChange"/> tracks it for saving.</summary>
    public Task<ApiKey?> FindAsync(Guid id, bool forChange, CancellationToken cancellationToken) =>
        (forChange ? db.ApiKeys : db.ApiKeys.AsNoTracking()).FirstOrDefaultAsync(k => k.Id == id, cancellationToken);

    /// <summary>The one way a key changes: under the tenant's key lock, and verification hears of it on commit.</summary>
    public async Task<KeyChange> BeginChangeAsync(CancellationToken cancellationToken) =>
        new(this, cache, await BeginTenantTransactionAsync(cancellationToken));

    public (ApiKey Key, string Plaintext) NewKey(string name, DateTime now, int validityDays, Actor actor, Guid? rotatedFrom, string? scopes)
    {
        var plaintext = ApiKeyFormat.Generate(Policy.Environment);
        var key = new ApiKey
        {
            Id = Guid.CreateVersion7(),
            TenantId = TenantId,
            Name = name,
            Prefix = ApiKeyFormat.Prefix(plaintext),
            Hash = ApiKeyFormat.Hash(plaintext),
            CreatedAt = now,
            CreatedBy = actor.Name,
            ExpiresAt = now.AddDays(validityDays),
            RotatedFromId = rotatedFrom,
            Scopes = scopes,
        };
        return (key, plaintext);
    }

    public void Audit(string action, ApiKey key, DateTime now, Actor actor, string? clientAddress, string? detail, int position = 0) =>
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

    public static KeyReference Reference(ApiKey key) => new(key.Id, key.Name, key.Prefix, key.ExpiresAt);

    /// <summary>A transaction holding the current tenant's key lock until it ends (PostgreSQL; SQLite has one writer anyway).</summary>
    private async Task<IDbContextTransaction> BeginTenantTransactionAsync(CancellationToken cancellationToken)
    {
        var tenantId = TenantId;
        var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (db.Database.IsNpgsql())
        {
            var lockKey = BitConverter.ToInt64(tenantId.ToByteArray(), 0);
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({lockKey})", cancellationToken);
        }

        return transaction;
    }
}

/// <summary>
/// One key change: a transaction holding the tenant's key lock (PostgreSQL; SQLite has one writer anyway) so the key cap
/// and the rotation rules hold under concurrency. <see cref="CommitAsync"/> saves, tells the other servers of every key
/// marked <see cref="Changed"/> (NOTIFY, delivered on commit) and evicts it from this server's verification cache, so a
/// revoked key is refused from the very next request. The only owner of that notice.
/// </summary>
internal sealed class KeyChange(KeyStore store, KeyVerificationCache cache, IDbContextTransaction transaction) : IAsyncDisposable
{
    private readonly List<Guid> changed = [];

    /// <summary>The key to change, tracked.</summary>
    public Task<ApiKey?> FindAsync(Guid id, CancellationToken cancellationToken) => store.FindAsync(id, forChange: true, cancellationToken);

    /// <summary>What verification knows of <paramref name="key"/> changes with this unit (revoked, grace started).</summary>
    public void Changed(ApiKey key) => changed.Add(key.Id);

    public async Task CommitAsync(CancellationToken cancellationToken)
    {
        await store.Db.SaveChangesAsync(cancellationToken);
        foreach (var id in changed)
        {
            await VerificationSignal.NotifyAsync(store.Db, VerificationSignal.ForKey(id), cancellationToken); // heard by the other servers on commit
        }

        await transaction.CommitAsync(cancellationToken);
        foreach (var id in changed)
        {
            cache.EvictKey(id); // refused (or its grace end known) by this server from the very next request
        }
    }

    public ValueTask DisposeAsync() => transaction.DisposeAsync();
}

/// <summary>A new key and its plaintext, which exists only here and in the one HTTP response that carries it.</summary>
internal sealed record IssuedKey(ApiKey Key, string Plaintext)
{
    // Never print the secret, whoever logs or formats this.
    public override string ToString() => $"IssuedKey {{ Id = {Key.Id}, Prefix = {Key.Prefix}{ApiKeyFormat.Ellipsis} }}";
}

/// <summary>Refusals every key use case shares.</summary>
internal static class KeyFailures
{
    public const string KeyNotFoundCode = "key_not_found";

    /// <summary>Unknown and other organisations' keys get the very same answer.</summary>
    public static readonly UseCaseFailure NotFound = new(
        FailureKind.NotFound, KeyNotFoundCode, "No such key.", "Your organisation has no key with this id.");
}
