using System.Net;
using System.Text.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Idunox.Portal.Tests;

/// <summary>Create, copy, use, rotate, watch the grace window, revoke and read the trail — in the browser.</summary>
[Collection(BrowserCollection.Name)]
public sealed class KeyFlowTests(PortalFixture fixture)
{
    [Fact]
    public async Task A_created_key_is_shown_once_copies_to_the_clipboard_works_on_the_probe_and_reloading_does_not_show_it_again()
    {
        var partner = await fixture.App.PartnerAsync();
        var page = await fixture.NewPageAsync();
        await page.Context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"], new() { Origin = fixture.BaseAddress.ToString().TrimEnd('/') });
        await page.SignInAsync(partner);

        var key = await page.CreateKeyAsync("billing sync", days: 90);

        Assert.StartsWith("idx_test_", key, StringComparison.Ordinal);
        await Expect(page.GetByText("You will not see it again.")).ToBeVisibleAsync();
        var response = await page.Context.Pages[0].EvaluateAsync<string>("() => document.querySelector('pre.command code').textContent");
        Assert.Contains(key[..17] + "…", response, StringComparison.Ordinal); // the visible curl line shows the key masked
        Assert.DoesNotContain(key, response, StringComparison.Ordinal);

        await page.GetByRole(AriaRole.Button, new() { Name = "Copy key" }).ClickAsync();
        await Expect(page.GetByText("Copied to the clipboard.")).ToBeVisibleAsync();
        Assert.Equal(key, await page.EvaluateAsync<string>("() => navigator.clipboard.readText()"));

        var probe = await fixture.ProbeAsync(key);
        Assert.Equal(HttpStatusCode.OK, probe.StatusCode);

        // Reloading the answer sends the form again: the one-time form refuses, and no second key is made or shown.
        page.Dialog += (_, dialog) => dialog.AcceptAsync();
        await page.ReloadAsync();
        await Expect(page.GetByText("This form was already sent.")).ToBeVisibleAsync();
        Assert.DoesNotContain(key, await page.ContentAsync(), StringComparison.Ordinal);
        await page.GotoAsync("/partner/keys");
        await Expect(page.Locator("table.list tbody tr")).ToHaveCountAsync(1);
        Assert.DoesNotContain(key, await page.ContentAsync(), StringComparison.Ordinal);
        await Expect(page.KeyRow("billing sync").GetByText("Active")).ToBeVisibleAsync();
        await Expect(page.KeyRow("billing sync")).ToContainTextAsync("expires in 90 days");
        await Expect(page.KeyRow("billing sync")).ToContainTextAsync("just now"); // last used by the probe
    }

    [Fact]
    public async Task A_partner_restricts_a_new_key_to_scopes_sees_them_in_the_list_and_the_rotation_offers_the_same()
    {
        var partner = await fixture.App.PartnerAsync();
        var page = await fixture.NewPageAsync();
        await page.SignInAsync(partner);
        await page.GotoAsync("/partner/keys/new");
        await Expect(page.GetByLabel("Full access: every part of the data API, including parts added later")).ToBeCheckedAsync(); // the default
        await Expect(page.GetByRole(AriaRole.Group, new() { Name = "invoices" })).ToContainTextAsync("See invoices and download them as PDF.");

        // Restricted with nothing ticked: said beside the choice, nothing made.
        await page.GetByLabel("Name").FillAsync("orders feed");
        await page.GetByLabel("Only the scopes ticked below").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Create key" }).ClickAsync();
        await Expect(page.Locator("#scopes-error")).ToContainTextAsync("Choose at least one scope");
        await Axe.AssertAccessibleAsync(page, "create key: access choice with an error");

        await page.GetByLabel("orders:read").CheckAsync();
        await page.GetByLabel("orders:write").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Create key" }).ClickAsync();
        await page.GetByRole(AriaRole.Heading, new() { Name = "Key created" }).WaitForAsync();
        var key = await page.GetByLabel("New API key").InputValueAsync();
        var probe = JsonDocument.Parse(await (await fixture.ProbeAsync(key)).Content.ReadAsStringAsync()).RootElement.GetProperty("credential");
        Assert.Equal(["orders:read", "orders:write"], probe.GetProperty("scopes").EnumerateArray().Select(e => e.GetString()));

        // The list: a "Restricted" badge whose scopes show on keyboard focus, and are its description for screen readers.
        await page.GotoAsync("/partner/keys");
        var badge = page.KeyRow("orders feed").GetByText("Restricted", new() { Exact = true });
        await Expect(badge).ToHaveAccessibleDescriptionAsync("Scopes: orders:read, orders:write");
        await badge.FocusAsync();
        await Expect(page.KeyRow("orders feed").GetByRole(AriaRole.Tooltip)).ToBeVisibleAsync();
        await Screens.SaveAsync(page, "keys-restricted-badge-focused");

        // Rotating offers what the key may call now, ticked.
        await page.KeyRow("orders feed").GetByRole(AriaRole.Link, new() { Name = "Rotate orders feed" }).ClickAsync();
        await Expect(page.GetByLabel("Only the scopes ticked below")).ToBeCheckedAsync();
        await Expect(page.GetByLabel("orders:write")).ToBeCheckedAsync();
        await Expect(page.GetByLabel("invoices:read")).Not.ToBeCheckedAsync();
        foreach (var (theme, width) in new[] { ("light", 1280), ("dark", 375) })
        {
            await page.SetViewportSizeAsync(width, 900);
            await page.EvaluateAsync($"() => document.documentElement.setAttribute('data-theme', '{theme}')");
            await Axe.AssertAccessibleAsync(page, $"rotate key with scopes ({theme}, {width} px)");
            await Screens.SaveAsync(page, $"rotate-key-scopes-{theme}-{width}");
        }
    }

