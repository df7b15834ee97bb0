using Idunox.Credentials.Contracts;
using Idunox.Identity.Contracts;
using Idunox.Shared.Errors;
using Idunox.StaffAdmin.Actions;

namespace Idunox.StaffAdmin.Keys;

/// <summary>
/// Staff revoke or rotate an organisation's key on its behalf, always with a reason: the change goes through the
/// partner's own use cases (Credentials' <see cref="ITenantKeyAdministration"/>), which tell the organisation; the staff
/// log keeps who did it and why. A rotation offers the new key to the organisation; staff never see it.
/// </summary>
internal sealed class StaffKeyActions(ITenantKeyAdministration keys, StaffActionLog log)
{
    /// <summary>A key of <paramref name="organisation"/>; another organisation's key is not found, like an unknown one.</summary>
    public Task<KeyOverview?> FindAsync(OrganisationInfo organisation, Guid keyId, CancellationToken cancellationToken) =>
        keys.FindAsync(organisation.Id, keyId, cancellationToken);

    public async Task<Outcome<KeyOverview>> RevokeAsync(StaffActor actor, OrganisationInfo organisation, KeyOverview key, string? reason,
        CancellationToken cancellationToken)
    {
        if (StaffActionLog.CheckReason(reason) is { IsValid: false } invalid)
        {
            return UseCaseFailure.Invalid(invalid);
        }

        var result = await keys.RevokeAsync(organisation.Id, key.Id, Action(actor, reason!), cancellationToken);
        if (result.Succeeded)
        {
            await log.RecordAsync(actor, StaffActions.KeyRevoked, organisation.Id, $"{key.Prefix} ({key.Name})", reason!.Trim(), cancellationToken);
        }

        return result;
    }

    /// <summary>The scopes a key can be restricted to, as the forms' checklist offers them.</summary>
    public IReadOnlyList<Idunox.Shared.Web.Components.AccessChoice.Option> ScopeOptions() =>
        [.. keys.Scopes().Select(s => new Idunox.Shared.Web.Components.AccessChoice.Option(s.Name, s.Resource, s.Description))];

    /// <remarks><paramref name="access"/>: what the new key may call (null: what the old key may).</remarks>
    public async Task<Outcome<StaffRotation>> RotateAsync(StaffActor actor, OrganisationInfo organisation, KeyOverview key, int? graceHours,
        KeyAccessChoice? access, string? reason, CancellationToken cancellationToken)
    {
        var invalid = StaffActionLog.CheckReason(reason).Merge(access?.Errors ?? new ValidationErrors());
        if (!invalid.IsValid)
        {
            return UseCaseFailure.Invalid(invalid);
        }

        var result = await keys.RotateAsync(organisation.Id, key.Id, graceHours ?? KeyPolicyOptions.DefaultGraceHours, access?.Access, Action(actor, reason!),
            cancellationToken);
        if (result.Succeeded)
        {
            await log.RecordAsync(actor, StaffActions.KeyRotated, organisation.Id, $"{key.Prefix} ({key.Name}){AccessChange(key, access?.Access)}", reason!.Trim(), cancellationToken);
        }

        return result;
    }

    /// <summary>Changes what a key may call, where from and how often, on the partner's behalf, with a reason (the staff log keeps it).</summary>
    public async Task<Outcome<KeyOverview>> ChangeAsync(StaffActor actor, OrganisationInfo organisation, KeyOverview key, KeyAccessChoice access,
        IpAllowListChange ipAllowList, KeyRateLimit rateLimit, string? reason, CancellationToken cancellationToken)
    {
        var invalid = StaffActionLog.CheckReason(reason).Merge(access.Errors);
        if (!invalid.IsValid)
        {
            return UseCaseFailure.Invalid(invalid);
        }

        var result = await keys.ChangeAsync(organisation.Id, key.Id, access.Access, ipAllowList, rateLimit, Action(actor, reason!), cancellationToken);
        if (result.Value is { } changed)
        {
            // What the key is now: its access, where it may be used from and how often.
            var now = $"{(changed.Scopes is { } scopes ? "scopes " + string.Join(", ", scopes) : "full access")}; IP allow-list {changed.IpAllowMode ?? "off"}; " +
                      (changed.RateLimit is { IsNone: false } limit ? $"rate limit {limit}" : "no rate limit");
            await log.RecordAsync(actor, StaffActions.KeyChanged, organisation.Id, $"{key.Prefix} ({key.Name}): {now}", reason!.Trim(), cancellationToken);
        }

        return result;
    }

    /// <summary>For the staff log: "; new key: …" when the new key may call other scopes than the old one, else nothing.</summary>
    private static string AccessChange(KeyOverview key, KeyAccess? chosen)
    {
        static string? Text(IEnumerable<string>? scopes) => scopes is null ? null : string.Join(", ", scopes.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));
        var (before, after) = (Text(key.Scopes), Text(chosen?.Scopes));
        return chosen is null || before == after ? "" : $"; new key: {(after is null ? "full access" : "scopes " + after)}";
    }

    private static StaffKeyAction Action(StaffActor actor, string reason) => new(actor.Id, reason.Trim(), actor.ClientAddress);
}
