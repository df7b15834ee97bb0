namespace Idunox.Identity.Contracts;

/// <summary>
/// Provisioning of organisations and their users, for the command line and the staff area: one way to do each thing.
/// Failures are answers (<see cref="ProvisioningResult{T}"/>), not exceptions.
/// </summary>
public interface IOrganisationProvisioning
{
    Task<ProvisioningResult<OrganisationInfo>> AddOrganisationAsync(string name, string? slug, CancellationToken cancellationToken);

    Task<IReadOnlyList<OrganisationInfo>> ListOrganisationsAsync(CancellationToken cancellationToken);

    /// <summary>Suspending an organisation stops its users' tokens and its API keys at once.</summary>
    Task<ProvisioningResult<OrganisationInfo>> SetOrganisationStatusAsync(string slug, OrganisationStatus status, CancellationToken cancellationToken);

    Task<ProvisioningResult<PartnerUserInfo>> AddPartnerUserAsync(
        string organisationSlug, string email, string? displayName, string password, CancellationToken cancellationToken);

    /// <summary>A disabled user cannot sign in, and the tokens it already holds stop working.</summary>
    Task<ProvisioningResult<PartnerUserInfo>> SetPartnerUserEnabledAsync(string email, bool enabled, CancellationToken cancellationToken);

    Task<ProvisioningResult<StaffUserInfo>> AddStaffUserAsync(string email, IReadOnlyCollection<string> roles, string password, CancellationToken cancellationToken);
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

/// <summary>Why provisioning failed, as a stable code and a sentence for people.</summary>
public sealed record ProvisioningError(string Code, string Message)
{
    public const string SlugTaken = "slug_taken";
    public const string EmailTaken = "email_taken";
    public const string OrganisationNotFound = "organisation_not_found";
    public const string UserNotFound = "user_not_found";
    public const string Invalid = "invalid";

    /// <summary>The change was not saved (e.g. a concurrent change of the same user): nothing changed; try again.</summary>
    public const string Conflict = "conflict";
}

public sealed class ProvisioningResult<T>
{
    private ProvisioningResult(T? value, ProvisioningError? error, IReadOnlyDictionary<string, string[]>? errors)
    {
        Value = value;
        Error = error;
        Errors = errors ?? new Dictionary<string, string[]>();
    }

    public T? Value { get; }

    public ProvisioningError? Error { get; }

    /// <summary>Field errors when <see cref="Error"/> is <see cref="ProvisioningError.Invalid"/>.</summary>
    public IReadOnlyDictionary<string, string[]> Errors { get; }

    public bool Succeeded => Error is null;

    public static ProvisioningResult<T> Ok(T value) => new(value, null, null);

    public static ProvisioningResult<T> Fail(string code, string message) => new(default, new ProvisioningError(code, message), null);

    public static ProvisioningResult<T> Invalid(IReadOnlyDictionary<string, string[]> errors) =>
        new(default, new ProvisioningError(ProvisioningError.Invalid,
            string.Join(" ", errors.SelectMany(e => e.Value.Select(m => $"{e.Key}: {m}")))), errors);
}