    [Fact]
    public async Task A_partner_renames_and_narrows_a_key_in_place_and_the_same_secret_is_narrowed_at_once()
    {
        var partner = await fixture.App.PartnerAsync();
        var page = await fixture.NewPageAsync();
        await page.SignInAsync(partner);
        var key = await page.CreateKeyAsync("nightly export");
        await page.GotoAsync("/partner/keys");
        await page.KeyRow("nightly export").GetByRole(AriaRole.Link, new() { Name = "Change nightly export" }).ClickAsync();

        await page.GetByLabel("Name").FillAsync("nightly invoices export");
        await page.GetByLabel("Only the scopes ticked below").CheckAsync();
        await page.GetByLabel("invoices:read").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Save changes" }).ClickAsync();
        await Expect(page.GetByText("Key changed.")).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Change “nightly invoices export”" })).ToBeVisibleAsync();

        var probe = JsonDocument.Parse(await (await fixture.ProbeAsync(key)).Content.ReadAsStringAsync()).RootElement.GetProperty("credential");
        Assert.Equal(["invoices:read"], probe.GetProperty("scopes").EnumerateArray().Select(e => e.GetString()));
        foreach (var (theme, width) in new[] { ("light", 375), ("dark", 1280) })
        {
            await page.SetViewportSizeAsync(width, 900);
            await page.EvaluateAsync($"() => document.documentElement.setAttribute('data-theme', '{theme}')");
            await Axe.AssertAccessibleAsync(page, $"change key ({theme}, {width} px)");
            await Screens.SaveAsync(page, $"change-key-{theme}-{width}");
        }

        await page.GotoAsync("/partner/keys");
        await Expect(page.KeyRow("nightly invoices export").GetByText("Restricted", new() { Exact = true })).ToBeVisibleAsync();
    }

