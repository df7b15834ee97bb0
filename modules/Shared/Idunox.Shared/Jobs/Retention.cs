using Microsoft.Extensions.Options;

namespace Idunox.Shared.Jobs;

/// <summary><c>Retention</c>: how long delivered events and sent e-mails are kept. The audit trail is kept for good.</summary>
public sealed class RetentionOptions
{
    public const string SectionName = "Retention";

    public int Days { get; set; } = 30;
}

/// <summary>One kind of record that is only useful for a while; each module contributes its own.</summary>
public interface IRetentionPolicy
{
    /// <summary>What is purged, in a few words (for the job's summary).</summary>
    string What { get; }

    /// <summary>Removes what has served its purpose by <paramref name="now"/>; answers how many rows went.</summary>
    Task<int> PurgeAsync(DateTime now, TimeSpan retention, CancellationToken cancellationToken);
}

/// <summary><c>retention</c> (daily): removes delivered outbox events, sent e-mails and stale sign-in counters.</summary>
public sealed class RetentionJob(IEnumerable<IRetentionPolicy> policies, IOptions<RetentionOptions> options, TimeProvider clock) : IRecurringJob
{
    public const string JobName = "retention";

    public async Task<JobOutcome> RunAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var retention = TimeSpan.FromDays(options.Value.Days);
        var parts = new List<string>();
        var removed = 0;
        foreach (var policy in policies)
        {
            var count = await policy.PurgeAsync(now, retention, cancellationToken);
            removed += count;
            parts.Add($"{count} {policy.What}");
        }

        return new JobOutcome($"removed {(parts.Count == 0 ? "nothing" : string.Join(", ", parts))}", DidNothing: removed == 0, Items: removed);
    }
}
