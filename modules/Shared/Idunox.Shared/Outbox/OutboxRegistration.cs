using Idunox.Shared.Jobs;
using Idunox.Shared.Persistence;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Idunox.Shared.Outbox;

/// <summary>How a module plugs into the outbox: its own outbox delivered by the job and the pump, and its subscriptions.</summary>
public static class IntegrationEventServiceCollectionExtensions
{
    /// <summary>Delivers <typeparamref name="TContext"/>'s outbox with the <c>outbox-dispatch</c> job.</summary>
    public static IServiceCollection AddOutbox<TContext>(this IServiceCollection services)
        where TContext : ModuleDbContext
    {
        services.AddScoped<IOutboxDispatcher, OutboxDispatcher<TContext>>();
        services.TryAddSingleton(sp => OutboxOptions.From(sp.GetRequiredService<Microsoft.Extensions.Configuration.IConfiguration>()));
        if (!services.Any(d => d.ImplementationType == typeof(UrgentOutboxPump)))
        {
            services.AddHostedService<UrgentOutboxPump>();
        }
        services.AddScoped<IRetentionPolicy, DeliveredOutboxRetention<TContext>>();
        services.TryAddSingleton<EventDeliveries>();
        if (!services.Any(d => d.ServiceType == typeof(OutboxDispatchJob)))
        {
            services.AddRecurringJob<OutboxDispatchJob>(OutboxDispatchJob.JobName, "* * * * *");
        }

        return services;
    }

    /// <summary>Subscribes <typeparamref name="THandler"/> to batches of <typeparamref name="TEvent"/>, whichever module publishes it.</summary>
    public static IServiceCollection AddIntegrationEventBatchHandler<TEvent, THandler>(this IServiceCollection services)
        where TEvent : IIntegrationEvent
        where THandler : class, IIntegrationEventBatchHandler<TEvent>
    {
        services.AddScoped<IIntegrationEventBatchHandler<TEvent>, THandler>();
        services.AddSingleton<EventDelivery, EventDelivery<TEvent>>();
        services.TryAddSingleton<EventDeliveries>();
        return services;
    }

    /// <summary>Subscribes <typeparamref name="THandler"/> to <typeparamref name="TEvent"/>, whichever module publishes it.</summary>
    public static IServiceCollection AddIntegrationEventHandler<TEvent, THandler>(this IServiceCollection services)
        where TEvent : IIntegrationEvent
        where THandler : class, IIntegrationEventHandler<TEvent>
    {
        services.AddScoped<IIntegrationEventHandler<TEvent>, THandler>();
        services.AddSingleton<EventDelivery, EventDelivery<TEvent>>();
        services.TryAddSingleton<EventDeliveries>();
        return services;
    }
}
