using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Idunox.Portal.Tests;

/// <summary>Every page as its users see it: both themes, 375 px wide, keyboard only, and a screen reader's view (axe).</summary>
[Collection(BrowserCollection.Name)]
public sealed class LookAndFeelTests(PortalFixture fixture)
{
    private const string DarkBackground = "rgb(15, 20, 25)";
    private const string LightBackground = "rgb(255, 255, 255)";

    /// <summary>A partner with keys in every state worth seeing: active, grace (used after rotation), successor, revoked.</summary>
    private async Task<(TestPartner Partner, IPage Page, Guid ActiveId)> PartnerWithKeysAsync(int width = 1280, string theme = "light")
    {
        var partner = await fixture.App.PartnerAsync();
        var page = await fixture.NewPageAsync(width);
        await page.Context.AddCookiesAsync([new Cookie { Name = Shared.Web.Theme.CookieName, Value = theme, Url = fixture.BaseAddress.ToString() }]);
        await page.SignInAsync(partner);
        await page.CreateKeyAsync("billing sync");
        var old = await page.CreateKeyAsync("orders feed");
        await page.CreateKeyAsync("retired export");
        await page.GotoAsync("/partner/keys");
        await page.KeyRow("orders feed").GetByRole(AriaRole.Link, new() { Name = "Rotate orders feed" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Rotate key" }).ClickAsync();
        await fixture.ProbeAsync(old);
        await page.GotoAsync("/partner/keys");
        await page.KeyRow("retired export").GetByRole(AriaRole.Link, new() { Name = "Revoke retired export" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Revoke key" }).ClickAsync();
        var id = await page.KeyRow("billing sync").GetAttributeAsync("id");
        return (partner, page, Guid.Parse(id!["key-".Length..]));
    }

    private static Task AssertAccessibleAsync(IPage page, string what) => Axe.AssertAccessibleAsync(page, what);

    [Theory]
    [InlineData("light")]
    [InlineData("dark")]
    public async Task Every_page_passes_axe_without_serious_violations_and_is_photographed(string theme)
    {
        var (partner, page, activeId) = await PartnerWithKeysAsync(theme: theme);
        var offerId = await fixture.KeyOfferedByStaffAsync(page, partner, "nightly export");
        var pages = new (string Name, string Path)[]
        {
            ("keys", "/partner/keys"), ("collect-key", $"/partner/keys/collect/{offerId}"), ("create-key", "/partner/keys/new"), ($"rotate-key", $"/partner/keys/{activeId}/rotate"),
            ("revoke-key", $"/partner/keys/{activeId}/revoke"), ("audit", "/partner/audit"), ("account", "/partner/account"),
            ("not-found", $"/partner/keys/{Guid.NewGuid()}/rotate"), ("unavailable", "/error/503"),
        };
        foreach (var (name, path) in pages)
        {
            await page.GotoAsync(path);
            await AssertAccessibleAsync(page, $"{name} ({theme})");
            await Screens.SaveAsync(page, $"{name}-{theme}");
        }

        // The answer that shows a new key once.
        await page.GotoAsync("/partner/keys/new");
        await page.GetByLabel("Name").FillAsync("screenshot");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create key" }).ClickAsync();
        await AssertAccessibleAsync(page, $"key created ({theme})");
        await Screens.SaveAsync(page, $"key-created-{theme}");

        // The answer that shows a key staff made, once, to the partner who collects it.
        await page.GotoAsync($"/partner/keys/collect/{offerId}");
        await page.GetByRole(AriaRole.Button, new() { Name = "Collect the key" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Key collected" })).ToBeVisibleAsync();
        await AssertAccessibleAsync(page, $"key collected ({theme})");
        await Screens.SaveAsync(page, $"key-collected-{theme}");

        // A form with its messages.
        await page.GotoAsync("/partner/keys/new");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create key" }).ClickAsync();
        await AssertAccessibleAsync(page, $"create with errors ({theme})");

        var anonymous = await fixture.NewPageAsync();
        await anonymous.Context.AddCookiesAsync([new Cookie { Name = Shared.Web.Theme.CookieName, Value = theme, Url = fixture.BaseAddress.ToString() }]);
        await anonymous.GotoAsync("/partner/sign-in");
        await AssertAccessibleAsync(anonymous, $"sign-in ({theme})");
        await Screens.SaveAsync(anonymous, $"sign-in-{theme}");
        await anonymous.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await AssertAccessibleAsync(anonymous, $"sign-in with errors ({theme})");
    }

    [Fact]
    public async Task The_theme_switch_persists_across_pages_and_the_first_paint_is_already_dark()
    {
        var partner = await fixture.App.PartnerAsync();
        var page = await fixture.NewPageAsync();
        await page.SignInAsync(partner);
        Assert.Equal(LightBackground, await BackgroundAsync(page));

        await page.GetByRole(AriaRole.Button, new() { Name = "Dark" }).ClickAsync();
        await Expect(page.Locator("html")).ToHaveAttributeAsync("data-theme", "dark");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Dark" })).ToHaveAttributeAsync("aria-pressed", "true");
        await page.ClickAndWaitForPageAsync(page.GetByRole(AriaRole.Link, new() { Name = "Audit trail" }));
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/partner/audit$"));
        await Expect(page.Locator("html")).ToHaveAttributeAsync("data-theme", "dark");
        Assert.Equal(DarkBackground, await BackgroundAsync(page));

        // Without any script, the server renders the chosen theme into the first paint.
        var noScript = await fixture.NewPageAsync(javaScript: false);
        await noScript.Context.AddCookiesAsync([new Cookie { Name = Shared.Web.Theme.CookieName, Value = "dark", Url = fixture.BaseAddress.ToString() }]);
        // (The load event, not DOMContentLoaded: without scripts nothing waits for the stylesheet before that, and the
        // colour is the stylesheet's; what is proven is that no script chose it.)
        await noScript.GotoAsync("/partner/sign-in", new() { WaitUntil = WaitUntilState.Load });
        Assert.Equal(DarkBackground, await BackgroundAsync(noScript));

        // "System" follows the operating system's preference.
        var system = await fixture.NewPageAsync(systemScheme: ColorScheme.Dark);
        await system.GotoAsync("/partner/sign-in");
        await Expect(system.Locator("html")).ToHaveAttributeAsync("data-theme", "system");
        Assert.Equal(DarkBackground, await BackgroundAsync(system));
    }

    [Fact]
    public async Task The_portal_works_at_375_pixels_wide_without_sideways_scrolling()
    {
        var (partner, page, activeId) = await PartnerWithKeysAsync(width: 375);
        var offerId = await fixture.KeyOfferedByStaffAsync(page, partner, "nightly export");
        foreach (var (name, path) in new[] { ("keys", "/partner/keys"), ("collect-key", $"/partner/keys/collect/{offerId}"), ("create-key", "/partner/keys/new"), ("rotate-key", $"/partner/keys/{activeId}/rotate"), ("audit", "/partner/audit"), ("account", "/partner/account"), ("unavailable", "/error/503") })
        {
            await page.GotoAsync(path);
            var overflow = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - document.documentElement.clientWidth");
            Assert.True(overflow <= 0, $"{name} scrolls sideways by {overflow} px at 375 px");
            await Screens.SaveAsync(page, $"{name}-375px");
        }

        await page.GotoAsync("/partner/keys");
        await page.KeyRow("billing sync").GetByRole(AriaRole.Link, new() { Name = "Revoke billing sync" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Revoke key" })).ToBeVisibleAsync();
    }

    [Fact]
    public async Task Everything_is_reachable_by_keyboard_with_visible_focus_and_cancelling_a_confirm_step_returns_focus()
    {
        var (_, page, activeId) = await PartnerWithKeysAsync();
        await page.GotoAsync("/partner/keys");

        await page.Keyboard.PressAsync("Tab");
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Skip to main content" })).ToBeFocusedAsync();
        Assert.NotEqual("none", await page.EvaluateAsync<string>("() => getComputedStyle(document.activeElement).outlineStyle"));

        // Tab to the key's Revoke action and press Enter: the confirm step has its main button focused.
        var revoke = page.Locator($"#revoke-{activeId}");
        for (var i = 0; i < 60 && !await revoke.EvaluateAsync<bool>("e => e === document.activeElement"); i++)
        {
            await page.Keyboard.PressAsync("Tab");
        }

        await Expect(revoke).ToBeFocusedAsync();
        Assert.NotEqual("none", await page.EvaluateAsync<string>("() => getComputedStyle(document.activeElement).outlineStyle"));
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Revoke key" })).ToBeFocusedAsync();

        // Cancel by keyboard: back on the list, focus is on the action that led there.
        await page.Keyboard.PressAsync("Tab");
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Cancel" })).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Enter");
        await Expect(revoke).ToBeFocusedAsync();

        // Create a key by keyboard alone.
        await page.GotoAsync("/partner/keys/new");
        await Expect(page.GetByLabel("Name")).ToBeFocusedAsync();
        await page.Keyboard.TypeAsync("typed by keyboard");
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Key created" })).ToBeVisibleAsync();
    }

    private static Task<string> BackgroundAsync(IPage page) =>
        page.EvaluateAsync<string>("() => getComputedStyle(document.documentElement).backgroundColor");
}
