using Idunox.Shared.Errors;
using Idunox.Identity.Contracts;
using Idunox.StaffAdmin.Actions;

namespace Idunox.StaffAdmin.Staff;

/// <summary>
/// The staff accounts' use cases, for the staff area's pages (members with the role <c>admin</c>) and the <c>staff</c>
/// verb: each checks the reason, refuses what would lock the actor out of their own account, makes the change through
/// the staff directory, tells the member by e-mail where it concerns them, and writes the staff log with who, whom
/// and why.
/// </summary>
internal sealed class StaffMembers(IStaffDirectory directory, IOrganisationProvisioning provisioning, IAccountEmails emails, StaffActionLog log,
    TimeProvider clock)
{
    public const string NotYourself = "not_yourself";

    public Task<IReadOnlyList<StaffMemberInfo>> ListAsync(CancellationToken cancellationToken) => directory.ListAsync(cancellationToken);

    public Task<StaffMemberInfo?> FindAsync(Guid id, CancellationToken cancellationToken) => directory.FindAsync(id, cancellationToken);

    public Task<StaffMemberInfo?> FindByEmailAsync(string email, CancellationToken cancellationToken) => directory.FindByEmailAsync(email, cancellationToken);

    /// <summary>Invites a member (the reason is optional here); <paramref name="sendEmail"/> also e-mails the link. Answers the link, to show once.</summary>
    public async Task<Outcome<StaffInvitation>> InviteAsync(StaffActor actor, string? email, IReadOnlyCollection<string> roles, string? reason,
        bool sendEmail, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrWhiteSpace(reason) && Reason(reason) is { } invalid)
        {
            return UseCaseFailure.Invalid(invalid);
        }

        var result = await directory.InviteAsync(email, roles, cancellationToken);
        if (result.Value is { } invitation)
        {
            if (sendEmail && emails.Enabled)
            {
                emails.SendStaffInvitation(new StaffInvitationEmail(invitation.Member.Email, invitation.Member.Roles, actor.Name, invitation.Link,
                    invitation.ExpiresAt));
            }

            await log.RecordAsync(actor, StaffActions.StaffInvited, null, $"{invitation.Member.Email} ({string.Join(", ", invitation.Member.Roles)})",
                string.IsNullOrWhiteSpace(reason) ? null : reason.Trim(), cancellationToken);
        }

        return result;
    }

    /// <summary>The command line's automation path: a member whose password an operator pipes in (never printed; no link is made).</summary>
    public async Task<Outcome<StaffUserInfo>> AddWithPasswordAsync(StaffActor actor, string email, IReadOnlyCollection<string> roles, string password,
        string? reason, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrWhiteSpace(reason) && Reason(reason) is { } invalid)
        {
            return UseCaseFailure.Invalid(invalid);
        }

        var result = await provisioning.AddStaffUserAsync(email, roles, password, cancellationToken);
        if (result.Value is { } added)
        {
            await log.RecordAsync(actor, StaffActions.StaffAdded, null, $"{added.Email} ({string.Join(", ", added.Roles)})",
                string.IsNullOrWhiteSpace(reason) ? null : reason.Trim(), cancellationToken);
        }

        return result;
    }

    public async Task<Outcome<StaffMemberInfo>> SetEnabledAsync(StaffActor actor, Guid id, bool enabled, string? reason, CancellationToken cancellationToken)
    {
        if (Reason(reason) is { } invalid)
        {
            return UseCaseFailure.Invalid(invalid);
        }

        if (!enabled && id == actor.Id)
        {
            return ProvisioningError.Of(NotYourself, "You cannot disable your own account: ask another admin.");
        }

        var result = await directory.SetEnabledAsync(id, enabled, cancellationToken);
        if (result.Value is { } member)
        {
            await log.RecordAsync(actor, enabled ? StaffActions.StaffEnabled : StaffActions.StaffDisabled, null, member.Email, reason!.Trim(), cancellationToken);
        }

        return result;
    }

    public async Task<Outcome<StaffMemberInfo>> SetRolesAsync(StaffActor actor, Guid id, IReadOnlyCollection<string> roles, string? reason,
        CancellationToken cancellationToken)
    {
        if (Reason(reason) is { } invalid)
        {
            return UseCaseFailure.Invalid(invalid);
        }

        if (id == actor.Id)
        {
            return ProvisioningError.Of(NotYourself, "You cannot change your own roles: ask another admin.");
        }

        var before = await directory.FindAsync(id, cancellationToken);
        var result = await directory.SetRolesAsync(id, roles, cancellationToken);
        if (result.Value is { } member && before is not null && !before.Roles.SequenceEqual(member.Roles))
        {
            await log.RecordAsync(actor, StaffActions.StaffRolesChanged, null,
                $"{member.Email}: {string.Join(", ", before.Roles)} → {string.Join(", ", member.Roles)}", reason!.Trim(), cancellationToken);
        }

        return result;
    }

    public async Task<Outcome<StaffMemberInfo>> ResetTwoFactorAsync(StaffActor actor, Guid id, string? reason, CancellationToken cancellationToken)
    {
        if (Reason(reason) is { } invalid)
        {
            return UseCaseFailure.Invalid(invalid);
        }

        var result = await directory.ResetTwoFactorAsync(id, cancellationToken);
        if (result.Value is { } member)
        {
            await log.RecordAsync(actor, StaffActions.StaffTwoFactorReset, null, member.Email, reason!.Trim(), cancellationToken);
        }

        return result;
    }

    public async Task<Outcome<int>> EndSessionsAsync(StaffActor actor, Guid id, string? reason, CancellationToken cancellationToken)
    {
        if (Reason(reason) is { } invalid)
        {
            return UseCaseFailure.Invalid(invalid);
        }

        var member = await directory.FindAsync(id, cancellationToken);
        var result = await directory.EndSessionsAsync(id, cancellationToken);
        if (result.Succeeded && member is not null)
        {
            await log.RecordAsync(actor, StaffActions.StaffSessionsEnded, null, $"{member.Email} ({result.Value} session(s))", reason!.Trim(), cancellationToken);
            if (id != actor.Id && result.Value > 0)
            {
                emails.SendSecurityNotice(new SecurityNotice(null, member.Email, member.Email, SecurityNoticeKind.SessionEndedByStaff,
                    clock.GetUtcNow().UtcDateTime, null, Staff: true));
            }
        }

        return result;
    }

    private static IReadOnlyDictionary<string, string[]>? Reason(string? reason) =>
        StaffActionLog.CheckReason(reason) is { IsValid: false } errors ? errors.ToDictionary().AsReadOnly() : null;
}
