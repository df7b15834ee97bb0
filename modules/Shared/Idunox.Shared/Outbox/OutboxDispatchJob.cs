using Idunox.Shared.Jobs;

namespace Idunox.Shared.Outbox;

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
            : new JobOutcome(summary, DidNothing: delivered == 0, Items: delivered);
    }
}

/// <summary>Part of a job's work failed and will be retried; the job run is reported as failed.</summary>
public sealed class JobRetryException(string message) : Exception(message);
