using System.Data.Common;
using Idunox.Credentials.Audit;
using Idunox.Credentials.Contracts;
using Idunox.Credentials.Keys;
using Idunox.Credentials.Persistence;
using Idunox.Shared.Jobs;
using Idunox.Shared.Outbox;
using Idunox.Shared.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Idunox.Credentials.Jobs;

/// <summary>
/// <c>grace-sweep</c> (every 5 minutes): records that a rotated key's grace has ended — an audit event and an
/// <see cref="ApiKeyGraceEnded"/> event, once per key. Verification refused the key from the instant its grace ended;
/// this job only records the fact and lets subscribers know.
/// </summary>
/// <remarks>
/// Set-based, in batches of <c>Jobs:BatchSize</c>: one statement claims a batch (marks it recorded and returns it;
/// on PostgreSQL <c>FOR UPDATE SKIP LOCKED</c>, so servers sweeping at once share the backlog instead of queueing on
/// each other's rows), one statement writes its audit events, one its outbox events, and the transaction commits.
/// A run that dies mid-batch rolls that batch back whole; the next run claims it again.
/// </remarks>
internal sealed class GraceSweep(IServiceScopeFactory scopes, CredentialsDbContext db, JobBatches batches, TimeProvider clock, ILogger<GraceSweep> logger)
    : IRecurringJob
{
    public const string JobName = "grace-sweep";

    private sealed record Claimed(Guid Id, Guid TenantId, string Name, string Prefix, DateTime ExpiresAt, DateTime GraceEndsAt);

    public async Task<JobOutcome> RunAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        // On PostgreSQL, batches in parallel (their claims skip each other's rows): while one waits for the database,
        // the other prepares its rows. SQLite has one writer: one at a time.
        var workers = db.Database.IsNpgsql() ? batches.Workers : 1;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var recorded = await Task.WhenAll(Enumerable.Range(0, workers).Select(_ => Task.Run(() => WorkAsync(now, stop), CancellationToken.None)));
        return new JobOutcome($"recorded the end of grace of {recorded.Sum()} key(s)", DidNothing: recorded.Sum() == 0, Items: recorded.Sum());
    }

    private async Task<int> WorkAsync(DateTime now, CancellationTokenSource stop)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var worker = scope.ServiceProvider.GetRequiredService<CredentialsDbContext>();
            await worker.Database.OpenConnectionAsync(stop.Token); // one connection for every batch of this worker
            var recorded = 0;
            while (true)
            {
                var batch = await RecordBatchAsync(worker, now, stop.Token);
                recorded += batch;
                if (batch < batches.Size)
                {
                    return recorded; // the backlog is done (or the rest is being claimed by another worker or server)
                }
            }
        }
        catch
        {
            await stop.CancelAsync(); // the run failed: the other workers stop too (their batch in hand rolls back)
            throw;
        }
    }

    private async Task<int> RecordBatchAsync(CredentialsDbContext db, DateTime now, CancellationToken cancellationToken)
    {
        var strategy = db.Database.CreateExecutionStrategy();
        return await strategy.ExecuteAsync(async ct =>
        {
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            var claimed = await ClaimAsync(db, transaction, now, ct);
            if (claimed.Count == 0)
            {
                return 0;
            }

            // Events of one organisation next to each other: the outbox hands them to the notices as one digest.
            claimed.Sort((a, b) => a.TenantId.CompareTo(b.TenantId));
            var actor = Actor.SystemJob(JobName);
            var audit = new List<AuditEvent>(claimed.Count);
            var events = new List<OutboxMessage>(claimed.Count);
            foreach (var key in claimed)
            {
                audit.Add(new AuditEvent
                {
                    Id = Guid.CreateVersion7(),
                    TenantId = key.TenantId,
                    OccurredAt = now,
                    Action = AuditActions.KeyExpired,
                    ActorType = actor.Type,
                    ActorName = actor.Name,
                    ApiKeyId = key.Id,
                    ApiKeyPrefix = key.Prefix,
                    ApiKeyName = key.Name,
                    Detail = $"grace ended {key.GraceEndsAt:yyyy-MM-dd HH:mm} UTC",
                });
                events.Add(OutboxMessage.From(new ApiKeyGraceEnded(Guid.CreateVersion7(), key.TenantId, now,
                    new KeyReference(key.Id, key.Name, key.Prefix, key.ExpiresAt), key.GraceEndsAt)));
            }

            await db.InsertAsync(audit, ct);
            await db.InsertAsync(events, ct);
            await transaction.CommitAsync(ct);
            logger.LogInformation("Recorded the end of grace of {Count} API key(s) in {Tenants} organisation(s), grace ended {From:u} to {To:u}",
                claimed.Count, claimed.Select(k => k.TenantId).Distinct().Count(), claimed.Min(k => k.GraceEndsAt), claimed.Max(k => k.GraceEndsAt));
            return claimed.Count;
        }, cancellationToken);
    }

    /// <summary>Marks up to a batch of keys whose grace ended (and is not yet recorded) as recorded, and answers them.</summary>
    private async Task<List<Claimed>> ClaimAsync(CredentialsDbContext db, IDbContextTransaction transaction, DateTime now, CancellationToken cancellationToken)
    {
        var t = SqlNames.Of<ApiKey>(db);
        string id = t.Column(nameof(ApiKey.Id)), graceEndsAt = t.Column(nameof(ApiKey.GraceEndsAt)), recordedAt = t.Column(nameof(ApiKey.ExpiryRecordedAt)),
            revokedAt = t.Column(nameof(ApiKey.RevokedAt));
        await using var command = db.Database.GetDbConnection().CreateCommand();
        command.Transaction = transaction.GetDbTransaction();
        var due = $"FROM {t.Table} WHERE {graceEndsAt} IS NOT NULL AND {graceEndsAt} <= @now AND {recordedAt} IS NULL AND {revokedAt} IS NULL " +
                  $"ORDER BY {graceEndsAt} LIMIT @batch";
        string[] returned = [id, t.Column(nameof(ApiKey.TenantId)), t.Column(nameof(ApiKey.Name)), t.Column(nameof(ApiKey.Prefix)), t.Column(nameof(ApiKey.ExpiresAt)), graceEndsAt];
        // PostgreSQL: the batch is chosen once, in a materialised CTE (a LIMIT in an IN subquery may be evaluated again
        // and claim more), skipping rows another server holds, and its rows are found again by their physical address
        // (a locked row keeps it): joined by id, the planner hashed the whole table for every batch (55 of 84 ms a batch
        // at 100 000 keys). SQLite has one writer: a plain subquery is exact.
        command.CommandText = db.Database.IsNpgsql()
            ? $"WITH due AS MATERIALIZED (SELECT ctid {due} FOR UPDATE SKIP LOCKED) UPDATE {t.Table} AS k SET {recordedAt} = @now FROM due " +
              $"WHERE k.ctid = due.ctid AND k.{recordedAt} IS NULL RETURNING {string.Join(", ", returned.Select(c => "k." + c))}"
            : $"UPDATE {t.Table} SET {recordedAt} = @now WHERE {id} IN (SELECT {id} {due}) AND {recordedAt} IS NULL RETURNING {string.Join(", ", returned)}";
        command.AddParameter("now", now);
        command.AddParameter("batch", batches.Size);
        var claimed = new List<Claimed>(batches.Size);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            claimed.Add(new Claimed(reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2), reader.GetString(3), Utc(reader.GetDateTime(4)), Utc(reader.GetDateTime(5))));
        }

        return claimed;
    }


    private static DateTime Utc(DateTime value) => DateTime.SpecifyKind(value, DateTimeKind.Utc);
}
