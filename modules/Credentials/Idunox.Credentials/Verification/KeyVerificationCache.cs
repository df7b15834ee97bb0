using System.Collections.Concurrent;
using Idunox.Credentials.Keys;
using Idunox.Identity.Contracts;
using Microsoft.Extensions.Options;

namespace Idunox.Credentials.Verification;

/// <summary>
/// What verification needs of each key recently seen by this server, by the key's hash (never the key itself): the
/// stored key's times and its organisation. Bounded (least recently used out) and short-lived (a TTL backstop); the
/// status is still computed from the clock at every request, so expiry and grace end need no invalidation. Hashes that
/// match no key are remembered in a smaller bounded set, so a flood of well-formed unknown keys is not a flood of queries.
/// Changes (revoke, rotate, suspend) evict entries here at once and on other servers through <see cref="VerificationListener"/>;
/// while that listener is not connected the cache is off and every request asks the database; if the database cannot be
/// asked either (an outage), keys read within the TTL keep working until their TTL ends.
/// </summary>
internal sealed class KeyVerificationCache
{
    private readonly TimeProvider _clock;
    private readonly CredentialsMetrics _metrics;

    public KeyVerificationCache(IOptions<VerificationOptions> options, TimeProvider clock, CredentialsMetrics metrics)
    {
        _clock = clock;
        _metrics = metrics;
        _ttl = TimeSpan.FromSeconds(options.Value.CacheSeconds);
        _size = options.Value.CacheSize;
        _unknownSize = options.Value.UnknownCacheSize;
        metrics.ObserveCacheSize(() => _known.Count);
    }

    // Reads take no lock (the data API's hot path); adding, evicting and trimming take _gate.
    private readonly object _gate = new();
    private readonly ConcurrentDictionary<string, CachedKey> _known = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Guid, string> _hashByKeyId = new();
    private readonly ConcurrentDictionary<string, DateTime> _unknown = new(StringComparer.Ordinal);
    private readonly Queue<string> _unknownOrder = new();
    private readonly ConcurrentDictionary<string, byte> _issued = new(StringComparer.Ordinal);
    private readonly TimeSpan _ttl;
    private readonly int _size;
    private readonly int _unknownSize;
    private volatile bool _enabled;
    private long _changes;

    /// <summary>
    /// Taken before reading a key from the database and given back to <see cref="Add"/>: if anything was evicted in
    /// between (a revocation that committed while the read was on its way), the read may be stale and is not cached.
    /// </summary>
    public long Stamp => Interlocked.Read(ref _changes);

    /// <summary>Off until this server can hear about changes made elsewhere (and whenever it cannot).</summary>
    public bool Enabled => _enabled;

    public int Count => _known.Count;

    /// <summary>Whether this server holds the key with this id now (for tests and diagnostics).</summary>
    public bool Holds(Guid keyId)
    {
        lock (_gate)
        {
            return _hashByKeyId.TryGetValue(keyId, out var hash) && _known.ContainsKey(hash);
        }
    }

    public int UnknownCount => _unknown.Count;

    /// <summary>On, and empty: what was kept while this server could not hear about changes may have missed some.</summary>
    public void Enable()
    {
        Clear();
        _enabled = true;
    }

    /// <summary>
    /// Off: changes made elsewhere may go unheard, so requests ask the database. What is kept is used only when the
    /// database cannot be asked either (<see cref="TryGetFallback"/>), and never beyond the TTL.
    /// </summary>
    public void Disable() => _enabled = false;

    /// <summary>True when the cache knows the hash: as a key (<paramref name="key"/>) or as no key at all (null).</summary>
    public bool TryGet(string hash, out CachedKey? key)
    {
        key = null;
        if (!_enabled)
        {
            return false; // not a lookup: every request asks the database until the listener is back
        }

        var found = Find(hash, out key);
        _metrics.CacheLookup(found);
        return found;
    }

    private bool Find(string hash, out CachedKey? key)
    {
        key = null;
        var now = _clock.GetUtcNow().UtcDateTime;
        if (_known.TryGetValue(hash, out var entry))
        {
            if (now - entry.CachedAt >= _ttl)
            {
                lock (_gate)
                {
                    if (RemoveKnown(entry))
                    {
                        _metrics.CacheEvicted("expired");
                    }
                }

                return false;
            }

            entry.Touch(now);
            key = entry;
            return true;
        }

        if (_unknown.TryGetValue(hash, out var seenAt))
        {
            if (now - seenAt < _ttl)
            {
                return true;
            }

            _unknown.TryRemove(new KeyValuePair<string, DateTime>(hash, seenAt));
        }

        return false;
    }

