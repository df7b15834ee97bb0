using Idunox.Credentials.Contracts;

namespace Idunox.Credentials.Keys;

/// <summary>
/// The current organisation's keys as pages and endpoints read them: one key by id (another organisation's is not
/// found), shown through the one key view (<see cref="View"/>) that the portal's and the staff area's pages share.
/// </summary>
internal sealed class KeyQueries(KeyStore store)
{
    public DateTime Now => store.Now;

    public KeyPolicyOptions Policy => store.Policy;

    public Task<ApiKey?> FindAsync(Guid id, CancellationToken cancellationToken) => store.FindAsync(id, forChange: false, cancellationToken);

    public async Task<KeyOverview?> ViewAsync(Guid id, CancellationToken cancellationToken) =>
        await FindAsync(id, cancellationToken) is { } key ? View(key) : null;

    /// <summary>
    /// The addresses a key's report-only allow-list would have refused, latest first (at most 50): another organisation's
    /// key has none here.
    /// </summary>
    public async Task<IReadOnlyList<IpFindingResponse>> FindingsAsync(Guid keyId, CancellationToken cancellationToken) =>
        await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.ToListAsync(
            store.Db.IpFindings.Where(f => f.KeyId == keyId).OrderByDescending(f => f.LastSeenAt).Take(50)
                .Select(f => new IpFindingResponse(f.Address, f.Requests, f.FirstSeenAt, f.LastSeenAt)), cancellationToken);

    public KeyOverview View(ApiKey key) => KeyView.Of(key, store.Now, store.Policy.ExpiringThresholdDays);
}

/// <summary>The one key view of every page: masked, with its status, expiry and the actions it allows computed now.</summary>
internal static class KeyView
{
    public static KeyOverview Of(ApiKey key, DateTime now, int expiringThresholdDays)
    {
        var status = key.StatusAt(now, expiringThresholdDays);
        return new KeyOverview(key.Id, key.Name, key.Prefix + ApiKeyFormat.Ellipsis, status.ToString().ToLowerInvariant(), key.CreatedAt, key.CreatedBy,
            key.ExpiresAt, key.ExpiresInDays(now, status), key.GraceEndsAt, key.RevokedAt, key.LastUsedAt, status.IsRotatable(), status.IsUsable(),
            key.ReplacedById, key.EffectiveEnd(), key.ScopeList, key.IpAllowMode, IpAllowLists.Entries(key.IpAllowList),
            key.RateLimit);
    }
}

/// <summary>Requests from an address outside a report-only allow-list: served, and counted here ("other": addresses past the first 10 of a flush).</summary>
internal sealed record IpFindingResponse(string Address, long Requests, DateTime FirstSeenAt, DateTime LastSeenAt);

/// <summary>What a key's report-only allow-list would have refused.</summary>
internal sealed record IpFindingsResponse(string Mode, IReadOnlyList<IpFindingResponse> Items);
