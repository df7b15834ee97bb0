using Idunox.Shared.Errors;
using System.Net;
using Idunox.Identity.Contracts;
using Microsoft.Extensions.DependencyInjection;

namespace Idunox.Identity.Tests;

/// <summary>The staff accounts' lifecycle, through the staff directory every page and verb uses.</summary>
public sealed class StaffLifecycleTests(PostgresAppFixture fixture) : IClassFixture<PostgresAppFixture>
{
    private IdunoxApp App => fixture.App;

    private async Task<T> WithDirectoryAsync<T>(Func<IStaffDirectory, Task<T>> act)
    {
        await using var scope = App.Services.CreateAsyncScope();
        return await act(scope.ServiceProvider.GetRequiredService<IStaffDirectory>());
    }

    [Fact]
    public async Task An_invitation_link_sets_the_password_once_and_a_newer_one_voids_it()
    {
        var email = $"new-{Guid.NewGuid():N}@idunox.example";
        var first = (await WithDirectoryAsync(d => d.InviteAsync(email, [StaffRoles.Ops], CancellationToken.None))).Value!;
        var second = (await WithDirectoryAsync(d => d.InviteAsync(email, [], CancellationToken.None))).Value!;
        string TokenOf(StaffInvitation i) => System.Web.HttpUtility.ParseQueryString(i.Link.Query)["token"]!;

        Assert.Equal(["ops", "staff"], first.Member.Roles);
        Assert.Equal(["staff"], second.Member.Roles); // the newest invitation's roles
        Assert.Null(await WithDirectoryAsync(d => d.CheckInvitationAsync(TokenOf(first), CancellationToken.None)));
        Assert.Equal(email, (await WithDirectoryAsync(d => d.CheckInvitationAsync(TokenOf(second), CancellationToken.None)))!.Email);

        var weak = await WithDirectoryAsync(d => d.AcceptInvitationAsync(TokenOf(second), "password1234", "password1234", CancellationToken.None));
        Assert.Equal(ProvisioningError.Invalid, weak.Failure!.Code);
        Assert.Contains("newPassword", weak.Failure!.Errors!.Keys);
        var different = await WithDirectoryAsync(d => d.AcceptInvitationAsync(TokenOf(second), Arrange.DefaultPassword, "something else", CancellationToken.None));
        Assert.Contains("confirmPassword", different.Failure!.Errors!.Keys);

        var accepted = await WithDirectoryAsync(d => d.AcceptInvitationAsync(TokenOf(second), Arrange.DefaultPassword, Arrange.DefaultPassword, CancellationToken.None));
        Assert.True(accepted.Succeeded, accepted.Failure?.Message);
        Assert.False(accepted.Value!.HasAuthenticator);
        var replay = await WithDirectoryAsync(d => d.AcceptInvitationAsync(TokenOf(second), "another long passphrase 42", "another long passphrase 42", CancellationToken.None));
        Assert.Equal("link_not_valid", replay.Failure!.Code);
        var invitedAgain = await WithDirectoryAsync(d => d.InviteAsync(email, [], CancellationToken.None));
        Assert.Equal(ProvisioningError.EmailTaken, invitedAgain.Failure!.Code);

        await using var scope = App.Services.CreateAsyncScope();
        var check = await scope.ServiceProvider.GetRequiredService<IStaffAccounts>().CheckPasswordAsync(email, Arrange.DefaultPassword, "192.0.2.90", CancellationToken.None);
        Assert.True(check.Succeeded);
    }

    [Fact]
    public async Task The_last_enabled_admin_can_neither_be_disabled_nor_lose_the_role()
    {
        var admin = await App.StaffAsync(admin: true);
        // Every other admin this database holds steps aside for the length of the test.
        var others = (await WithDirectoryAsync(d => d.ListAsync(CancellationToken.None))).Where(m => m.IsAdmin && m.Enabled && m.Id != admin.User.Id).ToList();
        foreach (var other in others)
        {
            Assert.True((await WithDirectoryAsync(d => d.SetEnabledAsync(other.Id, false, CancellationToken.None))).Succeeded);
        }

        try
        {
            var disable = await WithDirectoryAsync(d => d.SetEnabledAsync(admin.User.Id, false, CancellationToken.None));
            var demote = await WithDirectoryAsync(d => d.SetRolesAsync(admin.User.Id, [StaffRoles.Ops], CancellationToken.None));

            Assert.Equal("last_admin", disable.Failure!.Code);
            Assert.Equal("last_admin", demote.Failure!.Code);
            Assert.True((await WithDirectoryAsync(d => d.FindAsync(admin.User.Id, CancellationToken.None)))!.IsAdmin);

            // With a second admin, either change is allowed.
            var second = await App.StaffAsync(admin: true);
            Assert.True((await WithDirectoryAsync(d => d.SetRolesAsync(admin.User.Id, [StaffRoles.Ops], CancellationToken.None))).Succeeded);
            Assert.Equal(["ops", "staff"], (await WithDirectoryAsync(d => d.FindAsync(admin.User.Id, CancellationToken.None)))!.Roles);
            Assert.Equal("last_admin", (await WithDirectoryAsync(d => d.SetEnabledAsync(second.User.Id, false, CancellationToken.None))).Failure!.Code);
        }
        finally
        {
            foreach (var other in others)
            {
                await WithDirectoryAsync(d => d.SetEnabledAsync(other.Id, true, CancellationToken.None));
            }
        }
    }

