using Idunox.Shared.Errors;
using System.Net;
using Idunox.Identity.Contracts;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Idunox.Portal.Tests;

/// <summary>Onboarding by invitation, forgotten passwords, and staff acting on an organisation's users and keys.</summary>
[Collection(BrowserCollection.Name)]
public sealed class OnboardingTests(PortalFixture fixture)
{
    private const string NewPassword = "a long new passphrase 2026";

    private async Task<AccountLink> InviteAsync(Guid tenantId, string email)
    {
        await using var scope = fixture.App.Services.CreateAsyncScope();
        var result = await scope.ServiceProvider.GetRequiredService<IPartnerAccounts>().InviteAsync(tenantId, email, "Invited IT", CancellationToken.None);
        Assert.True(result.Succeeded, result.Failure?.Message);
        return result.Value!;
    }

    private static async Task ChoosePasswordAsync(IPage page, string path, string password = NewPassword)
    {
        await page.GotoAsync(path);
        await page.GetByLabel("New password").FillAsync(password);
        await page.GetByLabel("The same password again").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { NameRegex = new System.Text.RegularExpressions.Regex("password and sign in") }).ClickAsync();
    }

    [Fact]
    public async Task Staff_invite_a_user_who_chooses_a_password_from_the_emailed_link_and_is_signed_in()
    {
        var partner = await fixture.App.PartnerAsync();
        var (staff, page, _) = await fixture.SignedInStaffAsync();
        var email = $"new-{Guid.NewGuid():N}@partner.example";

        await page.GotoAsync($"/admin/organisations/{partner.Organisation.Slug}");
        await page.GetByRole(AriaRole.Link, new() { Name = "Invite a user" }).ClickAsync();
        await page.GetByLabel("E-mail address").FillAsync(email);
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("Acme Night Shift");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create invitation" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Invitation ready" })).ToBeVisibleAsync();
        var shown = await page.GetByRole(AriaRole.Textbox, new() { Name = "Invitation link" }).InputValueAsync();

        var mail = Assert.Single(await fixture.MailToAsync(email));
        Assert.Contains("invited", mail.Subject, StringComparison.OrdinalIgnoreCase);
        var path = Staff.LinkIn(mail);
        Assert.Equal(new Uri(shown).PathAndQuery, path);

        // The invited user is listed as invited, and cannot sign in yet.
        await page.GotoAsync($"/admin/organisations/{partner.Organisation.Slug}");
        await Expect(page.Locator("tr", new() { HasText = email })).ToContainTextAsync("Invited");

        var partnerPage = await fixture.NewPageAsync();
        await partnerPage.GotoAsync(path);
        await Expect(partnerPage.GetByText("Welcome, Acme Night Shift.")).ToBeVisibleAsync();
        await ChoosePasswordAsync(partnerPage, path, "short");
        await Expect(partnerPage.Locator("#new-error")).ToBeVisibleAsync();
        await ChoosePasswordAsync(partnerPage, path);
        await Expect(partnerPage.GetByText("Welcome! Your password is set.")).ToBeVisibleAsync();
        await Expect(partnerPage.GetByRole(AriaRole.Heading, new() { Name = "API keys", Exact = true })).ToBeVisibleAsync();

        // Used once, the link is spent.
        var again = await fixture.NewPageAsync();
        var answer = await again.GotoAsync(path);
        Assert.Equal(400, answer!.Status);
        await Expect(again.GetByText("This link no longer works.")).ToBeVisibleAsync();

        var signIn = await fixture.NewPageAsync();
        await signIn.SignInAsync(email, NewPassword);
        await Expect(signIn.GetByRole(AriaRole.Heading, new() { Name = "API keys", Exact = true })).ToBeVisibleAsync();

        await page.GotoAsync($"/admin/actions?organisation={partner.Organisation.Slug}");
        await Expect(page.Locator("table.list tbody tr").First).ToContainTextAsync("Invited a portal user");
        await Expect(page.Locator("table.list tbody tr").First).ToContainTextAsync(staff.Email);
    }

    [Fact]
    public async Task A_newer_invitation_voids_the_older_one_and_an_invitation_older_than_72_hours_fails_with_a_clear_page()
    {
        var partner = await fixture.App.PartnerAsync();
        var email = $"twice-{Guid.NewGuid():N}@partner.example";
        var first = await InviteAsync(partner.Organisation.Id, email);
        var second = await InviteAsync(partner.Organisation.Id, email);

        var page = await fixture.NewPageAsync();
        await page.GotoAsync(first.Link.PathAndQuery);
        await Expect(page.GetByText("This link no longer works.")).ToBeVisibleAsync();
        await Expect(page.GetByText("Invitation links work once, for 72 hours")).ToBeVisibleAsync();
        await page.GotoAsync(second.Link.PathAndQuery);
        await Expect(page.GetByLabel("New password")).ToBeVisibleAsync();

        // "Send a new invitation" from the staff area (or a forgot-password request) also voids the earlier link.
        await using (var scope = fixture.App.Services.CreateAsyncScope())
        {
            var third = await scope.ServiceProvider.GetRequiredService<IPartnerAccounts>()
                .CreatePasswordResetAsync(partner.Organisation.Id, second.User.Id, CancellationToken.None);
            Assert.Contains("/partner/welcome?token=", third.Value!.Link.ToString(), StringComparison.Ordinal);
            await page.GotoAsync(second.Link.PathAndQuery);
            await Expect(page.GetByText("This link no longer works.")).ToBeVisibleAsync();
            second = third.Value;
        }

        await page.GotoAsync(second.Link.PathAndQuery);
        await Expect(page.GetByLabel("New password")).ToBeVisibleAsync();
        fixture.App.Clock.Advance(TimeSpan.FromHours(72) + TimeSpan.FromMinutes(1));
        await page.GotoAsync(second.Link.PathAndQuery);
        await Expect(page.GetByText("This link no longer works.")).ToBeVisibleAsync();

        // A tampered token is the same clear page, never an error.
        await page.GotoAsync(second.Link.PathAndQuery[..^4] + "AAAA");
        await Expect(page.GetByText("This link no longer works.")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task Forgot_password_answers_the_same_for_known_and_unknown_addresses_and_only_the_known_one_gets_an_email()
    {
        var partner = await fixture.App.PartnerAsync();
        var unknown = $"nobody-{Guid.NewGuid():N}@partner.example";

        async Task<string> AskAsync(string email)
        {
            var page = await fixture.NewPageAsync();
            await page.GotoAsync("/partner/sign-in");
            await page.GetByRole(AriaRole.Link, new() { Name = "Forgot your password?" }).ClickAsync();
            await page.GetByLabel("E-mail address").FillAsync(email);
            await page.GetByRole(AriaRole.Button, new() { Name = "Send me a link" }).ClickAsync();
            await Expect(page.GetByText("Check your e-mail.")).ToBeVisibleAsync();
            return (await page.Locator("main").InnerTextAsync()).Replace(email, "<address>", StringComparison.Ordinal);
        }

        Assert.Equal(await AskAsync(unknown), await AskAsync(partner.Email));
        var mail = Assert.Single(await fixture.MailToAsync(partner.Email));
        Assert.Empty(await fixture.MailToAsync(unknown, atLeast: 0));
        Assert.Contains("Reset your", mail.Subject, StringComparison.Ordinal);

        var path = Staff.LinkIn(mail);
        var reset = await fixture.NewPageAsync();
        await ChoosePasswordAsync(reset, path);
        await Expect(reset.GetByText("Your password was changed.")).ToBeVisibleAsync();
        await (await fixture.App.CreateClient().PostLoginAsync(partner.Email, partner.Password)).AssertProblemAsync(HttpStatusCode.Unauthorized, "invalid_credentials");
        Assert.Equal(HttpStatusCode.OK, (await fixture.App.CreateClient().PostLoginAsync(partner.Email, NewPassword)).StatusCode);

        var reuse = await fixture.NewPageAsync();
        await reuse.GotoAsync(path);
        await Expect(reuse.GetByText("This link no longer works.")).ToBeVisibleAsync();
        await Expect(reuse.GetByRole(AriaRole.Link, new() { Name = "Ask for a new link" })).ToBeVisibleAsync();
    }

    [Fact]
    public async Task Staff_revoke_a_key_with_a_reason_it_fails_at_once_the_partner_sees_Idunox_staff_and_the_reason_and_gets_a_notice()
    {
        var partner = await fixture.App.PartnerAsync();
        var partnerPage = await fixture.NewPageAsync();
        await partnerPage.SignInAsync(partner);
        var key = await partnerPage.CreateKeyAsync("orders feed");
        Assert.Equal(HttpStatusCode.OK, (await fixture.ProbeAsync(key)).StatusCode);
        await fixture.App.RunJobAsync("outbox-dispatch");
        var noticesBefore = (await fixture.MailToAsync(partner.Email)).Count;

        var (staff, page, _) = await fixture.SignedInStaffAsync();
        await page.GotoAsync($"/admin/organisations/{partner.Organisation.Slug}");
        await page.GetByRole(AriaRole.Link, new() { Name = "Revoke orders feed" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Revoke key" }).ClickAsync();
        await Expect(page.Locator("#reason-error")).ToBeVisibleAsync();
        Assert.Equal(HttpStatusCode.OK, (await fixture.ProbeAsync(key)).StatusCode);
        await page.GetByLabel("Reason").FillAsync("Key found in a public repository (INC-77)");
        await page.GetByRole(AriaRole.Button, new() { Name = "Revoke key" }).ClickAsync();
        await Expect(page.GetByText("Key revoked.")).ToBeVisibleAsync();

        await (await fixture.ProbeAsync(key)).AssertProblemAsync(HttpStatusCode.Unauthorized, "api_key_revoked");
        await partnerPage.GotoAsync("/partner/audit");
        var row = partnerPage.Locator("table.list tbody tr").First;
        await Expect(row).ToContainTextAsync("Idunox staff");
        await Expect(row).ToContainTextAsync("Key found in a public repository (INC-77)");
        await Expect(row).Not.ToContainTextAsync(staff.Email);

        await fixture.App.RunJobAsync("outbox-dispatch");
        var notices = await fixture.MailToAsync(partner.Email, noticesBefore + 1);
        Assert.Contains(notices, m => (m.Subject ?? "").StartsWith("API key revoked", StringComparison.Ordinal) && (m.TextBody ?? "").Contains("Idunox staff revoked", StringComparison.Ordinal));

        await page.GotoAsync("/admin/actions");
        await Expect(page.Locator("table.list tbody tr").First).ToContainTextAsync("Revoked a key");
        await Expect(page.Locator("table.list tbody tr").First).ToContainTextAsync("Key found in a public repository (INC-77)");
    }

    [Fact]
    public async Task Staff_rotate_on_the_partners_behalf_without_seeing_the_new_key_and_a_partner_collects_it_once()
    {
        var partner = await fixture.App.PartnerAsync();
        var partnerPage = await fixture.NewPageAsync();
        await partnerPage.SignInAsync(partner);
        var old = await partnerPage.CreateKeyAsync("billing sync");
        await fixture.App.RunJobAsync("outbox-dispatch");
        var mailBefore = (await fixture.MailToAsync(partner.Email)).Count;

        var (staff, page, _) = await fixture.SignedInStaffAsync();
        await page.GotoAsync($"/admin/organisations/{partner.Organisation.Slug}");
        await page.GetByRole(AriaRole.Link, new() { Name = "Rotate billing sync" }).ClickAsync();
        await page.GetByLabel("48 hours").CheckAsync();
        await page.GetByLabel("Reason").FillAsync("Partner lost access to their vault (call with J. Doe)");
        var answer = await page.RunAndWaitForResponseAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "Rotate key" }).ClickAsync(),
            r => r.Request.Method == "POST");
        Assert.Contains("no-store", answer.Headers["cache-control"].Split(',', StringSplitOptions.TrimEntries));
        await Expect(page.GetByText("The new key waits for the partner to collect it.")).ToBeVisibleAsync();
        Assert.DoesNotMatch(KeyPattern, await answer.TextAsync()); // staff see no key, only the old one's masked prefix
        Assert.Equal(HttpStatusCode.OK, (await fixture.ProbeAsync(old)).StatusCode); // in grace for 48 hours

        // The organisation's users are told by e-mail, with the reason and where to collect it; the e-mail carries no key.
        await fixture.App.RunJobAsync("outbox-dispatch");
        var mail = (await fixture.MailToAsync(partner.Email, mailBefore + 1)).Single(m => (m.Subject ?? "").StartsWith("Collect your new API key", StringComparison.Ordinal));
        Assert.Contains("Partner lost access to their vault", mail.TextBody, StringComparison.Ordinal);
        Assert.Contains("/partner/keys", mail.TextBody, StringComparison.Ordinal);
        Assert.DoesNotMatch(KeyPattern, mail.TextBody + mail.HtmlBody);

        await partnerPage.GotoAsync("/partner/keys");
        await Expect(partnerPage.GetByRole(AriaRole.Heading, new() { Name = "A new key from Idunox staff is waiting for you" })).ToBeVisibleAsync();
        await partnerPage.GetByRole(AriaRole.Link, new() { Name = "Collect the key billing sync" }).ClickAsync();
        var collectPath = new Uri(partnerPage.Url).AbsolutePath;
        await partnerPage.GetByRole(AriaRole.Button, new() { Name = "Collect the key" }).ClickAsync();
        await Expect(partnerPage.GetByRole(AriaRole.Heading, new() { Name = "Key collected" })).ToBeVisibleAsync();
        var successor = await partnerPage.GetByRole(AriaRole.Textbox, new() { Name = "New API key" }).InputValueAsync();
        Assert.NotEqual(old, successor);
        Assert.Equal(HttpStatusCode.OK, (await fixture.ProbeAsync(successor)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await fixture.ProbeAsync(old)).StatusCode);

        // Shown once: the offer is gone, from the list and at its address.
        Assert.Equal(404, (await partnerPage.GotoAsync(collectPath))!.Status);
        await partnerPage.GotoAsync("/partner/keys");
        await Expect(partnerPage.GetByRole(AriaRole.Heading, new() { Name = "A new key from Idunox staff is waiting for you" })).ToHaveCountAsync(0);
        await partnerPage.GotoAsync("/partner/audit");
        await Expect(partnerPage.Locator("table.list tbody")).ToContainTextAsync("Partner lost access to their vault");

        // Staff see that it was collected, and by whom; their log keeps the reason, never a key.
        await page.GotoAsync($"/admin/organisations/{partner.Organisation.Slug}");
        await Expect(page.Locator("table.list", new() { Has = page.GetByText("Replaces") })).ToContainTextAsync($"by {partner.Email}");
        Assert.DoesNotContain(successor[9..], await page.ContentAsync(), StringComparison.Ordinal);
        await page.GotoAsync("/admin/actions");
        var row = page.Locator("table.list tbody tr").First;
        await Expect(row).ToContainTextAsync("Rotated a key");
        await Expect(row).ToContainTextAsync("Partner lost access to their vault");
        await Expect(row).ToContainTextAsync(staff.Email);
        Assert.DoesNotMatch(KeyPattern, await page.ContentAsync());
    }

    /// <summary>A whole key (the masked prefixes staff and e-mails show stop after 8 characters of the body).</summary>
    private static readonly System.Text.RegularExpressions.Regex KeyPattern = new(@"idx_(test|live)_[A-Za-z0-9]{9,}");

    [Fact]
    public async Task Staff_disable_and_enable_a_user_and_another_organisations_ids_are_not_found()
    {
        var partner = await fixture.App.PartnerAsync();
        var colleague = await fixture.App.SecondUserAsync(partner); // several users: several rows of buttons in one form
        var other = await fixture.App.PartnerAsync();
        var partnerPage = await fixture.NewPageAsync();
        await partnerPage.SignInAsync(partner);
        var otherKey = await (await fixture.NewPageAsync()).SignInThenCreateKeyAsync(other, "their key");

        var (_, page, _) = await fixture.SignedInStaffAsync();
        await page.GotoAsync($"/admin/organisations/{partner.Organisation.Slug}");
        await page.GetByRole(AriaRole.Button, new() { Name = $"Disable {partner.Email}" }).ClickAsync();
        await Expect(page.GetByText($"{partner.Email} is now disabled")).ToBeVisibleAsync();
        await partnerPage.GotoAsync("/partner/keys");
        Assert.Equal("/partner/sign-in", new Uri(partnerPage.Url).AbsolutePath);
        await page.GetByRole(AriaRole.Button, new() { Name = $"Enable {partner.Email}" }).ClickAsync();
        await Expect(page.GetByText($"{partner.Email} is now enabled")).ToBeVisibleAsync();

        // Another organisation's user, posted from this organisation's page, is not found and changes nothing.
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = $"Disable {colleague.Email}" })).ToBeVisibleAsync();
        await page.EvaluateAsync($"() => document.querySelector('button[aria-label=\"Disable {partner.Email}\"]').value = 'disable|{other.User.Id}'");
        await page.GetByRole(AriaRole.Button, new() { Name = $"Disable {partner.Email}" }).ClickAsync();
        await Expect(page.GetByText("No such portal user in this organisation.")).ToBeVisibleAsync();
        Assert.Equal(HttpStatusCode.OK, (await fixture.App.CreateClient().PostLoginAsync(other.Email, other.Password)).StatusCode);

        // Another organisation's key, opened under this organisation, is not found.
        var otherKeyId = await fixture.ScalarAsync<Guid>($"SELECT id FROM credentials.api_keys WHERE tenant_id = '{other.Organisation.Id}' LIMIT 1");
        foreach (var verb in new[] { "revoke", "rotate" })
        {
            var answer = await page.GotoAsync($"/admin/organisations/{partner.Organisation.Slug}/keys/{otherKeyId}/{verb}");
            Assert.Equal(404, answer!.Status);
        }

        Assert.Equal(HttpStatusCode.OK, (await fixture.ProbeAsync(otherKey)).StatusCode);
    }
}
