using System.Net;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Idunox.Portal.Tests;

[Collection(BrowserCollection.Name)]
public sealed class SignInTests(PortalFixture fixture)
{
    [Fact]
    public async Task Opening_the_portal_signed_out_leads_to_sign_in_and_back_to_the_asked_page()
    {
        var partner = await fixture.App.PartnerAsync();
        var page = await fixture.NewPageAsync();

        await page.GotoAsync("/partner/audit");
        Assert.Equal("/partner/sign-in", new Uri(page.Url).AbsolutePath);
        Assert.Contains("returnUrl=%2Fpartner%2Faudit", page.Url, StringComparison.Ordinal);

        await page.GetByLabel("E-mail address").FillAsync(partner.Email);
        await page.GetByLabel("Password", new() { Exact = true }).FillAsync(partner.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

        await Expect(page).ToHaveURLAsync(new Uri(fixture.BaseAddress, "/partner/audit").ToString());
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Audit trail" })).ToBeVisibleAsync();
    }

    [Fact]
    public async Task The_root_and_partner_addresses_open_the_keys_page_once_signed_in()
    {
        var partner = await fixture.App.PartnerAsync();
        var page = await fixture.NewPageAsync();
        await page.GotoAsync("/");
        Assert.Equal("/partner/sign-in", new Uri(page.Url).AbsolutePath);
        await page.SignInAsync(partner, "/partner");

        await page.GotoAsync("/");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "API keys", Exact = true })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Create your first key" })).ToBeVisibleAsync();
    }

    [Fact]
    public async Task Kestrel_names_no_server_software_on_pages_or_api_answers()
    {
        using var client = fixture.CreateHttpClient();
        foreach (var path in new[] { "/partner/sign-in", "/v1/partner/config", "/v1/partner-auth-probe", "/no-such-page" })
        {
            var response = await client.GetAsync(new Uri(path, UriKind.Relative));
            Assert.False(response.Headers.Contains("Server"), $"{path} names its server: {string.Join(", ", response.Headers.Server)}");
        }
    }
}
