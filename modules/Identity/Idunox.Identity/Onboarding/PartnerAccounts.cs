using Idunox.Shared.Errors;
using Idunox.Identity.Contracts;
using Idunox.Identity.Organisations;
using Idunox.Identity.Persistence;
using Idunox.Identity.Users;
using Idunox.Shared.Persistence;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Idunox.Identity.Onboarding;

/// <summary>Invitations, enabling and disabling, and password-reset links for an organisation's portal users (staff area, command line).</summary>
internal sealed class PartnerAccounts(
    IdentityModuleDbContext db,
    UserManager<PartnerUser> users,
    PartnerLinks links,
    TimeProvider clock,
    ILogger<PartnerAccounts> logger) : IPartnerAccounts
{
    public Task<Outcome<AccountLink>> InviteAsync(Guid tenantId, string? email, string? displayName, CancellationToken cancellationToken) =>
        InviteAsync(o => o.Id == tenantId, "No such organisation.", email, displayName, cancellationToken);

    /// <summary>The command line's way in: the organisation by its slug (checked after the input, like every verb).</summary>
    public Task<Outcome<AccountLink>> InviteAsync(string slug, string? email, string? displayName, CancellationToken cancellationToken) =>
        InviteAsync(o => o.Slug == slug, $"No organisation has the slug '{slug}'.", email, displayName, cancellationToken);

    private async Task<Outcome<AccountLink>> InviteAsync(System.Linq.Expressions.Expression<Func<Organisation, bool>> which, string notFound,
        string? email, string? displayName, CancellationToken cancellationToken)
    {
        (email, displayName, var errors) = UserRules.CheckPartner(email, displayName);
        if (errors.Count > 0)
        {
            return UseCaseFailure.Invalid(errors);
        }

        var organisation = await db.Organisations.AsNoTracking().FirstOrDefaultAsync(which, cancellationToken);
        if (organisation is null)
        {
            return ProvisioningError.Of(ProvisioningError.OrganisationNotFound, notFound);
        }

        var tenantId = organisation.Id;

        var user = await users.FindByEmailAsync(email);
        if (user is not null && (user.TenantId != tenantId || user.PasswordHash is not null))
        {
            return ProvisioningError.Of(ProvisioningError.EmailTaken, user.TenantId == tenantId
                ? $"A portal user with the e-mail address '{email}' already exists in this organisation. If the password is lost, send a password-reset link instead."
                : $"A portal user with the e-mail address '{email}' already exists.");
        }

        if (user is null)
        {
            user = new PartnerUser
            {
                Id = Guid.CreateVersion7(),
                TenantId = tenantId,
                Email = email,
                UserName = email,
                DisplayName = displayName,
                EmailConfirmed = false,
                CreatedAt = clock.GetUtcNow().UtcDateTime,
            };
            IdentityResult created;
            try
            {
                created = await users.CreateAsync(user); // no password: only the link can set one
            }
            catch (DbUpdateException e) when (db.IsUniqueViolation<PartnerUser>(e, nameof(PartnerUser.NormalizedEmail)) ||
                                             db.IsUniqueViolation<PartnerUser>(e, nameof(PartnerUser.NormalizedUserName)))
            {
                created = IdentityResult.Failed(users.ErrorDescriber.DuplicateEmail(email));
            }

            if (!created.Succeeded)
            {
                return ProvisioningError.Of(ProvisioningError.EmailTaken, $"A portal user with the e-mail address '{email}' already exists.");
            }
        }
        else
        {
            // Invited before: a new stamp voids the earlier link.
            user.DisplayName = displayName;
            if (!(await users.UpdateSecurityStampAsync(user)).Succeeded)
            {
                return ProvisioningError.Of(ProvisioningError.Conflict, "The invitation was not renewed: the user changed meanwhile. Try again.");
            }
        }

        var (link, expires) = links.Create(user, PartnerLinks.Invitation);
        logger.LogInformation("Portal user {UserId} invited to organisation {TenantId}", user.Id, tenantId);
        return Outcome<AccountLink>.Ok(new AccountLink(Provisioning.ToInfo(user), organisation.Name, link, expires));
    }

    public async Task<Outcome<PartnerUserInfo>> SetEnabledAsync(Guid tenantId, Guid userId, bool enabled, CancellationToken cancellationToken)
    {
        var user = await db.PartnerUsers.FirstOrDefaultAsync(u => u.Id == userId && u.TenantId == tenantId, cancellationToken);
        if (user is null)
        {
            return ProvisioningError.Of(ProvisioningError.UserNotFound, "No such portal user in this organisation.");
        }

        user.DisabledAt = enabled ? null : user.DisabledAt ?? clock.GetUtcNow().UtcDateTime;
        if (!(await users.UpdateSecurityStampAsync(user)).Succeeded)
        {
            return ProvisioningError.Of(ProvisioningError.Conflict, "Nothing changed: the user changed meanwhile. Try again.");
        }

        logger.LogInformation("Portal user {UserId} {State}", user.Id, enabled ? "enabled" : "disabled");
        return Outcome<PartnerUserInfo>.Ok(Provisioning.ToInfo(user));
    }

    public async Task<Outcome<AccountLink>> CreatePasswordResetAsync(Guid tenantId, Guid userId, CancellationToken cancellationToken)
    {
        var found = await db.PartnerUsers.AsNoTracking().Where(u => u.Id == userId && u.TenantId == tenantId)
            .Select(u => new { User = u, Organisation = db.Organisations.First(o => o.Id == u.TenantId) })
            .FirstOrDefaultAsync(cancellationToken);
        if (found is null)
        {
            return ProvisioningError.Of(ProvisioningError.UserNotFound, "No such portal user in this organisation.");
        }

        if (found.User.DisabledAt is not null)
        {
            return ProvisioningError.Of(ProvisioningError.Invalid, "This user is disabled: enable it first.");
        }

        var user = found.User;
        var purpose = user.PasswordHash is null ? PartnerLinks.Invitation : PartnerLinks.PasswordReset;
        if (purpose == PartnerLinks.Invitation && await RenewInvitationAsync(user.Id) is { } renewed)
        {
            user = renewed; // a new invitation voids the older links
        }

        var (link, expires) = links.Create(user, purpose);
        logger.LogInformation("A {Purpose} link was made for portal user {UserId}", purpose, userId);
        return Outcome<AccountLink>.Ok(new AccountLink(Provisioning.ToInfo(user), found.Organisation.Name, link, expires));
    }

    /// <summary>
    /// A user who has not chosen a password yet gets a new security stamp with each new invitation, so only the newest
    /// link works. (Not for password resets: the stamp also ends sessions, and a reset request must not sign anyone out.)
    /// </summary>
    internal async Task<PartnerUser?> RenewInvitationAsync(Guid userId)
    {
        var user = await users.FindByIdAsync(userId.ToString());
        return user is { PasswordHash: null } && (await users.UpdateSecurityStampAsync(user)).Succeeded ? user : null;
    }
}
