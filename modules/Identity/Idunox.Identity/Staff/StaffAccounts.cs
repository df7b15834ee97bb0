using Idunox.Shared.Errors;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Idunox.Identity.Contracts;
using Idunox.Identity.Persistence;
using Idunox.Identity.SignIn;
using Idunox.Identity.Users;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Idunox.Identity.Staff;

/// <summary>
/// Staff sign-in: password with the partner sign-in's rules (one refusal for every reason, after the same work; a
/// per-address limit and a per-address lockout of their own), then ASP.NET Core Identity's authenticator (TOTP)
/// with ten one-time recovery codes, whose failures lock out the same way.
/// </summary>
internal sealed class StaffAccounts(
    IdentityModuleDbContext db,
    UserManager<StaffUser> users,
    IPasswordHasher<StaffUser> hasher,
    LoginLockout lockout,
    LoginRateLimiter rateLimiter,
    IOptions<Idunox.Shared.Configuration.PortalSettings> portal,
    IdentityMetrics metrics,
    TimeProvider clock,
    IAccountEmails emails,
    ILogger<StaffAccounts> logger) : IStaffAccounts
{
    private static readonly UseCaseFailure Refused = new(FailureKind.Unauthorized, StaffRefusal.InvalidCredentials, "Invalid e-mail or password.",
        "Check the e-mail address and password. Staff accounts are added with the 'staff add' command.");

    private static readonly UseCaseFailure WrongCode = new(FailureKind.Unauthorized, StaffRefusal.InvalidCode, "That code did not work.",
        "Enter the 6-digit code your authenticator app shows now, or one of your recovery codes.");

    public async Task<Outcome<StaffCheck>> CheckPasswordAsync(string? email, string? password, string? clientAddress, CancellationToken cancellationToken)
    {
        var check = await PasswordStepAsync(email, password, clientAddress, cancellationToken);
        metrics.SignIn("staff", check.Failure?.Code ?? IdentityMetrics.Succeeded);
        return check;
    }

    private async Task<Outcome<StaffCheck>> PasswordStepAsync(string? email, string? password, string? clientAddress, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(email) || string.IsNullOrEmpty(password) || email.Length > UserRules.MaxEmailLength ||
            password.Length > UserRules.MaxPasswordLength)
        {
            return new UseCaseFailure(FailureKind.Invalid, StaffRefusal.Invalid, "Enter your e-mail address and password.",
                $"Both are required; each is at most {UserRules.MaxEmailLength} characters.");
        }

        if (await rateLimiter.TryAcquireAsync(clientAddress, cancellationToken) is { } wait)
        {
            return TooMany(wait, "Too many sign-in attempts from this address.");
        }

        var normalized = users.NormalizeEmail(email.Trim()) ?? string.Empty;
        var lockKey = LoginLockout.AtAddress($"staff:{normalized}", clientAddress);
        if (await lockout.ReserveAttemptAsync(lockKey, cancellationToken) is { } locked)
        {
            return TooMany(locked, "Too many failed sign-ins for this e-mail address.");
        }

        var user = await db.StaffUsers.FirstOrDefaultAsync(u => u.NormalizedEmail == normalized, cancellationToken);
        var verification = hasher.VerifyHashedPassword(user ?? TimingDecoy.User, user?.PasswordHash ?? TimingDecoy.Hash, password);
        if (user is null || verification == PasswordVerificationResult.Failed || user.DisabledAt is not null)
        {
            await lockout.RecordFailureAsync(lockKey, cancellationToken);
            logger.LogInformation("Refused a staff sign-in from {ClientAddress}", clientAddress);
            return Refused;
        }

        await lockout.ResetAsync(lockKey, cancellationToken);
        if (verification == PasswordVerificationResult.SuccessRehashNeeded)
        {
            await users.RehashPasswordAsync(user, password);
        }

        logger.LogInformation("Staff user {UserId} passed the password step", user.Id);
        return Outcome<StaffCheck>.Ok(new StaffCheck(await MemberAsync(user)));
    }

    public async Task<AuthenticatorEnrolment?> BeginEnrolmentAsync(Guid staffUserId, string? keyInProgress, CancellationToken cancellationToken)
    {
        var user = await ActiveUserAsync(staffUserId);
        if (user is null || user.TwoFactorEnabled)
        {
            return null;
        }

        // The key belongs to this attempt only (the page keeps it in its own protected, short-lived cookie): nothing is
        // stored until a code proves the app has it, so a second browser holding the password sees a key of its own.
        var key = Authenticator.Decode(keyInProgress) is not null ? keyInProgress!.Replace(" ", string.Empty, StringComparison.Ordinal).ToUpperInvariant()
            : Authenticator.NewKey();
        var issuer = $"{(portal.Value.Brand.Name is { Length: > 0 } name ? name : "Idunox")} staff";
        var uri = $"otpauth://totp/{Uri.EscapeDataString(issuer)}:{Uri.EscapeDataString(user.Email!)}?secret={key}&issuer={Uri.EscapeDataString(issuer)}&digits=6";
        return new AuthenticatorEnrolment(key, Authenticator.Grouped(key), uri);
    }

    public async Task<Outcome<StaffCheck>> CompleteEnrolmentAsync(Guid staffUserId, string? keyInProgress, string? code, CancellationToken cancellationToken)
    {
        var user = await ActiveUserAsync(staffUserId);
        if (user is null || user.TwoFactorEnabled || Authenticator.Decode(keyInProgress) is not { } keyBytes)
        {
            return Refused;
        }

        var lockKey = $"staff-code:{user.Id:N}";
        if (await lockout.ReserveAttemptAsync(lockKey, cancellationToken) is { } locked)
        {
            return TooMany(locked, "Too many wrong codes.");
        }

        if (Authenticator.Digits(code) is not { } digits || Authenticator.MatchStep(keyBytes, digits, clock.GetUtcNow()) is not { } step)
        {
            await lockout.RecordFailureAsync(lockKey, cancellationToken);
            return WrongCode with { Detail = "Enter the 6-digit code your authenticator app shows for this account now." };
        }

        // One save: the key of this attempt replaces any other, two-factor is on, the code's step is used, the recovery
        // codes are new and every other session ends (a new security stamp). The concurrency stamp lets only one of two
        // attempts finishing at once win.
        var codes = RecoveryCodes.Generate();
        user.TwoFactorEnabled = true;
        user.AuthenticatorLastStep = step;
        user.SecurityStamp = NewStamp();
        user.ConcurrencyStamp = Guid.NewGuid().ToString();
        SetToken(user.Id, AuthenticatorKeyName, keyInProgress!.Replace(" ", string.Empty, StringComparison.Ordinal).ToUpperInvariant());
        SetToken(user.Id, RecoveryCodesName, RecoveryCodes.Store(codes));
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // A concurrency conflict on the member, or the other attempt's token rows already there.
            logger.LogWarning("Staff user {UserId} finished two enrolments at once; the other one won", user.Id);
            return Refused;
        }

        await lockout.ResetAsync(lockKey, cancellationToken);
        logger.LogInformation("Staff user {UserId} enrolled an authenticator", user.Id);
        return Outcome<StaffCheck>.Ok(new StaffCheck(await MemberAsync(user), codes, RecoveryCodesLeft: codes.Count));
    }

    public async Task<Outcome<StaffCheck>> VerifySecondFactorAsync(Guid staffUserId, string? code, CancellationToken cancellationToken)
    {
        var user = await ActiveUserAsync(staffUserId);
        if (user is null || !user.TwoFactorEnabled)
        {
            return Refused;
        }

        var lockKey = $"staff-code:{user.Id:N}";
        if (await lockout.ReserveAttemptAsync(lockKey, cancellationToken) is { } locked)
        {
            return TooMany(locked, "Too many wrong codes.");
        }

        var text = (code ?? string.Empty).Trim();
        if (Authenticator.Digits(text) is { } digits)
        {
            if (Authenticator.Decode(await TokenAsync(user.Id, AuthenticatorKeyName, cancellationToken)) is { } key &&
                Authenticator.MatchStep(key, digits, clock.GetUtcNow()) is { } step &&
                await UseStepAsync(user.Id, step, cancellationToken))
            {
                await lockout.ResetAsync(lockKey, cancellationToken);
                logger.LogInformation("Staff user {UserId} signed in with an authenticator code", user.Id);
                return Outcome<StaffCheck>.Ok(new StaffCheck(await MemberAsync(user), RecoveryCodesLeft: RecoveryCodes.CountLeft(await TokenAsync(user.Id, RecoveryCodesName, cancellationToken))));
            }
        }
        else if (text.Length is > 0 and <= 64 && await RedeemRecoveryCodeAsync(user.Id, text, cancellationToken) is { } left)
        {
            await lockout.ResetAsync(lockKey, cancellationToken);
            logger.LogWarning("Staff user {UserId} signed in with a recovery code ({Left} left)", user.Id, left);
            return Outcome<StaffCheck>.Ok(new StaffCheck(await MemberAsync(user), UsedRecoveryCode: true, RecoveryCodesLeft: left));
        }

        await lockout.RecordFailureAsync(lockKey, cancellationToken);
        logger.LogInformation("Refused a second-factor code of staff user {UserId}", user.Id);
        return WrongCode;
    }

    /// <summary>
    /// Marks a time step as used, in one conditional update: true only for a step later than the last one accepted, so a
    /// code seen once (or an older one) is refused on every server, even when two arrive at once.
    /// </summary>
    private async Task<bool> UseStepAsync(Guid userId, long step, CancellationToken cancellationToken) =>
        await db.StaffUsers.Where(u => u.Id == userId && (u.AuthenticatorLastStep == null || u.AuthenticatorLastStep < step))
            .ExecuteUpdateAsync(s => s.SetProperty(u => u.AuthenticatorLastStep, step), cancellationToken) == 1;

    /// <summary>Removes a recovery code from the stored list by compare-and-swap; the codes left, or null when it was not there (or another server took it first).</summary>
    private async Task<int?> RedeemRecoveryCodeAsync(Guid userId, string code, CancellationToken cancellationToken)
    {
        var stored = await TokenAsync(userId, RecoveryCodesName, cancellationToken);
        if (RecoveryCodes.Redeem(stored, code) is not { } rest)
        {
            return null;
        }

        var swapped = await db.Set<IdentityUserToken<Guid>>()
            .Where(t => t.UserId == userId && t.LoginProvider == InternalLoginProvider && t.Name == RecoveryCodesName && t.Value == stored)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.Value, rest), cancellationToken);
        return swapped == 1 ? RecoveryCodes.CountLeft(rest) : null;
    }

    private Task<string?> TokenAsync(Guid userId, string name, CancellationToken cancellationToken) =>
        db.Set<IdentityUserToken<Guid>>().AsNoTracking()
            .Where(t => t.UserId == userId && t.LoginProvider == InternalLoginProvider && t.Name == name)
            .Select(t => t.Value).FirstOrDefaultAsync(cancellationToken);

    private void SetToken(Guid userId, string name, string value)
    {
        var tokens = db.Set<IdentityUserToken<Guid>>();
        var row = tokens.Local.FirstOrDefault(t => t.UserId == userId && t.LoginProvider == InternalLoginProvider && t.Name == name)
                  ?? tokens.FirstOrDefault(t => t.UserId == userId && t.LoginProvider == InternalLoginProvider && t.Name == name);
        if (row is null)
        {
            tokens.Add(new IdentityUserToken<Guid> { UserId = userId, LoginProvider = InternalLoginProvider, Name = name, Value = value });
        }
        else
        {
            row.Value = value;
        }
    }

    private static string NewStamp() => Convert.ToHexString(RandomNumberGenerator.GetBytes(20));

    /// <summary>Where ASP.NET Core Identity's user store keeps a user's own tokens.</summary>
    private const string InternalLoginProvider = "[AspNetUserStore]";
    private const string AuthenticatorKeyName = "AuthenticatorKey";
    private const string RecoveryCodesName = "RecoveryCodes";

    public async Task<StaffMember?> FindSessionMemberAsync(Guid staffUserId, string? securityStamp, CancellationToken cancellationToken)
    {
        var found = await db.StaffUsers.AsNoTracking()
            .Where(u => u.Id == staffUserId && u.DisabledAt == null)
            .Select(u => new
            {
                u.Id, u.Email, u.SecurityStamp, u.TwoFactorEnabled,
                Roles = db.Set<IdentityUserRole<Guid>>().Where(r => r.UserId == u.Id)
                    .Join(db.Set<StaffRole>(), r => r.RoleId, role => role.Id, (_, role) => role.Name!).ToList(),
            })
            .FirstOrDefaultAsync(cancellationToken);
        return found is not null && string.Equals(found.SecurityStamp, securityStamp, StringComparison.Ordinal)
            ? new StaffMember(found.Id, found.Email!, found.Roles.Order(StringComparer.Ordinal).ToList(), found.SecurityStamp!, found.TwoFactorEnabled)
            : null;
    }

    public async Task<Outcome<StaffUserInfo>> ResetAuthenticatorAsync(string email, CancellationToken cancellationToken)
    {
        var user = await users.FindByEmailAsync(email.Trim());
        if (user is null)
        {
            return ProvisioningError.Of(ProvisioningError.UserNotFound, $"No staff user has the e-mail address '{email}'.");
        }

        // Disabling two-factor and a new key each renew the security stamp: every session of this member ends.
        await users.SetTwoFactorEnabledAsync(user, false);
        await users.RemoveAuthenticationTokenAsync(user, InternalLoginProvider, AuthenticatorKeyName);
        await users.RemoveAuthenticationTokenAsync(user, InternalLoginProvider, RecoveryCodesName);
        await users.UpdateSecurityStampAsync(user);
        logger.LogWarning("The authenticator of staff user {UserId} was reset", user.Id);
        emails.SendSecurityNotice(new SecurityNotice(null, user.Email!, user.Email!, SecurityNoticeKind.SecondFactorReset, clock.GetUtcNow().UtcDateTime, null,
            Staff: true));
        var member = await MemberAsync(user);
        return Outcome<StaffUserInfo>.Ok(new StaffUserInfo(user.Id, user.Email!, member.Roles));
    }

    private async Task<StaffUser?> ActiveUserAsync(Guid id) =>
        await users.FindByIdAsync(id.ToString()) is { DisabledAt: null } user ? user : null;

    private async Task<StaffMember> MemberAsync(StaffUser user) =>
        new(user.Id, user.Email!, (await users.GetRolesAsync(user)).Order(StringComparer.Ordinal).ToList(), user.SecurityStamp!, user.TwoFactorEnabled);

    private static UseCaseFailure TooMany(TimeSpan wait, string title)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
        return new UseCaseFailure(FailureKind.TooManyAttempts, StaffRefusal.TooManyAttempts, title, $"Try again in {SignInPartner.WaitText(seconds)}.") { RetryAfter = wait };
    }

    private static class TimingDecoy
    {
        public static readonly StaffUser User = new() { Email = "decoy@idunox.invalid" };

        public static readonly string Hash = new PasswordHasher<StaffUser>().HashPassword(User, Guid.NewGuid().ToString());
    }
}

/// <summary>
/// The staff user store. The authenticator's key and the recovery codes are written by <see cref="StaffAccounts"/>
/// itself (one save per enrolment, compare-and-swap per code), not through the store's token methods.
/// </summary>
internal sealed class StaffUserStore(IdentityModuleDbContext db, IdentityErrorDescriber? describer = null)
    : UserStore<StaffUser, StaffRole, IdentityModuleDbContext, Guid>(db, describer);
