using System.Diagnostics.Metrics;
using Idunox.Shared.Observability;

namespace Idunox.Credentials;

/// <summary>
/// The meter <c>Idunox.Credentials</c>: key verifications on the data API by outcome, the keys' lifecycle changes, and
/// the verification cache. Tags are low-cardinality: an outcome code, a kind of change, a reason.
/// </summary>
internal sealed class CredentialsMetrics
{
    private readonly Meter _meter;
    private readonly Counter<long> _verifications;
    private readonly Counter<long> _changes;
    private readonly Counter<long> _cacheLookups;
    private readonly Counter<long> _cacheEvictions;

    private static readonly KeyValuePair<string, object?> Hit = IdunoxTelemetry.Tag("result", "hit");
    private static readonly KeyValuePair<string, object?> Miss = IdunoxTelemetry.Tag("result", "miss");

    public CredentialsMetrics(IMeterFactory meters)
    {
        var meter = _meter = IdunoxTelemetry.Meter(meters, "Credentials");
        _verifications = meter.CreateCounter<long>("idunox.api_key.verifications", "{verification}",
            "API keys presented to the data API, by outcome: accepted, or the refusal's code.");
        _changes = meter.CreateCounter<long>("idunox.api_key.changes", "{key}", "API keys created, rotated and revoked, by change.");
        _cacheLookups = meter.CreateCounter<long>("idunox.api_key.cache.lookups", "{lookup}",
            "Key verification cache lookups, by result (hit, miss): a miss costs a database query.");
        _cacheEvictions = meter.CreateCounter<long>("idunox.api_key.cache.evictions", "{entry}",
            "Keys dropped from the verification cache, by reason: changed (a key or its organisation changed), expired (the backstop), capacity, cleared (its listener reconnected).");
    }

    /// <summary>The cache's size, read when the metrics are collected.</summary>
    public void ObserveCacheSize(Func<int> entries) =>
        _meter.CreateObservableGauge("idunox.api_key.cache.entries", entries, "{entry}", "Keys held by this server's verification cache.");

    public void Verified(string outcome) => _verifications.Add(1, IdunoxTelemetry.Tag("outcome", outcome));

    public void Changed(string change) => _changes.Add(1, IdunoxTelemetry.Tag("change", change));

    public void CacheLookup(bool hit) => _cacheLookups.Add(1, hit ? Hit : Miss);

    public void CacheEvicted(string reason, int count = 1)
    {
        if (count > 0)
        {
            _cacheEvictions.Add(count, IdunoxTelemetry.Tag("reason", reason));
        }
    }
}
