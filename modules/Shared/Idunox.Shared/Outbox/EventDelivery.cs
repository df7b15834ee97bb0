using Microsoft.Extensions.DependencyInjection;

namespace Idunox.Shared.Outbox;

/// <summary>An event as the outbox stores it: its id and its JSON.</summary>
public readonly record struct StoredEvent(Guid EventId, string Payload);

/// <summary>
/// How one event type reaches its subscribers, typed: the stored JSON read as <c>TEvent</c>, then every batch handler
/// with the whole run and every single-event handler with each event, in order. One per subscribed type, registered with
/// the subscription (no reflection at delivery).
/// </summary>
public abstract class EventDelivery
{
    /// <summary>The name the outbox stores for the event type.</summary>
    public abstract string EventName { get; }

    public abstract Task DeliverAsync(IServiceProvider services, IReadOnlyList<StoredEvent> run, CancellationToken cancellationToken);
}

public sealed class EventDelivery<TEvent> : EventDelivery
    where TEvent : IIntegrationEvent
{
    public override string EventName => typeof(TEvent).Name;

    public override async Task DeliverAsync(IServiceProvider services, IReadOnlyList<StoredEvent> run, CancellationToken cancellationToken)
    {
        var events = run.Select(e => (TEvent)OutboxMessage.Read(e.Payload, typeof(TEvent), e.EventId)).ToList();
        foreach (var handler in services.GetServices<IIntegrationEventBatchHandler<TEvent>>())
        {
            await handler.HandleAsync(events, cancellationToken);
        }

        var handlers = services.GetServices<IIntegrationEventHandler<TEvent>>().ToList();
        foreach (var @event in events)
        {
            foreach (var handler in handlers)
            {
                await handler.HandleAsync(@event, cancellationToken);
            }
        }
    }
}

/// <summary>The event types some module subscribes to, by the name the outbox stores, each with its delivery.</summary>
public sealed class EventDeliveries(IEnumerable<EventDelivery> deliveries)
{
    private readonly Dictionary<string, EventDelivery> _byName =
        deliveries.GroupBy(d => d.EventName).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);

    public bool TryGet(string name, out EventDelivery delivery) => _byName.TryGetValue(name, out delivery!);
}
