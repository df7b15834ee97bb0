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
