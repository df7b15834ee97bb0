namespace Idunox.Credentials.Keys;

/// <summary>A key's status, computed from its timestamps and the clock at every read and every verification.</summary>
internal enum ApiKeyStatus
{
    Active,
    Expiring,
    Grace,
    Revoked,
    Expired,
}

internal static class ApiKeyStatusRules
{
    /// <summary>revoked &gt; expired (past expiry or past grace) &gt; grace &gt; expiring (within the threshold) &gt; active.</summary>
    public static ApiKeyStatus StatusAt(this ApiKey key, DateTime now, int expiringThresholdDays)
    {
        if (key.RevokedAt is not null)
        {
            return ApiKeyStatus.Revoked;
        }

        if (now >= key.ExpiresAt || now >= key.GraceEndsAt)
        {
            return ApiKeyStatus.Expired;
        }

        if (key.GraceEndsAt is not null)
        {
            return ApiKeyStatus.Grace;
        }

        return key.ExpiresAt - now <= TimeSpan.FromDays(expiringThresholdDays) ? ApiKeyStatus.Expiring : ApiKeyStatus.Active;
    }

    /// <summary>Verification accepts these and only these.</summary>
    public static bool IsUsable(this ApiKeyStatus status) => status is ApiKeyStatus.Active or ApiKeyStatus.Expiring or ApiKeyStatus.Grace;

    public static bool IsRotatable(this ApiKeyStatus status) => status is ApiKeyStatus.Active or ApiKeyStatus.Expiring;

    /// <summary>When the key stops working by the clock: its expiry, or the end of its grace when sooner.</summary>
    public static DateTime EffectiveEnd(this ApiKey key) =>
        key.GraceEndsAt is { } grace && grace < key.ExpiresAt ? grace : key.ExpiresAt;

    /// <summary>"expires in N days", rounded up (a key with 3 hours left expires in 1 day); null once it no longer works.</summary>
    public static int? ExpiresInDays(this ApiKey key, DateTime now, ApiKeyStatus status) =>
        status.IsUsable() ? (int)Math.Ceiling((key.EffectiveEnd() - now).TotalDays) : null;
}
