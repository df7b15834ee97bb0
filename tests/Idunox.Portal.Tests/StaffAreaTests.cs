using Idunox.Shared.Errors;
using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Idunox.Portal.Tests;

/// <summary>The staff area in a real browser: sign-in with a second factor, organisations, the staff log and the job dashboard.</summary>
[Collection(BrowserCollection.Name)]
public sealed class StaffAreaTests(PortalFixture fixture)
{
    private Task<(TestStaff Staff, IPage Page, string Key)> SignedInStaffAsync(bool ops = false, string theme = "light", int width = 1280) =>
        fixture.SignedInStaffAsync(ops, theme, width);

    [Fact]
    public async Task The_first_sign_in_enrols_an_authenticator_with_a_server_made_QR_code_and_ten_recovery_codes()
    {
        var staff = await fixture.App.StaffAsync();
        var page = await fixture.NewPageAsync();

        await page.GotoAsync("/admin/organisations");
        Assert.Equal("/admin/sign-in", new Uri(page.Url).AbsolutePath);
        await page.PasswordStepAsync(staff, page.Url);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Set up your authenticator" })).ToBeVisibleAsync();
        var qr = page.GetByRole(AriaRole.Img, new() { NameRegex = new System.Text.RegularExpressions.Regex("QR code") });
        Assert.StartsWith("data:image/svg+xml;base64,", await qr.GetAttributeAsync("src"), StringComparison.Ordinal);
        var key = (await page.GetByLabel("Authenticator key").InnerTextAsync()).Replace(" ", "", StringComparison.Ordinal).ToUpperInvariant();
        Assert.Matches("^[A-Z2-7]{32}$", key);

        // The staff area is closed until the second factor is done.
        var closed = await page.Context.APIRequest.GetAsync("/admin/organisations", new() { MaxRedirects = 0, Headers = new Dictionary<string, string> { ["Accept"] = "text/html" } });
        Assert.Equal(302, closed.Status);

        await page.GetByLabel("Code from the app").FillAsync("000000" == fixture.App.FreshCode(key) ? "111111" : "000000");
        await page.GetByRole(AriaRole.Button, new() { Name = "Turn on two-factor sign-in" }).ClickAsync();
        await Expect(page.GetByText("That code did not work.")).ToBeVisibleAsync();

        await page.GetByLabel("Code from the app").FillAsync(fixture.App.Code(key));
        await page.GetByRole(AriaRole.Button, new() { Name = "Turn on two-factor sign-in" }).ClickAsync();
        var codes = await page.GetByRole(AriaRole.List, new() { Name = "Recovery codes" }).Locator("li").AllInnerTextsAsync();
        Assert.Equal(10, codes.Distinct().Count());
        await page.GetByRole(AriaRole.Link, new() { Name = "I have stored them — continue" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Uri(fixture.BaseAddress, "/admin/organisations").ToString());

        // The recovery codes are not in the database as they were shown.
        var stored = await fixture.ScalarAsync<long>(
            $"SELECT count(*) FROM identity.staff_user_tokens WHERE user_id = '{staff.User.Id}' AND value LIKE '%{codes[0].Trim()}%'");
        Assert.Equal(0, stored);
    }

    [Fact]
    public async Task Two_browsers_with_the_same_password_see_different_keys_and_the_one_that_did_not_enrol_opens_nothing()
    {
        var staff = await fixture.App.StaffAsync();
        var member = await fixture.NewPageAsync();
        var attacker = await fixture.NewPageAsync();
        await member.PasswordStepAsync(staff);
        await attacker.PasswordStepAsync(staff);
        string KeyOf(string shown) => shown.Replace(" ", "", StringComparison.Ordinal).ToUpperInvariant();
        var memberKey = KeyOf(await member.GetByLabel("Authenticator key").InnerTextAsync());
        var attackerKey = KeyOf(await attacker.GetByLabel("Authenticator key").InnerTextAsync());
        Assert.NotEqual(memberKey, attackerKey);

        // A reload shows the browser its own key again.
        await member.ReloadAsync();
        Assert.Equal(memberKey, KeyOf(await member.GetByLabel("Authenticator key").InnerTextAsync()));

        await member.GetByLabel("Code from the app").FillAsync(fixture.App.FreshCode(memberKey));
        await member.GetByRole(AriaRole.Button, new() { Name = "Turn on two-factor sign-in" }).ClickAsync();
        await Expect(member.GetByRole(AriaRole.Heading, new() { Name = "Your recovery codes" })).ToBeVisibleAsync();

        // The other browser's enrolment cannot finish, and its key opens nothing later.
        await attacker.GetByLabel("Code from the app").FillAsync(fixture.App.FreshCode(attackerKey));
        await attacker.GetByRole(AriaRole.Button, new() { Name = "Turn on two-factor sign-in" }).ClickAsync();
        await Expect(attacker.GetByRole(AriaRole.Heading, new() { Name = "Your recovery codes" })).ToHaveCountAsync(0);
        var later = await fixture.NewPageAsync();
        await later.SignInWithCodeAsync(staff, fixture.App.FreshCode(attackerKey));
        await Expect(later.GetByText("That code did not work.")).ToBeVisibleAsync();
        Assert.Equal("/admin/sign-in/code", new Uri(later.Url).AbsolutePath);

        // A code the member typed once opens no second session.
        var code = fixture.App.FreshCode(memberKey);
        var first = await fixture.NewPageAsync();
        await first.SignInWithCodeAsync(staff, code);
        await Expect(first.GetByRole(AriaRole.Heading, new() { Name = "Organisations", Exact = true })).ToBeVisibleAsync();
        var replay = await fixture.NewPageAsync();
        await replay.SignInWithCodeAsync(staff, code);
        await Expect(replay.GetByText("That code did not work.")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task Later_sign_ins_ask_for_a_code_and_a_recovery_code_works_once()
    {
        var staff = await fixture.App.StaffAsync();
        var first = await fixture.NewPageAsync();
        var (key, codes) = await first.EnrolAsync(fixture.App, staff);

        var wrong = await fixture.NewPageAsync();
        await wrong.SignInWithCodeAsync(staff, "123 456" == fixture.App.FreshCode(key) ? "654321" : "123456");
        await Expect(wrong.GetByText("That code did not work.")).ToBeVisibleAsync();
        await wrong.GetByLabel("Authenticator code").FillAsync(fixture.App.Code(key));
        await wrong.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(wrong.GetByRole(AriaRole.Heading, new() { Name = "Organisations", Exact = true })).ToBeVisibleAsync();

        var recovery = await fixture.NewPageAsync();
        await recovery.SignInWithCodeAsync(staff, codes[3]);
        await Expect(recovery.GetByText("You signed in with a recovery code.")).ToBeVisibleAsync();
        await Expect(recovery.GetByText("9 recovery codes left")).ToBeVisibleAsync();

        var again = await fixture.NewPageAsync();
        await again.SignInWithCodeAsync(staff, codes[3]);
        await Expect(again.GetByText("That code did not work.")).ToBeVisibleAsync();
        Assert.Equal("/admin/sign-in/code", new Uri(again.Url).AbsolutePath);
    }

    [Fact]
    public async Task Resetting_the_authenticator_ends_the_session_and_the_next_sign_in_enrols_again()
    {
        var (staff, page, _) = await SignedInStaffAsync();
        await using (var scope = fixture.App.Services.CreateAsyncScope())
        {
            var reset = await scope.ServiceProvider.GetRequiredService<Identity.Contracts.IStaffAccounts>().ResetAuthenticatorAsync(staff.Email, CancellationToken.None);
            Assert.True(reset.Succeeded);
        }

        await page.GotoAsync("/admin");
        Assert.Equal("/admin/sign-in", new Uri(page.Url).AbsolutePath);
        await page.PasswordStepAsync(staff);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Set up your authenticator" })).ToBeVisibleAsync();
    }

    [Fact]
    public async Task A_partner_session_opens_no_staff_page_and_a_staff_session_no_portal_page()
    {
        var partner = await fixture.App.PartnerAsync();
        var partnerPage = await fixture.NewPageAsync();
        await partnerPage.SignInAsync(partner);
        foreach (var path in new[] { "/admin", "/admin/actions", "/hangfire" })
        {
            await partnerPage.GotoAsync(path);
            Assert.Equal("/admin/sign-in", new Uri(partnerPage.Url).AbsolutePath);
        }

        var (_, staffPage, _) = await SignedInStaffAsync(ops: true);
        await staffPage.GotoAsync("/partner/keys");
        Assert.Equal("/partner/sign-in", new Uri(staffPage.Url).AbsolutePath);
        var cookies = await staffPage.Context.CookiesAsync();
        var admin = Assert.Single(cookies, c => c.Name == "idunox.admin");
        Assert.True(admin.HttpOnly);
        Assert.Equal(SameSiteAttribute.Strict, admin.SameSite);
    }

    [Fact]
    public async Task Staff_add_an_organisation_and_suspending_it_with_a_reason_ends_its_sessions_and_tokens_and_is_logged()
    {
        var (staff, page, _) = await SignedInStaffAsync();
        var slug = $"acme-{Guid.NewGuid():N}"[..20];
        await page.GetByRole(AriaRole.Link, new() { Name = "Add organisation" }).First.ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Add organisation" }).ClickAsync();
        await Expect(page.Locator("#name-error")).ToBeVisibleAsync();
        await Expect(page.Locator("#slug-error")).ToHaveCountAsync(0);
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("Acme Logistics");
        await page.GetByLabel("Short name (slug)").FillAsync(slug);
        await page.GetByRole(AriaRole.Button, new() { Name = "Add organisation" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Acme Logistics" })).ToBeVisibleAsync();
        await Expect(page.GetByText("Organisation added.")).ToBeVisibleAsync();

        // A partner of that organisation, signed in to the portal and holding a bearer token.
        var user = await fixture.App.ProvisionAsync(p => p.AddPartnerUserAsync(slug, $"it@{slug}.example", "Acme IT", Arrange.DefaultPassword, CancellationToken.None));
        var partnerPage = await fixture.NewPageAsync();
        await partnerPage.SignInAsync(user.Email, Arrange.DefaultPassword);
        await Expect(partnerPage.GetByRole(AriaRole.Heading, new() { Name = "API keys", Exact = true })).ToBeVisibleAsync();
        var token = await fixture.App.SignInAsync(user.Email, Arrange.DefaultPassword);

        await page.ReloadAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Suspend organisation" }).ClickAsync();
        await Expect(page.Locator("#reason-error")).ToBeVisibleAsync();
        await page.GetByLabel("Reason").FillAsync("Contract ended (ticket OPS-1234)");
        await page.GetByRole(AriaRole.Button, new() { Name = "Suspend organisation" }).ClickAsync();
        await Expect(page.GetByText("Organisation suspended.")).ToBeVisibleAsync();

        await partnerPage.GotoAsync("/partner/keys");
        Assert.Equal("/partner/sign-in", new Uri(partnerPage.Url).AbsolutePath);
        using (var client = fixture.CreateHttpClient())
        using (var request = new HttpRequestMessage(HttpMethod.Get, "/v1/partner/me"))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(request)).StatusCode);
        }

        await page.GetByRole(AriaRole.Link, new() { Name = "What staff did for this organisation" }).ClickAsync();
        var rows = page.Locator("table.list tbody tr");
        await Expect(rows).ToHaveCountAsync(2);
        await Expect(rows.First).ToContainTextAsync("Suspended the organisation");
        await Expect(rows.First).ToContainTextAsync("Contract ended (ticket OPS-1234)");
        await Expect(rows.First).ToContainTextAsync(staff.Email);
        await Expect(rows.Nth(1)).ToContainTextAsync("Created the organisation");

        await page.GotoAsync($"/admin/organisations?q={slug}&status=suspended");
        await Expect(page.Locator("table.list tbody tr")).ToHaveCountAsync(1);
        await page.GotoAsync($"/admin/organisations?q={slug}&status=active");
        await Expect(page.GetByText("No organisation matches this filter.")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task A_form_posted_from_another_site_is_refused()
    {
        var (_, page, _) = await SignedInStaffAsync();
        var before = (await fixture.App.ProvisionAsync<IReadOnlyList<Identity.Contracts.OrganisationInfo>>(async p =>
            Idunox.Shared.Errors.Outcome<IReadOnlyList<Identity.Contracts.OrganisationInfo>>.Ok(await p.ListOrganisationsAsync(CancellationToken.None)))).Count;

        // The staff cookie is SameSite=Strict, and the form carries no antiforgery token of ours.
        var response = await page.Context.APIRequest.PostAsync("/admin/organisations/new", new()
        {
            Form = page.FormOf(("_handler", "new-organisation"), ("Input.Name", "Forged Inc")),
            Headers = new Dictionary<string, string> { ["Origin"] = "https://evil.example" },
            MaxRedirects = 0,
        });
        Assert.Equal(400, response.Status);
        var after = (await fixture.App.ProvisionAsync<IReadOnlyList<Identity.Contracts.OrganisationInfo>>(async p =>
            Idunox.Shared.Errors.Outcome<IReadOnlyList<Identity.Contracts.OrganisationInfo>>.Ok(await p.ListOrganisationsAsync(CancellationToken.None)))).Count;
        Assert.Equal(before, after);
    }

    [Fact]
    public async Task The_jobs_page_shows_the_mail_waiting_with_the_oldest_ones_age_and_the_latest_error()
    {
        var (_, page, _) = await SignedInStaffAsync();
        var database = fixture.DatabaseConnectionString!;
        var tag = $"waiting-{Guid.NewGuid():N}";
        // Three e-mails the mail server keeps refusing, queued three days ago (older than anything the other tests queue).
        await BulkRows.InsertDueEmailsAsync(database, tag, 3, fixture.App.Clock.GetUtcNow().UtcDateTime.AddDays(-3));
        await BulkRows.ScalarAsync(database, "UPDATE notifications.outgoing_emails SET attempts = 4, last_error = 'SmtpCommandException: mailbox busy', " +
            "next_attempt_at = now() + interval '1 hour' WHERE dedupe_key LIKE @tag", ("tag", tag + ":%"));
        try
        {
            var waiting = await BulkRows.ScalarAsync(database, "SELECT count(*) FROM notifications.outgoing_emails WHERE sent_at IS NULL");
            var events = await BulkRows.ScalarAsync(database, "SELECT count(*) FROM credentials.outbox_messages WHERE processed_at IS NULL");
            await page.GotoAsync("/admin/jobs");

            var queues = page.GetByRole(AriaRole.Region, new() { Name = "What waits to go out" });
            await Expect(queues.Locator("dd").Nth(0)).ToContainTextAsync($"{waiting} e-mails waiting to be sent, the oldest queued 3 days ago.");
            await Expect(queues.Locator("dd").Nth(0)).ToContainTextAsync("could not be sent and will be tried again (1 to 60 minutes apart). The latest error: SmtpCommandException: mailbox busy");
            await Expect(queues.Locator("dd").Nth(1)).ToContainTextAsync(events == 0 ? "None waiting" : $"{events} event{(events == 1 ? "" : "s")} waiting to be delivered");
            await AssertAccessibleAsync(page, "jobs with mail waiting");
        }
        finally
        {
            await BulkRows.ScalarAsync(database, "UPDATE notifications.outgoing_emails SET sent_at = now() WHERE dedupe_key LIKE @tag", ("tag", tag + ":%"));
        }
    }

    [Fact]
    public async Task The_job_dashboard_is_read_only_for_staff_and_full_for_ops_and_refuses_everyone_else()
    {
        using (var client = fixture.CreateHttpClient())
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync(new Uri("/hangfire", UriKind.Relative))).StatusCode);
        }

        // A signed-out browser is sent to the staff sign-in and comes back to the dashboard.
        var staff = await fixture.App.StaffAsync();
        var page = await fixture.NewPageAsync();
        await page.GotoAsync("/hangfire/recurring");
        Assert.Equal("/admin/sign-in", new Uri(page.Url).AbsolutePath);
        await page.EnrolAsync(fixture.App, staff, page.Url);
        await page.GetByRole(AriaRole.Link, new() { Name = "I have stored them — continue" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Uri(fixture.BaseAddress, "/hangfire/recurring").ToString());
        await Expect(page.GetByText("grace-sweep").First).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Trigger now" })).ToHaveCountAsync(0);
        var trigger = await page.Context.APIRequest.PostAsync("/hangfire/recurring/trigger", new() { Form = page.FormOf(("jobs[]", "grace-sweep")), MaxRedirects = 0 });
        Assert.NotEqual(204, trigger.Status);
        Assert.NotEqual(200, trigger.Status);

        var (_, ops, _) = await SignedInStaffAsync(ops: true);
        await ops.GotoAsync("/admin/jobs");
        var sweep = ops.Locator("table.list tbody tr", new() { HasText = "grace-sweep" });
        await Expect(sweep).ToContainTextAsync("*/5 * * * *");
        await ops.GetByRole(AriaRole.Link, new() { Name = "Open the job dashboard" }).ClickAsync();
        await ops.GotoAsync("/hangfire/recurring");
        await Expect(ops.GetByRole(AriaRole.Button, new() { Name = "Trigger now" })).ToBeVisibleAsync();
        await Screens.SaveAsync(ops, "admin-hangfire");

        // Triggered from the dashboard, the run shows on the staff area's job page.
        await ops.Locator("tr", new() { HasText = "grace-sweep" }).Locator("input[type=checkbox]").CheckAsync();
        var triggered = await ops.RunAndWaitForResponseAsync(() => ops.GetByRole(AriaRole.Button, new() { Name = "Trigger now" }).ClickAsync(),
            r => r.Url.Contains("/hangfire/recurring/trigger", StringComparison.Ordinal));
        Assert.True(triggered.Ok, $"trigger answered {triggered.Status}");
        // The dashboard reloads itself after a command; look from a second tab so that reload cannot abort our navigation.
        var jobs = await ops.Context.NewPageAsync();
        await jobs.GotoAsync("/admin/jobs");
        await Expect(jobs.Locator("table.list tbody tr", new() { HasText = "grace-sweep" })).Not.ToContainTextAsync("not run yet");
    }

    [Fact]
    public async Task Staff_give_a_partners_key_a_rate_limit_with_a_reason_and_it_holds_on_the_data_API_at_once()
    {
        var partner = await fixture.App.PartnerAsync();
        var keyPage = await fixture.NewPageAsync();
        var key = await keyPage.SignInThenCreateKeyAsync(partner, "bulk export");
        var keyId = await fixture.ScalarAsync<Guid>($"SELECT id FROM credentials.api_keys WHERE tenant_id = '{partner.Organisation.Id}' LIMIT 1");
        var (_, page, _) = await fixture.SignedInStaffAsync();
        await page.GotoAsync($"/admin/organisations/{partner.Organisation.Slug}/keys/{keyId}/change");

        await page.GetByLabel("Requests a minute").FillAsync("2");
        await page.GetByLabel("Reason").FillAsync("Ticket OPS-88: the export floods the data API");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save changes" }).ClickAsync();
        await Expect(page.GetByText("Key changed.")).ToBeVisibleAsync();
        await Expect(page.GetByLabel("Requests a minute")).ToHaveValueAsync("2");

        Assert.Equal(System.Net.HttpStatusCode.OK, (await fixture.ProbeAsync(key)).StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await fixture.ProbeAsync(key)).StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.TooManyRequests, (await fixture.ProbeAsync(key)).StatusCode);
        await page.GotoAsync("/admin/actions");
        await Expect(page.GetByText("rate limit 2 a minute").First).ToBeVisibleAsync();
    }

    [Theory]
    [InlineData("light")]
    [InlineData("dark")]
    public async Task Every_staff_page_passes_axe_and_is_photographed(string theme)
    {
        var anonymous = await fixture.NewPageAsync();
        await anonymous.Context.AddCookiesAsync([new Microsoft.Playwright.Cookie { Name = Shared.Web.Theme.CookieName, Value = theme, Url = fixture.BaseAddress.ToString() }]);
        var staffMember = await fixture.App.StaffAsync();
        await anonymous.GotoAsync("/admin/sign-in");
        await AssertAccessibleAsync(anonymous, $"staff sign-in ({theme})");
        await Screens.SaveAsync(anonymous, $"admin-sign-in-{theme}");
        await anonymous.PasswordStepAsync(staffMember);
        await AssertAccessibleAsync(anonymous, $"enrolment ({theme})");
        await Screens.SaveAsync(anonymous, $"admin-enrol-{theme}");

        var partner = await fixture.App.PartnerAsync();
        var keyPage = await fixture.NewPageAsync();
        await keyPage.SignInThenCreateKeyAsync(partner, "orders feed");
        var keyId = await fixture.ScalarAsync<Guid>($"SELECT id FROM credentials.api_keys WHERE tenant_id = '{partner.Organisation.Id}' LIMIT 1");
        var (enrolled, page, _) = await fixture.SignedInStaffAsync(theme: theme, admin: true);
        var colleague = await fixture.App.StaffAsync();
        var slug = partner.Organisation.Slug;
        var codeStep = await fixture.NewPageAsync();
        await codeStep.Context.AddCookiesAsync([new Microsoft.Playwright.Cookie { Name = Shared.Web.Theme.CookieName, Value = theme, Url = fixture.BaseAddress.ToString() }]);
        await codeStep.PasswordStepAsync(enrolled);
        await Expect(codeStep.GetByLabel("Authenticator code")).ToBeVisibleAsync();
        await AssertAccessibleAsync(codeStep, $"code step ({theme})");
        await Screens.SaveAsync(codeStep, $"admin-code-{theme}");
        foreach (var (name, path) in new[]
                 {
                     ("organisations", "/admin"), ("new-organisation", "/admin/organisations/new"),
                     ("organisation", $"/admin/organisations/{slug}"), ("invite", $"/admin/organisations/{slug}/invite"),
                     ("revoke-key", $"/admin/organisations/{slug}/keys/{keyId}/revoke"), ("rotate-key", $"/admin/organisations/{slug}/keys/{keyId}/rotate"), ("change-key", $"/admin/organisations/{slug}/keys/{keyId}/change"),
                     ("staff-log", "/admin/actions"), ("jobs", "/admin/jobs"), ("not-found", "/admin/organisations/no-such-organisation"),
                     ("staff", "/admin/staff"), ("staff-invite", "/admin/staff/invite"), ("staff-member", $"/admin/staff/{colleague.User.Id}"),
                     ("account", "/admin/account"),
                 })
        {
            await page.GotoAsync(path);
            await AssertAccessibleAsync(page, $"{name} ({theme})");
            await Screens.SaveAsync(page, $"admin-{name}-{theme}");
        }

        // The answers that show a secret once, and a form with its messages.
        await page.GotoAsync($"/admin/organisations/{slug}/invite");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create invitation" }).ClickAsync();
        await AssertAccessibleAsync(page, $"invite with errors ({theme})");
        await page.GetByLabel("E-mail address").FillAsync($"axe-{Guid.NewGuid():N}@partner.example");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create invitation" }).ClickAsync();
        await AssertAccessibleAsync(page, $"invitation ready ({theme})");
        await Screens.SaveAsync(page, $"admin-invitation-{theme}");
        var link = new Uri(await page.GetByRole(AriaRole.Textbox, new() { Name = "Invitation link" }).InputValueAsync()).PathAndQuery;

        // A staff invitation, and the newcomer's side of it.
        await page.GotoAsync("/admin/staff/invite");
        await page.GetByLabel("E-mail address").FillAsync($"axe-{Guid.NewGuid():N}@idunox.example");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create invitation" }).ClickAsync();
        await AssertAccessibleAsync(page, $"staff invitation ready ({theme})");
        await Screens.SaveAsync(page, $"admin-staff-invitation-{theme}");
        var staffLink = new Uri(await page.GetByRole(AriaRole.Textbox, new() { Name = "Invitation link" }).InputValueAsync()).PathAndQuery;
        await anonymous.GotoAsync(staffLink);
        await AssertAccessibleAsync(anonymous, $"staff welcome ({theme})");
        await Screens.SaveAsync(anonymous, $"admin-welcome-{theme}");

        // The partner's side of onboarding.
        foreach (var (name, path) in new[] { ("welcome", link), ("welcome-used", link[..^4] + "AAAA"), ("forgot-password", "/partner/forgot-password") })
        {
            await anonymous.GotoAsync(path);
            await AssertAccessibleAsync(anonymous, $"{name} ({theme})");
            await Screens.SaveAsync(anonymous, $"{name}-{theme}");
        }
    }

    [Fact]
    public async Task The_staff_area_works_at_375_pixels_wide()
    {
        var partner = await fixture.App.PartnerAsync();
        var (_, page, _) = await fixture.SignedInStaffAsync(width: 375, admin: true);
        var colleague = await fixture.App.StaffAsync();
        foreach (var (name, path) in new[]
                 {
                     ("organisations", "/admin"), ("organisation", $"/admin/organisations/{partner.Organisation.Slug}"), ("staff-log", "/admin/actions"),
                     ("jobs", "/admin/jobs"), ("staff", "/admin/staff"), ("staff-member", $"/admin/staff/{colleague.User.Id}"), ("account", "/admin/account"),
                 })
        {
            await page.GotoAsync(path);
            var overflow = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - document.documentElement.clientWidth");
            Assert.True(overflow <= 0, $"{name} scrolls sideways by {overflow} px at 375 px");
            await Screens.SaveAsync(page, $"admin-{name}-375px");
        }
    }

    private static Task AssertAccessibleAsync(IPage page, string what) => Axe.AssertAccessibleAsync(page, what);
}
