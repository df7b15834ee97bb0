using System.Collections.Concurrent;
using System.Data.Common;
using Idunox.Credentials.Contracts;
using Idunox.Credentials.Keys;
using Idunox.Credentials.Persistence;
using Idunox.Identity.Contracts;
using Idunox.Shared.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Idunox.Credentials.Verification;

/// <summary>
/// Decides whether a presented key is good right now: shape, checksum and environment first (no database), then the
/// stored key's status by the clock (never by whether a job has run), then its organisation. The stored key and its
/// organisation come from this server's <see cref="KeyVerificationCache"/> when it has them (no query), else from the database.
/// </summary>
internal sealed class ApiKeyVerifier(
    CredentialsDbContext db,
    IOrganisationDirectory organisations,
    IOptions<KeyPolicyOptions> policy,
    TimeProvider clock,
    LastUsedRecorder lastUsed,
    KeyVerificationCache cache,
    ILogger<ApiKeyVerifier> logger)
{
    private static readonly string[] TenantFilter = [ModuleDbContext.TenantFilter];

    public async Task<Verification> VerifyAsync(string? presented, CancellationToken cancellationToken)
    {
        switch (ApiKeyFormat.Inspect(presented, policy.Value.Environment, out var environment))
        {
            case KeyShape.Missing:
                return Verification.Refused(VerificationCodes.Missing);
            case KeyShape.Malformed or KeyShape.BadChecksum:
                return Verification.Refused(VerificationCodes.Malformed);
            case KeyShape.WrongEnvironment:
                return Verification.Refused(VerificationCodes.WrongEnvironment, environment);
        }

        var hash = ApiKeyFormat.Hash(presented!);
        var cacheKey = Convert.ToHexString(hash);
        ApiKey key;
        OrganisationInfo? organisation;
        if (cache.TryGet(cacheKey, out var cached))
        {
            if (cached is null)
            {
                return Verification.Refused(VerificationCodes.Invalid); // seen a moment ago: no such key
            }

            (key, organisation) = (cached.Key, cached.Organisation);
        }
        else
        {
            var stamp = cache.Stamp;
            // No tenant is known before the key is: this lookup deliberately spans tenants, by the key's hash alone.
            var stored = await db.ApiKeys.IgnoreQueryFilters(TenantFilter).AsNoTracking().FirstOrDefaultAsync(k => k.Hash == hash, cancellationToken);
            if (stored is null)
            {
                cache.AddUnknown(cacheKey, stamp);
                return Verification.Refused(VerificationCodes.Invalid);
            }

            key = stored;
            organisation = await organisations.FindAsync(key.TenantId, cancellationToken);
            if (organisation is not null)
            {
                cache.Add(cacheKey, key, organisation, stamp);
            }
        }

        // The status by the clock, at every request: expiry and the end of grace need no invalidation.
        var now = clock.GetUtcNow().UtcDateTime;
        var status = key.StatusAt(now, policy.Value.ExpiringThresholdDays);
        if (!status.IsUsable())
        {
            return Verification.Refused(status == ApiKeyStatus.Revoked ? VerificationCodes.Revoked : VerificationCodes.Expired);
        }

        if (organisation is not { Status: OrganisationStatus.Active })
        {
            return Verification.Refused(VerificationCodes.OrganisationSuspended);
        }

        if (lastUsed.ShouldWrite(key.Id, key.LastUsedAt, now))
        {
            try
            {
                await db.ApiKeys.IgnoreQueryFilters(TenantFilter).Where(k => k.Id == key.Id)
                    .ExecuteUpdateAsync(s => s.SetProperty(k => k.LastUsedAt, now), cancellationToken);
            }
            catch (Exception e) when (e is DbException or InvalidOperationException or TimeoutException)
            {
                // "Last used" is a convenience: a failed write never refuses a good key. The next request tries again.
                lastUsed.Forget(key.Id, now);
                logger.LogWarning("Could not record when key {KeyId} was last used: {Error}", key.Id, e.Message);
            }
        }

        return Verification.Accepted(key, status, organisation);
    }
}

internal sealed record Verification(string? Code, ApiKey? Key, ApiKeyStatus? Status, OrganisationInfo? Organisation, string? PresentedEnvironment)
{
    public bool Succeeded => Code is null;

    public static Verification Refused(string code, string? environment = null) => new(code, null, null, null, environment);

    public static Verification Accepted(ApiKey key, ApiKeyStatus status, OrganisationInfo organisation) => new(null, key, status, organisation, null);
}

internal static class VerificationCodes
{
    public const string Missing = "api_key_missing";
    public const string Malformed = "api_key_malformed";
    public const string WrongEnvironment = "api_key_wrong_environment";
    public const string Invalid = "api_key_invalid";
    public const string Revoked = "api_key_revoked";
    public const string Expired = "api_key_expired";
    public const string OrganisationSuspended = "api_key_organisation_suspended";
}

/// <summary>
/// Keeps <c>lastUsedAt</c> fresh to the minute without a write per request: each server writes a key's time at most once
/// a minute (so the stored value may lag by up to a minute per server).
/// </summary>
internal sealed class LastUsedRecorder
{
    public static readonly TimeSpan Resolution = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<Guid, DateTime> _written = new();

    /// <summary>A write that failed: the minute is not taken, so the next request writes again.</summary>
    public void Forget(Guid keyId, DateTime attempted) => _written.TryRemove(new KeyValuePair<Guid, DateTime>(keyId, attempted));

    /// <summary>True for exactly one caller per key and minute: that one writes.</summary>
    public bool ShouldWrite(Guid keyId, DateTime? stored, DateTime now)
    {
        while (true)
        {
            if (_written.TryGetValue(keyId, out var last))
            {
                if (now - last < Resolution)
                {
                    return false;
                }

                if (_written.TryUpdate(keyId, now, last))
                {
                    return true;
                }
            }
            else if (stored is { } known && now - known < Resolution)
            {
                _written.TryAdd(keyId, known);
                return false;
            }
            else if (_written.TryAdd(keyId, now))
            {
                return true;
            }
        }
    }
}
