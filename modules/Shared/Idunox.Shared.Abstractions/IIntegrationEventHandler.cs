namespace Idunox.Shared;

/// <summary>
/// A subscriber to an integration event. Delivery is at least once, in the event's tenant; a handler must be idempotent
/// (the event's <see cref="IIntegrationEvent.EventId"/> identifies a redelivery).
/// </summary>
public interface IIntegrationEventHandler<in TEvent>
    where TEvent : IIntegrationEvent
{
    Task HandleAsync(TEvent @event, CancellationToken cancellationToken);
}

/// <summary>
/// A subscriber that takes several events of one type at once: consecutive events of one tenant, in the order they were
/// written (a digest of many grace endings, say). Delivery is at least once; when a batch fails, its events are handed
/// over one at a time, so only the failing event is retried.
/// </summary>
public interface IIntegrationEventBatchHandler<in TEvent>
    where TEvent : IIntegrationEvent
{
    Task HandleAsync(IReadOnlyList<TEvent> events, CancellationToken cancellationToken);
}
