using Idunox.Credentials.Contracts;
using Idunox.Identity.Contracts;
using Idunox.Shared.Errors;
using Idunox.StaffAdmin.Actions;

namespace Idunox.StaffAdmin.Organisations;

/// <summary>
/// What staff do for organisations, for the staff area's pages: each use case makes the change through Identity's
/// contracts, sends the e-mail it calls for, writes the staff log (who, for which organisation, why) and answers an
/// <see cref="Outcome{T}"/>. Another organisation's user or key is not found, like an unknown one.
/// </summary>
internal sealed class OrganisationAdministration(IOrganisationDirectory organisations, IOrganisationProvisioning provisioning,
    IPartnerUserDirectory users, IPartnerAccounts accounts, ICredentialDirectory keyDirectory, ITenantKeyAdministration keys, IAccountEmails emails,
    StaffActionLog log, TimeProvider clock)
{
    public const string EmailOff = "email_off";
    public const int PageSize = 50;

    /// <summary>Slugs are at most 63 characters; a longer one is not looked up.</summary>
    public async Task<OrganisationInfo?> FindAsync(string slug, CancellationToken cancellationToken) =>
        slug.Length <= 63 ? await organisations.FindBySlugAsync(slug, cancellationToken) : null;

    /// <summary>The organisations, by name, filtered by a search in name or slug and a status, a page at a time.</summary>
    public async Task<OrganisationList> ListAsync(string? search, string? status, int page, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var all = await provisioning.ListOrganisationsAsync(cancellationToken);
        search = search?.Trim();
        var matching = all
            .Where(o => string.IsNullOrEmpty(search) || o.Name.Contains(search, StringComparison.OrdinalIgnoreCase) || o.Slug.Contains(search, StringComparison.OrdinalIgnoreCase))
            .Where(o => string.IsNullOrEmpty(status) || string.Equals(o.Status.ToString(), status, StringComparison.OrdinalIgnoreCase))
            .OrderBy(o => o.Name, StringComparer.OrdinalIgnoreCase).ThenBy(o => o.Slug, StringComparer.Ordinal)
            .ToList();
        var userCounts = await users.CountByTenantAsync(cancellationToken);
        var keyCounts = await keyDirectory.SummariseByTenantAsync(now, TimeSpan.FromDays(30), cancellationToken);
        var rows = matching.Skip((page - 1) * PageSize).Take(PageSize)
            .Select(o => new OrganisationRow(o, userCounts.GetValueOrDefault(o.Id), keyCounts.GetValueOrDefault(o.Id) ?? new(0, 0))).ToList();
        return new OrganisationList(rows, all.Count, matching.Count, now);
    }

    /// <summary>One organisation as its staff page shows it: its users, its keys and the keys staff made for it.</summary>
    public async Task<OrganisationView> ViewAsync(OrganisationInfo organisation, CancellationToken cancellationToken) => new(
        organisation,
        await users.ListByTenantAsync(organisation.Id, cancellationToken),
        await keys.ListAsync(organisation.Id, cancellationToken),
        await keys.ListHandoversAsync(organisation.Id, cancellationToken),
        clock.GetUtcNow().UtcDateTime);

    public async Task<Outcome<OrganisationInfo>> AddAsync(StaffActor actor, string? name, string? slug, CancellationToken cancellationToken)
    {
        var result = await provisioning.AddOrganisationAsync(name ?? "", slug, cancellationToken);
        if (result.Value is { } organisation)
        {
            await log.RecordAsync(actor, StaffActions.OrganisationCreated, organisation.Id, organisation.Name, reason: null, cancellationToken);
        }

        return result;
    }

    /// <summary>
    /// Suspends or reactivates, with a reason. Asking for the status it already has changes nothing (a second submit, or
    /// a tab older than another staff member's change, does not flip it back).
    /// </summary>
    public async Task<Outcome<OrganisationInfo>> SetStatusAsync(StaffActor actor, OrganisationInfo organisation, OrganisationStatus target, string? reason,
        CancellationToken cancellationToken)
    {
        if (StaffActionLog.CheckReason(reason) is { IsValid: false } invalid)
        {
            return UseCaseFailure.Invalid(invalid);
        }

        if (organisation.Status == target)
        {
            return Outcome<OrganisationInfo>.Ok(organisation);
        }

        var result = await provisioning.SetOrganisationStatusAsync(organisation.Slug, target, cancellationToken);
        if (result.Succeeded)
        {
            await log.RecordAsync(actor, target == OrganisationStatus.Suspended ? StaffActions.OrganisationSuspended : StaffActions.OrganisationActivated,
                organisation.Id, organisation.Name, reason!.Trim(), cancellationToken);
        }

        return result;
    }

    /// <summary>Invites a portal user; <paramref name="sendEmail"/> also e-mails the link (when e-mail is on). Answers the link, to show once.</summary>
    public async Task<Outcome<Invitation>> InviteUserAsync(StaffActor actor, OrganisationInfo organisation, string? email, string? name, bool sendEmail,
        CancellationToken cancellationToken)
    {
        var result = await accounts.InviteAsync(organisation.Id, email, name, cancellationToken);
        if (result.Value is not { } link)
        {
            return result.Failure!;
        }

        var emailed = sendEmail && emails.Enabled;
        if (emailed)
        {
            emails.SendInvitation(new(organisation.Id, link.User.Email, link.User.DisplayName, link.OrganisationName, link.Link, link.ExpiresAt));
        }

        await log.RecordAsync(actor, StaffActions.UserInvited, organisation.Id, link.User.Email, null, cancellationToken);
        return Outcome<Invitation>.Ok(new Invitation(link, emailed));
    }

    /// <summary>A disabled user cannot sign in, and its sessions and tokens end.</summary>
    public async Task<Outcome<PartnerUserInfo>> SetUserEnabledAsync(StaffActor actor, OrganisationInfo organisation, Guid userId, bool enabled,
        CancellationToken cancellationToken)
    {
        var result = await accounts.SetEnabledAsync(organisation.Id, userId, enabled, cancellationToken);
        if (result.Value is { } user)
        {
            await log.RecordAsync(actor, enabled ? StaffActions.UserEnabled : StaffActions.UserDisabled, organisation.Id, user.Email, null, cancellationToken);
        }

        return result;
    }

    /// <summary>E-mails a password-reset link (or a new invitation to someone who never chose a password).</summary>
    public async Task<Outcome<PartnerUserInfo>> SendAccountLinkAsync(StaffActor actor, OrganisationInfo organisation, Guid userId,
        CancellationToken cancellationToken)
    {
        if (!emails.Enabled)
        {
            return UseCaseFailure.Conflict(EmailOff,
                "E-mail is switched off on this platform (Modules:Notifications). Invite the user again to see a link to pass on.", "E-mail is off.");
        }

        var result = await accounts.CreatePasswordResetAsync(organisation.Id, userId, cancellationToken);
        if (result.Value is not { } made)
        {
            return result.Failure!;
        }

        var email = new AccountEmail(organisation.Id, made.User.Email, made.User.DisplayName, made.OrganisationName, made.Link, made.ExpiresAt);
        if (made.User.PasswordSet)
        {
            emails.SendPasswordReset(email);
        }
        else
        {
            emails.SendInvitation(email);
        }

        await log.RecordAsync(actor, made.User.PasswordSet ? StaffActions.PasswordResetSent : StaffActions.UserInvited, organisation.Id, made.User.Email,
            null, cancellationToken);
        return Outcome<PartnerUserInfo>.Ok(made.User);
    }
}

internal sealed record OrganisationRow(OrganisationInfo Organisation, int Users, TenantKeySummary Keys);

/// <summary>A page of organisations: <see cref="Total"/> counts them all, <see cref="Matching"/> those the filter keeps.</summary>
internal sealed record OrganisationList(IReadOnlyList<OrganisationRow> Rows, int Total, int Matching, DateTime Now);

internal sealed record OrganisationView(OrganisationInfo Organisation, IReadOnlyList<PartnerUserInfo> Users, IReadOnlyList<KeyOverview> Keys,
    IReadOnlyList<KeyHandoverOverview> Handovers, DateTime Now);

/// <summary>An invitation made: its link (shown once to staff) and whether it was also e-mailed.</summary>
internal sealed record Invitation(AccountLink Link, bool Emailed);
