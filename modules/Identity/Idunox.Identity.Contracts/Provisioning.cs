using Idunox.Shared.Errors;

namespace Idunox.Identity.Contracts;

/// <summary>
/// Provisioning of organisations and their users, for the command line and the staff area: one way to do each thing.
/// Failures are answers (<see cref="Outcome{T}"/>), not exceptions.
/// </summary>
public interface IOrganisationProvisioning
{
    Task<Outcome<OrganisationInfo>> AddOrganisationAsync(string name, string? slug, CancellationToken cancellationToken);

    Task<IReadOnlyList<OrganisationInfo>> ListOrganisationsAsync(CancellationToken cancellationToken);

    /// <summary>Suspending an organisation stops its users' tokens and its API keys at once.</summary>
    Task<Outcome<OrganisationInfo>> SetOrganisationStatusAsync(string slug, OrganisationStatus status, CancellationToken cancellationToken);

    Task<Outcome<PartnerUserInfo>> AddPartnerUserAsync(
        string organisationSlug, string email, string? displayName, string password, CancellationToken cancellationToken);

    /// <summary>A disabled user cannot sign in, and the tokens it already holds stop working.</summary>
    Task<Outcome<PartnerUserInfo>> SetPartnerUserEnabledAsync(string email, bool enabled, CancellationToken cancellationToken);

    Task<Outcome<StaffUserInfo>> AddStaffUserAsync(string email, IReadOnlyCollection<string> roles, string password, CancellationToken cancellationToken);
}

/// <summary>A portal user; <see cref="PasswordSet"/> is false while an invitation waits to be accepted.</summary>
public sealed record PartnerUserInfo(Guid Id, Guid TenantId, string Email, string DisplayName, bool Enabled, bool PasswordSet = true);

public sealed record StaffUserInfo(Guid Id, string Email, IReadOnlyList<string> Roles);

/// <summary>The users of one organisation, for notifications (who receives "expires in N days").</summary>
public interface IPartnerUserDirectory
{
    Task<IReadOnlyList<PartnerUserInfo>> ListByTenantAsync(Guid tenantId, CancellationToken cancellationToken);

    /// <summary>The portal users of several organisations in one query (for jobs that write to many at once).</summary>
    Task<IReadOnlyList<PartnerUserInfo>> ListByTenantsAsync(IReadOnlyCollection<Guid> tenantIds, CancellationToken cancellationToken);

    /// <summary>How many portal users each organisation has (organisations without users are left out).</summary>
    Task<IReadOnlyDictionary<Guid, int>> CountByTenantAsync(CancellationToken cancellationToken);
}

/// <summary>
/// What a staff member may do: <c>staff</c> (every member: read everything, act for organisations with a reason),
/// <c>ops</c> (also the job dashboard's commands), <c>admin</c> (also the staff accounts).
/// </summary>
public static class StaffRoles
{
    public const string Staff = "staff";
    public const string Ops = "ops";
    public const string Admin = "admin";

    public static IReadOnlyList<string> All { get; } = [Staff, Ops, Admin];

    /// <summary>Words for people: what each role adds.</summary>
    public static string Describe(string role) => role switch
    {
        Staff => "read everything, act for organisations with a reason",
        Ops => "run and retry jobs on the job dashboard",
        Admin => "invite staff, change their roles, disable them, reset their two-factor",
        _ => role,
    };
}

/// <summary>
/// The codes of provisioning's refusals (a <see cref="UseCaseFailure"/>, the platform's one result type): what each
/// means, and the kind of "no" it is.
/// </summary>
public static class ProvisioningError
{
    public const string SlugTaken = "slug_taken";
    public const string EmailTaken = "email_taken";
    public const string OrganisationNotFound = "organisation_not_found";
    public const string UserNotFound = "user_not_found";
    public const string Invalid = UseCaseFailure.ValidationFailed;

    /// <summary>The change was not saved (e.g. a concurrent change of the same user): nothing changed; try again.</summary>
    public const string Conflict = "conflict";

    /// <summary>A refusal with <paramref name="code"/> and a sentence for people; not-found codes are not-found, the rest conflicts.</summary>
    public static UseCaseFailure Of(string code, string message) => code switch
    {
        OrganisationNotFound or UserNotFound => new UseCaseFailure(FailureKind.NotFound, code, "Not found.", message),
        Invalid => new UseCaseFailure(FailureKind.Invalid, code, "The request is invalid.", message),
        _ => new UseCaseFailure(FailureKind.Conflict, code, "That cannot be done now.", message),
    };
}
