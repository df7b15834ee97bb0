using Microsoft.EntityFrameworkCore;

namespace Idunox.Credentials.Keys.List;

/// <summary>
/// For each key in its grace window: was it still used after it was replaced, and when last? A partner needs this to
/// know whether every system has switched to the new key before the old one stops working.
/// </summary>
internal sealed class GraceUsage(KeyStore store)
{
    public async Task<IReadOnlyList<GraceKeyUsage>> RunAsync(CancellationToken cancellationToken)
    {
        var now = store.Now;
        var keys = store.Db.ApiKeys.AsNoTracking();
        var rows = await keys
            .Where(k => k.RevokedAt == null && k.GraceEndsAt != null && k.GraceEndsAt > now && k.ExpiresAt > now)
            .OrderBy(k => k.GraceEndsAt)
            .Select(k => new
            {
                k.Id, k.Name, k.Prefix, k.LastUsedAt, GraceEndsAt = k.GraceEndsAt!.Value,
                Successor = keys.Where(s => s.Id == k.ReplacedById).Select(s => new { s.Id, s.Prefix, s.CreatedAt, s.LastUsedAt }).FirstOrDefault(),
            })
            .ToListAsync(cancellationToken);
        return [.. rows.Select(r => new GraceKeyUsage(r.Id, r.Name, r.Prefix + ApiKeyFormat.Ellipsis, r.GraceEndsAt,
            r.Successor?.CreatedAt, r.LastUsedAt, r.Successor?.Id, r.Successor is null ? null : r.Successor.Prefix + ApiKeyFormat.Ellipsis,
            r.Successor?.LastUsedAt))];
    }
}

internal sealed record GraceKeyUsage(
    Guid Id,
    string Name,
    string Prefix,
    DateTime GraceEndsAt,
    DateTime? ReplacedAt,
    DateTime? LastUsedAt,
    Guid? SuccessorId,
    string? SuccessorPrefix,
    DateTime? SuccessorLastUsedAt)
{
    /// <summary>Used after its successor was issued: some system still sends the old key.</summary>
    public bool UsedSinceReplaced => LastUsedAt is { } used && (ReplacedAt is not { } replaced || used >= replaced.AddMinutes(-1));
}
