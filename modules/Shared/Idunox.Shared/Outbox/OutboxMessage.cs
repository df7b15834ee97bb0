using System.Text.Json;
using Microsoft.EntityFrameworkCore;

namespace Idunox.Shared.Outbox;

/// <summary>
/// An integration event waiting in its publisher's outbox. It is written in the same transaction as the change it
/// reports, so a change is never published without happening nor happens without being published.
/// </summary>
public sealed class OutboxMessage
{
    /// <summary>Assigned by the database in insertion order: events are delivered in the order they happened.</summary>
    public long Sequence { get; init; }

    /// <summary>The event's own id (<see cref="IIntegrationEvent.EventId"/>); unique.</summary>
    public Guid EventId { get; init; }

    public Guid TenantId { get; init; }

    /// <summary>The event's type name, e.g. <c>ApiKeyCreated</c>; subscribers dispatch on it.</summary>
    public required string Type { get; init; }

    /// <summary>The event as JSON (never a secret: events carry ids, prefixes and names).</summary>
    public required string Payload { get; init; }

    public DateTime OccurredAt { get; init; }

    /// <summary><see cref="Urgent"/> (someone is waiting: a security notice) or <see cref="Bulk"/> (made by the system in numbers); urgent goes first.</summary>
    public int Priority { get; init; }

    public const int Urgent = 0;
    public const int Bulk = 1;

    public DateTime? ProcessedAt { get; set; }

    public int Attempts { get; set; }

    /// <summary>Not before this time: a delivery under way holds a lease until then, a failed one waits for its retry.</summary>
    public DateTime? NextAttemptAt { get; set; }

    public string? LastError { get; set; }

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static OutboxMessage From(IIntegrationEvent @event) => new()
    {
        EventId = @event.EventId,
        TenantId = @event.TenantId,
        Type = @event.GetType().Name,
        Payload = JsonSerializer.Serialize(@event, @event.GetType(), Json),
        OccurredAt = @event.OccurredAt,
        Priority = @event is IBulkIntegrationEvent ? Bulk : Urgent,
    };

    public T Read<T>() where T : IIntegrationEvent => (T)Read(typeof(T));

    public object Read(Type eventType) => Read(Payload, eventType, EventId);

    public static object Read(string payload, Type eventType, Guid eventId) =>
        JsonSerializer.Deserialize(payload, eventType, Json) ?? throw new InvalidOperationException($"Outbox message {eventId} holds no {eventType.Name}.");
}

public static class OutboxModelBuilderExtensions
{
    /// <summary>Maps the module's outbox table (<c>outbox_messages</c> in the module's schema).</summary>
    public static ModelBuilder AddOutbox(this ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<OutboxMessage>(m =>
        {
            m.ToTable("outbox_messages");
            m.HasKey(x => x.Sequence);
            m.Property(x => x.Sequence).ValueGeneratedOnAdd();
            m.HasIndex(x => x.EventId).IsUnique();
            m.Property(x => x.Type).HasMaxLength(128);
            m.Property(x => x.LastError).HasMaxLength(2000);
            // Partial indexes, so writing an event (thousands at once in a grace sweep) touches as few as possible:
            // the dispatcher's claims (events still to deliver, by class), whether a tenant has an earlier event leased or
            // waiting for its retry (the per-tenant order; new events have no next attempt), and retention (delivered ones).
            m.HasIndex(x => new { x.Priority, x.Sequence }).HasDatabaseName("ix_outbox_messages_due").HasFilter("\"processed_at\" IS NULL");
            m.HasIndex(x => new { x.TenantId, x.Priority, x.NextAttemptAt }).HasDatabaseName("ix_outbox_messages_tenant_waiting")
                .HasFilter("\"processed_at\" IS NULL AND \"next_attempt_at\" IS NOT NULL");
            m.HasIndex(x => x.ProcessedAt).HasDatabaseName("ix_outbox_messages_delivered").HasFilter("\"processed_at\" IS NOT NULL");
        });
        return modelBuilder;
    }
}
