using Idunox.Credentials.Audit;
using Idunox.Credentials.Contracts;
using Idunox.Credentials.Verification;
using Idunox.Shared.Errors;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Idunox.Credentials.Keys;

/// <summary>Revoking a key: it stops working at once, also during grace; revoking again changes nothing.</summary>
internal sealed class RevokeKey(KeyStore store, KeyVerificationCache cache, CredentialsMetrics metrics, ILogger<RevokeKey> logger)
{
    public async Task<Outcome<ApiKey>> RunAsync(Guid id, Actor actor, string? clientAddress, string? reason, CancellationToken cancellationToken)
    {
        await using var transaction = await store.BeginTenantTransactionAsync(cancellationToken);
        var key = await store.Db.ApiKeys.FirstOrDefaultAsync(k => k.Id == id, cancellationToken);
        if (key is null)
        {
            return KeyFailures.NotFound;
        }

        if (key.RevokedAt is not null)
        {
            return Outcome<ApiKey>.Ok(key); // already revoked: nothing to do, nothing to record
        }

        var now = store.Now;
        key.RevokedAt = now;
        key.RevokedBy = actor.Name;
        store.Audit(AuditActions.KeyRevoked, key, now, actor, clientAddress, reason);
        store.Db.Publish(new ApiKeyRevoked(Guid.CreateVersion7(), key.TenantId, now, KeyStore.Reference(key), actor));
        await store.Db.SaveChangesAsync(cancellationToken);
        await VerificationSignal.NotifyAsync(store.Db, VerificationSignal.ForKey(key.Id), cancellationToken); // heard by the other servers on commit
        await transaction.CommitAsync(cancellationToken);
        cache.EvictKey(key.Id); // refused by this server from the very next request
        metrics.Changed("revoked");
        logger.LogInformation("API key {KeyId} ({Prefix}) revoked in tenant {TenantId}", key.Id, key.Prefix, key.TenantId);
        return Outcome<ApiKey>.Ok(key);
    }

    /// <summary><c>POST /v1/partner/credentials/{id}/revoke</c>.</summary>
    internal static async Task<Results<Ok<CredentialEnvelope>, ProblemHttpResult>> Handle(
        string id, HttpContext http, RevokeKey revokeKey, KeyStore store, CancellationToken ct)
    {
        var outcome = Guid.TryParse(id, out var keyId)
            ? await revokeKey.RunAsync(keyId, KeyEndpoints.ActorOf(http), KeyEndpoints.ClientAddress(http), reason: null, ct)
            : KeyFailures.NotFound;
        return outcome.Value is not { } key
            ? outcome.Failure!.ToProblem()
            : TypedResults.Ok(new CredentialEnvelope(CredentialResponse.From(key, store.Now, store.Policy.ExpiringThresholdDays)));
    }
}
