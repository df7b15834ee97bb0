using System.Collections.Concurrent;

namespace Idunox.Shared.Security;

/// <summary>
/// Counts events per key (a client address) in fixed windows of the host's clock (so tests move it). Memory is bounded
/// and nothing is ever scanned: each window has its own table, dropped whole when the next window begins, and a table
/// holds at most <c>capacity</c> keys (past that, new keys in that window are not counted, and the next window starts
/// empty). Each server counts for itself, which only makes a limit more generous behind a load balancer.
/// </summary>
public sealed class FixedWindowLimiter(TimeProvider clock, TimeSpan window, int capacity = FixedWindowLimiter.DefaultCapacity)
{
    public const int DefaultCapacity = 100_000;

    private Generation _current = new(long.MinValue);

    /// <summary>Counts one event for <paramref name="key"/>; false (with how long to wait) when that is past <paramref name="limit"/>.</summary>
    public bool TryAcquire(string key, int limit, out TimeSpan retryAfter)
    {
        var (generation, wait) = Current();
        var count = generation.Increment(key, capacity);
        retryAfter = count > limit ? wait : TimeSpan.Zero;
        return count <= limit;
    }

    /// <summary>Counts one event without asking; see <see cref="IsLimited"/>.</summary>
    public void Record(string key) => Current().Generation.Increment(key, capacity);

    /// <summary>True (with how long to wait) when <paramref name="key"/> already has <paramref name="limit"/> events in this window.</summary>
    public bool IsLimited(string key, int limit, out TimeSpan retryAfter)
    {
        var (generation, wait) = Current();
        var limited = generation.Count(key) >= limit;
        retryAfter = limited ? wait : TimeSpan.Zero;
        return limited;
    }

    private (Generation Generation, TimeSpan Wait) Current()
    {
        var now = clock.GetUtcNow().UtcTicks;
        var index = now / window.Ticks;
        var generation = Volatile.Read(ref _current);
        if (generation.Index < index)
        {
            var fresh = new Generation(index);
            var seen = Interlocked.CompareExchange(ref _current, fresh, generation);
            generation = ReferenceEquals(seen, generation) ? fresh : seen;
        }

        return (generation, TimeSpan.FromTicks(((generation.Index + 1) * window.Ticks) - now));
    }

    private sealed class Generation(long index)
    {
        private readonly ConcurrentDictionary<string, Counter> _counts = new(StringComparer.Ordinal);
        private int _size;

        public long Index { get; } = index;

        public int Increment(string key, int capacity)
        {
            if (!_counts.TryGetValue(key, out var counter))
            {
                if (Volatile.Read(ref _size) >= capacity)
                {
                    return 1; // full: this window stops tracking new keys; the next one starts empty
                }

                counter = _counts.GetOrAdd(key, _ => new Counter());
                if (Interlocked.CompareExchange(ref counter.Counted, 1, 0) == 0)
                {
                    Interlocked.Increment(ref _size);
                }
            }

            return Interlocked.Increment(ref counter.Value);
        }

        public int Count(string key) => _counts.TryGetValue(key, out var counter) ? Volatile.Read(ref counter.Value) : 0;
    }

    private sealed class Counter
    {
        public int Value;
        public int Counted;
    }
}