    [Fact]
    public async Task Two_admins_disabling_each_other_at_once_leave_one_admin_who_can_sign_in()
    {
        var first = await App.StaffAsync(admin: true);
        var second = await App.StaffAsync(admin: true);
        var others = (await WithDirectoryAsync(d => d.ListAsync(CancellationToken.None)))
            .Where(m => m.IsAdmin && m.Enabled && m.Id != first.User.Id && m.Id != second.User.Id).ToList();
        foreach (var other in others)
        {
            Assert.True((await WithDirectoryAsync(d => d.SetEnabledAsync(other.Id, false, CancellationToken.None))).Succeeded);
        }

        // An invited admin who has no password yet looks after nobody: it does not count.
        var invited = (await WithDirectoryAsync(d => d.InviteAsync($"invited-{Guid.NewGuid():N}@idunox.example", [StaffRoles.Admin], CancellationToken.None))).Value!;
        try
        {
            var answers = await Task.WhenAll(
                WithDirectoryAsync(d => d.SetEnabledAsync(second.User.Id, false, CancellationToken.None)),
                WithDirectoryAsync(d => d.SetEnabledAsync(first.User.Id, false, CancellationToken.None)));

            Assert.Single(answers, a => a.Succeeded);
            Assert.Single(answers, a => a.Failure?.Code == "last_admin");
            var admins = (await WithDirectoryAsync(d => d.ListAsync(CancellationToken.None))).Where(m => m.IsAdmin && m.Enabled && m.PasswordSet).ToList();
            Assert.Single(admins);
        }
        finally
        {
            foreach (var id in others.Select(o => o.Id).Append(first.User.Id).Append(second.User.Id))
            {
                await WithDirectoryAsync(d => d.SetEnabledAsync(id, true, CancellationToken.None));
            }

            await WithDirectoryAsync(d => d.SetEnabledAsync(invited.Member.Id, false, CancellationToken.None));
        }
    }

    [Fact]
    public async Task Roles_outside_staff_ops_and_admin_are_refused_and_staff_is_always_kept()
    {
        var member = await App.StaffAsync(ops: true);

        var unknown = await WithDirectoryAsync(d => d.SetRolesAsync(member.User.Id, ["root"], CancellationToken.None));
        var none = await WithDirectoryAsync(d => d.SetRolesAsync(member.User.Id, [], CancellationToken.None));

        Assert.Equal(ProvisioningError.Invalid, unknown.Failure!.Code);
        Assert.Equal(["staff"], none.Value!.Roles);
        Assert.Equal(ProvisioningError.UserNotFound, (await WithDirectoryAsync(d => d.SetRolesAsync(Guid.NewGuid(), [], CancellationToken.None))).Failure!.Code);
    }

    [Fact]
    public async Task A_changed_password_ends_every_session_and_the_old_one_no_longer_signs_in()
    {
        var member = await App.StaffAsync();
        await using var scope = App.Services.CreateAsyncScope();
        var sessions = scope.ServiceProvider.GetRequiredService<IUserSessions>();
        var open = await sessions.StartAsync(new SessionStart(SessionKinds.Staff, member.User.Id, null, "192.0.2.91", "test", TimeSpan.FromHours(1),
            TimeSpan.FromHours(8)), CancellationToken.None);

        var wrong = await WithDirectoryAsync(d => d.ChangePasswordAsync(member.User.Id, "not the password", "a brand new passphrase 7", "a brand new passphrase 7",
            CancellationToken.None));
        Assert.Contains("currentPassword", wrong.Failure!.Errors!.Keys);
        Assert.True(await sessions.CheckAsync(open, member.User.Id, SessionKinds.Staff, activity: false, CancellationToken.None));

        var changed = await WithDirectoryAsync(d => d.ChangePasswordAsync(member.User.Id, member.Password, "a brand new passphrase 7", "a brand new passphrase 7",
            CancellationToken.None));

        Assert.True(changed.Succeeded, changed.Failure?.Message);
        Assert.False(await sessions.CheckAsync(open, member.User.Id, SessionKinds.Staff, activity: false, CancellationToken.None));
        var accounts = scope.ServiceProvider.GetRequiredService<IStaffAccounts>();
        Assert.False((await accounts.CheckPasswordAsync(member.Email, member.Password, "192.0.2.92", CancellationToken.None)).Succeeded);
        Assert.True((await accounts.CheckPasswordAsync(member.Email, "a brand new passphrase 7", "192.0.2.92", CancellationToken.None)).Succeeded);
        var notice = await App.MailToAsync(member.Email);
        Assert.Contains(notice, m => (m.Subject ?? "").StartsWith("Your password was changed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Disabling_a_member_ends_their_sessions_at_once_and_enabling_does_not_bring_them_back()
    {
        var member = await App.StaffAsync();
        await using var scope = App.Services.CreateAsyncScope();
        var sessions = scope.ServiceProvider.GetRequiredService<IUserSessions>();
        var open = await sessions.StartAsync(new SessionStart(SessionKinds.Staff, member.User.Id, null, "192.0.2.93", "test", TimeSpan.FromHours(1),
            TimeSpan.FromHours(8)), CancellationToken.None);

        Assert.True((await WithDirectoryAsync(d => d.SetEnabledAsync(member.User.Id, false, CancellationToken.None))).Succeeded);
        Assert.False(await sessions.CheckAsync(open, member.User.Id, SessionKinds.Staff, activity: false, CancellationToken.None));
        Assert.True((await WithDirectoryAsync(d => d.SetEnabledAsync(member.User.Id, true, CancellationToken.None))).Succeeded);
        Assert.False(await sessions.CheckAsync(open, member.User.Id, SessionKinds.Staff, activity: false, CancellationToken.None));
    }
}
