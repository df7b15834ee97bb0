using System.Net;
using Idunox.Identity.Contracts;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Idunox.Portal.Tests;

/// <summary>A portal session lives only as long as the person, their password and their organisation allow.</summary>
[Collection(BrowserCollection.Name)]
public sealed class SessionTests(PortalFixture fixture)
{
    private async Task AssertSentToSignInAsync(IPage page)
    {
        await page.GotoAsync("/partner/keys");
        Assert.Equal("/partner/sign-in", new Uri(page.Url).AbsolutePath);
    }

    [Fact]
    public async Task Changing_the_password_keeps_this_session_and_ends_the_other_browsers_session()
    {
        var partner = await fixture.App.PartnerAsync();
        var here = await fixture.NewPageAsync();
        var elsewhere = await fixture.NewPageAsync();
        await here.SignInAsync(partner);
        await elsewhere.SignInAsync(partner);

        await here.GetByRole(AriaRole.Link, new() { Name = "Account" }).ClickAsync();
        await Expect(here.Locator("dl.facts")).ToContainTextAsync(partner.Organisation.Name);
        await here.GetByLabel("Current password").FillAsync(partner.Password);
        await here.GetByLabel("New password").FillAsync("a brand new passphrase 42");
        await here.GetByRole(AriaRole.Button, new() { Name = "Change password" }).ClickAsync();
        await Expect(here.GetByText("Your password was changed.")).ToBeVisibleAsync();

        await here.GotoAsync("/partner/keys");
        await Expect(here.GetByRole(AriaRole.Heading, new() { Name = "API keys", Exact = true })).ToBeVisibleAsync();
        await AssertSentToSignInAsync(elsewhere);
        await elsewhere.SignInAsync(partner.Email, "a brand new passphrase 42");
        await Expect(elsewhere.GetByRole(AriaRole.Heading, new() { Name = "API keys", Exact = true })).ToBeVisibleAsync();
    }

    [Fact]
    public async Task The_account_page_lists_where_you_are_signed_in_and_signs_out_another_browser_by_keyboard()
    {
        var partner = await fixture.App.PartnerAsync();
        var here = await fixture.NewPageAsync();
        var elsewhere = await fixture.NewPageAsync();
        await elsewhere.SignInAsync(partner);
        await here.SignInAsync(partner, "/partner/account");

        var sessions = here.GetByRole(AriaRole.Table, new() { Name = "Your open sessions" });
        await Expect(sessions.Locator("tbody tr")).ToHaveCountAsync(2);
        await Expect(sessions.GetByText("This browser", new() { Exact = true })).ToHaveCountAsync(1);
        await Expect(sessions).ToContainTextAsync("Chrome on Linux");

        // The other browser's button, reached and pressed with the keyboard.
        var other = sessions.Locator("tbody tr").Filter(new() { HasNot = here.GetByText("This browser", new() { Exact = true }) }).GetByRole(AriaRole.Button);
        await other.FocusAsync();
        await here.Keyboard.PressAsync("Enter");
        await Expect(here.GetByText("That session has been signed out.")).ToBeVisibleAsync();
        await Expect(sessions.Locator("tbody tr")).ToHaveCountAsync(1);

        await AssertSentToSignInAsync(elsewhere);
        await here.GotoAsync("/partner/keys");
        await Expect(here.GetByRole(AriaRole.Heading, new() { Name = "API keys", Exact = true })).ToBeVisibleAsync();

        // "Sign out everywhere" ends this one too.
        await here.GotoAsync("/partner/account");
        await here.GetByRole(AriaRole.Button, new() { Name = "Sign out everywhere" }).ClickAsync();
        await Expect(here.GetByText("You have signed out everywhere")).ToBeVisibleAsync();
        await AssertSentToSignInAsync(here);
    }

