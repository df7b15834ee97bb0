using Idunox.Shared.Jobs;
using Microsoft.EntityFrameworkCore.Storage;
using Idunox.Shared.MultiTenancy;
using Idunox.Shared.Observability;
using Idunox.Shared.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Idunox.Shared.Outbox;

/// <summary>
/// Delivers one module's outbox to the subscribers of its events, in claims of <c>Outbox:BatchSize</c> (2 000) events:
/// first every event someone is waiting for (<see cref="OutboxMessage.Urgent"/>, the security notices), then bulk events
/// (<see cref="OutboxMessage.Bulk"/>, made by the system in numbers), checking for new urgent events before each bulk
/// claim, so no backlog delays a notice.
/// </summary>
/// <remarks>
/// <para>
/// Order: within a class, a tenant's events reach subscribers in the order they were written. A claim takes the next
/// events of a class in that order, leaving out any tenant that has an earlier event leased by another dispatcher or
/// waiting for its retry; claims are serialised (an advisory lock on PostgreSQL, the single writer on SQLite). When an
/// event fails, it waits for its retry (1, 2, 4 … 60 minutes) and the tenant's later events of its class wait with it.
/// </para>
/// <para>
/// A claim is a lease (5 minutes, counting the attempt); a tenant's consecutive events of one type go to a batch
/// subscriber together (<see cref="IIntegrationEventBatchHandler{TEvent}"/>), else one by one, each delivery in a scope
/// of its own in the event's tenant. An event is marked done when every subscriber took it; subscribers are idempotent
/// (an inbox of handled event ids), so a redelivery after a crash is harmless. When a batch fails, its events are tried
/// one at a time: only the failing one is retried.
/// </para>
/// </remarks>
public interface IOutboxDispatcher
{
    string Module { get; }

    /// <summary>Delivers what is due, urgent first; with <paramref name="urgentOnly"/>, only events someone is waiting for.</summary>
    Task<(int Delivered, int Failed)> DispatchAsync(CancellationToken cancellationToken, bool urgentOnly = false);

    /// <summary>What waits to be delivered: for the staff area and operators.</summary>
    Task<OutboxBacklog> BacklogAsync(CancellationToken cancellationToken);
}

/// <summary>Events not delivered yet: <paramref name="Urgent"/> (notices) and <paramref name="Bulk"/>, the oldest written at <paramref name="OldestAt"/>, <paramref name="Failing"/> waiting for a retry.</summary>
public sealed record OutboxBacklog(int Urgent, int Bulk, DateTime? OldestAt, int Failing);

