using Idunox.Shared.Security;
using Microsoft.Extensions.Time.Testing;

namespace Idunox.Host.Tests;

/// <summary>The per-address limiter: a fixed window by the host's clock, bounded memory, no scan however many addresses.</summary>
public sealed class FixedWindowLimiterTests
{
    [Fact]
    public void An_address_gets_its_limit_per_window_and_waits_until_the_window_ends()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 3, 2, 9, 0, 20, TimeSpan.Zero));
        var limiter = new FixedWindowLimiter(clock, TimeSpan.FromMinutes(1));

        for (var i = 0; i < 3; i++)
        {
            Assert.True(limiter.TryAcquire("a", 3, out _));
        }

        Assert.False(limiter.TryAcquire("a", 3, out var wait));
        Assert.Equal(TimeSpan.FromSeconds(40), wait);
        Assert.True(limiter.TryAcquire("b", 3, out _));

        clock.Advance(wait);
        Assert.True(limiter.TryAcquire("a", 3, out _));
    }

    [Fact]
    public void Past_its_capacity_a_window_tracks_no_new_addresses_and_the_next_window_starts_empty()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero));
        var limiter = new FixedWindowLimiter(clock, TimeSpan.FromMinutes(1), capacity: 1000);

        for (var i = 0; i < 200_000; i++)
        {
            limiter.Record($"10.{i / 65536}.{i / 256 % 256}.{i % 256}");
        }

        // The first thousand are counted; the rest were not tracked, so they are not limited (and cost no memory).
        Assert.True(limiter.IsLimited("10.0.0.0", 1, out _));
        Assert.False(limiter.IsLimited("10.3.13.63", 1, out _));

        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.False(limiter.IsLimited("10.0.0.0", 1, out _));
        limiter.Record("10.3.13.63");
        Assert.True(limiter.IsLimited("10.3.13.63", 1, out _));
    }
}