    [Fact]
    public async Task A_wrong_current_password_is_a_message_beside_the_field()
    {
        var partner = await fixture.App.PartnerAsync();
        var page = await fixture.NewPageAsync();
        await page.SignInAsync(partner, "/partner/account");
        await page.GetByLabel("Current password").FillAsync("not my password");
        await page.GetByLabel("New password").FillAsync("a brand new passphrase 42");
        await page.GetByRole(AriaRole.Button, new() { Name = "Change password" }).ClickAsync();

        await Expect(page.Locator("#current-error")).ToHaveTextAsync("The current password is not correct.");
        await page.GotoAsync("/partner/keys");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "API keys", Exact = true })).ToBeVisibleAsync();
    }

    [Fact]
    public async Task Suspending_the_organisation_ends_the_session_for_good()
    {
        var partner = await fixture.App.PartnerAsync();
        var page = await fixture.NewPageAsync();
        await page.SignInAsync(partner);
        // A second browser's session, not used while the organisation is suspended: after re-activation only the
        // suspension itself can refuse it (its cookie was never refused, so the browser still holds it).
        var unused = await fixture.NewPageAsync();
        await unused.SignInAsync(partner);

        await fixture.App.ProvisionAsync(p => p.SetOrganisationStatusAsync(partner.Organisation.Slug, OrganisationStatus.Suspended, CancellationToken.None));
        await AssertSentToSignInAsync(page);
        await fixture.App.ProvisionAsync(p => p.SetOrganisationStatusAsync(partner.Organisation.Slug, OrganisationStatus.Active, CancellationToken.None));

        Assert.Contains(await unused.Context.CookiesAsync(), c => c.Name.EndsWith("idunox.portal", StringComparison.Ordinal));
        await AssertSentToSignInAsync(unused); // re-activation does not bring a session from before the suspension back
        await unused.SignInAsync(partner); // while a new sign-in works
        await Expect(unused.GetByRole(AriaRole.Heading, new() { Name = "API keys", Exact = true })).ToBeVisibleAsync();
    }

    [Fact]
    public async Task Disabling_the_user_ends_the_session()
    {
        var partner = await fixture.App.PartnerAsync();
        var page = await fixture.NewPageAsync();
        await page.SignInAsync(partner);

        await fixture.App.ProvisionAsync(p => p.SetPartnerUserEnabledAsync(partner.Email, false, CancellationToken.None));

        await AssertSentToSignInAsync(page);
    }

    [Fact]
    public async Task A_session_ends_after_an_idle_hour_and_after_twelve_hours_in_any_case()
    {
        var partner = await fixture.App.PartnerAsync();
        var idle = await fixture.NewPageAsync();
        var busy = await fixture.NewPageAsync();
        await idle.SignInAsync(partner);
        await busy.SignInAsync(partner);

        for (var i = 0; i < 4; i++)
        {
            fixture.App.Clock.Advance(TimeSpan.FromMinutes(40));
            await busy.GotoAsync("/partner/keys");
            Assert.Equal("/partner/keys", new Uri(busy.Url).AbsolutePath);
        }

        await AssertSentToSignInAsync(idle); // 160 minutes without a request

        for (var i = 0; i < 15; i++)
        {
            fixture.App.Clock.Advance(TimeSpan.FromMinutes(50));
            await busy.GotoAsync("/partner/keys");
        }

        Assert.Equal("/partner/sign-in", new Uri(busy.Url).AbsolutePath); // 12 h 50 min after sign-in, busy or not
    }

    [Fact]
    public async Task Too_many_wrong_passwords_show_the_lockout_and_its_wait()
    {
        var partner = await fixture.App.PartnerAsync();
        var page = await fixture.NewPageAsync();
        for (var i = 0; i < 5; i++)
        {
            await page.SignInAsync(partner.Email, "wrong password " + i);
            await Expect(page.GetByText("Invalid e-mail or password.")).ToBeVisibleAsync();
        }

        await page.SignInAsync(partner);

        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("Too many failed sign-ins for this e-mail address.");
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("Try again in 15 minutes.");
        Assert.Equal("/partner/sign-in", new Uri(page.Url).AbsolutePath);
    }

    [Fact]
    public async Task Another_organisations_key_is_as_unknown_as_a_key_that_never_was()
    {
        var owner = await fixture.App.PartnerAsync();
        var stranger = await fixture.App.PartnerAsync();
        var ownerPage = await fixture.NewPageAsync();
        await ownerPage.SignInAsync(owner);
        var key = await ownerPage.CreateKeyAsync("not yours");
        await ownerPage.GotoAsync("/partner/keys");
        var id = (await ownerPage.KeyRow("not yours").GetAttributeAsync("id"))!["key-".Length..];

        var page = await fixture.NewPageAsync();
        await page.SignInAsync(stranger);
        foreach (var path in new[] { $"/partner/keys/{id}/rotate", $"/partner/keys/{id}/revoke", $"/partner/keys/{Guid.NewGuid()}/revoke" })
        {
            var response = await page.GotoAsync(path);
            Assert.Equal(404, response!.Status);
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Page not found" })).ToBeVisibleAsync();
            Assert.DoesNotContain("not yours", await page.ContentAsync(), StringComparison.Ordinal);
        }

        await page.GotoAsync("/partner/keys?q=not%20yours&status=all");
        await Expect(page.GetByText("No keys match this filter.")).ToBeVisibleAsync();
        Assert.Equal(HttpStatusCode.OK, (await fixture.ProbeAsync(key)).StatusCode);
    }
}
