using Idunox.Credentials.Audit;
using Idunox.Credentials.Contracts;
using Idunox.Credentials.Keys;
using Idunox.Credentials.Persistence;
using Idunox.Shared.Jobs;
using Idunox.Shared.MultiTenancy;
using Idunox.Shared.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Idunox.Credentials.Jobs;

/// <summary>
/// <c>grace-sweep</c> (every 5 minutes): records that a rotated key's grace has ended — an audit event and an
/// <see cref="ApiKeyGraceEnded"/> event, once per key. Verification refused the key from the instant its grace ended;
/// this job only records the fact and lets subscribers know. Each key is claimed with a conditional update, so two
/// servers sweeping at once record it once.
/// </summary>
internal sealed class GraceSweep(IServiceScopeFactory scopes, CredentialsDbContext db, TimeProvider clock, ILogger<GraceSweep> logger) : IRecurringJob
{
    public const string JobName = "grace-sweep";
    private static readonly string[] TenantFilter = [ModuleDbContext.TenantFilter];

    public async Task<JobOutcome> RunAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var ended = await db.ApiKeys.IgnoreQueryFilters(TenantFilter).AsNoTracking()
            .Where(k => k.GraceEndsAt != null && k.GraceEndsAt <= now && k.ExpiryRecordedAt == null && k.RevokedAt == null)
            .OrderBy(k => k.GraceEndsAt)
            .Select(k => new { k.Id, k.TenantId })
            .ToListAsync(cancellationToken);

        var recorded = 0;
        foreach (var key in ended)
        {
            if (await RecordAsync(key.Id, key.TenantId, now, cancellationToken))
            {
                recorded++;
            }
        }

        return new JobOutcome($"recorded the end of grace of {recorded} key(s)", DidNothing: recorded == 0);
    }

    private async Task<bool> RecordAsync(Guid keyId, Guid tenantId, DateTime now, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        using var tenant = scope.ServiceProvider.GetRequiredService<TenantContext>().Use(tenantId);
        var keys = scope.ServiceProvider.GetRequiredService<CredentialsDbContext>();
        await using var transaction = await keys.Database.BeginTransactionAsync(cancellationToken);
        // The claim: of two servers, one updates the row, the other finds it already recorded.
        var claimed = await keys.ApiKeys.Where(k => k.Id == keyId && k.ExpiryRecordedAt == null && k.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(k => k.ExpiryRecordedAt, now), cancellationToken);
        if (claimed == 0)
        {
            return false;
        }

        var key = await keys.ApiKeys.AsNoTracking().SingleAsync(k => k.Id == keyId, cancellationToken);
        var actor = Actor.SystemJob(JobName);
        keys.AuditEvents.Add(new AuditEvent
        {
            Id = Guid.CreateVersion7(),
            TenantId = tenantId,
            OccurredAt = now,
            Action = AuditActions.KeyExpired,
            ActorType = actor.Type,
            ActorName = actor.Name,
            ApiKeyId = key.Id,
            ApiKeyPrefix = key.Prefix,
            ApiKeyName = key.Name,
            Detail = $"grace ended {key.GraceEndsAt:yyyy-MM-dd HH:mm} UTC",
        });
        keys.Publish(new ApiKeyGraceEnded(Guid.CreateVersion7(), tenantId, now,
            new KeyReference(key.Id, key.Name, key.Prefix, key.ExpiresAt), key.GraceEndsAt!.Value));
        await keys.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        logger.LogInformation("Recorded the end of grace of API key {KeyId} ({Prefix}) in tenant {TenantId}", key.Id, key.Prefix, tenantId);
        return true;
    }
}
