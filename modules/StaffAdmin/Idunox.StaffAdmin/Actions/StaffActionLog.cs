using Idunox.Shared;
using Idunox.Shared.Errors;
using Idunox.Shared.Security;
using Idunox.StaffAdmin.Persistence;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;

namespace Idunox.StaffAdmin.Actions;

/// <summary>The staff action log: every change a staff member makes, with who, when, from where, for which organisation and why.</summary>
internal sealed class StaffActionLog(StaffAdminDbContext db, TimeProvider clock)
{
    public const int PageSize = 50;
    public const int MaxReasonLength = 500;

    public Task RecordAsync(HttpContext http, string action, Guid? tenantId, string? subject, string? reason, CancellationToken cancellationToken) =>
        RecordAsync(StaffActor.Of(http), action, tenantId, subject, reason, cancellationToken);

    public async Task RecordAsync(StaffActor actor, string action, Guid? tenantId, string? subject, string? reason, CancellationToken cancellationToken)
    {
        db.StaffActions.Add(new StaffAction
        {
            Id = Guid.CreateVersion7(),
            StaffUserId = actor.Id,
            StaffEmail = actor.Name,
            Action = action,
            TenantId = tenantId,
            Subject = subject is { Length: > 200 } ? subject[..200] : subject,
            Reason = reason,
            OccurredAt = clock.GetUtcNow().UtcDateTime,
            ClientAddress = actor.ClientAddress,
        });
        await db.SaveChangesAsync(cancellationToken);
    }

    public async Task<(IReadOnlyList<StaffAction> Items, int Total)> ListAsync(string? staffEmail, Guid? tenantId, int page, CancellationToken cancellationToken)
    {
        var query = db.StaffActions.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(staffEmail))
        {
            var email = staffEmail.Trim().ToLowerInvariant();
            query = query.Where(a => a.StaffEmail.ToLower() == email);
        }

        if (tenantId is { } tenant)
        {
            query = query.Where(a => a.TenantId == tenant);
        }

        var total = await query.CountAsync(cancellationToken);
        var items = await query.OrderByDescending(a => a.OccurredAt).ThenByDescending(a => a.Id)
            .Skip((Math.Max(1, page) - 1) * PageSize).Take(PageSize).ToListAsync(cancellationToken);
        return (items, total);
    }

    /// <summary>A reason is required for every change staff make on a partner's behalf: 3 to 500 plain characters.</summary>
    public static ValidationErrors CheckReason(string? reason, ValidationErrors? errors = null)
    {
        errors ??= new ValidationErrors();
        var text = reason?.Trim() ?? string.Empty;
        return errors
            .When(text.Length < 3, "reason", "Say why (at least 3 characters): the organisation's audit trail and the staff log show it.")
            .When(text.Length > MaxReasonLength, "reason", $"Keep the reason to {MaxReasonLength} characters.")
            .When(Idunox.Shared.Text.DisplayText.HasHiddenOrControlCharacters(text), "reason", "The reason may not contain control or invisible characters.");
    }
}

/// <summary>Who acts: a signed-in staff member (id, e-mail, address), or an operator at the command line.</summary>
internal sealed record StaffActor(Guid Id, string Name, string? ClientAddress)
{
    public static StaffActor Of(HttpContext http) => new(
        Guid.TryParse(http.User.FindFirst(IdunoxClaimTypes.UserId)?.Value, out var id) ? id : Guid.Empty,
        http.User.FindFirst(IdunoxClaimTypes.Email)?.Value ?? "unknown",
        http.Connection.RemoteIpAddress?.ToString());

    /// <summary>An operator running a verb: named by the operating-system account that ran it.</summary>
    public static StaffActor CommandLine() => new(Guid.Empty, $"command line ({Environment.UserName})", null);
}

/// <summary>Writes what staff did to their own accounts in Identity's pages (its <see cref="Idunox.Identity.Contracts.IStaffActivityLog"/> port) to the staff log.</summary>
internal sealed class StaffActivityRecorder(StaffActionLog log) : Idunox.Identity.Contracts.IStaffActivityLog
{
    public Task RecordAsync(Idunox.Identity.Contracts.StaffActivity activity, CancellationToken cancellationToken) =>
        log.RecordAsync(new StaffActor(activity.StaffUserId, activity.StaffEmail, activity.ClientAddress), activity.Action, null, activity.Subject, null,
            cancellationToken);
}

internal static class StaffActions
{
    public const string OrganisationCreated = "organisation.created";
    public const string OrganisationSuspended = "organisation.suspended";
    public const string OrganisationActivated = "organisation.activated";
    public const string UserInvited = "user.invited";
    public const string UserDisabled = "user.disabled";
    public const string UserEnabled = "user.enabled";
    public const string PasswordResetSent = "user.password_reset_sent";
    public const string KeyRevoked = "key.revoked";
    public const string KeyRotated = "key.rotated";
    public const string KeyChanged = "key.changed";
    public const string StaffInvited = "staff.invited";
    public const string StaffAdded = "staff.added";
    public const string StaffDisabled = "staff.disabled";
    public const string StaffEnabled = "staff.enabled";
    public const string StaffRolesChanged = "staff.roles_changed";
    public const string StaffTwoFactorReset = "staff.two_factor_reset";
    public const string StaffSessionsEnded = "staff.sessions_ended";
    public const string StaffPasswordChanged = Idunox.Identity.Contracts.StaffActivity.PasswordChanged;

    public static string Describe(string action) => action switch
    {
        OrganisationCreated => "Created the organisation",
        OrganisationSuspended => "Suspended the organisation",
        OrganisationActivated => "Reactivated the organisation",
        UserInvited => "Invited a portal user",
        UserDisabled => "Disabled a portal user",
        UserEnabled => "Enabled a portal user",
        PasswordResetSent => "Sent a password-reset link",
        KeyRevoked => "Revoked a key",
        KeyRotated => "Rotated a key (the partner collects the new one)",
        KeyChanged => "Changed what a key may call or where it may be used from",
        StaffInvited => "Invited a staff member",
        StaffAdded => "Added a staff member with a password from standard input",
        StaffDisabled => "Disabled a staff member",
        StaffEnabled => "Enabled a staff member",
        StaffRolesChanged => "Changed a staff member's roles",
        StaffTwoFactorReset => "Reset a staff member's two-factor sign-in",
        StaffSessionsEnded => "Signed a staff member out everywhere",
        StaffPasswordChanged => "Changed their own password",
        _ => action,
    };
}
