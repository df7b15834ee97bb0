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
}
