using Idunox.Identity.Contracts;

namespace Idunox.Identity.Organisations;

/// <summary>A partner organisation: the tenant every key, user and audit event belongs to.</summary>
internal sealed class Organisation
{
    public const int MaxNameLength = 200;
    public const int MaxSlugLength = 63;

    public Guid Id { get; init; }

    public required string Name { get; set; }

    /// <summary>Lower-case letters, digits and hyphens; unique; used by staff and the command line.</summary>
    public required string Slug { get; init; }

    public OrganisationStatus Status { get; set; } = OrganisationStatus.Active;

    public DateTime CreatedAt { get; init; }

    /// <summary>
    /// Every access token and portal session carries the stamp of its organisation; suspension renews it, so whatever was
    /// issued before a suspension stays refused after the organisation is activated again.
    /// </summary>
    public string SessionStamp { get; set; } = NewSessionStamp();

    public static string NewSessionStamp() => Guid.NewGuid().ToString("N");

    public OrganisationInfo ToInfo() => new(Id, Name, Slug, Status, CreatedAt);
}
