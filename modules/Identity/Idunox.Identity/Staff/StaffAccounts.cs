using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Idunox.Identity.Configuration;
using Idunox.Identity.Contracts;
using Idunox.Identity.Persistence;
using Idunox.Identity.SignIn;
using Idunox.Identity.Users;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
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
    IOptions<PortalOptions> portal,
    IdentityMetrics metrics,
    ILogger<StaffAccounts> logger) : IStaffAccounts
{
    public const int RecoveryCodeCount = 10;

    private static readonly StaffRefusal Refused = new(StaffRefusal.InvalidCredentials, "Invalid e-mail or password.",
        "Check the e-mail address and password. Staff accounts are added with the 'staff add' command.");

    private static readonly StaffRefusal WrongCode = new(StaffRefusal.InvalidCode, "That code did not work.",
        "Enter the 6-digit code your authenticator app shows now, or one of your recovery codes.");

    public async Task<StaffCheck> CheckPasswordAsync(string? email, string? password, string? clientAddress, CancellationToken cancellationToken)
    {
        var check = await PasswordStepAsync(email, password, clientAddress, cancellationToken);
        metrics.SignIn("staff", check.Refusal?.Code ?? IdentityMetrics.Succeeded);
        return check;
    }

    private async Task<StaffCheck> PasswordStepAsync(string? email, string? password, string? clientAddress, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(email) || string.IsNullOrEmpty(password) || email.Length > UserRules.MaxEmailLength ||
            password.Length > UserRules.MaxPasswordLength)
        {
            return StaffCheck.Refused(new StaffRefusal(StaffRefusal.Invalid, "Enter your e-mail address and password.",
                $"Both are required; each is at most {UserRules.MaxEmailLength} characters."));
        }

        if (await rateLimiter.TryAcquireAsync(clientAddress, cancellationToken) is { } wait)
        {
            return StaffCheck.Refused(TooMany(wait, "Too many sign-in attempts from this address."));
        }

        var normalized = users.NormalizeEmail(email.Trim()) ?? string.Empty;
        var lockKey = $"staff:{normalized}";
        if (await lockout.ReserveAttemptAsync(lockKey, cancellationToken) is { } locked)
        {
            return StaffCheck.Refused(TooMany(locked, "Too many failed sign-ins for this e-mail address."));
        }

        var user = await db.StaffUsers.FirstOrDefaultAsync(u => u.NormalizedEmail == normalized, cancellationToken);
        var verification = hasher.VerifyHashedPassword(user ?? TimingDecoy.User, user?.PasswordHash ?? TimingDecoy.Hash, password);
        if (user is null || verification == PasswordVerificationResult.Failed || user.DisabledAt is not null)
        {
            await lockout.RecordFailureAsync(lockKey, cancellationToken);
            logger.LogInformation("Refused a staff sign-in from {ClientAddress}", clientAddress);
            return StaffCheck.Refused(Refused);
        }

        await lockout.ResetAsync(lockKey, cancellationToken);
        if (verification == PasswordVerificationResult.SuccessRehashNeeded)
        {
            await users.RehashPasswordAsync(user, password);
        }

        logger.LogInformation("Staff user {UserId} passed the password step", user.Id);
        return new StaffCheck(await MemberAsync(user), null);
    }

    public async Task<AuthenticatorEnrolment?> BeginEnrolmentAsync(Guid staffUserId, CancellationToken cancellationToken)
    {
        var user = await ActiveUserAsync(staffUserId);
        if (user is null || await users.GetTwoFactorEnabledAsync(user))
        {
            return null;
        }

        var key = await users.GetAuthenticatorKeyAsync(user);
        if (string.IsNullOrEmpty(key))
        {
            await users.ResetAuthenticatorKeyAsync(user);
            key = await users.GetAuthenticatorKeyAsync(user);
        }

        var issuer = $"{(portal.Value.Brand.Name is { Length: > 0 } name ? name : "Idunox")} staff";
        var uri = $"otpauth://totp/{Uri.EscapeDataString(issuer)}:{Uri.EscapeDataString(user.Email!)}?secret={key}&issuer={Uri.EscapeDataString(issuer)}&digits=6";
        return new AuthenticatorEnrolment(Grouped(key!), uri);
    }

    public async Task<StaffCheck> CompleteEnrolmentAsync(Guid staffUserId, string? code, CancellationToken cancellationToken)
    {
        var user = await ActiveUserAsync(staffUserId);
        if (user is null || await users.GetTwoFactorEnabledAsync(user) || string.IsNullOrEmpty(await users.GetAuthenticatorKeyAsync(user)))
        {
            return StaffCheck.Refused(Refused);
        }

        var lockKey = $"staff-code:{user.Id:N}";
        if (await lockout.ReserveAttemptAsync(lockKey, cancellationToken) is { } locked)
        {
            return StaffCheck.Refused(TooMany(locked, "Too many wrong codes."));
        }

        var digits = Digits(code);
        if (digits is null || !await users.VerifyTwoFactorTokenAsync(user, users.Options.Tokens.AuthenticatorTokenProvider, digits))
        {
            await lockout.RecordFailureAsync(lockKey, cancellationToken);
            return StaffCheck.Refused(WrongCode with { Detail = "Enter the 6-digit code your authenticator app shows for this account now." });
        }

        await lockout.ResetAsync(lockKey, cancellationToken);
        await users.SetTwoFactorEnabledAsync(user, true);
        var codes = (await users.GenerateNewTwoFactorRecoveryCodesAsync(user, RecoveryCodeCount))!.ToList();
        logger.LogInformation("Staff user {UserId} enrolled an authenticator", user.Id);
        return new StaffCheck(await MemberAsync(user), null, codes, RecoveryCodesLeft: codes.Count);
    }

    public async Task<StaffCheck> VerifySecondFactorAsync(Guid staffUserId, string? code, CancellationToken cancellationToken)
    {
        var user = await ActiveUserAsync(staffUserId);
        if (user is null || !await users.GetTwoFactorEnabledAsync(user))
        {
            return StaffCheck.Refused(Refused);
        }

        var lockKey = $"staff-code:{user.Id:N}";
        if (await lockout.ReserveAttemptAsync(lockKey, cancellationToken) is { } locked)
        {
            return StaffCheck.Refused(TooMany(locked, "Too many wrong codes."));
        }

        var text = (code ?? string.Empty).Trim();
        if (Digits(text) is { } digits && await users.VerifyTwoFactorTokenAsync(user, users.Options.Tokens.AuthenticatorTokenProvider, digits))
        {
            await lockout.ResetAsync(lockKey, cancellationToken);
            logger.LogInformation("Staff user {UserId} signed in with an authenticator code", user.Id);
            return new StaffCheck(await MemberAsync(user), null, RecoveryCodesLeft: await users.CountRecoveryCodesAsync(user));
        }

        if (text.Length is > 0 and <= 64 && (await users.RedeemTwoFactorRecoveryCodeAsync(user, text.Replace(" ", string.Empty, StringComparison.Ordinal))).Succeeded)
        {
            await lockout.ResetAsync(lockKey, cancellationToken);
            var left = await users.CountRecoveryCodesAsync(user);
            logger.LogWarning("Staff user {UserId} signed in with a recovery code ({Left} left)", user.Id, left);
            return new StaffCheck(await MemberAsync(user), null, UsedRecoveryCode: true, RecoveryCodesLeft: left);
        }

        await lockout.RecordFailureAsync(lockKey, cancellationToken);
        logger.LogInformation("Refused a second-factor code of staff user {UserId}", user.Id);
        return StaffCheck.Refused(WrongCode);
    }

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

    public async Task<ProvisioningResult<StaffUserInfo>> ResetAuthenticatorAsync(string email, CancellationToken cancellationToken)
    {
        var user = await users.FindByEmailAsync(email.Trim());
        if (user is null)
        {
            return ProvisioningResult<StaffUserInfo>.Fail(ProvisioningError.UserNotFound, $"No staff user has the e-mail address '{email}'.");
        }

        // Disabling two-factor and a new key each renew the security stamp: every session of this member ends.
        await users.SetTwoFactorEnabledAsync(user, false);
        await users.RemoveAuthenticationTokenAsync(user, "[AspNetUserStore]", "AuthenticatorKey");
        await users.RemoveAuthenticationTokenAsync(user, "[AspNetUserStore]", "RecoveryCodes");
        await users.UpdateSecurityStampAsync(user);
        logger.LogWarning("The authenticator of staff user {UserId} was reset", user.Id);
        var member = await MemberAsync(user);
        return ProvisioningResult<StaffUserInfo>.Ok(new StaffUserInfo(user.Id, user.Email!, member.Roles));
    }

    private async Task<StaffUser?> ActiveUserAsync(Guid id) =>
        await users.FindByIdAsync(id.ToString()) is { DisabledAt: null } user ? user : null;

    private async Task<StaffMember> MemberAsync(StaffUser user) =>
        new(user.Id, user.Email!, (await users.GetRolesAsync(user)).Order(StringComparer.Ordinal).ToList(), user.SecurityStamp!, user.TwoFactorEnabled);

    /// <summary>A 6-digit code with any spaces or hyphens people type, or null.</summary>
    private static string? Digits(string? code)
    {
        var digits = (code ?? string.Empty).Replace(" ", string.Empty, StringComparison.Ordinal).Replace("-", string.Empty, StringComparison.Ordinal);
        return digits.Length == 6 && digits.All(char.IsAsciiDigit) ? digits : null;
    }

    /// <summary>The key as people type it: groups of four, lower case.</summary>
    private static string Grouped(string key)
    {
        var text = new StringBuilder();
        for (var i = 0; i < key.Length; i += 4)
        {
            text.Append(key.AsSpan(i, Math.Min(4, key.Length - i))).Append(' ');
        }

        return text.ToString().TrimEnd().ToLowerInvariant();
    }

    private static StaffRefusal TooMany(TimeSpan wait, string title)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
        return new StaffRefusal(StaffRefusal.TooManyAttempts, title, $"Try again in {SignInPartner.WaitText(seconds)}.", wait);
    }

    private static class TimingDecoy
    {
        public static readonly StaffUser User = new() { Email = "decoy@idunox.invalid" };

        public static readonly string Hash = new PasswordHasher<StaffUser>().HashPassword(User, Guid.NewGuid().ToString());
    }
}