    /// <summary>
    /// For a database outage only: what this server read of the hash within the TTL, whether or not it is listening.
    /// A key evicted by a change this server made or heard of is not here.
    /// </summary>
    public bool TryGetFallback(string hash, out CachedKey? key)
    {
        key = null;
        var now = _clock.GetUtcNow().UtcDateTime;
        if (_known.TryGetValue(hash, out var entry) && now - entry.CachedAt < _ttl)
        {
            key = entry;
            return true;
        }

        return _unknown.TryGetValue(hash, out var seenAt) && now - seenAt < _ttl;
    }

    /// <summary>
    /// Whether this server has read a key with this hash (in any state) since it started: such a key was issued, so
    /// looking it up again is a partner's request, never a guess. Kept apart from the cache's entries, which end with
    /// their TTL; bounded (emptied when it reaches twice the cache's size).
    /// </summary>
    public bool IsIssued(string hash) => _issued.ContainsKey(hash);

    public void NoteIssued(string hash)
    {
        if (_issued.Count >= 2 * _size)
        {
            _issued.Clear();
        }

        _issued.TryAdd(hash, 0);
    }

    public void Add(string hash, ApiKey key, OrganisationInfo organisation, long stamp)
    {
        if (!_enabled)
        {
            return;
        }

        var now = _clock.GetUtcNow().UtcDateTime;
        var entry = new CachedKey(hash, key, organisation, now);
        entry.Touch(now);
        lock (_gate)
        {
            if (stamp != _changes)
            {
                return;
            }

            if (_known.TryGetValue(hash, out var existing))
            {
                RemoveKnown(existing);
            }

            _known[hash] = entry;
            _hashByKeyId[key.Id] = hash;
            if (_known.Count > _size)
            {
                TrimKnown();
            }
        }
    }

    public void AddUnknown(string hash, long stamp)
    {
        if (!_enabled)
        {
            return;
        }

        lock (_gate)
        {
            if (stamp != _changes)
            {
                return;
            }

            if (_unknown.TryAdd(hash, _clock.GetUtcNow().UtcDateTime))
            {
                _unknownOrder.Enqueue(hash);
            }

            while (_unknown.Count > _unknownSize && _unknownOrder.TryDequeue(out var oldest))
            {
                _unknown.TryRemove(oldest, out _);
            }

            // The order queue may hold hashes already removed by expiry; keep it from growing past twice the bound.
            if (_unknownOrder.Count > 2 * _unknownSize)
            {
                var live = _unknownOrder.Where(_unknown.ContainsKey).Distinct().ToList();
                _unknownOrder.Clear();
                live.ForEach(_unknownOrder.Enqueue);
            }
        }
    }

    public void EvictKey(Guid keyId)
    {
        lock (_gate)
        {
            Interlocked.Increment(ref _changes);
            if (_hashByKeyId.TryGetValue(keyId, out var hash) && _known.TryGetValue(hash, out var entry) && RemoveKnown(entry))
            {
                _metrics.CacheEvicted("changed");
            }
        }
    }

    public void EvictOrganisation(Guid tenantId)
    {
        lock (_gate)
        {
            Interlocked.Increment(ref _changes);
            foreach (var entry in _known.Values)
            {
                if (entry.Key.TenantId == tenantId && RemoveKnown(entry))
                {
                    _metrics.CacheEvicted("changed");
                }
            }
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            Interlocked.Increment(ref _changes);
            _metrics.CacheEvicted("cleared", _known.Count);
            _known.Clear();
            _hashByKeyId.Clear();
            _unknown.Clear();
            _unknownOrder.Clear();
        }
    }

    /// <summary>Least recently used out: drops the oldest twentieth at once, so trimming is rare and its cost spread out.</summary>
    private void TrimKnown()
    {
        var excess = _known.Count - _size + Math.Max(1, _size / 20);
        var removed = _known.Values.OrderBy(e => e.LastUsedTicks).Take(excess).ToList().Count(RemoveKnown);
        _metrics.CacheEvicted("capacity", removed);
    }

    private bool RemoveKnown(CachedKey entry)
    {
        if (!_known.TryRemove(new KeyValuePair<string, CachedKey>(entry.Hash, entry)))
        {
            return false;
        }

        _hashByKeyId.TryRemove(new KeyValuePair<Guid, string>(entry.Key.Id, entry.Hash));
        return true;
    }
}

/// <summary>A key as verification saw it in the database (a detached copy, never changed), with its organisation.</summary>
internal sealed record CachedKey(string Hash, ApiKey Key, OrganisationInfo Organisation, DateTime CachedAt)
{
    private long _lastUsedTicks;

    /// <summary>When this server last used the entry (for least-recently-used trimming).</summary>
    public long LastUsedTicks => Volatile.Read(ref _lastUsedTicks);

    public void Touch(DateTime now) => Volatile.Write(ref _lastUsedTicks, now.Ticks);
}