    [Fact]
    public async Task A_partner_tries_an_allow_list_in_report_mode_sees_what_it_would_have_refused_then_enforces_it()
    {
        var partner = await fixture.App.PartnerAsync();
        var page = await fixture.NewPageAsync();
        await page.SignInAsync(partner);
        var key = await page.CreateKeyAsync("warehouse sync");
        await page.GotoAsync("/partner/keys");
        await page.KeyRow("warehouse sync").GetByRole(AriaRole.Link, new() { Name = "Change warehouse sync" }).ClickAsync();

        await page.GetByLabel("Report only").CheckAsync();
        await page.GetByLabel("Addresses and ranges, one a line").FillAsync("203.0.113.0/24\n2001:db8::/48");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save changes" }).ClickAsync();
        await Expect(page.GetByText("Key changed.")).ToBeVisibleAsync();

        // The test's calls come from 127.0.0.1, outside the list: served, and reported.
        Assert.Equal(HttpStatusCode.OK, (await fixture.ProbeAsync(key)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await fixture.ProbeAsync(key)).StatusCode);
        await fixture.App.FlushVerificationNotesAsync();
        await page.GotoAsync(page.Url);
        var findings = page.GetByRole(AriaRole.Region, new() { Name = "Would have been refused" });
        await Expect(findings.GetByRole(AriaRole.Row).Filter(new() { HasText = "127.0.0.1" })).ToContainTextAsync("2");
        foreach (var (theme, width) in new[] { ("dark", 375), ("light", 1280) })
        {
            await page.SetViewportSizeAsync(width, 900);
            await page.EvaluateAsync($"() => document.documentElement.setAttribute('data-theme', '{theme}')");
            await Axe.AssertAccessibleAsync(page, $"change key: allow-list findings ({theme}, {width} px)");
            await Screens.SaveAsync(page, $"change-key-allow-list-{theme}-{width}");
        }

        // A typo is named beside the field; nothing changes.
        await page.GetByLabel("Only from the addresses below").CheckAsync();
        await page.GetByLabel("Addresses and ranges, one a line").FillAsync("203.0.113.1/24");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save changes" }).ClickAsync();
        await Expect(page.Locator("#ip-error")).ToContainTextAsync("did you mean 203.0.113.0/24?");
        Assert.Equal(HttpStatusCode.OK, (await fixture.ProbeAsync(key)).StatusCode);

        await page.GetByLabel("Addresses and ranges, one a line").FillAsync("203.0.113.0/24");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save changes" }).ClickAsync();
        await Expect(page.GetByText("Key changed.")).ToBeVisibleAsync();
        Assert.Equal(HttpStatusCode.Forbidden, (await fixture.ProbeAsync(key)).StatusCode);
    }

