using Idunox.Credentials.Keys;
using Idunox.Credentials.Verification;
using Idunox.Identity.Contracts;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Idunox.Credentials.Tests;

/// <summary>The cache on its own: its bound, which entries it lets go first, and its backstop.</summary>
public sealed class VerificationCacheBoundsTests
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 29, 8, 0, 0, TimeSpan.Zero));
    private readonly OrganisationInfo _organisation = new(Guid.NewGuid(), "Acme", "acme", OrganisationStatus.Active, new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc));

    private KeyVerificationCache NewCache(int size, int unknownSize = 10)
    {
        var cache = new KeyVerificationCache(Options.Create(new VerificationOptions { CacheSize = size, UnknownCacheSize = unknownSize, CacheSeconds = 30 }), _clock,
            new CredentialsMetrics(new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()));
        cache.Enable();
        return cache;
    }

    private ApiKey NewKey(int i) => new()
    {
        Id = Guid.NewGuid(), TenantId = _organisation.Id, Name = $"key {i}", Prefix = $"idx_test_{i:D8}", Hash = [(byte)i],
        CreatedBy = "someone@example.com", CreatedAt = _clock.GetUtcNow().UtcDateTime, ExpiresAt = _clock.GetUtcNow().UtcDateTime.AddDays(30),
    };

    [Fact]
    public void The_least_recently_used_keys_leave_first_and_the_count_never_passes_the_limit()
    {
        var cache = NewCache(size: 40);
        for (var i = 0; i < 40; i++)
        {
            cache.Add($"hash{i}", NewKey(i), _organisation, cache.Stamp);
            _clock.Advance(TimeSpan.FromMilliseconds(1));
        }

        Assert.True(cache.TryGet("hash0", out _)); // the oldest entry, used again: now the most recent
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        for (var i = 40; i < 200; i++)
        {
            cache.Add($"hash{i}", NewKey(i), _organisation, cache.Stamp);
            Assert.InRange(cache.Count, 1, 40);
            _clock.Advance(TimeSpan.FromMilliseconds(1));
            if (i % 10 == 0)
            {
                Assert.True(cache.TryGet("hash0", out _), $"a key in use was dropped at {i}");
            }
        }

        Assert.False(cache.TryGet("hash1", out _));
        Assert.True(cache.TryGet("hash199", out _));
    }

    [Fact]
    public void An_entry_is_not_trusted_past_the_backstop_and_a_read_that_raced_a_change_is_not_kept()
    {
        var cache = NewCache(size: 10);
        var key = NewKey(1);
        cache.Add("hash1", key, _organisation, cache.Stamp);
        _clock.Advance(TimeSpan.FromSeconds(29));
        Assert.True(cache.TryGet("hash1", out var entry));
        Assert.Same(key, entry!.Key);
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.False(cache.TryGet("hash1", out _));
        Assert.Equal(0, cache.Count);

        var stamp = cache.Stamp; // a read starts ...
        cache.EvictKey(key.Id); // ... a revocation commits meanwhile ...
        cache.Add("hash1", key, _organisation, stamp); // ... and the stale read is not cached
        Assert.False(cache.TryGet("hash1", out _));
    }

    [Fact]
    public void Evicting_an_organisation_removes_its_keys_only()
    {
        var cache = NewCache(size: 10);
        var other = _organisation with { Id = Guid.NewGuid() };
        var mine = NewKey(1);
        var theirs = NewKey(2);
        theirs.TenantId = other.Id;
        cache.Add("mine", mine, _organisation, cache.Stamp);
        cache.Add("theirs", theirs, other, cache.Stamp);

        cache.EvictOrganisation(_organisation.Id);

        Assert.False(cache.TryGet("mine", out _));
        Assert.True(cache.TryGet("theirs", out _));
    }
}
