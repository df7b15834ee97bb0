using Idunox.Shared.Jobs;
using Idunox.Shared.MultiTenancy;
using Idunox.Shared.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Idunox.Shared.Outbox;

/// <summary>
/// Delivers one module's outbox to the subscribers of its events, oldest first, each message in its own tenant. A
/// message is claimed with a lease before delivery, so two servers never deliver it at the same time; it is marked done
/// only when every handler succeeded, else retried with backoff (handlers are idempotent, so a retry is harmless).
/// </summary>
public interface IOutboxDispatcher
{
    string Module { get; }

    Task<(int Delivered, int Failed)> DispatchAsync(CancellationToken cancellationToken);
}

public sealed class OutboxDispatcher<TContext>(
    IServiceScopeFactory scopes,
    TContext db,
    IntegrationEventTypes types,
    TimeProvider clock,
    ILogger<OutboxDispatcher<TContext>> logger)
    : IOutboxDispatcher
    where TContext : ModuleDbContext
{
    public string Module => db.Schema;

    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(5);
    private const int Batch = 200;

    public async Task<(int Delivered, int Failed)> DispatchAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var due = await db.Set<OutboxMessage>().AsNoTracking()
            .Where(m => m.ProcessedAt == null && (m.NextAttemptAt == null || m.NextAttemptAt <= now))
            .OrderBy(m => m.Sequence).Take(Batch)
            .ToListAsync(cancellationToken);

        int delivered = 0, failed = 0;
        foreach (var message in due)
        {
            now = clock.GetUtcNow().UtcDateTime; // each lease counts from its own claim, however long the batch takes
            var claimed = await db.Set<OutboxMessage>()
                .Where(m => m.Sequence == message.Sequence && m.ProcessedAt == null && (m.NextAttemptAt == null || m.NextAttemptAt <= now))
                .ExecuteUpdateAsync(s => s.SetProperty(m => m.NextAttemptAt, now + Lease).SetProperty(m => m.Attempts, m => m.Attempts + 1), cancellationToken);
            if (claimed == 0)
            {
                continue; // another server has it
            }

            try
            {
                await DeliverAsync(message, cancellationToken);
                await db.Set<OutboxMessage>().Where(m => m.Sequence == message.Sequence)
                    .ExecuteUpdateAsync(s => s.SetProperty(m => m.ProcessedAt, now).SetProperty(m => m.LastError, (string?)null), cancellationToken);
                delivered++;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                failed++;
                var retryAt = now + Backoff(message.Attempts + 1);
                logger.LogWarning(e, "Delivering {EventType} {EventId} failed; retrying at {RetryAt}", message.Type, message.EventId, retryAt);
                var error = Truncate($"{e.GetType().Name}: {e.Message}");
                await db.Set<OutboxMessage>().Where(m => m.Sequence == message.Sequence)
                    .ExecuteUpdateAsync(s => s.SetProperty(m => m.NextAttemptAt, retryAt).SetProperty(m => m.LastError, error), cancellationToken);
            }
        }

        return (delivered, failed);
    }

    private async Task DeliverAsync(OutboxMessage message, CancellationToken cancellationToken)
    {
        if (!types.TryGet(message.Type, out var eventType))
        {
            return; // nobody subscribes to this event: delivered to all (none) of its subscribers
        }

        var @event = (IIntegrationEvent)message.Read(eventType);
        // Each delivery in a scope of its own, in the event's tenant.
        await using var scope = scopes.CreateAsyncScope();
        using var tenant = scope.ServiceProvider.GetRequiredService<TenantContext>().Use(message.TenantId);
        var handlerType = typeof(IIntegrationEventHandler<>).MakeGenericType(eventType);
        foreach (var handler in scope.ServiceProvider.GetServices(handlerType))
        {
            await (Task)handlerType.GetMethod(nameof(IIntegrationEventHandler<IIntegrationEvent>.HandleAsync))!
                .Invoke(handler, [@event, cancellationToken])!;
        }
    }

    /// <summary>1, 2, 4, … minutes, at most an hour.</summary>
    public static TimeSpan Backoff(int attempt) => TimeSpan.FromMinutes(Math.Min(60, Math.Pow(2, Math.Max(0, attempt - 1))));

    private static string Truncate(string text) => text.Length <= 2000 ? text : text[..2000];
}

/// <summary>The integration event types some module subscribes to, by the name the outbox stores.</summary>
public sealed class IntegrationEventTypes(IEnumerable<IntegrationEventType> types)
{
    private readonly Dictionary<string, Type> _byName = types.GroupBy(t => t.Type.Name).ToDictionary(g => g.Key, g => g.First().Type, StringComparer.Ordinal);

    public bool TryGet(string name, out Type type) => _byName.TryGetValue(name, out type!);
}

public sealed record IntegrationEventType(Type Type);

/// <summary>Part of a job's work failed and will be retried; the job run is reported as failed.</summary>
public sealed class JobRetryException(string message) : Exception(message);

/// <summary><c>outbox-dispatch</c>: delivers every module's outbox to the event subscribers.</summary>
public sealed class OutboxDispatchJob(IEnumerable<IOutboxDispatcher> outboxes) : IRecurringJob
{
    public const string JobName = "outbox-dispatch";

    public async Task<JobOutcome> RunAsync(CancellationToken cancellationToken)
    {
        var parts = new List<string>();
        var failed = 0;
        foreach (var outbox in outboxes)
        {
            var result = await outbox.DispatchAsync(cancellationToken);
            failed += result.Failed;
            parts.Add($"{outbox.Module}: {result.Delivered} delivered, {result.Failed} failed");
        }

        var summary = parts.Count == 0 ? "no outboxes" : string.Join("; ", parts);
        return failed > 0 ? throw new JobRetryException($"{summary}. Failed events are retried with backoff.") : new JobOutcome(summary);
    }
}

public static class IntegrationEventServiceCollectionExtensions
{
    /// <summary>Delivers <typeparamref name="TContext"/>'s outbox with the <c>outbox-dispatch</c> job.</summary>
    public static IServiceCollection AddOutbox<TContext>(this IServiceCollection services)
        where TContext : ModuleDbContext
    {
        services.AddScoped<IOutboxDispatcher, OutboxDispatcher<TContext>>();
        services.TryAddSingleton<IntegrationEventTypes>();
        if (!services.Any(d => d.ServiceType == typeof(OutboxDispatchJob)))
        {
            services.AddRecurringJob<OutboxDispatchJob>(OutboxDispatchJob.JobName, "* * * * *");
        }

        return services;
    }

    /// <summary>Subscribes <typeparamref name="THandler"/> to <typeparamref name="TEvent"/>, whichever module publishes it.</summary>
    public static IServiceCollection AddIntegrationEventHandler<TEvent, THandler>(this IServiceCollection services)
        where TEvent : IIntegrationEvent
        where THandler : class, IIntegrationEventHandler<TEvent>
    {
        services.AddScoped<IIntegrationEventHandler<TEvent>, THandler>();
        services.AddSingleton(new IntegrationEventType(typeof(TEvent)));
        services.TryAddSingleton<IntegrationEventTypes>();
        return services;
    }
}
