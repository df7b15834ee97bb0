namespace Idunox.Identity.Contracts;

public enum OrganisationStatus
{
    Active,
    Suspended,
}

/// <summary>An organisation (tenant) as other modules see it.</summary>
public sealed record OrganisationInfo(Guid Id, string Name, string Slug, OrganisationStatus Status, DateTime CreatedAt);

/// <summary>Looks organisations up for other modules (the data API needs the tenant's name and whether it is suspended).</summary>
public interface IOrganisationDirectory
{
    Task<OrganisationInfo?> FindAsync(Guid id, CancellationToken cancellationToken);

    Task<OrganisationInfo?> FindBySlugAsync(string slug, CancellationToken cancellationToken);
}
