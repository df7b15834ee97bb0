using System.Net;
using System.Net.Http.Json;
using Idunox.Identity.Contracts;
using Idunox.Identity.Onboarding;
using Microsoft.Extensions.DependencyInjection;

namespace Idunox.Identity.Tests;

/// <summary>People hear about changes to their account's security, and cannot choose a password that every attacker tries first.</summary>
public sealed class SecurityNoticeTests(PostgresAppFixture fixture) : IClassFixture<PostgresAppFixture>
{
    private IdunoxApp App => fixture.App;

    private Task<IReadOnlyList<MimeKit.MimeMessage>> MailToAsync(string recipient, int atLeast = 1) => App.MailToAsync(recipient, atLeast);

    [Theory]
    [InlineData("password1234")]
    [InlineData("PASSWORD1234")]
    [InlineData("qwertyuiop123")]
    public async Task A_password_from_the_lists_of_breached_passwords_is_refused_on_change_and_for_staff(string common)
    {
        var partner = await App.PartnerAsync();
        var client = App.ClientWithToken(await App.SignInAsync(partner));

        var answer = await client.PostAsJsonAsync(new Uri("/v1/partner/auth/change-password", UriKind.Relative),
            new { currentPassword = partner.Password, newPassword = common });

        var problem = await answer.AssertProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        Assert.Contains("most common", problem.GetProperty("errors").GetProperty("newPassword")[0].GetString(), StringComparison.Ordinal);

        await using var scope = App.Services.CreateAsyncScope();
        var staff = await scope.ServiceProvider.GetRequiredService<IOrganisationProvisioning>()
            .AddStaffUserAsync($"staff-{Guid.NewGuid():N}@idunox.example", [], common, CancellationToken.None);
        Assert.False(staff.Succeeded);
    }

    [Fact]
    public async Task Changing_the_password_e_mails_the_user_when_and_from_where_and_carries_no_password()
    {
        var partner = await App.PartnerAsync();
        var client = App.ClientWithToken(await App.SignInAsync(partner));
        client.DefaultRequestHeaders.Add(IdunoxApp.ClientAddressHeader, "198.51.100.61");
        const string newPassword = "a quiet morning by the river";

        var answer = await client.PostAsJsonAsync(new Uri("/v1/partner/auth/change-password", UriKind.Relative),
            new { currentPassword = partner.Password, newPassword });

        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        var notice = Assert.Single(await MailToAsync(partner.Email));
        Assert.StartsWith("Your password was changed", notice.Subject, StringComparison.Ordinal);
        Assert.Contains("198.51.100.61", notice.TextBody, StringComparison.Ordinal);
        Assert.Contains("2 March 2026", notice.TextBody, StringComparison.Ordinal);
        Assert.DoesNotContain(newPassword, notice.TextBody + notice.HtmlBody, StringComparison.Ordinal);
        Assert.DoesNotContain(partner.Password, notice.TextBody + notice.HtmlBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Using_a_reset_link_e_mails_the_user_and_an_invitation_does_not()
    {
        var partner = await App.PartnerAsync();
        await using var scope = App.Services.CreateAsyncScope();
        var accounts = scope.ServiceProvider.GetRequiredService<IPartnerAccounts>();
        var reset = (await accounts.CreatePasswordResetAsync(partner.Organisation.Id, partner.User.Id, CancellationToken.None)).Value!;
        var invited = (await accounts.InviteAsync(partner.Organisation.Id, $"new-{Guid.NewGuid():N}@partner.example", "New", CancellationToken.None)).Value!;
        var links = scope.ServiceProvider.GetRequiredService<AccountLinks>();
        string Token(AccountLink link) => System.Web.HttpUtility.ParseQueryString(link.Link.Query)["token"]!;

        // The invitation first: e-mails go out in order, so once the reset's notice is written, a notice for the
        // invitation (there must be none) would have been written before it.
        Assert.NotNull((await links.SetPasswordAsync(Token(invited), PartnerLinks.Invitation, "a welcome passphrase of mine", "a welcome passphrase of mine", null, CancellationToken.None)).Value);
        Assert.NotNull((await links.SetPasswordAsync(Token(reset), PartnerLinks.PasswordReset, "a reset passphrase of mine", "a reset passphrase of mine", "198.51.100.62", CancellationToken.None)).Value);

        var notice = Assert.Single(await MailToAsync(partner.Email));
        Assert.StartsWith("Your password was reset", notice.Subject, StringComparison.Ordinal);
        Assert.Contains("198.51.100.62", notice.TextBody, StringComparison.Ordinal);
        Assert.Empty(await MailToAsync(invited.User.Email, atLeast: 0));
    }

    [Fact]
    public async Task Resetting_a_staff_members_two_factor_e_mails_the_member()
    {
        var staff = await App.StaffAsync();
        await using var scope = App.Services.CreateAsyncScope();
        Assert.True((await scope.ServiceProvider.GetRequiredService<IStaffAccounts>().ResetAuthenticatorAsync(staff.Email, CancellationToken.None)).Succeeded);

        var notice = Assert.Single(await MailToAsync(staff.Email));
        Assert.StartsWith("Your two-factor sign-in was reset", notice.Subject, StringComparison.Ordinal);
        Assert.Contains("Idunox staff account", notice.TextBody, StringComparison.Ordinal);
    }
}
