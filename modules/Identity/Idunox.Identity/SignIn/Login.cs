using Idunox.Identity.Authentication;
using Idunox.Identity.Contracts;
using Idunox.Identity.Persistence;
using Idunox.Identity.Users;
using Idunox.Shared.Errors;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Idunox.Identity.SignIn;

/// <summary>
/// <c>POST /v1/partner/auth/login</c>: e-mail and password for an access token. Every refusal — unknown e-mail, wrong
/// password, disabled user, suspended organisation — is the same 401, after the same work, so nothing tells whether an
/// address exists. Per-address rate limit and per-e-mail lockout answer 429 with Retry-After.
/// </summary>
internal static class Login
{
    public const string InvalidCredentials = "invalid_credentials";
    public const string TooManyAttempts = "too_many_attempts";

    public static void Map(IEndpointRouteBuilder routes) =>
        routes.MapPost("/v1/partner/auth/login", Handle)
            .WithName("Login")
            .WithTags("Portal authentication")
            .WithSummary("Sign in with e-mail and password; answers a bearer access token.")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .AllowAnonymous();

    internal static async Task<Results<Ok<TokenResponse>, ValidationProblem, ProblemHttpResult>> Handle(
        LoginRequest request,
        HttpContext http,
        IdentityModuleDbContext db,
        UserManager<PartnerUser> users,
        IPasswordHasher<PartnerUser> hasher,
        LoginLockout lockout,
        LoginRateLimiter rateLimiter,
        PartnerTokens tokens,
        ILogger<LoginRequest> logger,
        CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors()
            .When(string.IsNullOrWhiteSpace(request.Email), "email", "The e-mail address is required.")
            .When(request.Email is { Length: > UserRules.MaxEmailLength }, "email", $"The e-mail address may be at most {UserRules.MaxEmailLength} characters.")
            .When(string.IsNullOrEmpty(request.Password), "password", "The password is required.")
            .When(request.Password is { Length: > UserRules.MaxPasswordLength }, "password", $"The password may be at most {UserRules.MaxPasswordLength} characters.");
        if (!errors.IsValid)
        {
            return ApiProblems.Validation(errors.ToDictionary());
        }

        var clientAddress = http.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        if (!rateLimiter.TryAcquire(clientAddress, out var wait))
        {
            return TooMany(http, wait, "Too many sign-in attempts from this address.");
        }

        var email = users.NormalizeEmail(request.Email!.Trim()) ?? string.Empty;
        if (await lockout.ReserveAttemptAsync(email, cancellationToken) is { } locked)
        {
            return TooMany(http, locked, "Too many failed sign-ins for this e-mail address.");
        }

        // One query for the user and its organisation, known e-mail or not: the same round trips either way.
        var found = await db.PartnerUsers.Where(u => u.NormalizedEmail == email)
            .Select(u => new { User = u, Organisation = db.Organisations.FirstOrDefault(o => o.Id == u.TenantId) })
            .FirstOrDefaultAsync(cancellationToken);
        var (user, organisation) = (found?.User, found?.Organisation);
        // Unknown addresses verify against a fixed hash, so they cost what a known one costs.
        var verification = hasher.VerifyHashedPassword(user ?? TimingDecoy.User, user?.PasswordHash ?? TimingDecoy.Hash, request.Password!);

        if (user is null || verification == PasswordVerificationResult.Failed || user.DisabledAt is not null ||
            organisation is not { Status: OrganisationStatus.Active })
        {
            await lockout.RecordFailureAsync(email, cancellationToken);
            logger.LogInformation("Refused a sign-in from {ClientAddress}", clientAddress);
            return ApiProblems.Create(StatusCodes.Status401Unauthorized, InvalidCredentials,
                "Invalid e-mail or password.", "Check the e-mail address and password, or contact your Idunox administrator.");
        }

        await lockout.ResetAsync(email, cancellationToken);
        if (verification == PasswordVerificationResult.SuccessRehashNeeded &&
            await users.RehashPasswordAsync(user, request.Password!) is { Succeeded: false } rehash)
        {
            // The old hash still works; the next sign-in tries again.
            logger.LogWarning("Could not store a stronger password hash for user {UserId}: {Errors}", user.Id,
                string.Join(" ", rehash.Errors.Select(e => e.Code)));
        }

        logger.LogInformation("User {UserId} of tenant {TenantId} signed in", user.Id, user.TenantId);
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(tokens.Issue(user, organisation).ToResponse());
    }

    internal static ProblemHttpResult TooMany(HttpContext http, TimeSpan wait, string title)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
        http.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return ApiProblems.Create(StatusCodes.Status429TooManyRequests, TooManyAttempts, title, $"Try again in {seconds} seconds.");
    }

    /// <summary>A user and hash to verify against when the e-mail is unknown.</summary>
    private static class TimingDecoy
    {
        public static readonly PartnerUser User = new() { Email = "decoy@idunox.invalid" };

        public static readonly string Hash = new PasswordHasher<PartnerUser>().HashPassword(User, Guid.NewGuid().ToString());
    }
}

internal sealed record LoginRequest(string? Email, string? Password)
{
    public override string ToString() => $"LoginRequest {{ Email = {Email}, Password = *** }}";
}
