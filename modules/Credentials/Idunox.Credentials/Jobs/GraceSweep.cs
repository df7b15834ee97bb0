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
/// Its work list is <see cref="PendingGraceEnd"/> (a row per rotated key, written by the rotation). Set-based, in
/// batches of <c>Jobs:BatchSize</c>, a transaction each: a batch is claimed by deleting its due rows from the work list
/// (on PostgreSQL <c>FOR UPDATE SKIP LOCKED</c>, so servers sweeping at once share the backlog instead of queueing on
/// each other's rows), and the audit and outbox events of its keys are written in the same transaction — on PostgreSQL
/// in the same statement. A key revoked during its grace leaves the list without a record (its revocation was recorded).
/// A run that dies mid-batch rolls that batch back whole; the next run claims it again.
/// </remarks>
internal sealed class GraceSweep(IServiceScopeFactory scopes, CredentialsDbContext db, JobBatches batches, TimeProvider clock, ILogger<GraceSweep> logger)
    : IRecurringJob
{
    public const string JobName = "grace-sweep";

    private sealed record Claimed(Guid Id, Guid TenantId, string Name, string Prefix, DateTime ExpiresAt, DateTime GraceEndsAt);

    /// <summary>What one batch took from the work list (<paramref name="Taken"/>) and recorded, for its log line.</summary>
    private sealed record Batch(int Taken, int Keys, int Tenants, DateTime From, DateTime To);

    public async Task<JobOutcome> RunAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        // On PostgreSQL, batches in parallel (their claims skip each other's rows): two statements keep both cores of a
        // small server busy. SQLite has one writer: one at a time.
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
                recorded += batch.Keys;
                if (batch.Taken < batches.Size)
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

    private async Task<Batch> RecordBatchAsync(CredentialsDbContext db, DateTime now, CancellationToken cancellationToken)
    {
        var strategy = db.Database.CreateExecutionStrategy();
        return await strategy.ExecuteAsync(async ct =>
        {
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            var batch = db.Database.IsNpgsql()
                ? await RecordInOneStatementAsync(db, transaction, now, ct)
                : await ClaimThenRecordAsync(db, transaction, now, ct);
            if (batch.Taken == 0)
            {
                return batch;
            }

            await transaction.CommitAsync(ct);
            if (batch.Keys > 0)
            {
                logger.LogInformation("Recorded the end of grace of {Count} API key(s) in {Tenants} organisation(s), grace ended {From:u} to {To:u}",
                    batch.Keys, batch.Tenants, batch.From, batch.To);
            }

            return batch;
        }, cancellationToken);
    }

    /// <summary>
    /// PostgreSQL: the claim, the audit events and the outbox events of a batch in one statement (data-modifying CTEs),
    /// so the batch's rows never travel to this process and back. The batch is chosen once, in a materialised CTE (a LIMIT
    /// in an IN subquery may be evaluated again and claim more), skipping rows another server holds, and deleted by the
    /// rows' physical addresses (a locked row keeps its own) as an array: joined to the CTE instead, PostgreSQL hashed the
    /// whole work list for every batch (25 of 64 ms a batch at 100 000 rows); an array of addresses is a TID scan. The event ids and audit ids are made here (version 7, in time
    /// order, as everywhere else) and passed as arrays; the payload is the <see cref="ApiKeyGraceEnded"/> that
    /// <see cref="OutboxMessage.From"/> would write (a test reads it back on both providers).
    /// </summary>
    private async Task<Batch> RecordInOneStatementAsync(CredentialsDbContext db, IDbContextTransaction transaction, DateTime now, CancellationToken cancellationToken)
    {
        var p = SqlNames.Of<PendingGraceEnd>(db);
        var k = SqlNames.Of<ApiKey>(db);
        var a = SqlNames.Of<AuditEvent>(db);
        var o = SqlNames.Of<OutboxMessage>(db);
        var graceEndsAt = p.Column(nameof(PendingGraceEnd.GraceEndsAt));
        const string iso = "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'"; // how System.Text.Json writes a UTC DateTime
        static string Iso(string timestamp) => $"to_char({timestamp} AT TIME ZONE 'UTC', {iso})";

        await using var command = db.Database.GetDbConnection().CreateCommand();
        command.Transaction = transaction.GetDbTransaction();
        command.CommandText = $"""
            WITH due AS MATERIALIZED (
                SELECT ctid FROM {p.Table} WHERE {graceEndsAt} <= @now ORDER BY {graceEndsAt} LIMIT @batch FOR UPDATE SKIP LOCKED),
            taken AS (
                DELETE FROM {p.Table} AS p WHERE p.ctid = ANY (ARRAY(SELECT ctid FROM due)) RETURNING p.{p.Column(nameof(PendingGraceEnd.KeyId))} AS key_id),
            claimed AS (
                SELECT k.{k.Column(nameof(ApiKey.Id))} AS id, k.{k.Column(nameof(ApiKey.TenantId))} AS tenant_id, k.{k.Column(nameof(ApiKey.Name))} AS name,
                       k.{k.Column(nameof(ApiKey.Prefix))} AS prefix, k.{k.Column(nameof(ApiKey.ExpiresAt))} AS expires_at,
                       k.{k.Column(nameof(ApiKey.GraceEndsAt))} AS grace_ends_at,
                       -- events of one organisation next to each other: the outbox hands them to the notices as one digest
                       (row_number() OVER (ORDER BY k.{k.Column(nameof(ApiKey.TenantId))}, k.{k.Column(nameof(ApiKey.GraceEndsAt))}, k.{k.Column(nameof(ApiKey.Id))}))::int AS n
                FROM taken JOIN {k.Table} AS k ON k.{k.Column(nameof(ApiKey.Id))} = taken.key_id
                WHERE k.{k.Column(nameof(ApiKey.RevokedAt))} IS NULL),
            audit AS (
                INSERT INTO {a.Table} ({a.Columns(nameof(AuditEvent.Id), nameof(AuditEvent.TenantId), nameof(AuditEvent.OccurredAt), nameof(AuditEvent.Position),
                    nameof(AuditEvent.Action), nameof(AuditEvent.ActorType), nameof(AuditEvent.ActorName), nameof(AuditEvent.ApiKeyId), nameof(AuditEvent.ApiKeyPrefix),
                    nameof(AuditEvent.ApiKeyName), nameof(AuditEvent.Detail))})
                SELECT (@audit_ids)[n], tenant_id, @now, 0, @action, @actor_type, @actor_name, id, prefix, name,
                       'grace ended ' || to_char(grace_ends_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') || ' UTC'
                FROM claimed),
            events AS (
                INSERT INTO {o.Table} ({o.Columns(nameof(OutboxMessage.EventId), nameof(OutboxMessage.TenantId), nameof(OutboxMessage.Type), nameof(OutboxMessage.Payload),
                    nameof(OutboxMessage.OccurredAt), nameof(OutboxMessage.Priority), nameof(OutboxMessage.Attempts))})
                SELECT (@event_ids)[n], tenant_id, @type,
                       json_build_object('eventId', (@event_ids)[n], 'tenantId', tenant_id, 'occurredAt', {Iso("@now")},
                           'key', json_build_object('id', id, 'name', name, 'prefix', prefix, 'expiresAt', {Iso("expires_at")}),
                           'graceEndedAt', {Iso("grace_ends_at")})::text,
                       @now, @priority, 0
                FROM claimed ORDER BY n)
            SELECT (SELECT count(*) FROM taken)::int, count(*)::int, count(DISTINCT tenant_id)::int, min(grace_ends_at), max(grace_ends_at) FROM claimed
            """;
        var actor = Actor.SystemJob(JobName);
        command.AddParameter("now", now);
        command.AddParameter("batch", batches.Size);
        command.AddParameter("audit_ids", NewIds(batches.Size));
        command.AddParameter("event_ids", NewIds(batches.Size));
        command.AddParameter("action", AuditActions.KeyExpired);
        command.AddParameter("actor_type", actor.Type);
        command.AddParameter("actor_name", actor.Name);
        command.AddParameter("type", nameof(ApiKeyGraceEnded));
        command.AddParameter("priority", OutboxMessage.Bulk);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var keys = reader.GetInt32(1);
        return keys == 0
            ? new Batch(reader.GetInt32(0), 0, 0, now, now)
            : new Batch(reader.GetInt32(0), keys, reader.GetInt32(2), Utc(reader.GetDateTime(3)), Utc(reader.GetDateTime(4)));
    }

    private static Guid[] NewIds(int count)
    {
        var ids = new Guid[count];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = Guid.CreateVersion7();
        }

        return ids;
    }

    /// <summary>SQLite (one writer, no round trips to speak of): a plain delete claims the batch, the change tracker writes the rest.</summary>
    private async Task<Batch> ClaimThenRecordAsync(CredentialsDbContext db, IDbContextTransaction transaction, DateTime now, CancellationToken cancellationToken)
    {
        var taken = await TakeAsync(db, transaction, now, cancellationToken);
        if (taken.Count == 0)
        {
            return new Batch(0, 0, 0, now, now);
        }

        var claimed = await db.ApiKeys.IgnoreQueryFilters().AsNoTracking()
            .Where(k => taken.Contains(k.Id) && k.RevokedAt == null)
            .Select(k => new Claimed(k.Id, k.TenantId, k.Name, k.Prefix, k.ExpiresAt, k.GraceEndsAt!.Value))
            .ToListAsync(cancellationToken);
        if (claimed.Count == 0)
        {
            return new Batch(taken.Count, 0, 0, now, now);
        }

        claimed.Sort((x, y) => x.TenantId.CompareTo(y.TenantId));
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

        await db.InsertAsync(audit, cancellationToken);
        await db.InsertAsync(events, cancellationToken);
        return new Batch(taken.Count, claimed.Count, claimed.Select(x => x.TenantId).Distinct().Count(), claimed.Min(x => x.GraceEndsAt), claimed.Max(x => x.GraceEndsAt));
    }

    /// <summary>Deletes up to a batch of due rows from the work list and answers their keys' ids.</summary>
    private async Task<List<Guid>> TakeAsync(CredentialsDbContext db, IDbContextTransaction transaction, DateTime now, CancellationToken cancellationToken)
    {
        var p = SqlNames.Of<PendingGraceEnd>(db);
        string keyId = p.Column(nameof(PendingGraceEnd.KeyId)), graceEndsAt = p.Column(nameof(PendingGraceEnd.GraceEndsAt));
        await using var command = db.Database.GetDbConnection().CreateCommand();
        command.Transaction = transaction.GetDbTransaction();
        command.CommandText =
            $"DELETE FROM {p.Table} WHERE {keyId} IN (SELECT {keyId} FROM {p.Table} WHERE {graceEndsAt} <= @now ORDER BY {graceEndsAt} LIMIT @batch) RETURNING {keyId}";
        command.AddParameter("now", now);
        command.AddParameter("batch", batches.Size);
        var taken = new List<Guid>(batches.Size);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            taken.Add(reader.GetGuid(0));
        }

        return taken;
    }

    private static DateTime Utc(DateTime value) => DateTime.SpecifyKind(value, DateTimeKind.Utc);
}
