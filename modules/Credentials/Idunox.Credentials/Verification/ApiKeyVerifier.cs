using System.Collections.Concurrent;
using System.Globalization;
using Idunox.Credentials.Contracts;
using Idunox.Credentials.Keys;
using Idunox.Credentials.Persistence;
using Idunox.Identity.Contracts;
using Idunox.Shared.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Idunox.Credentials.Verification;

/// <summary>
/// Decides whether a presented key is good right now: shape, checksum and environment first (no database), then the
/// stored key's status by the clock (never by whether a job has run), then its organisation. The stored key and its
/// organisation come from this server's <see cref="KeyVerificationCache"/> when it has them: then a request costs no
/// query, no database context and no scope; otherwise a scope is made for the two lookups. <c>lastUsedAt</c> is
/// handed to <see cref="LastUsedRecorder"/>, which writes it in batches off the request path.
/// </summary>
internal sealed class ApiKeyVerifier(
    IServiceScopeFactory scopes,
    IOptions<KeyPolicyOptions> policy,
    TimeProvider clock,
    LastUsedRecorder lastUsed,
    KeyVerificationCache cache)
{
    private static readonly string[] TenantFilter = [ModuleDbContext.TenantFilter];
    private readonly KeyPolicyOptions _policy = policy.Value;
    private readonly ConcurrentDictionary<string, Lazy<Task<(ApiKey Key, OrganisationInfo? Organisation)?>>> _loading = new(StringComparer.Ordinal);

    /// <summary>
    /// Verifies a presented key. With <paramref name="mayQuery"/> false (an address past its refusal limit) only what this
    /// server knows without a query answers — the format, and keys in its cache, valid or not — and a key it would have to
    /// look up is answered <see cref="VerificationCodes.NotChecked"/>, unless this server has seen that key exist before
    /// (a partner's key whose cache entry ended is looked up as usual).
    /// </summary>
    public async ValueTask<Verification> VerifyAsync(string? presented, CancellationToken cancellationToken, bool mayQuery = true)
    {
        switch (ApiKeyFormat.Inspect(presented, _policy.Environment, out var environment))
        {
            case KeyShape.Missing:
                return Verification.Refused(VerificationCodes.Missing);
            case KeyShape.Malformed or KeyShape.BadChecksum:
                return Verification.Refused(VerificationCodes.Malformed);
            case KeyShape.WrongEnvironment:
                return Verification.Refused(VerificationCodes.WrongEnvironment, environment);
        }

        var cacheKey = ApiKeyFormat.HashHex(presented!);
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
        else if (!mayQuery && !cache.IsIssued(cacheKey))
        {
            return Verification.Refused(VerificationCodes.NotChecked);
        }
        else
        {
            (ApiKey Key, OrganisationInfo? Organisation)? found;
            try
            {
                found = await LoadOnceAsync(cacheKey).WaitAsync(cancellationToken);
            }
            catch (Exception e) when (DatabaseOutage.IsUnavailable(e) && cache.TryGetFallback(cacheKey, out var remembered))
            {
                // The database cannot be asked: what this server read within the TTL stands in (never a key it saw revoked).
                found = remembered is null ? null : (remembered.Key, remembered.Organisation);
            }

            if (found is null)
            {
                return Verification.Refused(VerificationCodes.Invalid);
            }

            (key, organisation) = found.Value;
        }

        // The status by the clock, at every request: expiry and the end of grace need no invalidation.
        var now = clock.GetUtcNow().UtcDateTime;
        var status = key.StatusAt(now, _policy.ExpiringThresholdDays);
        if (!status.IsUsable())
        {
            return Verification.Refused(status == ApiKeyStatus.Revoked ? VerificationCodes.Revoked : VerificationCodes.Expired);
        }

        if (organisation is not { Status: OrganisationStatus.Active })
        {
            return Verification.Refused(VerificationCodes.OrganisationSuspended);
        }

        lastUsed.Record(key.Id, key.LastUsedAt, now);
        return Verification.Accepted(key, status, organisation);
    }

    /// <summary>
    /// Requests that miss the cache for the same hash at the same moment (a busy key whose entry just ended, 32
    /// connections at once) share one database read instead of sending one each. A request joins only a read that
    /// started after the last change (same stamp): one that began before a revocation could answer the key as it was.
    /// The read is not cancelled with any one request: the others wait for it.
    /// </summary>
    private async Task<(ApiKey Key, OrganisationInfo? Organisation)?> LoadOnceAsync(string cacheKey)
    {
        var loadKey = string.Create(CultureInfo.InvariantCulture, $"{cacheKey}:{cache.Stamp}");
        var shared = _loading.GetOrAdd(loadKey, _ => new Lazy<Task<(ApiKey Key, OrganisationInfo? Organisation)?>>(() => LoadAsync(cacheKey, CancellationToken.None)));
        try
        {
            return await shared.Value;
        }
        finally
        {
            _loading.TryRemove(new KeyValuePair<string, Lazy<Task<(ApiKey Key, OrganisationInfo? Organisation)?>>>(loadKey, shared));
        }
    }

    /// <summary>The key by its hash and its organisation, from the database; cached unless a change raced the read.</summary>
    private async Task<(ApiKey Key, OrganisationInfo? Organisation)?> LoadAsync(string cacheKey, CancellationToken cancellationToken)
    {
        var stamp = cache.Stamp;
        var hash = Convert.FromHexString(cacheKey);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CredentialsDbContext>();
        // No tenant is known before the key is: this lookup deliberately spans tenants, by the key's hash alone.
        var stored = await db.ApiKeys.IgnoreQueryFilters(TenantFilter).AsNoTracking().FirstOrDefaultAsync(k => k.Hash == hash, cancellationToken);
        if (stored is null)
        {
            cache.AddUnknown(cacheKey, stamp);
            return null;
        }

        cache.NoteIssued(cacheKey);

        var organisation = await scope.ServiceProvider.GetRequiredService<IOrganisationDirectory>().FindAsync(stored.TenantId, cancellationToken);
        if (organisation is not null)
        {
            cache.Add(cacheKey, stored, organisation, stamp);
        }

        return (stored, organisation);
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

    /// <summary>Not an answer to the client: the key was not looked up (its address is past the refusal limit), see <see cref="ApiKeyGate"/>.</summary>
    public const string NotChecked = "not_checked";

    /// <summary>
    /// Whether a refusal counts toward the address's refusal limit: only keys nobody issued (malformed, of the other
    /// environment, or unknown). A known key that is revoked, expired or suspended is a partner's stale configuration,
    /// answered from the cache at no cost, and must never cost the partner's other keys on the same address.
    /// </summary>
    public static bool CountsAsGuess(string code) => code is Malformed or WrongEnvironment or Invalid;
}

