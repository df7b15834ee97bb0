using Idunox.Identity.Authentication;
using Idunox.Identity.Organisations;
using Idunox.Identity.Persistence;
using Idunox.Identity.SignIn;
using Idunox.Identity.Users;
using Idunox.Shared;
using Idunox.Shared.Errors;
using Idunox.Shared.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Idunox.Identity.Passwords;

/// <summary>
/// Changing the signed-in partner's password, for the API and the account page alike. A new password renews the user's
/// security stamp, which ends every token and portal session issued before; the caller gets a fresh one to stay signed in.
/// Guessing the current password meets the same lockout as guessing it at sign-in.
/// </summary>
internal sealed class ChangePassword(IdentityModuleDbContext db, UserManager<PartnerUser> users, LoginLockout lockout,
    Idunox.Identity.Contracts.IUserSessions sessions, TimeProvider clock, Idunox.Identity.Contracts.IAccountEmails emails)
{
    public static readonly UseCaseFailure SessionEnded = new(FailureKind.Unauthorized, "invalid_token", "The access token is not valid.", null);

    public async Task<Outcome<SignedIn>> RunAsync(Guid userId, Guid tenantId, string? currentPassword, string? newPassword, string? clientAddress,
        CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors()
            .When(string.IsNullOrEmpty(currentPassword), "currentPassword", "The current password is required.")
            .When(currentPassword is { Length: > UserRules.MaxPasswordLength }, "currentPassword", "The current password is not correct.")
            .When(string.IsNullOrEmpty(newPassword), "newPassword", "The new password is required.");
        if (!errors.IsValid)
        {
            return UseCaseFailure.Invalid(errors);
        }

        var user = await db.PartnerUsers.FirstOrDefaultAsync(u => u.Id == userId && u.TenantId == tenantId, cancellationToken);
        var organisation = user is null ? null : await db.Organisations.AsNoTracking().FirstOrDefaultAsync(o => o.Id == user.TenantId, cancellationToken);
        if (user is null || organisation is null)
        {
            return SessionEnded;
        }

        var email = user.NormalizedEmail ?? string.Empty;
        if (await lockout.ReserveAttemptAsync(email, cancellationToken) is { } locked)
        {
            return SignInPartner.TooMany(locked, "Too many failed attempts for this account.");
        }

        var result = await users.ChangePasswordAsync(user, currentPassword!, newPassword!);
        var mismatch = result.Errors.Any(e => e.Code == nameof(IdentityErrorDescriber.PasswordMismatch));
        await (mismatch
            ? lockout.RecordFailureAsync(email, cancellationToken)
            : lockout.ResetAsync(email, cancellationToken)); // the current password was right, whatever the new one's fate

        if (!result.Succeeded)
        {
            foreach (var error in result.Errors)
            {
                var isMismatch = error.Code == nameof(IdentityErrorDescriber.PasswordMismatch);
                errors.Add(isMismatch ? "currentPassword" : "newPassword", isMismatch ? "The current password is not correct." : error.Description);
            }

            return UseCaseFailure.Invalid(errors);
        }

        // The new stamp already refuses every older session and token; ending the rows takes them off the session list.
        await sessions.EndAllAsync(user.Id, Idunox.Identity.Contracts.SessionKinds.Portal, "password changed", cancellationToken);
        emails.SendSecurityNotice(new Idunox.Identity.Contracts.SecurityNotice(user.TenantId, user.Email!, user.DisplayName,
            Idunox.Identity.Contracts.SecurityNoticeKind.PasswordChanged, clock.GetUtcNow().UtcDateTime, clientAddress));
        return Outcome<SignedIn>.Ok(new SignedIn(user, organisation));
    }

    public static void Map(IEndpointRouteBuilder routes) =>
        routes.MapPost("/v1/partner/auth/change-password", Handle)
            .WithName("ChangePassword")
            .WithTags("Portal authentication")
            .WithSummary("Change the signed-in user's password; answers a new access token (older tokens stop working).")
            .ProducesProblems(StatusCodes.Status400BadRequest, ProblemCodes.ValidationFailed)
            .ProducesProblems(StatusCodes.Status429TooManyRequests, SignInPartner.TooManyAttempts)
            .WithExamples(new ChangePasswordRequest("correct horse battery staple", "a longer passphrase of my own"), new TokenResponse(
                "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIuLi4ifQ.c2lnbmF0dXJl", "Bearer", 3600, new DateTime(2026, 11, 2, 10, 30, 0, DateTimeKind.Utc)))
            .RequireAuthorization(IdunoxAuthentication.PartnerPolicy);

    /// <summary><c>POST /v1/partner/auth/change-password</c>.</summary>
    internal static async Task<Results<Ok<TokenResponse>, ProblemHttpResult>> Handle(
        ChangePasswordRequest request, HttpContext http, ITenantContext tenant, ChangePassword changePassword, PartnerTokens tokens,
        CancellationToken cancellationToken)
    {
        var userId = Guid.Parse(http.User.FindFirst(IdunoxClaimTypes.UserId)!.Value);
        var outcome = await changePassword.RunAsync(userId, tenant.TenantId ?? Guid.Empty, request.CurrentPassword, request.NewPassword,
            http.Connection.RemoteIpAddress?.ToString(), cancellationToken);
        if (outcome.Value is not { } signedIn)
        {
            return outcome.Failure!.ToProblem(http);
        }

        return TypedResults.Ok(tokens.Issue(signedIn.User, signedIn.Organisation).ToResponse());
    }
}

internal sealed record ChangePasswordRequest(
    [property: System.ComponentModel.DataAnnotations.Required] string? CurrentPassword,
    [property: System.ComponentModel.DataAnnotations.Required, System.ComponentModel.DataAnnotations.StringLength(1024, MinimumLength = 12)] string? NewPassword) : IApiRequest
{
    public override string ToString() => "ChangePasswordRequest { CurrentPassword = ***, NewPassword = *** }";
}