public sealed class OutboxDispatcher<TContext>(
    IServiceScopeFactory scopes,
    TContext db,
    EventDeliveries deliveries,
    OutboxOptions options,
    TimeProvider clock,
    ILogger<OutboxDispatcher<TContext>> logger)
    : IOutboxDispatcher
    where TContext : ModuleDbContext
{
    public string Module => db.Schema;

    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(5);

    public async Task<OutboxBacklog> BacklogAsync(CancellationToken cancellationToken)
    {
        var rows = await db.Set<OutboxMessage>().AsNoTracking().Where(m => m.ProcessedAt == null).GroupBy(m => m.Priority)
            .Select(g => new { Priority = g.Key, Count = g.Count(), Oldest = g.Min(m => (DateTime?)m.OccurredAt), Failing = g.Count(m => m.LastError != null) })
            .ToListAsync(cancellationToken);
        return new OutboxBacklog(
            rows.Where(r => r.Priority == OutboxMessage.Urgent).Sum(r => r.Count),
            rows.Where(r => r.Priority != OutboxMessage.Urgent).Sum(r => r.Count),
            rows.Min(r => r.Oldest),
            rows.Sum(r => r.Failing));
    }

    private sealed record Claimed(long Sequence, Guid EventId, Guid TenantId, string Type, string Payload, int Attempts);

    public async Task<(int Delivered, int Failed)> DispatchAsync(CancellationToken cancellationToken, bool urgentOnly = false)
    {
        int delivered = 0, failed = 0;
        while (true)
        {
            // Urgent events first, and again before every bulk claim.
            var claim = await ClaimAsync(OutboxMessage.Urgent, cancellationToken);
            if (claim.Count == 0 && !urgentOnly)
            {
                claim = await ClaimAsync(OutboxMessage.Bulk, cancellationToken);
            }

            if (claim.Count == 0)
            {
                return (delivered, failed);
            }

            var (done, failures) = await DeliverAsync(claim, cancellationToken);
            delivered += done;
            failed += failures;
        }
    }

    /// <summary>Leases the next due events of a class (in sequence order, leaving out tenants with an earlier event leased or waiting).</summary>
    private async Task<List<Claimed>> ClaimAsync(int priority, CancellationToken cancellationToken)
    {
        var t = SqlNames.Of<OutboxMessage>(db);
        string sequence = t.Column(nameof(OutboxMessage.Sequence)), processed = t.Column(nameof(OutboxMessage.ProcessedAt)),
            next = t.Column(nameof(OutboxMessage.NextAttemptAt)), tenant = t.Column(nameof(OutboxMessage.TenantId)),
            prio = t.Column(nameof(OutboxMessage.Priority)), attempts = t.Column(nameof(OutboxMessage.Attempts));
        var due = $"SELECT o.{sequence} FROM {t.Table} o WHERE o.{processed} IS NULL AND o.{prio} = @priority AND (o.{next} IS NULL OR o.{next} <= @now) " +
                  $"AND NOT EXISTS (SELECT 1 FROM {t.Table} e WHERE e.{tenant} = o.{tenant} AND e.{prio} = o.{prio} AND e.{processed} IS NULL " +
                  $"AND e.{next} > @now AND e.{sequence} < o.{sequence}) ORDER BY o.{sequence} LIMIT @batch";
        string[] returned = [sequence, t.Column(nameof(OutboxMessage.EventId)), tenant, t.Column(nameof(OutboxMessage.Type)), t.Column(nameof(OutboxMessage.Payload)), attempts];
        var postgres = db.Database.IsNpgsql();
        var strategy = db.Database.CreateExecutionStrategy();
        return await strategy.ExecuteAsync(async ct =>
        {
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            await using var command = db.Database.GetDbConnection().CreateCommand();
            command.Transaction = transaction.GetDbTransaction();
            // PostgreSQL: one claim at a time per outbox (a transaction-scoped advisory lock), so no claim can take a
            // tenant's later event while another is taking its earlier one. SQLite: the statement holds the write lock.
            command.CommandText = postgres
                ? $"SELECT pg_advisory_xact_lock(hashtext('{t.Table.Replace("'", "''", StringComparison.Ordinal)}')); " +
                  $"WITH due AS MATERIALIZED ({due}) UPDATE {t.Table} AS m SET {next} = @lease, {attempts} = m.{attempts} + 1 FROM due " +
                  $"WHERE m.{sequence} = due.{sequence} RETURNING {string.Join(", ", returned.Select(c => "m." + c))}"
                : $"UPDATE {t.Table} SET {next} = @lease, {attempts} = {attempts} + 1 WHERE {sequence} IN ({due}) " +
                  $"RETURNING {string.Join(", ", returned)}";
            var now = clock.GetUtcNow().UtcDateTime;
            command.AddParameter("priority", priority);
            command.AddParameter("now", now);
            command.AddParameter("lease", now + Lease);
            command.AddParameter("batch", options.BatchSize);
            var claimed = new List<Claimed>();
            await using (var reader = await command.ExecuteReaderAsync(ct))
            {
                do
                {
                    while (await reader.ReadAsync(ct))
                    {
                        if (reader.FieldCount == returned.Length)
                        {
                            claimed.Add(new Claimed(reader.GetInt64(0), reader.GetGuid(1), reader.GetGuid(2), reader.GetString(3), reader.GetString(4), reader.GetInt32(5)));
                        }
                    }
                }
                while (await reader.NextResultAsync(ct));
            }

            await transaction.CommitAsync(ct);
            claimed.Sort((a, b) => a.Sequence.CompareTo(b.Sequence));
            return claimed;
        }, cancellationToken);
    }

    /// <summary>Hands a claim to the subscribers, a tenant's consecutive events of one type together; answers (done, failed).</summary>
    private async Task<(int Done, int Failed)> DeliverAsync(List<Claimed> claim, CancellationToken cancellationToken)
    {
        var done = new List<long>();
        var released = new List<long>();
        var failed = 0;
        foreach (var tenant in claim.GroupBy(c => c.TenantId))
        {
            var events = tenant.ToList(); // in sequence order
            var stopped = false;
            foreach (var run in Runs(events))
            {
                if (stopped)
                {
                    released.AddRange(run.Select(c => c.Sequence)); // behind a failed event of its tenant: waits with it
                    continue;
                }

                if (await TryDeliverAsync(run, cancellationToken) is null)
                {
                    done.AddRange(run.Select(c => c.Sequence));
                    continue;
                }

                // The run failed together: one at a time, so only the failing event is retried.
                for (var i = 0; i < run.Count; i++)
                {
                    if (stopped)
                    {
                        released.Add(run[i].Sequence);
                    }
                    else if (await TryDeliverAsync([run[i]], cancellationToken) is { } error)
                    {
                        failed++;
                        stopped = true;
                        await MarkFailedAsync(run[i], error);
                    }
                    else
                    {
                        done.Add(run[i].Sequence);
                    }
                }
            }
        }

        var now = clock.GetUtcNow().UtcDateTime;
        var messages = db.Set<OutboxMessage>();
        foreach (var chunk in done.Chunk(1_000))
        {
            await messages.Where(m => chunk.Contains(m.Sequence))
                .ExecuteUpdateAsync(s => s.SetProperty(m => m.ProcessedAt, now).SetProperty(m => m.LastError, (string?)null), CancellationToken.None);
        }

        if (released.Count > 0)
        {
            // Not tried: no attempt counted, and due again as soon as the event ahead of them is delivered.
            await messages.Where(m => released.Contains(m.Sequence))
                .ExecuteUpdateAsync(s => s.SetProperty(m => m.NextAttemptAt, (DateTime?)null).SetProperty(m => m.Attempts, m => m.Attempts - 1), CancellationToken.None);
        }

        return (done.Count, failed);
    }

    /// <summary>Consecutive events of one type (of one tenant): what a batch subscriber takes at once.</summary>
    private static IEnumerable<List<Claimed>> Runs(List<Claimed> events)
    {
        var run = new List<Claimed>();
        foreach (var e in events)
        {
            if (run.Count > 0 && run[0].Type != e.Type)
            {
                yield return run;
                run = [];
            }

            run.Add(e);
        }

        if (run.Count > 0)
        {
            yield return run;
        }
    }

    /// <summary>Delivers a run to every subscriber of its type; answers null, or what went wrong.</summary>
    private async Task<Exception?> TryDeliverAsync(List<Claimed> run, CancellationToken cancellationToken)
    {
        if (!deliveries.TryGet(run[0].Type, out var delivery))
        {
            return null; // nobody subscribes to this event: delivered to all (none) of its subscribers
        }

        using var activity = IdunoxTelemetry.Jobs.StartActivity("outbox deliver");
        activity?.SetTag("idunox.event.type", run[0].Type);
        activity?.SetTag("idunox.event.count", run.Count);
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            using var tenant = scope.ServiceProvider.GetRequiredService<TenantContext>().Use(run[0].TenantId);
            using var logScope = logger.BeginScope(new TenantLogScope(run[0].TenantId));
            await delivery.DeliverAsync(scope.ServiceProvider, [.. run.Select(c => new StoredEvent(c.EventId, c.Payload))], cancellationToken);
            return null;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            activity?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, e.GetType().Name);
            return e;
        }
    }

    private async Task MarkFailedAsync(Claimed message, Exception exception)
    {
        var retryAt = clock.GetUtcNow().UtcDateTime + LeasedDelivery.Backoff(message.Attempts);
        var error = $"{exception.GetType().Name}: {exception.Message}";
        error = error.Length > 2000 ? error[..2000] : error;
        logger.LogWarning(exception, "Delivering {EventType} {EventId} failed; retrying at {RetryAt}", message.Type, message.EventId, retryAt);
        await db.Set<OutboxMessage>().Where(m => m.Sequence == message.Sequence)
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.NextAttemptAt, retryAt).SetProperty(m => m.LastError, error), CancellationToken.None);
    }

}
