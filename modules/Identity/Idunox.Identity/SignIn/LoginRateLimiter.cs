using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Idunox.Identity.SignIn;

/// <summary>
/// A fixed one-minute window of sign-in attempts per client address, by the host's clock (so tests move it).
/// In memory: each server counts for itself, which only makes the limit more generous behind a load balancer.
/// </summary>
internal sealed class LoginRateLimiter(IOptions<LoginOptions> options, TimeProvider clock)
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    private const int PruneAbove = 10_000;

    private readonly ConcurrentDictionary<string, Counter> _counters = new(StringComparer.Ordinal);

    /// <summary>Counts one attempt; false (with how long to wait) once the address has used its window.</summary>
    public bool TryAcquire(string clientAddress, out TimeSpan retryAfter)
    {
        var now = clock.GetUtcNow();
        if (_counters.Count > PruneAbove)
        {
            foreach (var stale in _counters.Where(c => now - c.Value.WindowStart >= Window).Select(c => c.Key).ToList())
            {
                _counters.TryRemove(stale, out _);
            }
        }

        var counter = _counters.GetOrAdd(clientAddress, _ => new Counter(now));
        lock (counter)
        {
            if (now - counter.WindowStart >= Window)
            {
                counter.WindowStart = now;
                counter.Count = 0;
            }

            if (counter.Count >= options.Value.AttemptsPerAddressPerMinute)
            {
                retryAfter = counter.WindowStart + Window - now;
                return false;
            }

            counter.Count++;
            retryAfter = TimeSpan.Zero;
            return true;
        }
    }

    private sealed class Counter(DateTimeOffset start)
    {
        public DateTimeOffset WindowStart { get; set; } = start;

        public int Count { get; set; }
    }
}
