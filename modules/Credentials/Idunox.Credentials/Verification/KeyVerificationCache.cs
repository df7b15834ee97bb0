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
/// while that listener is not connected the cache is off and every request asks the database.
/// </summary>
internal sealed class KeyVerificationCache(IOptions<VerificationOptions> options, TimeProvider clock)
{
    private readonly object _gate = new();
    private readonly Dictionary<string, LinkedListNode<CachedKey>> _known = new(StringComparer.Ordinal);
    private readonly LinkedList<CachedKey> _recency = new();
    private readonly Dictionary<Guid, string> _hashByKeyId = [];
    private readonly Dictionary<string, DateTime> _unknown = new(StringComparer.Ordinal);
    private readonly Queue<string> _unknownOrder = new();
    private volatile bool _enabled;
    private long _changes;

    /// <summary>
    /// Taken before reading a key from the database and given back to <see cref="Add"/>: if anything was evicted in
    /// between (a revocation that committed while the read was on its way), the read may be stale and is not cached.
    /// </summary>
    public long Stamp => Interlocked.Read(ref _changes);

    /// <summary>Off until this server can hear about changes made elsewhere (and whenever it cannot).</summary>
    public bool Enabled => _enabled;

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _known.Count;
            }
        }
    }

    public int UnknownCount
    {
        get
        {
            lock (_gate)
            {
                return _unknown.Count;
            }
        }
    }

    private TimeSpan Ttl => TimeSpan.FromSeconds(options.Value.CacheSeconds);

    public void Enable() => _enabled = true;

    /// <summary>Off and empty: changes made elsewhere may go unheard, so nothing cached can be trusted.</summary>
    public void Disable()
    {
        _enabled = false;
        Clear();
    }

    /// <summary>True when the cache knows the hash: as a key (<paramref name="key"/>) or as no key at all (null).</summary>
    public bool TryGet(string hash, out CachedKey? key)
    {
        key = null;
        if (!_enabled)
        {
            return false;
        }

        var now = clock.GetUtcNow().UtcDateTime;
        lock (_gate)
        {
            if (_known.TryGetValue(hash, out var node))
            {
                if (now - node.Value.CachedAt >= Ttl)
                {
                    RemoveKnown(node);
                    return false;
                }

                _recency.Remove(node);
                _recency.AddFirst(node);
                key = node.Value;
                return true;
            }

            if (_unknown.TryGetValue(hash, out var seenAt))
            {
                if (now - seenAt < Ttl)
                {
                    return true;
                }

                _unknown.Remove(hash);
            }

            return false;
        }
    }

    public void Add(string hash, ApiKey key, OrganisationInfo organisation, long stamp)
    {
        if (!_enabled)
        {
            return;
        }

        var entry = new CachedKey(hash, key, organisation, clock.GetUtcNow().UtcDateTime);
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

            _known[hash] = _recency.AddFirst(entry);
            _hashByKeyId[key.Id] = hash;
            while (_known.Count > options.Value.CacheSize && _recency.Last is { } oldest)
            {
                RemoveKnown(oldest);
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

            if (_unknown.TryAdd(hash, clock.GetUtcNow().UtcDateTime))
            {
                _unknownOrder.Enqueue(hash);
            }

            while (_unknown.Count > options.Value.UnknownCacheSize && _unknownOrder.TryDequeue(out var oldest))
            {
                _unknown.Remove(oldest);
            }

            // The order queue may hold hashes already removed by expiry; keep it from growing past twice the bound.
            if (_unknownOrder.Count > 2 * options.Value.UnknownCacheSize)
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
            _changes++;
            if (_hashByKeyId.TryGetValue(keyId, out var hash) && _known.TryGetValue(hash, out var node))
            {
                RemoveKnown(node);
            }
        }
    }

    public void EvictOrganisation(Guid tenantId)
    {
        lock (_gate)
        {
            _changes++;
            for (var node = _recency.First; node is not null;)
            {
                var next = node.Next;
                if (node.Value.Key.TenantId == tenantId)
                {
                    RemoveKnown(node);
                }

                node = next;
            }
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            _changes++;
            _known.Clear();
            _recency.Clear();
            _hashByKeyId.Clear();
            _unknown.Clear();
            _unknownOrder.Clear();
        }
    }

    private void RemoveKnown(LinkedListNode<CachedKey> node)
    {
        _recency.Remove(node);
        _known.Remove(node.Value.Hash);
        _hashByKeyId.Remove(node.Value.Key.Id);
    }
}

/// <summary>A key as verification saw it in the database (a detached copy, never changed), with its organisation.</summary>
internal sealed record CachedKey(string Hash, ApiKey Key, OrganisationInfo Organisation, DateTime CachedAt);
