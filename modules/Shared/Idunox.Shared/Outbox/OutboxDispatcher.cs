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

        return await LeasedDelivery.RunAsync(due, new Steps(this, db, logger), clock, cancellationToken);
    }

    private sealed class Steps(OutboxDispatcher<TContext> outbox, TContext db, ILogger logger) : LeaseSteps<OutboxMessage>
    {
        private DbSet<OutboxMessage> Messages => db.Set<OutboxMessage>();

        public override async Task<bool> ClaimAsync(OutboxMessage message, DateTime now, CancellationToken cancellationToken) =>
            await Messages.Where(m => m.Sequence == message.Sequence && m.ProcessedAt == null && (m.NextAttemptAt == null || m.NextAttemptAt <= now))
                .ExecuteUpdateAsync(s => s.SetProperty(m => m.NextAttemptAt, now + Lease).SetProperty(m => m.Attempts, m => m.Attempts + 1), cancellationToken) > 0;

        public override Task WorkAsync(OutboxMessage message, DateTime now, CancellationToken cancellationToken) =>
            outbox.DeliverAsync(message, cancellationToken);

        public override Task MarkDoneAsync(OutboxMessage message, DateTime now, CancellationToken cancellationToken) =>
            Messages.Where(m => m.Sequence == message.Sequence)
                .ExecuteUpdateAsync(s => s.SetProperty(m => m.ProcessedAt, now).SetProperty(m => m.LastError, (string?)null), cancellationToken);

        public override Task MarkFailedAsync(OutboxMessage message, DateTime retryAt, string error, Exception exception, CancellationToken cancellationToken)
        {
            logger.LogWarning(exception, "Delivering {EventType} {EventId} failed; retrying at {RetryAt}", message.Type, message.EventId, retryAt);
            return Messages.Where(m => m.Sequence == message.Sequence)
                .ExecuteUpdateAsync(s => s.SetProperty(m => m.NextAttemptAt, retryAt).SetProperty(m => m.LastError, error), cancellationToken);
        }

        public override int AttemptsBefore(OutboxMessage message) => message.Attempts;
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

}

/// <summary>Delivered events are kept for the retention period (to look into a delivery), then removed.</summary>
public sealed class DeliveredOutboxRetention<TContext>(TContext db) : IRetentionPolicy
    where TContext : ModuleDbContext
{
    public string What => $"delivered {db.Schema} events";

    public Task<int> PurgeAsync(DateTime now, TimeSpan retention, CancellationToken cancellationToken)
    {
        var before = now - retention;
        return db.Set<OutboxMessage>().Where(m => m.ProcessedAt != null && m.ProcessedAt < before).ExecuteDeleteAsync(cancellationToken);
    }
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
        int failed = 0, delivered = 0;
        foreach (var outbox in outboxes)
        {
            var result = await outbox.DispatchAsync(cancellationToken);
            failed += result.Failed;
            delivered += result.Delivered;
            parts.Add($"{outbox.Module}: {result.Delivered} delivered, {result.Failed} failed");
        }

        var summary = parts.Count == 0 ? "no outboxes" : string.Join("; ", parts);
        return failed > 0
            ? throw new JobRetryException($"{summary}. Failed events are retried with backoff.")
            : new JobOutcome(summary, DidNothing: delivered == 0);
    }
}

public static class IntegrationEventServiceCollectionExtensions
{
    /// <summary>Delivers <typeparamref name="TContext"/>'s outbox with the <c>outbox-dispatch</c> job.</summary>
    public static IServiceCollection AddOutbox<TContext>(this IServiceCollection services)
        where TContext : ModuleDbContext
    {
        services.AddScoped<IOutboxDispatcher, OutboxDispatcher<TContext>>();
        services.AddScoped<IRetentionPolicy, DeliveredOutboxRetention<TContext>>();
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
