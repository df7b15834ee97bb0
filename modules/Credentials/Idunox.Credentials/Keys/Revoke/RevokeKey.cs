using Idunox.Credentials.Audit;
using Idunox.Credentials.Contracts;
using Idunox.Shared.Errors;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Logging;

namespace Idunox.Credentials.Keys.Revoke;

/// <summary>Revoking a key: it stops working at once, also during grace; revoking again changes nothing.</summary>
internal sealed class RevokeKey(KeyStore store, CredentialsMetrics metrics, ILogger<RevokeKey> logger)
{
    public async Task<Outcome<ApiKey>> RunAsync(Guid id, Actor actor, string? clientAddress, string? reason, CancellationToken cancellationToken)
    {
        await using var change = await store.BeginChangeAsync(cancellationToken);
        var key = await change.FindAsync(id, cancellationToken);
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
        change.Changed(key); // refused everywhere from the very next request
        await change.CommitAsync(cancellationToken);
        metrics.Changed("revoked");
        logger.LogInformation("API key {KeyId} ({Prefix}) revoked in tenant {TenantId}", key.Id, key.Prefix, key.TenantId);
        return Outcome<ApiKey>.Ok(key);
    }

    /// <summary><c>POST /v1/partner/credentials/{id}/revoke</c>.</summary>
    internal static async Task<Results<Ok<CredentialEnvelope>, ProblemHttpResult>> Handle(
        string id, HttpContext http, RevokeKey revokeKey, KeyStore store, CancellationToken ct)
    {
        var outcome = Guid.TryParse(id, out var keyId)
            ? await revokeKey.RunAsync(keyId, PartnerCaller.ActorOf(http), PartnerCaller.AddressOf(http), reason: null, ct)
            : KeyFailures.NotFound;
        return outcome.Value is not { } key
            ? outcome.Failure!.ToProblem()
            : TypedResults.Ok(new CredentialEnvelope(CredentialResponse.From(key, store.Now, store.Policy.ExpiringThresholdDays)));
    }
}
