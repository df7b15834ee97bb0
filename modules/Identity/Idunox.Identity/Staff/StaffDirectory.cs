using Idunox.Shared.Errors;
using Idunox.Identity.Contracts;
using Idunox.Identity.Onboarding;
using Idunox.Identity.Organisations;
using Idunox.Identity.Persistence;
using Idunox.Identity.SignIn;
using Idunox.Identity.Users;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Idunox.Identity.Staff;

/// <summary>
/// The staff accounts' lifecycle (see <see cref="IStaffDirectory"/>). Every change that takes something away (disable,
/// a reset second factor, a new password) renews the member's security stamp and ends its session rows, so it takes
/// effect on every server at the member's next request. The last enabled admin can neither be disabled nor lose the role:
/// someone must be able to look after the staff accounts.
/// </summary>
internal sealed class StaffDirectory(
    IdentityModuleDbContext db,
    UserManager<StaffUser> users,
    Provisioning provisioning,
    PartnerLinks links,
    IUserSessions sessions,
    LoginLockout lockout,
    TimeProvider clock,
    IAccountEmails emails,
    StaffAccounts accounts,
    ILogger<StaffDirectory> logger) : IStaffDirectory
{
    public const string LastAdmin = "last_admin";

    public async Task<IReadOnlyList<StaffMemberInfo>> ListAsync(CancellationToken cancellationToken) =>
        await Project(db.StaffUsers.AsNoTracking().OrderBy(u => u.NormalizedEmail)).ToListAsync(cancellationToken);

    public Task<StaffMemberInfo?> FindAsync(Guid id, CancellationToken cancellationToken) =>
        Project(db.StaffUsers.AsNoTracking().Where(u => u.Id == id)).FirstOrDefaultAsync(cancellationToken);

    public async Task<StaffMemberInfo?> FindByEmailAsync(string email, CancellationToken cancellationToken)
    {
        var normalized = users.NormalizeEmail(email.Trim());
        var id = await db.StaffUsers.AsNoTracking().Where(u => u.NormalizedEmail == normalized).Select(u => (Guid?)u.Id).FirstOrDefaultAsync(cancellationToken);
        return id is { } found ? await FindAsync(found, cancellationToken) : null;
    }

    private IQueryable<StaffMemberInfo> Project(IQueryable<StaffUser> staff) =>
        staff.Select(u => new StaffMemberInfo(u.Id, u.Email!,
            db.Set<IdentityUserRole<Guid>>().Where(r => r.UserId == u.Id).Join(db.Set<StaffRole>(), r => r.RoleId, role => role.Id, (_, role) => role.Name!)
                .OrderBy(n => n).ToList(),
            u.DisabledAt == null, u.PasswordHash != null, u.TwoFactorEnabled, u.CreatedAt));

    public async Task<Outcome<StaffInvitation>> InviteAsync(string? email, IReadOnlyCollection<string> roleNames, CancellationToken cancellationToken)
    {
        var existing = string.IsNullOrWhiteSpace(email) || email.Length > UserRules.MaxEmailLength ? null : await users.FindByEmailAsync(email.Trim());
        if (existing is not null && existing.PasswordHash is not null)
        {
            return ProvisioningError.Of(ProvisioningError.EmailTaken,
                $"A staff member with the e-mail address '{existing.Email}' already exists and has chosen a password.");
        }

        if (existing is { DisabledAt: not null })
        {
            return ProvisioningError.Of(ProvisioningError.Conflict,
                $"{existing.Email} is disabled: enable the member first, then invite them again.");
        }

        StaffUser user;
        if (existing is null)
        {
            var created = await provisioning.AddStaffUserAsync(email ?? string.Empty, roleNames, password: null, cancellationToken);
            if (!created.Succeeded)
            {
                return created.Failure!;
            }

            user = (await users.FindByIdAsync(created.Value!.Id.ToString()))!;
        }
        else
        {
            // A new link for someone who has not chosen a password yet: the new stamp voids the earlier link, and the
            // roles are the ones asked for now.
            user = existing;
            var roles = await SetRolesAsync(user.Id, roleNames, cancellationToken);
            if (!roles.Succeeded)
            {
                return roles.Failure!;
            }

            await users.UpdateSecurityStampAsync(user);
        }

        var (link, expires) = links.CreateForStaff(user);
        logger.LogInformation("Staff member {UserId} was invited", user.Id);
        return Outcome<StaffInvitation>.Ok(new StaffInvitation((await FindAsync(user.Id, cancellationToken))!, link, expires));
    }

    public async Task<Outcome<StaffMemberInfo>> SetEnabledAsync(Guid id, bool enabled, CancellationToken cancellationToken)
    {
        await using var transaction = await BeginAdminChangeAsync(cancellationToken);
        var user = await users.FindByIdAsync(id.ToString());
        if (user is null)
        {
            return NotFound<StaffMemberInfo>();
        }

        if (!enabled && user.DisabledAt is null && await IsLastAdminAsync(user, cancellationToken))
        {
            return ProvisioningError.Of(LastAdmin,
                $"{user.Email} is the only enabled admin: give another member the admin role first, so someone can still look after the staff accounts.");
        }

        if (enabled != (user.DisabledAt is null))
        {
            user.DisabledAt = enabled ? null : clock.GetUtcNow().UtcDateTime;
            // A new stamp: the disabled member's sessions are refused on every server at their next request.
            var updated = await users.UpdateSecurityStampAsync(user);
            if (!updated.Succeeded)
            {
                return Conflict<StaffMemberInfo>(user);
            }

            await transaction.CommitAsync(cancellationToken);
            if (!enabled)
            {
                await sessions.EndAllAsync(user.Id, SessionKinds.Staff, "disabled by staff", cancellationToken);
            }

            logger.LogWarning("Staff member {UserId} {State}", user.Id, enabled ? "enabled" : "disabled");
        }

        return Outcome<StaffMemberInfo>.Ok((await FindAsync(user.Id, cancellationToken))!);
    }

    public async Task<Outcome<StaffMemberInfo>> SetRolesAsync(Guid id, IReadOnlyCollection<string> roleNames, CancellationToken cancellationToken)
    {
        var wanted = roleNames.Select(r => r.Trim()).Append(StaffRoles.Staff).Distinct(StringComparer.Ordinal).ToList();
        if (wanted.Except(StaffRoles.All).Any())
        {
            return UseCaseFailure.Invalid(new Dictionary<string, string[]> { ["roles"] = [$"Roles are {string.Join(", ", StaffRoles.All)}."] });
        }

        await using var transaction = await BeginAdminChangeAsync(cancellationToken);
        var user = await users.FindByIdAsync(id.ToString());
        if (user is null)
        {
            return NotFound<StaffMemberInfo>();
        }

        var current = (await users.GetRolesAsync(user)).ToList();
        if (current.Contains(StaffRoles.Admin) && !wanted.Contains(StaffRoles.Admin) && await IsLastAdminAsync(user, cancellationToken))
        {
            return ProvisioningError.Of(LastAdmin,
                $"{user.Email} is the only enabled admin: give another member the admin role first, so someone can still look after the staff accounts.");
        }

        if (await provisioning.EnsureStaffRolesAsync(wanted) is { } missing)
        {
            return ProvisioningError.Of(ProvisioningError.Conflict, missing);
        }

        var removed = current.Except(wanted).ToList();
        var added = wanted.Except(current).ToList();
        var result = removed.Count > 0 ? await users.RemoveFromRolesAsync(user, removed) : IdentityResult.Success;
        if (result.Succeeded && added.Count > 0)
        {
            result = await users.AddToRolesAsync(user, added);
        }

        if (!result.Succeeded)
        {
            return Conflict<StaffMemberInfo>(user); // the transaction ends unsaved: no role was taken away alone
        }

        await transaction.CommitAsync(cancellationToken);
        logger.LogWarning("Staff member {UserId} now has the roles {Roles}", user.Id, string.Join(",", wanted.Order(StringComparer.Ordinal)));
        return Outcome<StaffMemberInfo>.Ok((await FindAsync(user.Id, cancellationToken))!);
    }

    public async Task<Outcome<StaffMemberInfo>> ResetTwoFactorAsync(Guid id, CancellationToken cancellationToken)
    {
        var user = await users.FindByIdAsync(id.ToString());
        if (user is null)
        {
            return NotFound<StaffMemberInfo>();
        }

        var reset = await accounts.ResetAuthenticatorAsync(user.Email!, cancellationToken);
        if (!reset.Succeeded)
        {
            return reset.Failure!;
        }

        await sessions.EndAllAsync(user.Id, SessionKinds.Staff, "second factor reset", cancellationToken);
        return Outcome<StaffMemberInfo>.Ok((await FindAsync(user.Id, cancellationToken))!);
    }

    public async Task<Outcome<int>> EndSessionsAsync(Guid id, CancellationToken cancellationToken)
    {
        var user = await users.FindByIdAsync(id.ToString());
        if (user is null)
        {
            return NotFound<int>();
        }

        var ended = await sessions.EndAllAsync(user.Id, SessionKinds.Staff, "ended by staff", cancellationToken);
        logger.LogWarning("{Count} sessions of staff member {UserId} were ended by staff", ended, user.Id);
        return Outcome<int>.Ok(ended);
    }

    public async Task<Outcome<StaffMember>> ChangePasswordAsync(Guid id, string? currentPassword, string? newPassword, string? confirmation,
        CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrEmpty(currentPassword) || currentPassword.Length > UserRules.MaxPasswordLength)
        {
            errors["currentPassword"] = [string.IsNullOrEmpty(currentPassword) ? "The current password is required." : "The current password is not correct."];
        }

        CheckNewPassword(newPassword, confirmation, errors);
        var user = await users.FindByIdAsync(id.ToString());
        if (user is not { DisabledAt: null })
        {
            return NotFound<StaffMember>();
        }

        if (errors.Count > 0)
        {
            return UseCaseFailure.Invalid(errors);
        }

        var lockKey = $"staff-password:{user.Id:N}";
        if (await lockout.ReserveAttemptAsync(lockKey, cancellationToken) is { } locked)
        {
            return new UseCaseFailure(FailureKind.TooManyAttempts, StaffRefusal.TooManyAttempts, "Too many attempts.",
                $"Too many wrong current passwords. Try again in {SignInPartner.WaitText(Math.Max(1, (int)Math.Ceiling(locked.TotalSeconds)))}.")
            {
                RetryAfter = locked,
            };
        }

        var result = await users.ChangePasswordAsync(user, currentPassword!, newPassword!);
        var mismatch = result.Errors.Any(e => e.Code == nameof(IdentityErrorDescriber.PasswordMismatch));
        await (mismatch ? lockout.RecordFailureAsync(lockKey, cancellationToken) : lockout.ResetAsync(lockKey, cancellationToken));
        if (!result.Succeeded)
        {
            return UseCaseFailure.Invalid(result.Errors.GroupBy(e => e.Code == nameof(IdentityErrorDescriber.PasswordMismatch) ? "currentPassword" : "newPassword")
                .ToDictionary(g => g.Key, g => g.Select(e => e.Code == nameof(IdentityErrorDescriber.PasswordMismatch) ? "The current password is not correct." : e.Description).ToArray()));
        }

        // The new stamp refuses every older session; ending the rows takes them off the session list.
        await sessions.EndAllAsync(user.Id, SessionKinds.Staff, "password changed", cancellationToken);
        emails.SendSecurityNotice(new SecurityNotice(null, user.Email!, user.Email!, SecurityNoticeKind.PasswordChanged, clock.GetUtcNow().UtcDateTime, null,
            Staff: true));
        logger.LogInformation("Staff member {UserId} changed their password", user.Id);
        return Outcome<StaffMember>.Ok(await MemberAsync(user));
    }

    public async Task<StaffMemberInfo?> CheckInvitationAsync(string? token, CancellationToken cancellationToken) =>
        await InvitedUserAsync(token) is { } user ? await FindAsync(user.Id, cancellationToken) : null;

    public async Task<Outcome<StaffMember>> AcceptInvitationAsync(string? token, string? password, string? confirmation, CancellationToken cancellationToken)
    {
        var user = await InvitedUserAsync(token);
        if (user is null)
        {
            return AccountLinks.NotValid;
        }

        var errors = new Dictionary<string, string[]>();
        CheckNewPassword(password, confirmation, errors);
        if (errors.Count == 0)
        {
            foreach (var validator in users.PasswordValidators)
            {
                var checkedPassword = await validator.ValidateAsync(users, user, password);
                if (!checkedPassword.Succeeded)
                {
                    errors["newPassword"] = [.. checkedPassword.Errors.Select(e => e.Description)];
                }
            }
        }

        if (errors.Count > 0)
        {
            return UseCaseFailure.Invalid(errors);
        }

        user.PasswordHash = users.PasswordHasher.HashPassword(user, password!);
        user.EmailConfirmed = true;
        // The new stamp uses the link up; the concurrency stamp lets only one of two simultaneous uses win.
        if (!(await users.UpdateSecurityStampAsync(user)).Succeeded)
        {
            return AccountLinks.NotValid;
        }

        logger.LogInformation("Staff member {UserId} chose a password with an invitation link", user.Id);
        return Outcome<StaffMember>.Ok(await MemberAsync(user));
    }

    /// <summary>The invited member a link is for: it works while the member is enabled, has no password yet and the stamp is the link's.</summary>
    private async Task<StaffUser?> InvitedUserAsync(string? token)
    {
        var read = links.Read(token, PartnerLinks.StaffInvitation);
        if (read is null || read.ExpiresAt <= clock.GetUtcNow().UtcDateTime)
        {
            return null;
        }

        var user = await users.FindByIdAsync(read.UserId.ToString());
        return user is { DisabledAt: null, PasswordHash: null } && string.Equals(user.SecurityStamp, read.SecurityStamp, StringComparison.Ordinal) ? user : null;
    }

    private static void CheckNewPassword(string? password, string? confirmation, Dictionary<string, string[]> errors)
    {
        if (string.IsNullOrEmpty(password))
        {
            errors["newPassword"] = ["Choose a password."];
        }
        else if (password.Length > UserRules.MaxPasswordLength)
        {
            errors["newPassword"] = [$"Keep the password to {UserRules.MaxPasswordLength} characters."];
        }
        else if (!string.Equals(password, confirmation, StringComparison.Ordinal))
        {
            errors["confirmPassword"] = ["The two passwords are not the same."];
        }
    }

    /// <summary>
    /// Whether <paramref name="user"/> is the only admin who can sign in (enabled, with a password: an invitee who has
    /// not chosen one yet cannot look after anyone).
    /// </summary>
    private async Task<bool> IsLastAdminAsync(StaffUser user, CancellationToken cancellationToken)
    {
        if (user.DisabledAt is not null || user.PasswordHash is null)
        {
            return false; // taking away what cannot be used leaves things as they are
        }

        var admins = await users.GetUsersInRoleAsync(StaffRoles.Admin);
        return admins.Any(a => a.Id == user.Id) && !admins.Any(a => a.Id != user.Id && a.DisabledAt is null && a.PasswordHash is not null);
    }

    /// <summary>
    /// A transaction in which the last-admin rule is checked and the change made, one at a time across servers (a lock
    /// on PostgreSQL; SQLite's transactions take the write lock at the start): two admins disabling each other at once
    /// cannot both succeed.
    /// </summary>
    private async Task<Microsoft.EntityFrameworkCore.Storage.IDbContextTransaction> BeginAdminChangeAsync(CancellationToken cancellationToken)
    {
        var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (db.Database.IsNpgsql())
        {
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({AdminChangeLock})", cancellationToken);
        }

        return transaction;
    }

    /// <summary>The advisory lock of staff role and enablement changes (any number unused elsewhere: "idxadmin" in ASCII).</summary>
    private const long AdminChangeLock = 0x6964_7861_646D_696E;

    private async Task<StaffMember> MemberAsync(StaffUser user) =>
        new(user.Id, user.Email!, (await users.GetRolesAsync(user)).Order(StringComparer.Ordinal).ToList(), user.SecurityStamp!, user.TwoFactorEnabled);

    private static UseCaseFailure NotFound<T>() => ProvisioningError.Of(ProvisioningError.UserNotFound, "No such staff member.");

    private static UseCaseFailure Conflict<T>(StaffUser user) =>
        ProvisioningError.Of(ProvisioningError.Conflict, $"{user.Email} was changed by someone else at the same moment; nothing changed. Try again.");
}
