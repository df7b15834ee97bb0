using Idunox.Shared.Errors;
using Idunox.Credentials.Contracts;
using Idunox.Credentials.Keys.Handover;
using Idunox.Credentials.Keys.List;
using Idunox.Credentials.Keys.Revoke;
using Idunox.Shared.MultiTenancy;
using Microsoft.EntityFrameworkCore;

namespace Idunox.Credentials.Keys;

/// <summary>
/// The staff area's way to an organisation's keys: each call acts explicitly for the organisation it names (never a
/// session-wide "current tenant"), through the same use cases as the partner's pages and API.
/// </summary>
internal sealed class TenantKeyAdministration(
    TenantContext tenant, KeyStore store, KeyQueries keys, ListKeys list, RevokeKey revoke, HandOverKey handOver, Change.ChangeKey change,
    Gateway.ScopeCatalogue scopes)
    : ITenantKeyAdministration
{
    public const string StaffActorName = "Idunox staff";

    public async Task<IReadOnlyList<KeyOverview>> ListAsync(Guid tenantId, CancellationToken cancellationToken)
    {
        using var _ = tenant.Use(tenantId);
        var page = (await list.RunAsync(new KeyListQuery(null, null, 1, ListKeys.MaxPageSize), cancellationToken)).Value!;
        return page.Items.Select(k => Overview(k, page.Now)).ToList();
    }

    public async Task<KeyOverview?> FindAsync(Guid tenantId, Guid keyId, CancellationToken cancellationToken)
    {
        using var _ = tenant.Use(tenantId);
        return await keys.ViewAsync(keyId, cancellationToken);
    }

    public async Task<Outcome<KeyOverview>> RevokeAsync(Guid tenantId, Guid keyId, StaffKeyAction action, CancellationToken cancellationToken)
    {
        using var _ = tenant.Use(tenantId);
        var outcome = await revoke.RunAsync(keyId, ActorOf(action), action.ClientAddress, $"reason: {action.Reason}", cancellationToken);
        return outcome.Value is { } key ? Outcome<KeyOverview>.Ok(Overview(key, store.Now)) : outcome.Failure!;
    }

    public async Task<Outcome<StaffRotation>> RotateAsync(Guid tenantId, Guid keyId, int graceHours, KeyAccess? access, StaffKeyAction action,
        CancellationToken cancellationToken)
    {
        using var _ = tenant.Use(tenantId);
        var outcome = await handOver.RotateAsync(keyId, graceHours, access, ActorOf(action), action.ClientAddress, action.Reason, cancellationToken);
        return outcome.Value is { } offered
            ? Outcome<StaffRotation>.Ok(new StaffRotation(Overview(offered.Previous, store.Now), Overview(offered.Offer, offered.Previous.Prefix + ApiKeyFormat.Ellipsis)))
            : outcome.Failure!;
    }

    public async Task<Outcome<KeyOverview>> ChangeAsync(Guid tenantId, Guid keyId, KeyAccess? access, IpAllowListChange? ipAllowList, KeyRateLimit? rateLimit,
        StaffKeyAction action, CancellationToken cancellationToken)
    {
        using var _ = tenant.Use(tenantId);
        var patch = new Change.KeyPatch(null, access, null, ipAllowList is null ? null : new IpAllowListRequest(ipAllowList.Mode, ipAllowList.Entries),
            rateLimit);
        var outcome = await change.RunAsync(keyId, patch, ActorOf(action), action.ClientAddress, cancellationToken, $"reason: {action.Reason}");
        return outcome.Value is { } key ? Outcome<KeyOverview>.Ok(Overview(key, store.Now)) : outcome.Failure!;
    }

    public IReadOnlyList<ScopeDescription> Scopes() => scopes.All();

    public async Task<IReadOnlyList<KeyHandoverOverview>> ListHandoversAsync(Guid tenantId, CancellationToken cancellationToken)
    {
        using var _ = tenant.Use(tenantId);
        var since = store.Now.AddDays(-30);
        var apiKeys = store.Db.ApiKeys.AsNoTracking();
        var rows = await store.Db.KeyHandovers.AsNoTracking().Where(h => h.OfferedAt > since).OrderByDescending(h => h.OfferedAt).Take(50)
            .Select(h => new { Offer = h, PreviousPrefix = apiKeys.Where(k => k.Id == h.PredecessorId).Select(k => k.Prefix).FirstOrDefault() })
            .ToListAsync(cancellationToken);
        return [.. rows.Select(r => Overview(r.Offer, r.PreviousPrefix is null ? null : r.PreviousPrefix + ApiKeyFormat.Ellipsis))];
    }

    private static KeyHandoverOverview Overview(KeyHandover offer, string? replacesPrefix) =>
        new(offer.Id, offer.Name, replacesPrefix, offer.OfferedAt, offer.CollectBy, offer.CollectedAt, offer.CollectedBy, offer.Reason);

    private static Actor ActorOf(StaffKeyAction action) => new(Actor.Staff, action.StaffUserId, StaffActorName);

    private KeyOverview Overview(ApiKey key, DateTime now) => KeyView.Of(key, now, store.Policy.ExpiringThresholdDays);
}
