using Idunox.Shared.Errors;
using System.Text.RegularExpressions;
using Idunox.Identity.Contracts;
using Idunox.Identity.Persistence;
using Idunox.Identity.Users;
using Idunox.Shared.Persistence;
using Idunox.Shared.Text;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Idunox.Identity.Organisations;

/// <summary>Creates and changes organisations, portal users and staff users; used by the command line and the staff area.</summary>
internal sealed partial class Provisioning(
    IdentityModuleDbContext db,
    UserManager<PartnerUser> partners,
    UserManager<StaffUser> staff,
    RoleManager<StaffRole> roles,
    TimeProvider clock,
    IEnumerable<IOrganisationStatusHandler> statusHandlers,
    ILogger<Provisioning> logger) : IOrganisationProvisioning, IPartnerUserDirectory
{
    private const string DisplayTextMessage =
        "The name may not contain control characters, invisible formatting characters or line separators.";

    [GeneratedRegex("^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")]
    private static partial Regex SlugPattern();

    [GeneratedRegex("[^a-z0-9]+")]
    private static partial Regex NotSlugCharacters();

    public async Task<Outcome<OrganisationInfo>> AddOrganisationAsync(string name, string? slug, CancellationToken cancellationToken)
    {
        name = name.Trim();
        var slugGiven = !string.IsNullOrWhiteSpace(slug);
        slug = slugGiven ? slug!.Trim() : SlugFrom(name);
        var errors = new Dictionary<string, string[]>();
        if (name.Length is 0 or > Organisation.MaxNameLength)
        {
            errors["name"] = [$"The name must be 1 to {Organisation.MaxNameLength} characters."];
        }
        else if (DisplayText.HasHiddenOrControlCharacters(name))
        {
            errors["name"] = [DisplayTextMessage];
        }

        // Without a name and without a slug, the name's message says it all.
        if (!SlugPattern().IsMatch(slug) && (slugGiven || name.Length > 0))
        {
            errors["slug"] = ["The slug must be 1 to 63 lower-case letters, digits and inner hyphens, e.g. 'acme-logistics'."];
        }

        if (errors.Count > 0)
        {
            return UseCaseFailure.Invalid(errors);
        }

        if (await db.Organisations.AnyAsync(o => o.Slug == slug, cancellationToken))
        {
            return SlugTaken(slug);
        }

        var organisation = new Organisation { Id = Guid.CreateVersion7(), Name = name, Slug = slug, CreatedAt = clock.GetUtcNow().UtcDateTime };
        db.Organisations.Add(organisation);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (db.IsUniqueViolation<Organisation>(e, nameof(Organisation.Slug)))
        {
            return SlugTaken(slug); // lost a race with another provisioning of the same slug
        }

        logger.LogInformation("Organisation {TenantId} ({Slug}) created", organisation.Id, organisation.Slug);
        return Outcome<OrganisationInfo>.Ok(organisation.ToInfo());
    }

    public async Task<IReadOnlyList<OrganisationInfo>> ListOrganisationsAsync(CancellationToken cancellationToken) =>
        (await db.Organisations.AsNoTracking().OrderBy(o => o.Slug).ToListAsync(cancellationToken)).Select(o => o.ToInfo()).ToList();

    public async Task<Outcome<OrganisationInfo>> SetOrganisationStatusAsync(string slug, OrganisationStatus status, CancellationToken cancellationToken)
    {
        var organisation = await db.Organisations.FirstOrDefaultAsync(o => o.Slug == slug, cancellationToken);
        if (organisation is null)
        {
            return ProvisioningError.Of(ProvisioningError.OrganisationNotFound, $"No organisation has the slug '{slug}'.");
        }

        if (status == OrganisationStatus.Suspended)
        {
            // Ends every token and session issued so far, for good: activating again does not bring them back.
            organisation.SessionStamp = Organisation.NewSessionStamp();
        }

        organisation.Status = status;
        // Other modules keep things about organisations (the data API caches each key's organisation): every server must
        // hear of this one. The signal goes in the change's own transaction, so no server misses a change that committed
        // (nor hears one that did not); this server's handlers hear it right after the commit.
        await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            await db.SaveChangesAsync(cancellationToken);
            await PostgresNotify.SendAsync(db, OrganisationSignals.Channel, organisation.Id.ToString(), cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        var change = new OrganisationStatusChanged(organisation.Id, status);
        foreach (var handler in statusHandlers)
        {
            handler.Handle(change);
        }

        logger.LogInformation("Organisation {TenantId} is now {Status}", organisation.Id, status);
        return Outcome<OrganisationInfo>.Ok(organisation.ToInfo());
    }

    public async Task<Outcome<PartnerUserInfo>> AddPartnerUserAsync(
        string organisationSlug, string email, string? displayName, string password, CancellationToken cancellationToken)
    {
        (email, displayName, var errors) = UserRules.CheckPartner(email, displayName);
        if (errors.Count > 0)
        {
            return UseCaseFailure.Invalid(errors);
        }

        var organisation = await db.Organisations.AsNoTracking().FirstOrDefaultAsync(o => o.Slug == organisationSlug, cancellationToken);
        if (organisation is null)
        {
            return ProvisioningError.Of(ProvisioningError.OrganisationNotFound, $"No organisation has the slug '{organisationSlug}'.");
        }

        var user = new PartnerUser
        {
            Id = Guid.CreateVersion7(),
            TenantId = organisation.Id,
            Email = email,
            UserName = email,
            DisplayName = displayName,
            EmailConfirmed = true,
            CreatedAt = clock.GetUtcNow().UtcDateTime,
        };
        var created = await CreateAsync(partners, user, password);
        if (!created.Succeeded)
        {
            return Failure<PartnerUserInfo>(created, email);
        }

        logger.LogInformation("Portal user {UserId} created in organisation {TenantId}", user.Id, organisation.Id);
        return Outcome<PartnerUserInfo>.Ok(ToInfo(user));
    }

    public async Task<Outcome<PartnerUserInfo>> SetPartnerUserEnabledAsync(string email, bool enabled, CancellationToken cancellationToken)
    {
        var user = await partners.FindByEmailAsync(email.Trim());
        if (user is null)
        {
            return ProvisioningError.Of(ProvisioningError.UserNotFound, $"No portal user has the e-mail address '{email}'.");
        }

        user.DisabledAt = enabled ? null : user.DisabledAt ?? clock.GetUtcNow().UtcDateTime;
        // A new stamp ends the tokens the user holds. The change is saved with it, or not at all: never report a
        // disabled user whose tokens still work.
        var updated = await partners.UpdateSecurityStampAsync(user);
        if (!updated.Succeeded)
        {
            return ProvisioningError.Of(ProvisioningError.Conflict,
                $"The portal user '{email}' was not {(enabled ? "enabled" : "disabled")}: {Describe(updated)} Try again.");
        }

        logger.LogInformation("Portal user {UserId} {State}", user.Id, enabled ? "enabled" : "disabled");
        return Outcome<PartnerUserInfo>.Ok(ToInfo(user));
    }

    /// <summary>A staff account with role <c>staff</c> and <paramref name="roleNames"/>; without a password it waits for an invitation link.</summary>
    public async Task<Outcome<StaffUserInfo>> AddStaffUserAsync(
        string email, IReadOnlyCollection<string> roleNames, string? password, CancellationToken cancellationToken)
    {
        email = email.Trim();
        var wanted = roleNames.Append(StaffRoles.Staff).Distinct(StringComparer.Ordinal).ToList();
        var errors = new Dictionary<string, string[]>();
        if (!UserRules.IsValidEmail(email))
        {
            errors["email"] = ["Give a valid e-mail address, e.g. someone@idunox.com."];
        }

        if (wanted.Except(StaffRoles.All).Any())
        {
            errors["roles"] = [$"Roles are {string.Join(", ", StaffRoles.All)}."];
        }

        if (errors.Count > 0)
        {
            return UseCaseFailure.Invalid(errors);
        }

        if (await EnsureStaffRolesAsync(wanted) is { } missing)
        {
            return ProvisioningError.Of(ProvisioningError.Conflict, missing);
        }

        var user = new StaffUser { Id = Guid.CreateVersion7(), Email = email, UserName = email, EmailConfirmed = password is not null, CreatedAt = clock.GetUtcNow().UtcDateTime };
        var created = await CreateAsync(staff, user, password);
        if (!created.Succeeded)
        {
            return Failure<StaffUserInfo>(created, email);
        }

        var assigned = await staff.AddToRolesAsync(user, wanted);
        if (!assigned.Succeeded)
        {
            // A staff user without the roles asked for is not what was asked: take it back and say so.
            await staff.DeleteAsync(user);
            return ProvisioningError.Of(ProvisioningError.Conflict,
                $"The staff user '{email}' was not created: its roles could not be assigned ({Describe(assigned)}).");
        }

        logger.LogInformation("Staff user {UserId} created with roles {Roles}", user.Id, string.Join(",", wanted));
        return Outcome<StaffUserInfo>.Ok(new StaffUserInfo(user.Id, email, wanted));
    }

    public async Task<IReadOnlyList<PartnerUserInfo>> ListByTenantAsync(Guid tenantId, CancellationToken cancellationToken) =>
        (await db.PartnerUsers.AsNoTracking().Where(u => u.TenantId == tenantId).OrderBy(u => u.Email).ToListAsync(cancellationToken))
            .Select(ToInfo).ToList();

    public async Task<IReadOnlyList<PartnerUserInfo>> ListByTenantsAsync(IReadOnlyCollection<Guid> tenantIds, CancellationToken cancellationToken)
    {
        var ids = tenantIds.Distinct().ToArray();
        return (await db.PartnerUsers.AsNoTracking().Where(u => ids.Contains(u.TenantId)).OrderBy(u => u.TenantId).ThenBy(u => u.Email).ToListAsync(cancellationToken))
            .Select(ToInfo).ToList();
    }

    public async Task<IReadOnlyDictionary<Guid, int>> CountByTenantAsync(CancellationToken cancellationToken) =>
        await db.PartnerUsers.AsNoTracking().GroupBy(u => u.TenantId).Select(g => new { g.Key, Count = g.Count() })
            .ToDictionaryAsync(x => x.Key, x => x.Count, cancellationToken);

    /// <summary>Creates the staff roles that do not exist yet; why one could not be, or null.</summary>
    public async Task<string?> EnsureStaffRolesAsync(IEnumerable<string> wanted)
    {
        foreach (var role in wanted.Where(r => !roles.Roles.Any(x => x.Name == r)).ToList())
        {
            var createdRole = await roles.CreateAsync(new StaffRole { Id = Guid.CreateVersion7(), Name = role });
            if (!createdRole.Succeeded && !await roles.RoleExistsAsync(role))
            {
                return $"The role '{role}' could not be created: {Describe(createdRole)}";
            }
        }

        return null;
    }

    /// <summary>Creates a user (without a password when none is given); losing a race for the same e-mail to the unique index is a duplicate, not a crash.</summary>
    private async Task<IdentityResult> CreateAsync<TUser>(UserManager<TUser> users, TUser user, string? password)
        where TUser : class
    {
        try
        {
            return password is null ? await users.CreateAsync(user) : await users.CreateAsync(user, password);
        }
        catch (DbUpdateException e) when (IsDuplicateEmail(e))
        {
            return IdentityResult.Failed(users.ErrorDescriber.DuplicateEmail(string.Empty));
        }

        bool IsDuplicateEmail(DbUpdateException e) => user switch
        {
            PartnerUser => db.IsUniqueViolation<PartnerUser>(e, nameof(PartnerUser.NormalizedEmail)) ||
                           db.IsUniqueViolation<PartnerUser>(e, nameof(PartnerUser.NormalizedUserName)),
            _ => db.IsUniqueViolation<StaffUser>(e, nameof(StaffUser.NormalizedEmail)) ||
                 db.IsUniqueViolation<StaffUser>(e, nameof(StaffUser.NormalizedUserName)),
        };
    }

    private static string Describe(IdentityResult result) => string.Join(" ", result.Errors.Select(e => e.Description));

    internal static PartnerUserInfo ToInfo(PartnerUser u) => new(u.Id, u.TenantId, u.Email!, u.DisplayName, u.DisabledAt is null, u.PasswordHash is not null);

    private static Outcome<OrganisationInfo> SlugTaken(string slug) =>
        ProvisioningError.Of(ProvisioningError.SlugTaken, $"An organisation with the slug '{slug}' already exists.");

    private static UseCaseFailure Failure<T>(IdentityResult result, string email)
    {
        if (result.Errors.Any(e => e.Code is nameof(IdentityErrorDescriber.DuplicateEmail) or nameof(IdentityErrorDescriber.DuplicateUserName)))
        {
            return ProvisioningError.Of(ProvisioningError.EmailTaken, $"A user with the e-mail address '{email}' already exists.");
        }

        var password = result.Errors.Where(e => e.Code.StartsWith("Password", StringComparison.Ordinal)).Select(e => e.Description).ToArray();
        var other = result.Errors.Where(e => !e.Code.StartsWith("Password", StringComparison.Ordinal)).Select(e => e.Description).ToArray();
        var errors = new Dictionary<string, string[]>();
        if (password.Length > 0)
        {
            errors["password"] = password;
        }

        if (other.Length > 0)
        {
            errors["email"] = other;
        }

        return UseCaseFailure.Invalid(errors);
    }

    internal static string SlugFrom(string name)
    {
        var slug = NotSlugCharacters().Replace(name.ToLowerInvariant(), "-").Trim('-');
        return slug.Length > Organisation.MaxSlugLength ? slug[..Organisation.MaxSlugLength].TrimEnd('-') : slug;
    }
}