/// <summary>
/// The staff user store, with recovery codes kept as SHA-256 hashes: the database never holds a code that works.
/// (The authenticator's shared key must stay readable: TOTP needs it to compute the expected code.)
/// </summary>
internal sealed class StaffUserStore(IdentityModuleDbContext db, IdentityErrorDescriber? describer = null)
    : UserStore<StaffUser, StaffRole, IdentityModuleDbContext, Guid>(db, describer)
{
    public override Task ReplaceCodesAsync(StaffUser user, IEnumerable<string> recoveryCodes, CancellationToken cancellationToken) =>
        base.ReplaceCodesAsync(user, recoveryCodes.Select(Hash), cancellationToken);

    /// <summary>
    /// Removes the code's hash from the stored ones. (The base class would hand the remaining, already hashed, codes back
    /// to <see cref="ReplaceCodesAsync"/>, hashing them a second time and so spoiling every other code.)
    /// </summary>
    public override async Task<bool> RedeemCodeAsync(StaffUser user, string code, CancellationToken cancellationToken)
    {
        var stored = await GetTokenAsync(user, InternalLoginProvider, RecoveryCodesName, cancellationToken) ?? string.Empty;
        var hashes = stored.Split(';', StringSplitOptions.RemoveEmptyEntries);
        var hash = Hash(code);
        if (!hashes.Contains(hash, StringComparer.Ordinal))
        {
            return false;
        }

        await SetTokenAsync(user, InternalLoginProvider, RecoveryCodesName, string.Join(';', hashes.Where(h => h != hash)), cancellationToken);
        return true;
    }

    private const string InternalLoginProvider = "[AspNetUserStore]";
    private const string RecoveryCodesName = "RecoveryCodes";

    private static string Hash(string code) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(code.Trim().ToLower(CultureInfo.InvariantCulture))));
}
