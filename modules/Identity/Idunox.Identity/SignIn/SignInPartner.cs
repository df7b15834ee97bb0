using Idunox.Identity.Contracts;
using Idunox.Identity.Organisations;
using Idunox.Identity.Persistence;
using Idunox.Identity.Users;
using Idunox.Shared.Errors;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Idunox.Identity.SignIn;

/// <summary>
/// Signing a partner in with e-mail and password, for the API (a bearer token) and the portal page (a cookie) alike.
/// Every refusal — unknown e-mail, wrong password, disabled user, suspended organisation — is the same, after the same
/// work, so nothing tells whether an address exists. A per-address rate limit and a per-e-mail lockout (reserved before
/// the password is checked, so a burst cannot outrun it) answer "too many attempts" with the time to wait.
/// </summary>
internal sealed class SignInPartner(
    IdentityModuleDbContext db,
    UserManager<PartnerUser> users,
    IPasswordHasher<PartnerUser> hasher,
    LoginLockout lockout,
    LoginRateLimiter rateLimiter,
    IdentityMetrics metrics,
    ILogger<SignInPartner> logger)
{
    public const string InvalidCredentials = "invalid_credentials";
    public const string TooManyAttempts = "too_many_attempts";

    public static readonly UseCaseFailure Refused = new(FailureKind.Unauthorized, InvalidCredentials,
        "Invalid e-mail or password.", "Check the e-mail address and password, or contact your Idunox administrator.");

    public async Task<Outcome<SignedIn>> RunAsync(string? email, string? password, string? clientAddress, CancellationToken cancellationToken)
    {
        var outcome = await CheckAsync(email, password, clientAddress, cancellationToken);
        metrics.SignIn("partner", outcome.Failure?.Code ?? IdentityMetrics.Succeeded);
        return outcome;
    }

    private async Task<Outcome<SignedIn>> CheckAsync(string? email, string? password, string? clientAddress, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors()
            .When(string.IsNullOrWhiteSpace(email), "email", "The e-mail address is required.")
            .When(email is { Length: > UserRules.MaxEmailLength }, "email", $"The e-mail address may be at most {UserRules.MaxEmailLength} characters.")
            .When(string.IsNullOrEmpty(password), "password", "The password is required.")
            .When(password is { Length: > UserRules.MaxPasswordLength }, "password", $"The password may be at most {UserRules.MaxPasswordLength} characters.");
        if (!errors.IsValid)
        {
            return UseCaseFailure.Invalid(errors);
        }

        var address = clientAddress ?? "unknown";
        if (await rateLimiter.TryAcquireAsync(address, cancellationToken) is { } wait)
        {
            return TooMany(wait, "Too many sign-in attempts from this address.");
        }

        var normalized = users.NormalizeEmail(email!.Trim()) ?? string.Empty;
        // Failures count per account and address: a flood from one address locks that address out of the account, and
        // the real user, signing in from anywhere else, is not locked out with it.
        var lockKey = LoginLockout.AtAddress(normalized, address);
        if (await lockout.ReserveAttemptAsync(lockKey, cancellationToken) is { } locked)
        {
            return TooMany(locked, "Too many failed sign-ins for this e-mail address.");
        }

        // One query for the user and its organisation, known e-mail or not: the same round trips either way.
        var found = await db.PartnerUsers.Where(u => u.NormalizedEmail == normalized)
            .Select(u => new { User = u, Organisation = db.Organisations.FirstOrDefault(o => o.Id == u.TenantId) })
            .FirstOrDefaultAsync(cancellationToken);
        var (user, organisation) = (found?.User, found?.Organisation);
        // Unknown addresses verify against a fixed hash, so they cost what a known one costs.
        var verification = hasher.VerifyHashedPassword(user ?? TimingDecoy.User, user?.PasswordHash ?? TimingDecoy.Hash, password!);

        if (user is null || verification == PasswordVerificationResult.Failed || user.DisabledAt is not null ||
            organisation is not { Status: OrganisationStatus.Active })
        {
            await lockout.RecordFailureAsync(lockKey, cancellationToken);
            logger.LogInformation("Refused a sign-in from {ClientAddress}", address);
            return Refused;
        }

        await lockout.ResetAsync(lockKey, cancellationToken);
        if (verification == PasswordVerificationResult.SuccessRehashNeeded &&
            await users.RehashPasswordAsync(user, password!) is { Succeeded: false } rehash)
        {
            // The old hash still works; the next sign-in tries again.
            logger.LogWarning("Could not store a stronger password hash for user {UserId}: {Errors}", user.Id,
                string.Join(" ", rehash.Errors.Select(e => e.Code)));
        }

        logger.LogInformation("User {UserId} of tenant {TenantId} signed in", user.Id, user.TenantId);
        return Outcome<SignedIn>.Ok(new SignedIn(user, organisation));
    }

    internal static UseCaseFailure TooMany(TimeSpan wait, string title)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
        return new UseCaseFailure(FailureKind.TooManyAttempts, TooManyAttempts, title, $"Try again in {WaitText(seconds)}.") { RetryAfter = wait };
    }

    /// <summary>"45 seconds", "15 minutes": how long to wait, as people say it.</summary>
    internal static string WaitText(int seconds) => seconds switch
    {
        1 => "1 second",
        < 120 => $"{seconds} seconds",
        _ => $"{(int)Math.Ceiling(seconds / 60.0)} minutes",
    };

    /// <summary>A user and hash to verify against when the e-mail is unknown.</summary>
    private static class TimingDecoy
    {
        public static readonly PartnerUser User = new() { Email = "decoy@idunox.invalid" };

        public static readonly string Hash = new PasswordHasher<PartnerUser>().HashPassword(User, Guid.NewGuid().ToString());
    }
}

internal sealed record SignedIn(PartnerUser User, Organisation Organisation);
