using Idunox.Shared.Security;
using Microsoft.Extensions.Options;

namespace Idunox.Credentials.Verification;

/// <summary><c>Credentials:Verification</c>: how many refused keys one client address may present a minute.</summary>
internal sealed class VerificationOptions
{
    public const string SectionName = "Credentials:Verification";

    public int RefusalsPerAddressPerMinute { get; set; } = 60;

    /// <summary>How long a server trusts what it read of a key, at most (changes evict it sooner): the backstop.</summary>
    public int CacheSeconds { get; set; } = 30;

    /// <summary>How many keys a server keeps in memory (least recently used out).</summary>
    public int CacheSize { get; set; } = 100_000;

    /// <summary>How many never-issued key hashes a server remembers, so repeated unknown keys cost no query.</summary>
    public int UnknownCacheSize { get; set; } = 10_000;

    /// <summary>How often the listener proves its connection still carries notifications (and how long it waits for the proof).</summary>
    public int ListenerCheckSeconds { get; set; } = 5;

    /// <summary>How often the noted <c>lastUsedAt</c> times are written (one statement for all of them).</summary>
    public int LastUsedFlushSeconds { get; set; } = 5;
}

/// <summary>
/// Anyone can mint keys that pass the free checks (CRC-32 is public), and each then costs a query. An address (an IPv6
/// /64, see <see cref="AddressBucket"/>) that presented this many keys nobody issued in a minute gets 429 for keys this
/// server would have to look up, until the minute ends; keys in the server's cache are still answered, and other
/// addresses are not affected. Counted in memory on each server, not shared: the data API's hot path makes no write per
/// refusal, and N servers allow an address N times the limit (the never-issued cache makes repeats free anyway).
/// </summary>
internal sealed class KeyRefusalLimiter(IOptions<VerificationOptions> options, TimeProvider clock)
{
    private readonly FixedWindowLimiter _limiter = new(clock, TimeSpan.FromMinutes(1));

    public bool IsLimited(string clientAddress, out TimeSpan retryAfter) =>
        _limiter.IsLimited(clientAddress, options.Value.RefusalsPerAddressPerMinute, out retryAfter);

    public void Record(string clientAddress) => _limiter.Record(clientAddress);
}
