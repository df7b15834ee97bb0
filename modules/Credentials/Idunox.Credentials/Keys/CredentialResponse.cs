using Idunox.Credentials.Contracts;

namespace Idunox.Credentials.Keys;

/// <summary>
/// A key as the API shows it: masked prefix, status and expiry computed at the time of the request, and what it may call
/// (<c>access</c> <c>full</c>, or <c>restricted</c> to <c>scopes</c>).
/// </summary>
internal sealed record CredentialResponse(
    Guid Id,
    string Name,
    string Prefix,
    ApiKeyStatus Status,
    DateTime CreatedAt,
    string CreatedBy,
    DateTime ExpiresAt,
    int? ExpiresInDays,
    DateTime? GraceEndsAt,
    DateTime? RevokedAt,
    DateTime? LastUsedAt,
    Guid? RotatedFromId,
    Guid? ReplacedById,
    string Access,
    IReadOnlyList<string> Scopes,
    IpAllowListResponse IpAllowList,
    KeyRateLimit? RateLimit)
{
    public static CredentialResponse From(ApiKey key, DateTime now, int expiringThresholdDays)
    {
        var status = key.StatusAt(now, expiringThresholdDays);
        return new CredentialResponse(
            key.Id,
            key.Name,
            key.Prefix + ApiKeyFormat.Ellipsis,
            status,
            key.CreatedAt,
            key.CreatedBy,
            key.ExpiresAt,
            key.ExpiresInDays(now, status),
            key.GraceEndsAt,
            key.RevokedAt,
            key.LastUsedAt,
            key.RotatedFromId,
            key.ReplacedById,
            key.Scopes is null ? KeyScopes.Full : KeyScopes.Restricted,
            key.ScopeList ?? [],
            new IpAllowListResponse(key.IpAllowMode ?? IpAllowLists.Off, IpAllowLists.Entries(key.IpAllowList)),
            key.RateLimit is { IsNone: false } limit ? limit : null);
    }
}

/// <summary>Where a key may be used from: <c>mode</c> <c>off</c> (anywhere), <c>report</c> or <c>enforce</c>, and the addresses and ranges.</summary>
internal sealed record IpAllowListResponse(string Mode, IReadOnlyList<string> Entries);

/// <summary>One page of keys: <c>total</c> counts every key the filter matches.</summary>
internal sealed record CredentialListResponse(IReadOnlyList<CredentialResponse> Items, int Page, int PageSize, int Total);

/// <summary>The one response that carries a key's plaintext (<c>apiKey</c>); sent with <c>Cache-Control: no-store</c>.</summary>
internal sealed record CreatedCredentialResponse(string ApiKey, CredentialResponse Credential)
{
    public override string ToString() => $"CreatedCredentialResponse {{ Credential = {Credential} }}";
}

internal sealed record RotatedCredentialResponse(string ApiKey, CredentialResponse Credential, CredentialResponse Previous)
{
    public override string ToString() => $"RotatedCredentialResponse {{ Credential = {Credential}, Previous = {Previous} }}";
}

internal sealed record CredentialEnvelope(CredentialResponse Credential);
