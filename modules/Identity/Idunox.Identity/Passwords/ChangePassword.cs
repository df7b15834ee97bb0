using Idunox.Identity.Authentication;
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

namespace Idunox.Identity.Passwords;

/// <summary>
/// <c>POST /v1/partner/auth/change-password</c>. A new password renews the user's security stamp, which ends every
/// token issued before; the answer carries a fresh token so the caller stays signed in.
/// </summary>
internal static class ChangePassword
{
    public static void Map(IEndpointRouteBuilder routes) =>
        routes.MapPost("/v1/partner/auth/change-password", Handle)
            .WithName("ChangePassword")
            .WithTags("Portal authentication")
            .WithSummary("Change the signed-in user's password; answers a new access token (older tokens stop working).")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .RequireAuthorization(IdunoxAuthentication.PartnerPolicy);

    internal static async Task<Results<Ok<TokenResponse>, ValidationProblem, ProblemHttpResult>> Handle(
        ChangePasswordRequest request,
        HttpContext http,
        ITenantContext tenant,
        IdentityModuleDbContext db,
        UserManager<PartnerUser> users,
        LoginLockout lockout,
        PartnerTokens tokens,
        CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors()
            .When(string.IsNullOrEmpty(request.CurrentPassword), "currentPassword", "The current password is required.")
            .When(request.CurrentPassword is { Length: > UserRules.MaxPasswordLength }, "currentPassword", "The current password is not correct.")
            .When(string.IsNullOrEmpty(request.NewPassword), "newPassword", "The new password is required.");
        if (!errors.IsValid)
        {
            return ApiProblems.Validation(errors.ToDictionary());
        }

        var userId = Guid.Parse(http.User.FindFirst(IdunoxClaimTypes.UserId)!.Value);
        var user = await db.PartnerUsers.FirstOrDefaultAsync(u => u.Id == userId && u.TenantId == tenant.TenantId, cancellationToken);
        var organisation = user is null ? null : await db.Organisations.AsNoTracking().FirstOrDefaultAsync(o => o.Id == user.TenantId, cancellationToken);
        if (user is null || organisation is null)
        {
            return ApiProblems.Create(StatusCodes.Status401Unauthorized, "invalid_token", "The access token is not valid.");
        }

        // Guessing the current password with a stolen token meets the same lockout as guessing it at sign-in.
        var email = user.NormalizedEmail ?? string.Empty;
        if (await lockout.ReserveAttemptAsync(email, cancellationToken) is { } locked)
        {
            return Login.TooMany(http, locked, "Too many failed attempts for this account.");
        }

        var result = await users.ChangePasswordAsync(user, request.CurrentPassword!, request.NewPassword!);
        if (result.Errors.Any(e => e.Code == nameof(IdentityErrorDescriber.PasswordMismatch)))
        {
            await lockout.RecordFailureAsync(email, cancellationToken);
        }
        else
        {
            await lockout.ResetAsync(email, cancellationToken); // the current password was right, whatever the new one's fate
        }

        if (!result.Succeeded)
        {
            foreach (var error in result.Errors)
            {
                errors.Add(error.Code == nameof(IdentityErrorDescriber.PasswordMismatch) ? "currentPassword" : "newPassword",
                    error.Code == nameof(IdentityErrorDescriber.PasswordMismatch) ? "The current password is not correct." : error.Description);
            }

            return ApiProblems.Validation(errors.ToDictionary());
        }

        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(tokens.Issue(user, organisation).ToResponse());
    }
}

internal sealed record ChangePasswordRequest(string? CurrentPassword, string? NewPassword)
{
    public override string ToString() => "ChangePasswordRequest { CurrentPassword = ***, NewPassword = *** }";
}
