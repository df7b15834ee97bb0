using Idunox.Shared.Jobs;
using Idunox.Shared.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Idunox.Shared.Outbox;

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
