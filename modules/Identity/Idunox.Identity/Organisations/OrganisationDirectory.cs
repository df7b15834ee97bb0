using Idunox.Identity.Contracts;
using Idunox.Identity.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Idunox.Identity.Organisations;

internal sealed class OrganisationDirectory(IdentityModuleDbContext db) : IOrganisationDirectory
{
    public async Task<OrganisationInfo?> FindAsync(Guid id, CancellationToken cancellationToken) =>
        (await db.Organisations.AsNoTracking().FirstOrDefaultAsync(o => o.Id == id, cancellationToken))?.ToInfo();

    public async Task<OrganisationInfo?> FindBySlugAsync(string slug, CancellationToken cancellationToken) =>
        (await db.Organisations.AsNoTracking().FirstOrDefaultAsync(o => o.Slug == slug, cancellationToken))?.ToInfo();
}