    [Fact]
    public async Task A_partner_gives_a_key_a_rate_limit_a_wrong_number_is_named_beside_its_box_and_the_limit_holds_at_once()
    {
        var partner = await fixture.App.PartnerAsync();
        var page = await fixture.NewPageAsync();
        await page.SignInAsync(partner);
        var key = await page.CreateKeyAsync("price feed");
        await page.GotoAsync("/partner/keys");
        await page.KeyRow("price feed").GetByRole(AriaRole.Link, new() { Name = "Change price feed" }).ClickAsync();

        await page.GetByLabel("Requests a second").FillAsync("0");
        await page.GetByLabel("Requests a minute").FillAsync("600");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save changes" }).ClickAsync();
        await Expect(page.Locator("#rate-second-error")).ToContainTextAsync("whole number from 1");
        await Expect(page.GetByLabel("Requests a minute")).ToHaveValueAsync("600"); // what was typed stays
        foreach (var (theme, width) in new[] { ("dark", 1280), ("light", 375) })
        {
            await page.SetViewportSizeAsync(width, 900);
            await page.EvaluateAsync($"() => document.documentElement.setAttribute('data-theme', '{theme}')");
            await Axe.AssertAccessibleAsync(page, $"change key: rate limit error ({theme}, {width} px)");
            await Screens.SaveAsync(page, $"change-key-rate-limit-{theme}-{width}");
        }

        await page.GetByLabel("Requests a second").FillAsync("1");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save changes" }).ClickAsync();
        await Expect(page.GetByText("Key changed.")).ToBeVisibleAsync();
        await Expect(page.GetByLabel("Requests a second")).ToHaveValueAsync("1");

        Assert.Equal(HttpStatusCode.OK, (await fixture.ProbeAsync(key)).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await fixture.ProbeAsync(key)).StatusCode); // the test's clock stands still
    }

    [Fact]
    public async Task Every_step_works_with_JavaScript_switched_off()
    {
        var partner = await fixture.App.PartnerAsync();
        var page = await fixture.NewPageAsync(javaScript: false);
        await page.SignInAsync(partner);

        var key = await page.CreateKeyAsync("no script");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Copy key" })).ToBeHiddenAsync(); // an enhancement only
        await page.GotoAsync("/partner/keys");
        await page.KeyRow("no script").GetByRole(AriaRole.Link, new() { Name = "Rotate no script" }).ClickAsync();
        await page.GetByLabel("72 hours").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Rotate key" }).ClickAsync();
        await Expect(page.GetByText("keeps working until")).ToContainTextAsync("in 72 hours");
        await page.GotoAsync("/partner/keys");
        await page.GetByRole(AriaRole.Button, new() { Name = "Dark" }).ClickAsync();
        await Expect(page.Locator("html")).ToHaveAttributeAsync("data-theme", "dark");
        var grace = page.KeyRow("no script").Filter(new() { Has = page.GetByText("Grace", new() { Exact = true }) });
        await grace.GetByRole(AriaRole.Link, new() { Name = "Revoke no script" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Revoke key" }).ClickAsync();
        await Expect(page.GetByText("Key revoked.")).ToBeVisibleAsync();
        Assert.Equal(HttpStatusCode.Unauthorized, (await fixture.ProbeAsync(key)).StatusCode);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Expect(page.GetByText("You have signed out.")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task Leaving_the_page_before_copying_the_new_key_asks_first()
    {
        var partner = await fixture.App.PartnerAsync();
        var page = await fixture.NewPageAsync();
        await page.Context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"], new() { Origin = fixture.BaseAddress.ToString().TrimEnd('/') });
        await page.SignInAsync(partner);
        await page.CreateKeyAsync("leave warning");
        var dialogs = new List<string>();
        page.Dialog += async (_, dialog) =>
        {
            dialogs.Add(dialog.Type);
            await dialog.DismissAsync(); // stay on the page
        };

        await page.GetByRole(AriaRole.Link, new() { Name = "Audit trail" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Key created" })).ToBeVisibleAsync();
        Assert.Equal(["beforeunload"], dialogs);

        // Once copied, leaving is quiet.
        await page.GetByRole(AriaRole.Button, new() { Name = "Copy key" }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Audit trail" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Audit trail" })).ToBeVisibleAsync();
        Assert.Single(dialogs);
    }

    [Fact]
    public async Task The_answer_with_the_secret_is_never_stored_and_the_secret_is_in_no_cookie_url_or_log()
    {
        var partner = await fixture.App.PartnerAsync();
        var page = await fixture.NewPageAsync();
        await page.SignInAsync(partner);
        await page.GotoAsync("/partner/keys/new");
        await page.GetByLabel("Name").FillAsync("no traces");
        var answer = await page.RunAndWaitForResponseAsync(
            () => page.GetByRole(AriaRole.Button, new() { Name = "Create key" }).ClickAsync(),
            r => r.Request.Method == "POST");
        var key = await page.GetByLabel("New API key").InputValueAsync();

        Assert.Contains("no-store", (await answer.AllHeadersAsync())["cache-control"].Split(',', StringSplitOptions.TrimEntries));
        Assert.DoesNotContain(key, page.Url, StringComparison.Ordinal);
        var cookies = await page.Context.CookiesAsync();
        Assert.DoesNotContain(cookies, c => c.Value.Contains(key, StringComparison.Ordinal));
        Assert.DoesNotContain(fixture.App.Logs.Lines, l => l.Contains(key, StringComparison.Ordinal) || l.Contains(key[9..], StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_name_that_breaks_the_rules_gets_a_message_beside_the_field_and_keeps_what_was_typed()
    {
        var partner = await fixture.App.PartnerAsync();
        var page = await fixture.NewPageAsync();
        await page.SignInAsync(partner);
        await page.GotoAsync("/partner/keys/new");
        await page.GetByLabel("Name").FillAsync("evil\u202Ename");
        await page.GetByLabel("Valid for (days)").FillAsync("400");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create key" }).ClickAsync();

        await Expect(page.Locator("#name-error")).ToContainTextAsync("may not contain control characters");
        await Expect(page.Locator("#expiresInDays-error")).ToContainTextAsync("from 1 to 365");
        await Expect(page.GetByLabel("Name")).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(page.GetByLabel("Valid for (days)")).ToHaveValueAsync("400");

        // The corrected form goes through: the failed attempt did not use up the form.
        await page.GetByLabel("Name").FillAsync("good name");
        await page.GetByLabel("Valid for (days)").FillAsync("30");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create key" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Key created" })).ToBeVisibleAsync();
    }

    [Fact]
    public async Task Rotating_with_48_hours_keeps_both_keys_working_shows_the_countdown_and_warns_while_the_old_key_is_still_used()
    {
        var partner = await fixture.App.PartnerAsync();
        var page = await fixture.NewPageAsync();
        await page.SignInAsync(partner);
        var oldKey = await page.CreateKeyAsync("orders feed");
        await page.GotoAsync("/partner/keys");

        await page.KeyRow("orders feed").GetByRole(AriaRole.Link, new() { Name = "Rotate orders feed" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Rotate “orders feed”" })).ToBeVisibleAsync();
        await Expect(page.GetByLabel("24 hours")).ToBeCheckedAsync(); // the default
        await page.GetByLabel("48 hours").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Rotate key" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Key rotated" })).ToBeVisibleAsync();
        var newKey = await page.GetByLabel("New API key").InputValueAsync();
        await Expect(page.GetByText("keeps working until")).ToContainTextAsync("in 48 hours");

        Assert.Equal(HttpStatusCode.OK, (await fixture.ProbeAsync(newKey)).StatusCode);
        await page.GotoAsync("/partner/keys");
        var rows = page.KeyRow("orders feed");
        await Expect(rows).ToHaveCountAsync(2);
        var oldRow = rows.Filter(new() { Has = page.GetByText("Grace", new() { Exact = true }) });
        await Expect(oldRow).ToContainTextAsync("grace ends in 48 hours");
        await Expect(oldRow).ToContainTextAsync($"Replaced by {newKey[..17]}…");
        await Expect(page.GetByText("has not been used since it was replaced")).ToBeVisibleAsync();

        // Four minutes later some system still sends the old key: the page says so, with the time left.
        fixture.App.Clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(HttpStatusCode.OK, (await fixture.ProbeAsync(oldKey)).StatusCode);
        fixture.App.Clock.Advance(TimeSpan.FromMinutes(4));
        await page.ReloadAsync();
        await Expect(page.GetByText($"{oldKey[..17]}… (“orders feed”) was used 4 minutes ago and stops working in 48 hours")).ToBeVisibleAsync();

        // After the overlap, the old key stops working by itself.
        fixture.App.Clock.Advance(TimeSpan.FromHours(48));
        Assert.Equal(HttpStatusCode.Unauthorized, (await fixture.ProbeAsync(oldKey)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await fixture.ProbeAsync(newKey)).StatusCode);
    }

    [Fact]
    public async Task Revoking_asks_first_naming_the_key_and_the_key_fails_on_the_next_call()
    {
        var partner = await fixture.App.PartnerAsync();
        var page = await fixture.NewPageAsync();
        await page.SignInAsync(partner);
        var key = await page.CreateKeyAsync("old integration");
        await page.GotoAsync("/partner/keys");

        await page.KeyRow("old integration").GetByRole(AriaRole.Link, new() { Name = "Revoke old integration" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Revoke “old integration”" })).ToBeVisibleAsync();
        await Expect(page.Locator("main")).ToContainTextAsync($"({key[..17]}…) stops working at once");
        Assert.Equal(HttpStatusCode.OK, (await fixture.ProbeAsync(key)).StatusCode); // asking changed nothing

        await page.GetByRole(AriaRole.Button, new() { Name = "Revoke key" }).ClickAsync();
        await Expect(page.GetByText("Key revoked.")).ToBeVisibleAsync();
        await Expect(page.KeyRow("old integration").GetByText("Revoked", new() { Exact = true })).ToBeVisibleAsync();
        var probe = await fixture.ProbeAsync(key);
        Assert.Equal(HttpStatusCode.Unauthorized, probe.StatusCode);
        Assert.Equal("api_key_revoked", JsonDocument.Parse(await probe.Content.ReadAsStringAsync()).RootElement.GetProperty("code").GetString());

        // Revoking again is harmless: the page says there is nothing more to do.
        await page.GoBackAsync();
        await page.ReloadAsync();
        await Expect(page.GetByText("There is nothing more to do.")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task The_audit_trail_shows_who_did_what_to_which_key_from_where()
    {
        var partner = await fixture.App.PartnerAsync();
        var page = await fixture.NewPageAsync();
        await page.SignInAsync(partner);
        var key = await page.CreateKeyAsync("audited");
        await page.GotoAsync("/partner/keys");
        await page.KeyRow("audited").GetByRole(AriaRole.Link, new() { Name = "Revoke audited" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Revoke key" }).ClickAsync();

        await page.GetByRole(AriaRole.Link, new() { Name = "Audit trail" }).ClickAsync();
        var rows = page.Locator("table.list tbody tr");
        await Expect(rows).ToHaveCountAsync(2);
        await Expect(rows.Nth(0)).ToContainTextAsync("Revoked");
        await Expect(rows.Nth(1)).ToContainTextAsync("Created");
        foreach (var i in new[] { 0, 1 })
        {
            await Expect(rows.Nth(i)).ToContainTextAsync(partner.Email);
            await Expect(rows.Nth(i)).ToContainTextAsync($"{key[..17]}…");
            await Expect(rows.Nth(i)).ToContainTextAsync("127.0.0.1");
        }
    }
}
