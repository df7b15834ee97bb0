using Idunox.Credentials.Contracts;
using Idunox.Credentials.Persistence;
using Idunox.Shared.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Idunox.Credentials.Keys;

internal sealed class CredentialDirectory(CredentialsDbContext db) : ICredentialDirectory
{
    private static readonly string[] TenantFilter = [ModuleDbContext.TenantFilter];

    public async Task<IReadOnlyList<ExpiringKey>> ListExpiringAsync(DateTime now, TimeSpan within, CancellationToken cancellationToken)
    {
        var until = now + within;
        // A system question across tenants: the caller (a job) acts in each key's tenant afterwards.
        return await db.ApiKeys.IgnoreQueryFilters(TenantFilter).AsNoTracking()
            .Where(k => k.RevokedAt == null && k.GraceEndsAt == null && k.ReplacedById == null && k.ExpiresAt > now && k.ExpiresAt <= until)
            .OrderBy(k => k.ExpiresAt)
            .Select(k => new ExpiringKey(k.TenantId, new KeyReference(k.Id, k.Name, k.Prefix, k.ExpiresAt)))
            .ToListAsync(cancellationToken);
    }

    public async Task<IReadOnlyDictionary<Guid, TenantKeySummary>> SummariseByTenantAsync(DateTime now, TimeSpan within, CancellationToken cancellationToken)
    {
        var until = now + within;
        // For the staff area's list of organisations: counts only, across tenants.
        var rows = await db.ApiKeys.IgnoreQueryFilters(TenantFilter).AsNoTracking()
            .Where(k => k.RevokedAt == null && k.ExpiresAt > now && (k.GraceEndsAt == null || k.GraceEndsAt > now))
            .GroupBy(k => k.TenantId)
            .Select(g => new { g.Key, Usable = g.Count(), Soon = g.Count(k => k.GraceEndsAt == null && k.ReplacedById == null && k.ExpiresAt <= until) })
            .ToListAsync(cancellationToken);
        return rows.ToDictionary(r => r.Key, r => new TenantKeySummary(r.Usable, r.Soon));
    }
}
