using Idunox.Credentials.Contracts;
using Idunox.Shared.Persistence;

namespace Idunox.Credentials.Keys;

/// <summary>
/// An API key as stored: the SHA-256 hash of the whole key and a display prefix, never the secret itself.
/// Its status is not stored; it is computed from these timestamps and the clock (see <c>ApiKeyStatus</c>).
/// </summary>
internal sealed class ApiKey : ITenantOwned
{
    public const int MaxNameLength = 100;

    public Guid Id { get; init; }

    public Guid TenantId { get; set; }

    public required string Name { get; set; }

    /// <summary><c>idx_&lt;env&gt;_</c> plus the first 8 characters of the body: enough to recognise, useless to attack.</summary>
    public required string Prefix { get; init; }

    /// <summary>SHA-256 of the whole key; unique.</summary>
    public required byte[] Hash { get; init; }

    public DateTime CreatedAt { get; init; }

    /// <summary>Who created it, as shown to users (an e-mail address).</summary>
    public required string CreatedBy { get; init; }

    public DateTime ExpiresAt { get; set; }

    /// <summary>Set when the key was rotated: it keeps working until then (never past <see cref="ExpiresAt"/>).</summary>
    public DateTime? GraceEndsAt { get; set; }

    public DateTime? RevokedAt { get; set; }

    public string? RevokedBy { get; set; }

    public DateTime? LastUsedAt { get; set; }

    /// <summary>The key this one replaced, when it was issued by a rotation. Unique: one key has at most one successor.</summary>
    public Guid? RotatedFromId { get; init; }

    public Guid? ReplacedById { get; set; }

    /// <summary>
    /// What the key may call: null for full access (every scope), or the scopes it is restricted to, separated by spaces
    /// (as OAuth writes them). Changed in place (the change is announced to every server like a revocation), or given anew
    /// to a rotation's successor.
    /// </summary>
    public string? Scopes
    {
        get => _scopes;
        set => (_scopes, _scopeList) = (value, null);
    }

    private string? _scopes;

    public const int MaxScopesLength = 2000;

    private string[]? _scopeList;

    /// <summary>The scopes the key is restricted to, or null for full access.</summary>
    public IReadOnlyList<string>? ScopeList => Scopes is null ? null : _scopeList ??= Scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Whether the key may call a route that needs <paramref name="scope"/>.</summary>
    public bool Allows(string scope)
    {
        if (ScopeList is not { } scopes)
        {
            return true;
        }

        foreach (var held in scopes)
        {
            if (string.Equals(held, scope, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The IP allow-list's mode: null (off: any address), <c>report</c> (requests from elsewhere are served and reported)
    /// or <c>enforce</c> (requests from elsewhere are refused).
    /// </summary>
    public string? IpAllowMode { get; set; }

    /// <summary>The allow-list's entries (addresses and CIDR ranges, as <see cref="IpAllowLists"/> writes them), separated by spaces.</summary>
    public string? IpAllowList
    {
        get => _ipAllowList;
        set => (_ipAllowList, _networks) = (value, null);
    }

    private string? _ipAllowList;
    private System.Net.IPNetwork[]? _networks;

    /// <summary>The allow-list as networks (empty when there is none).</summary>
    public IReadOnlyList<System.Net.IPNetwork> AllowedNetworks => _networks ??= IpAllowLists.Networks(IpAllowList);

    /// <summary>Whether a request from <paramref name="address"/> is inside the allow-list (always, when there is none).</summary>
    public bool AllowsAddress(System.Net.IPAddress? address) => IpAllowMode is null || IpAllowLists.Contains(AllowedNetworks, address);

    /// <summary>At most this many requests a second, for the key as a whole (null: no such limit).</summary>
    public int? RateLimitPerSecond { get; set; }

    /// <summary>At most this many requests a minute, for the key as a whole (null: no such limit).</summary>
    public int? RateLimitPerMinute { get; set; }

    /// <summary>Whether requests with the key are counted against a limit.</summary>
    public bool HasRateLimit => RateLimitPerSecond is not null || RateLimitPerMinute is not null;

    /// <summary>The key's rate limit (<see cref="KeyRateLimit.None"/> when it has none).</summary>
    public KeyRateLimit RateLimit
    {
        get => RateLimitPerSecond is null && RateLimitPerMinute is null ? KeyRateLimit.None : new KeyRateLimit(RateLimitPerSecond, RateLimitPerMinute);
        set => (RateLimitPerSecond, RateLimitPerMinute) = (value.PerSecond, value.PerMinute);
    }

    /// <summary>The stored form of a choice of scopes: null for full access, else sorted and separated by spaces.</summary>
    public static string? StoredScopes(IReadOnlyCollection<string>? scopes) =>
        scopes is null ? null : string.Join(' ', scopes.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));
}
