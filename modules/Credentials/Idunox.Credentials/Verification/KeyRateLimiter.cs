using System.Collections.Concurrent;
using System.Globalization;
using Idunox.Credentials.Keys;

namespace Idunox.Credentials.Verification;

/// <summary>
/// Keys' rate limits, counted in memory per key in fixed windows of a second and a minute (aligned to the clock), each
/// server enforcing its share of the key's limit (<see cref="LiveHosts.Share"/>): no database work per request. A request
/// counts against both windows only when both have room, so a refused request does not use up the key's limit. Keys
/// without a limit cost nothing here. A key's counters leave memory within two minutes of its last request.
/// </summary>
internal sealed class KeyRateLimiter : IDisposable
{
    public const string SecondPolicy = "per-second";
    public const string MinutePolicy = "per-minute";

    private readonly ConcurrentDictionary<Guid, Windows> _keys = new();
    private readonly LiveHosts _hosts;
    private readonly TimeProvider _clock;
    private readonly ITimer _trim;

    public KeyRateLimiter(LiveHosts hosts, TimeProvider clock)
    {
        (_hosts, _clock) = (hosts, clock);
        _trim = clock.CreateTimer(_ => Trim(), null, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
    }

    /// <summary>How many keys have counters in memory.</summary>
    public int Tracked => _keys.Count;

    /// <summary>Counts one request of <paramref name="key"/> (which has a limit) when it is within it; what is left either way.</summary>
    public RateDecision Acquire(ApiKey key)
    {
        var now = _clock.GetUtcNow().UtcTicks;
        var second = now / TimeSpan.TicksPerSecond;
        var minute = now / TimeSpan.TicksPerMinute;
        var secondLimit = key.RateLimitPerSecond is { } s ? _hosts.Share(s) : int.MaxValue;
        var minuteLimit = key.RateLimitPerMinute is { } m ? _hosts.Share(m) : int.MaxValue;
        var windows = _keys.GetOrAdd(key.Id, static _ => new Windows());
        lock (windows)
        {
            if (windows.Second != second)
            {
                (windows.Second, windows.InSecond) = (second, 0);
            }

            if (windows.Minute != minute)
            {
                (windows.Minute, windows.InMinute) = (minute, 0);
            }

            var allowed = windows.InSecond < secondLimit && windows.InMinute < minuteLimit;
            if (allowed)
            {
                windows.InSecond++;
                windows.InMinute++;
            }

            var secondReset = TimeSpan.FromTicks(((second + 1) * TimeSpan.TicksPerSecond) - now);
            var minuteReset = TimeSpan.FromTicks(((minute + 1) * TimeSpan.TicksPerMinute) - now);
            return new RateDecision(allowed, _hosts.Current.Count,
                Math.Max(0, secondLimit - windows.InSecond), secondReset, Math.Max(0, minuteLimit - windows.InMinute), minuteReset,
                windows.InMinute >= minuteLimit);
        }
    }

    /// <summary>Forgets keys not called in the last minute (their windows are over).</summary>
    public void Trim()
    {
        var minute = _clock.GetUtcNow().UtcTicks / TimeSpan.TicksPerMinute;
        foreach (var (id, windows) in _keys)
        {
            if (Volatile.Read(ref windows.Minute) < minute - 1)
            {
                _keys.TryRemove(new KeyValuePair<Guid, Windows>(id, windows));
            }
        }
    }

    public void Dispose() => _trim.Dispose();

    private sealed class Windows
    {
        public long Second = -1;
        public long Minute = -1;
        public int InSecond;
        public int InMinute;
    }
}

/// <summary>
/// One request's answer from <see cref="KeyRateLimiter"/>: whether it is within the limit, and for the headers what is left
/// of each window (this server's share, scaled by the number of servers sharing the key: an estimate for the key as a
/// whole) and when each window starts again.
/// </summary>
internal readonly record struct RateDecision(bool Allowed, int Servers, int SecondRemaining, TimeSpan SecondReset, int MinuteRemaining,
    TimeSpan MinuteReset, bool MinuteExhausted)
{
    /// <summary>How long to wait before trying again: until the full window starts again (the minute's, when both are full) (whole seconds, at least 1).</summary>
    public int RetryAfterSeconds => Math.Max(1, (int)Math.Ceiling((MinuteExhausted ? MinuteReset : SecondReset).TotalSeconds));

    /// <summary>
    /// The IETF draft's <c>RateLimit-Policy</c> (the key's limits) and <c>RateLimit</c> (what is left and when it resets)
    /// fields, e.g. <c>"per-second";q=50;w=1, "per-minute";q=2000;w=60</c> and <c>"per-second";r=12;t=1, "per-minute";r=1480;t=37</c>.
    /// </summary>
    public (string Policy, string State) Fields(ApiKey key)
    {
        var policy = new List<string>(2);
        var state = new List<string>(2);
        if (key.RateLimitPerSecond is { } perSecond)
        {
            policy.Add(string.Create(CultureInfo.InvariantCulture, $"\"{KeyRateLimiter.SecondPolicy}\";q={perSecond};w=1"));
            state.Add(string.Create(CultureInfo.InvariantCulture,
                $"\"{KeyRateLimiter.SecondPolicy}\";r={Math.Min(perSecond, (long)SecondRemaining * Servers)};t={Seconds(SecondReset)}"));
        }

        if (key.RateLimitPerMinute is { } perMinute)
        {
            policy.Add(string.Create(CultureInfo.InvariantCulture, $"\"{KeyRateLimiter.MinutePolicy}\";q={perMinute};w=60"));
            state.Add(string.Create(CultureInfo.InvariantCulture,
                $"\"{KeyRateLimiter.MinutePolicy}\";r={Math.Min(perMinute, (long)MinuteRemaining * Servers)};t={Seconds(MinuteReset)}"));
        }

        return (string.Join(", ", policy), string.Join(", ", state));
    }

    private static int Seconds(TimeSpan reset) => (int)Math.Ceiling(reset.TotalSeconds);
}
