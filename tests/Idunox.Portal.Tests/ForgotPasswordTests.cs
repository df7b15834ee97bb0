using System.Net;
using System.Text.RegularExpressions;
using Idunox.Identity.Contracts;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Idunox.Portal.Tests;

/// <summary>"Forgot your password?" over HTTP: a stranger cannot cancel an invitation or send mail staff chose not to, and the one-a-minute limit holds across servers.</summary>
public sealed partial class ForgotPasswordTests(PostgresAppFixture fixture) : IClassFixture<PostgresAppFixture>
{
    private static async Task<string> AskAsync(IdunoxApp app, string email, string from = "198.51.100.20")
    {
        var client = app.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri("https://localhost"), AllowAutoRedirect = false, HandleCookies = true });
        client.DefaultRequestHeaders.Add(IdunoxApp.ClientAddressHeader, from);
        var form = await client.GetStringAsync(new Uri("/partner/forgot-password", UriKind.Relative));
        var answer = await client.PostAsync(new Uri("/partner/forgot-password", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "forgot-password",
            ["__RequestVerificationToken"] = TokenField().Match(form).Groups[1].Value,
            ["Input.Email"] = email,
        }));
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        var page = await answer.Content.ReadAsStringAsync();
        Assert.Contains("Check your e-mail.", page, StringComparison.Ordinal);
        return TokenField().Replace(page, "token").Replace(email, "<address>", StringComparison.Ordinal);
    }

    private static int ResetsSentTo(IdunoxApp app, Guid userId) =>
        app.Logs.Lines.Count(l => l.Contains($"A password reset link was sent to portal user {userId}", StringComparison.Ordinal));

    [Fact]
    public async Task A_request_for_an_invited_user_without_a_password_sends_nothing_and_the_invitation_still_works()
    {
        var partner = await fixture.App.PartnerAsync();
        AccountLink invitation;
        await using (var scope = fixture.App.Services.CreateAsyncScope())
        {
            invitation = (await scope.ServiceProvider.GetRequiredService<IPartnerAccounts>()
                .InviteAsync(partner.Organisation.Id, $"invited-{Guid.NewGuid():N}@partner.example", "Invited", CancellationToken.None)).Value!;
        }

        var unknown = await AskAsync(fixture.App, $"nobody-{Guid.NewGuid():N}@partner.example");
        var invited = await AskAsync(fixture.App, invitation.User.Email);
        fixture.App.Clock.Advance(TimeSpan.FromMinutes(2));
        await AskAsync(fixture.App, invitation.User.Email); // again, a minute later: still nothing

        Assert.Equal(unknown, invited);
        Assert.Equal(0, ResetsSentTo(fixture.App, invitation.User.Id));
        Assert.DoesNotContain(fixture.App.Logs.Lines, l => l.Contains(invitation.User.Id.ToString(), StringComparison.Ordinal) &&
                                                          l.Contains("link was sent", StringComparison.Ordinal));
        var welcome = await fixture.App.CreateClient().GetAsync(new Uri(invitation.Link.PathAndQuery, UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, welcome.StatusCode);
        Assert.Contains("New password", await welcome.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task One_reset_e_mail_a_minute_per_account_however_many_servers_and_addresses_ask()
    {
        var partner = await fixture.App.PartnerAsync();
        await using var other = IdunoxApp.OnPostgres(fixture.Database);
        other.Clock.SetUtcNow(fixture.App.Clock.GetUtcNow());

        await AskAsync(fixture.App, partner.Email, "198.51.100.21");
        await AskAsync(other, partner.Email, "198.51.100.22");
        await AskAsync(fixture.App, partner.Email, "2001:db8::22");

        Assert.Equal(1, ResetsSentTo(fixture.App, partner.User.Id) + ResetsSentTo(other, partner.User.Id));

        fixture.App.Clock.Advance(TimeSpan.FromMinutes(1));
        await AskAsync(fixture.App, partner.Email);
        Assert.Equal(2, ResetsSentTo(fixture.App, partner.User.Id) + ResetsSentTo(other, partner.User.Id));
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex TokenField();
}
