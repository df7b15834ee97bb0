using Idunox.Identity.Contracts;
using Idunox.Shared;
using Idunox.Shared.Errors;
using Microsoft.AspNetCore.Http;

namespace Idunox.Identity.Staff;

/// <summary>
/// A staff member's own account page: who they are, and their own password (the old one is required, every session
/// ends, the page continues this one). The change goes to the staff log through <see cref="IStaffActivityLog"/>.
/// </summary>
internal sealed class StaffOwnAccount(IStaffDirectory directory, IStaffActivityLog activity)
{
    public Task<StaffMemberInfo?> FindAsync(HttpContext http) =>
        Guid.TryParse(http.User.FindFirst(IdunoxClaimTypes.UserId)?.Value, out var id) ? directory.FindAsync(id, http.RequestAborted) : Task.FromResult<StaffMemberInfo?>(null);

    public async Task<Outcome<StaffMember>> ChangePasswordAsync(HttpContext http, string? currentPassword, string? newPassword)
    {
        var id = Guid.TryParse(http.User.FindFirst(IdunoxClaimTypes.UserId)?.Value, out var parsed) ? parsed : Guid.Empty;
        // Without a second field to type it again: a password manager makes and keeps it (as in the partner portal).
        var result = await directory.ChangePasswordAsync(id, currentPassword, newPassword, newPassword, http.RequestAborted);
        if (result.Value is { } member)
        {
            await activity.RecordAsync(new StaffActivity(member.Id, member.Email, http.Connection.RemoteIpAddress?.ToString(), StaffActivity.PasswordChanged,
                member.Email), http.RequestAborted);
        }

        return result;
    }
}
