using Idunox.Credentials.Contracts;
using Idunox.Shared.MultiTenancy;
using Microsoft.EntityFrameworkCore;

namespace Idunox.Credentials.Keys;

/// <summary>
/// The staff area's way to an organisation's keys: each call acts explicitly for the organisation it names (never a
/// session-wide "current tenant"), through the same use cases as the partner's pages and API.
/// </summary>
internal sealed class TenantKeyAdministration(TenantContext tenant, KeyStore store, ListKeys list, RevokeKey revoke, RotateKey rotate)
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
        var key = await store.Db.ApiKeys.AsNoTracking().FirstOrDefaultAsync(k => k.Id == keyId, cancellationToken);
        return key is null ? null : Overview(key, store.Now);
    }

    public async Task<StaffKeyResult> RevokeAsync(Guid tenantId, Guid keyId, StaffKeyAction action, CancellationToken cancellationToken)
    {
        using var _ = tenant.Use(tenantId);
        var outcome = await revoke.RunAsync(keyId, ActorOf(action), action.ClientAddress, $"reason: {action.Reason}", cancellationToken);
        return outcome.Value is { } key
            ? new StaffKeyResult(Overview(key, store.Now), null, null, null, null)
            : new StaffKeyResult(null, null, null, outcome.Failure!.Code, outcome.Failure.Detail ?? outcome.Failure.Title);
    }

    public async Task<StaffKeyResult> RotateAsync(Guid tenantId, Guid keyId, int graceHours, StaffKeyAction action, CancellationToken cancellationToken)
    {
        using var _ = tenant.Use(tenantId);
        var outcome = await rotate.RunAsync(keyId, graceHours, ActorOf(action), action.ClientAddress,
            $"{action.Reason} (the new key was shown once to an Idunox staff member, to hand over through a secure channel)", cancellationToken);
        if (outcome.Value is not { } rotated)
        {
            var failure = outcome.Failure!;
            var detail = failure.Errors is { Count: > 0 } errors ? string.Join(" ", errors.Values.SelectMany(v => v)) : failure.Detail ?? failure.Title;
            return new StaffKeyResult(null, null, null, failure.Code, detail);
        }

        var now = store.Now;
        return new StaffKeyResult(Overview(rotated.Previous, now), Overview(rotated.Successor.Key, now), rotated.Successor.Plaintext, null, null);
    }

    private static Actor ActorOf(StaffKeyAction action) => new(Actor.Staff, action.StaffUserId, StaffActorName);

    private KeyOverview Overview(ApiKey key, DateTime now)
    {
        var status = key.StatusAt(now, store.Policy.ExpiringThresholdDays);
        return new KeyOverview(key.Id, key.Name, key.Prefix + ApiKeyFormat.Ellipsis, status.ToString().ToLowerInvariant(), key.CreatedAt, key.CreatedBy,
            key.ExpiresAt, key.ExpiresInDays(now, status), key.GraceEndsAt, key.RevokedAt, key.LastUsedAt, status.IsRotatable(), status.IsUsable());
    }
}
