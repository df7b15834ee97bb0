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

/// <summary>An organisation was suspended or activated, and the change committed.</summary>
public sealed record OrganisationStatusChanged(Guid TenantId, OrganisationStatus Status);

/// <summary>
/// A module that keeps something about organisations (the data API caches each key's organisation) and must hear when
/// one is suspended or activated: on this server right after the change commits. Other servers hear it on
/// <see cref="OrganisationSignals.Channel"/>.
/// </summary>
public interface IOrganisationStatusHandler
{
    void Handle(OrganisationStatusChanged change);
}

/// <summary>
/// The PostgreSQL channel on which a status change is announced to every server, sent inside the change's own
/// transaction (heard when, and only if, it commits). The payload is the organisation's id.
/// </summary>
public static class OrganisationSignals
{
    public const string Channel = "idunox_organisation_status";
}
