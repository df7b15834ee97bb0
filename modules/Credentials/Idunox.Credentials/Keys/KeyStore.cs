using Idunox.Credentials.Audit;
using Idunox.Credentials.Contracts;
using Idunox.Credentials.Persistence;
using Idunox.Shared;
using Idunox.Shared.Errors;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;

namespace Idunox.Credentials.Keys;

/// <summary>
/// What every key change shares: the current tenant's keys, a transaction that holds the tenant's key lock (PostgreSQL)
/// so the key cap and rotation rules hold under concurrency, new keys, audit rows and key references for events.
/// The rules themselves live in the use cases (<see cref="CreateKey"/>, <see cref="RotateKey"/>, <see cref="RevokeKey"/>).
/// </summary>
internal sealed class KeyStore(CredentialsDbContext db, ITenantContext tenant, IOptions<KeyPolicyOptions> policy, TimeProvider clock)
{
    public CredentialsDbContext Db => db;

    public KeyPolicyOptions Policy => policy.Value;

    public DateTime Now => clock.GetUtcNow().UtcDateTime;

    public Guid TenantId => tenant.TenantId ?? throw new InvalidOperationException("Keys belong to the current tenant, and there is none.");

    /// <summary>Usable keys of the tenant at <paramref name="now"/>: not revoked, not past expiry, not past grace.</summary>
    public Task<int> CountUsableAsync(DateTime now, CancellationToken cancellationToken) =>
        db.ApiKeys.CountAsync(k => k.RevokedAt == null && k.ExpiresAt > now && (k.GraceEndsAt == null || k.GraceEndsAt > now), cancellationToken);

    public (ApiKey Key, string Plaintext) NewKey(string name, DateTime now, int validityDays, Actor actor, Guid? rotatedFrom)
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
    public async Task<IDbContextTransaction> BeginTenantTransactionAsync(CancellationToken cancellationToken)
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
