using Idunox.Identity.Contracts;
using Idunox.Identity.Organisations;
using Idunox.Identity.Persistence;
using Idunox.Identity.SignIn;
using Idunox.Identity.Users;
using Idunox.Shared.Errors;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Idunox.Identity.Onboarding;

/// <summary>
/// The partner's side of a one-time link: check it, and choose a password with it (which signs the user in). And the
/// "forgot password" request, which answers the same whether or not the address exists.
/// </summary>
internal sealed class AccountLinks(
    IdentityModuleDbContext db,
    UserManager<PartnerUser> users,
    PartnerLinks links,
    LoginLockout lockout,
    LoginRateLimiter rateLimiter,
    TimeProvider clock,
    IUserSessions sessions,
    IAccountEmails emails,
    ILogger<AccountLinks> logger)
{
    public const string LinkNotValid = "link_not_valid";

    public static readonly UseCaseFailure NotValid = new(FailureKind.Invalid, LinkNotValid, "This link no longer works.",
        "It was already used, a newer one replaced it, or it is too old. Ask for a new one.");

    /// <summary>The user and organisation a link is for, or why it does not work.</summary>
    public async Task<Outcome<SignedIn>> CheckAsync(string? token, string purpose, CancellationToken cancellationToken)
    {
        var read = links.Read(token, purpose);
        if (read is null || read.ExpiresAt <= clock.GetUtcNow().UtcDateTime)
        {
            return NotValid;
        }

        var found = await db.PartnerUsers.Where(u => u.Id == read.UserId)
            .Select(u => new { User = u, Organisation = db.Organisations.FirstOrDefault(o => o.Id == u.TenantId) })
            .FirstOrDefaultAsync(cancellationToken);
        return found is { User.DisabledAt: null, Organisation.Status: OrganisationStatus.Active } &&
               string.Equals(found.User.SecurityStamp, read.SecurityStamp, StringComparison.Ordinal)
            ? Outcome<SignedIn>.Ok(new SignedIn(found.User, found.Organisation))
            : NotValid;
    }

    /// <summary>Chooses the password with a link: the link is used up, every earlier session ends, and the user is signed in.</summary>
    public async Task<Outcome<SignedIn>> SetPasswordAsync(string? token, string purpose, string? password, string? confirmation,
        string? clientAddress, CancellationToken cancellationToken)
    {
        var check = await CheckAsync(token, purpose, cancellationToken);
        if (check.Value is not { } target)
        {
            return check;
        }

        var errors = new ValidationErrors()
            .When(string.IsNullOrEmpty(password), "newPassword", "Choose a password.")
            .When(!string.IsNullOrEmpty(password) && !string.Equals(password, confirmation, StringComparison.Ordinal), "confirmPassword",
                "The two passwords are not the same.");
        if (errors.IsValid)
        {
            foreach (var validator in users.PasswordValidators)
            {
                var result = await validator.ValidateAsync(users, target.User, password);
                foreach (var error in result.Errors)
                {
                    errors.Add("newPassword", error.Description);
                }
            }
        }

        if (!errors.IsValid)
        {
            return UseCaseFailure.Invalid(errors);
        }

        var user = target.User;
        user.PasswordHash = users.PasswordHasher.HashPassword(user, password!);
        user.EmailConfirmed = true;
        // A new stamp uses the link up and ends every earlier session; the concurrency stamp lets only one of two
        // simultaneous uses of the same link win.
        if (!(await users.UpdateSecurityStampAsync(user)).Succeeded)
        {
            return NotValid;
        }

        // The mailbox's owner chose a password: failures counted against the account from this address, and for its
        // password changes, start afresh; its earlier sessions are gone (the new stamp refuses them; this takes them
        // off its session list too).
        await lockout.ResetAsync(LoginLockout.AtAddress(user.NormalizedEmail ?? string.Empty, clientAddress), cancellationToken);
        await lockout.ResetAsync(user.NormalizedEmail ?? string.Empty, cancellationToken);
        await sessions.EndAllAsync(user.Id, SessionKinds.Portal,
            "password set with a link", cancellationToken);
        logger.LogInformation("Portal user {UserId} chose a password with a {Purpose} link", user.Id, purpose);
        if (purpose == PartnerLinks.PasswordReset)
        {
            emails.SendSecurityNotice(new SecurityNotice(user.TenantId, user.Email!, user.DisplayName,
                SecurityNoticeKind.PasswordResetWithLink, clock.GetUtcNow().UtcDateTime, clientAddress));
        }
        return Outcome<SignedIn>.Ok(target);
    }

    /// <summary>
    /// "Forgot password": when the address belongs to a user who may sign in, a reset link goes out by e-mail (in the
    /// background, so the answer takes the same time either way). The caller always shows the same answer.
    /// </summary>
    public async Task<UseCaseFailure?> RequestResetAsync(string? email, string? clientAddress, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors().When(!UserRules.IsValidEmail(email?.Trim() ?? string.Empty), "email", "Give your e-mail address, e.g. it@partner.example.");
        if (!errors.IsValid)
        {
            return UseCaseFailure.Invalid(errors);
        }

        if (await rateLimiter.TryAcquireAsync(clientAddress, cancellationToken) is { } wait)
        {
            return SignInPartner.TooMany(wait, "Too many requests from this address.");
        }

        var normalized = users.NormalizeEmail(email!.Trim()) ?? string.Empty;
        // One e-mail per account a minute, however many addresses and servers ask: nobody floods a mailbox. Counted for
        // every address asked about, known or not, so the answer takes the same work either way.
        var allowed = await rateLimiter.TryAcquireKeyAsync(
            $"reset:{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(normalized)))[..40]}", 1,
            cancellationToken) is null;
        var found = await db.PartnerUsers.AsNoTracking().Where(u => u.NormalizedEmail == normalized)
            .Select(u => new { User = u, Organisation = db.Organisations.FirstOrDefault(o => o.Id == u.TenantId) })
            .FirstOrDefaultAsync(cancellationToken);
        // Only a user who has a password gets a reset link. A user who has not chosen one yet keeps the invitation staff
        // passed on (a stranger asking must neither cancel it nor send an e-mail staff chose not to send); staff send a
        // new invitation when one is lost.
        if (found is { User.DisabledAt: null, User.PasswordHash: not null, Organisation.Status: OrganisationStatus.Active } &&
            emails.Enabled)
        {
            var user = found.User;
            if (!allowed)
            {
                return null;
            }

            var (link, expires) = links.Create(user, PartnerLinks.PasswordReset);
            emails.SendPasswordReset(new AccountEmail(user.TenantId, user.Email!, user.DisplayName, found.Organisation.Name, link, expires));
            logger.LogInformation("A password reset link was sent to portal user {UserId}", user.Id);
        }

        return null;
    }
}
