namespace Idunox.Credentials.Contracts;

/// <summary>The key policy, configured under <c>Credentials</c> and published by <c>GET /v1/partner/config</c>.</summary>
public sealed class KeyPolicyOptions
{
    public const string SectionName = "Credentials";

    /// <summary><c>test</c> or <c>live</c>: the environment part of every key (<c>idx_test_…</c>).</summary>
    public string Environment { get; set; } = "test";

    public int DefaultValidityDays { get; set; } = 365;

    public int MaxValidityDays { get; set; } = 365;

    /// <summary>A key is <c>expiring</c> from this many days before it expires.</summary>
    public int ExpiringThresholdDays { get; set; } = 30;

    /// <summary>The most usable (not revoked, not expired) keys one organisation may hold.</summary>
    public int MaxActiveKeysPerTenant { get; set; } = 20;

    public static IReadOnlyList<int> GraceHoursOptions { get; } = [24, 48, 72];

    public const int DefaultGraceHours = 24;

    public const string PrefixStart = "idx_";

    public string KeyPrefix => $"{PrefixStart}{Environment}_";
}
