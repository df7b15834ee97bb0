using System.Net;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Idunox.Portal.Tests;

/// <summary>The staff accounts in the staff area, for members with the role admin: invite, roles, disable, two-factor, sessions, own password.</summary>
[Collection(BrowserCollection.Name)]
public sealed class StaffAccountsPageTests(PortalFixture fixture)
{
    [Fact]
    public async Task Only_admins_see_and_open_the_staff_accounts()
    {
        var (_, page, _) = await fixture.SignedInStaffAsync(ops: true);
        await Expect(page.GetByRole(AriaRole.Navigation, new() { Name = "Staff area" }).GetByRole(AriaRole.Link, new() { Name = "Staff", Exact = true })).ToHaveCountAsync(0);
        var target = await fixture.App.StaffAsync();
        foreach (var path in new[] { "/admin/staff", "/admin/staff/invite", $"/admin/staff/{target.User.Id}" })
        {
            await page.GotoAsync(path);
            Assert.Equal("/admin/not-allowed", new Uri(page.Url).AbsolutePath);
        }

        // A form posted by hand, with this member's own valid antiforgery token (from a page it may open), is refused too
        // and changes nothing.
        var token = await AntiforgeryTokenAsync(page, "/admin/organisations/new");
        var posted = await page.Context.APIRequest.PostAsync($"/admin/staff/{target.User.Id}", new()
        {
            Form = page.FormOf(("_handler", "staff-member"), ("__RequestVerificationToken", token), ("Input.Action", "disable"), ("Input.Reason", "not mine to decide")),
            MaxRedirects = 0,
        });
        Assert.True(posted.Status is 302 or 403, $"answered {posted.Status}");
        Assert.Equal(1L, await fixture.ScalarAsync<long>($"SELECT count(*) FROM identity.staff_users WHERE id = '{target.User.Id}' AND disabled_at IS NULL"));

        // An admin sees the link; the same post from an admin does what it says (so the refusal above was the policy's).
        var (adminStaff, admin, _) = await fixture.SignedInStaffAsync(admin: true);
        var adminPost = await admin.Context.APIRequest.PostAsync($"/admin/staff/{target.User.Id}", new()
        {
            Form = admin.FormOf(("_handler", "staff-member"), ("__RequestVerificationToken", await AntiforgeryTokenAsync(admin, "/admin/organisations/new")),
                ("Input.Action", "disable"), ("Input.Reason", "Left the company")),
            MaxRedirects = 0,
        });
        Assert.Equal(200, adminPost.Status);
        Assert.Equal(0L, await fixture.ScalarAsync<long>($"SELECT count(*) FROM identity.staff_users WHERE id = '{target.User.Id}' AND disabled_at IS NULL"));

        // Nor can an admin disable themselves by posting what their page does not offer.
        var self = await admin.Context.APIRequest.PostAsync($"/admin/staff/{adminStaff.User.Id}", new()
        {
            Form = admin.FormOf(("_handler", "staff-member"), ("__RequestVerificationToken", await AntiforgeryTokenAsync(admin, "/admin/organisations/new")),
                ("Input.Action", "disable"), ("Input.Reason", "by hand")),
            MaxRedirects = 0,
        });
        Assert.Equal(409, self.Status);
        Assert.Contains("You cannot disable your own account", await self.TextAsync(), StringComparison.Ordinal);
        await admin.GotoAsync("/admin");
        await admin.GetByRole(AriaRole.Navigation, new() { Name = "Staff area" }).GetByRole(AriaRole.Link, new() { Name = "Staff", Exact = true }).ClickAsync();
        await Expect(admin.GetByRole(AriaRole.Heading, new() { Name = "Staff", Exact = true })).ToBeVisibleAsync();
        await Expect(admin.GetByRole(AriaRole.Table, new() { Name = "Staff members" }).GetByRole(AriaRole.Link, new() { Name = adminStaff.Email })).ToBeVisibleAsync();
    }

    /// <summary>The antiforgery token a page's form carries (tokens belong to the signed-in member, not to one form).</summary>
    private static async Task<string> AntiforgeryTokenAsync(IPage page, string path)
    {
        await page.GotoAsync(path);
        return (await page.Locator("input[name=__RequestVerificationToken]").First.GetAttributeAsync("value"))!;
    }

    [Fact]
    public async Task An_admin_invites_a_member_who_chooses_a_password_and_enrols_and_the_staff_log_says_who_and_why()
    {
        var (adminStaff, admin, _) = await fixture.SignedInStaffAsync(admin: true);
        var email = $"new-{Guid.NewGuid():N}@idunox.example";
        await admin.GotoAsync("/admin/staff");
        await admin.GetByRole(AriaRole.Link, new() { Name = "Invite a staff member" }).ClickAsync();
        await admin.GetByLabel("E-mail address").FillAsync(email);
        await admin.GetByLabel("ops: run and retry jobs on the job dashboard").CheckAsync();
        await admin.GetByLabel("Reason (optional)").FillAsync("Joins the support rota (HR-31)");
        await admin.GetByRole(AriaRole.Button, new() { Name = "Create invitation" }).ClickAsync();
        await Expect(admin.GetByRole(AriaRole.Heading, new() { Name = "Invitation ready" })).ToBeVisibleAsync();
        var shown = new Uri(await admin.GetByRole(AriaRole.Textbox, new() { Name = "Invitation link" }).InputValueAsync()).PathAndQuery;

        // The e-mail carries the same link; the person chooses a password, then enrols an authenticator.
        var mail = Assert.Single(await fixture.MailToAsync(email));
        Assert.Equal(shown, Staff.LinkIn(mail));
        Assert.Contains(adminStaff.Email, mail.TextBody, StringComparison.Ordinal);
        var newcomer = await fixture.NewPageAsync();
        await newcomer.GotoAsync(shown);
        await Expect(newcomer.GetByRole(AriaRole.Heading, new() { Name = "Welcome to the staff area" })).ToBeVisibleAsync();
        await newcomer.GetByLabel("New password").FillAsync("password1234");
        await newcomer.GetByLabel("The same password again").FillAsync("password1234");
        await newcomer.GetByRole(AriaRole.Button, new() { Name = "Set password and continue" }).ClickAsync();
        await Expect(newcomer.Locator("#new-error")).ToBeVisibleAsync();
        await newcomer.GetByLabel("New password").FillAsync(Arrange.DefaultPassword);
        await newcomer.GetByLabel("The same password again").FillAsync(Arrange.DefaultPassword);
        await newcomer.GetByRole(AriaRole.Button, new() { Name = "Set password and continue" }).ClickAsync();
        await Expect(newcomer.GetByRole(AriaRole.Heading, new() { Name = "Set up your authenticator" })).ToBeVisibleAsync();
        var key = (await newcomer.GetByLabel("Authenticator key").InnerTextAsync()).Replace(" ", "", StringComparison.Ordinal).ToUpperInvariant();
        await newcomer.GetByLabel("Code from the app").FillAsync(fixture.App.FreshCode(key));
        await newcomer.GetByRole(AriaRole.Button, new() { Name = "Turn on two-factor sign-in" }).ClickAsync();
        await newcomer.GetByRole(AriaRole.Link, new() { Name = "I have stored them — continue" }).ClickAsync();
        await Expect(newcomer.GetByRole(AriaRole.Heading, new() { Name = "Organisations", Exact = true })).ToBeVisibleAsync();

        // Used once: the link opens nothing now.
        var again = await (await fixture.NewPageAsync()).GotoAsync(shown);
        Assert.Equal(400, again!.Status);

        await admin.GotoAsync("/admin/staff");
        var row = admin.Locator("table.list tbody tr", new() { HasText = email });
        await Expect(row).ToContainTextAsync("ops, staff");
        await Expect(row).ToContainTextAsync("Active");
        await admin.GotoAsync($"/admin/actions?staff={Uri.EscapeDataString(adminStaff.Email)}");
        var logged = admin.Locator("table.list tbody tr").First;
        await Expect(logged).ToContainTextAsync("Invited a staff member");
        await Expect(logged).ToContainTextAsync(email);
        await Expect(logged).ToContainTextAsync("Joins the support rota (HR-31)");
    }

    [Fact]
    public async Task An_admin_changes_roles_disables_resets_two_factor_and_signs_a_member_out_each_with_a_reason_and_each_ends_the_session_at_once()
    {
        var (member, memberPage, memberKey) = await fixture.SignedInStaffAsync();
        var (adminStaff, admin, _) = await fixture.SignedInStaffAsync(admin: true);
        await admin.GotoAsync($"/admin/staff/{member.User.Id}");
        await Expect(admin.GetByRole(AriaRole.Heading, new() { Name = member.Email })).ToBeVisibleAsync();

        // Roles: a reason is required; the member's next request carries the new role.
        await admin.GetByLabel("ops: run and retry jobs on the job dashboard").CheckAsync();
        await admin.GetByRole(AriaRole.Button, new() { Name = "Save roles" }).ClickAsync();
        await Expect(admin.Locator("#reason-error")).ToBeVisibleAsync();
        await admin.GetByLabel("ops: run and retry jobs on the job dashboard").CheckAsync();
        await admin.GetByLabel("Reason").FillAsync("Joins operations (OPS-5)");
        await admin.GetByRole(AriaRole.Button, new() { Name = "Save roles" }).ClickAsync();
        await Expect(admin.GetByText($"{member.Email} now has the roles ops, staff.")).ToBeVisibleAsync();
        await memberPage.GotoAsync("/hangfire/recurring");
        await Expect(memberPage.GetByRole(AriaRole.Button, new() { Name = "Trigger now" })).ToBeVisibleAsync();

        // Sign out everywhere: the member's open session ends at once, and the member is told.
        await admin.GetByLabel("Reason").FillAsync("Laptop left unlocked");
        await admin.GetByRole(AriaRole.Button, new() { Name = "Sign out everywhere" }).ClickAsync();
        await Expect(admin.GetByText($"1 session(s) of {member.Email} ended.")).ToBeVisibleAsync();
        await memberPage.GotoAsync("/admin");
        Assert.Equal("/admin/sign-in", new Uri(memberPage.Url).AbsolutePath);
        Assert.Contains(await fixture.MailToAsync(member.Email), m => (m.Subject ?? "").StartsWith("One of your sessions was ended", StringComparison.Ordinal));

        // Disable: the member cannot sign in; enable lets them in again.
        await memberPage.SignInWithCodeAsync(member, fixture.App.FreshCode(memberKey));
        await Expect(memberPage.GetByRole(AriaRole.Heading, new() { Name = "Organisations", Exact = true })).ToBeVisibleAsync();
        await admin.GetByLabel("Reason").FillAsync("Left the company");
        await admin.GetByRole(AriaRole.Button, new() { Name = "Disable" }).ClickAsync();
        await Expect(admin.GetByText($"{member.Email} is disabled and was signed out everywhere.")).ToBeVisibleAsync();
        await memberPage.GotoAsync("/admin");
        Assert.Equal("/admin/sign-in", new Uri(memberPage.Url).AbsolutePath);
        await memberPage.PasswordStepAsync(member);
        await Expect(memberPage.GetByText("Invalid e-mail or password.")).ToBeVisibleAsync();
        await admin.GetByLabel("Reason").FillAsync("Came back");
        await admin.GetByRole(AriaRole.Button, new() { Name = "Enable" }).ClickAsync();
        await Expect(admin.GetByText($"{member.Email} can sign in again.")).ToBeVisibleAsync();

        // Reset two-factor: the next sign-in enrols again.
        await admin.GetByLabel("Reason").FillAsync("Lost phone (IT-77)");
        await admin.GetByRole(AriaRole.Button, new() { Name = "Reset two-factor" }).ClickAsync();
        await Expect(admin.GetByText($"The two-factor sign-in of {member.Email} was reset")).ToBeVisibleAsync();
        var later = await fixture.NewPageAsync();
        await later.PasswordStepAsync(member);
        await Expect(later.GetByRole(AriaRole.Heading, new() { Name = "Set up your authenticator" })).ToBeVisibleAsync();

        // Admins cannot lock themselves out from here.
        await admin.GotoAsync($"/admin/staff/{adminStaff.User.Id}");
        await Expect(admin.GetByText("This is you.")).ToBeVisibleAsync();
        await Expect(admin.GetByRole(AriaRole.Button, new() { Name = "Disable" })).ToHaveCountAsync(0);

        await admin.GotoAsync($"/admin/actions?staff={Uri.EscapeDataString(adminStaff.Email)}");
        var rows = admin.Locator("table.list tbody tr");
        await Expect(rows).ToHaveCountAsync(5);
        foreach (var (what, why) in new[]
                 {
                     ("Reset a staff member's two-factor sign-in", "Lost phone (IT-77)"), ("Enabled a staff member", "Came back"),
                     ("Disabled a staff member", "Left the company"), ("Signed a staff member out everywhere", "Laptop left unlocked"),
                     ("Changed a staff member's roles", "Joins operations (OPS-5)"),
                 })
        {
            await Expect(rows.Filter(new() { HasText = what })).ToContainTextAsync(why);
        }
    }

    [Fact]
    public async Task A_member_changes_their_own_password_stays_signed_in_here_and_their_other_session_ends()
    {
        var (member, page, key) = await fixture.SignedInStaffAsync();
        var other = await fixture.NewPageAsync();
        await other.SignInWithCodeAsync(member, fixture.App.FreshCode(key));
        await Expect(other.GetByRole(AriaRole.Heading, new() { Name = "Organisations", Exact = true })).ToBeVisibleAsync();

        await page.GetByRole(AriaRole.Link, new() { Name = member.Email }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Your account" })).ToBeVisibleAsync();
        await page.GetByLabel("Current password").FillAsync("not my password at all");
        await page.GetByLabel("New password").FillAsync("a brand new staff passphrase");
        await page.GetByRole(AriaRole.Button, new() { Name = "Change password" }).ClickAsync();
        await Expect(page.Locator("#current-error")).ToBeVisibleAsync();
        await page.GetByLabel("Current password").FillAsync(member.Password);
        await page.GetByLabel("New password").FillAsync("a brand new staff passphrase");
        await page.GetByRole(AriaRole.Button, new() { Name = "Change password" }).ClickAsync();
        await Expect(page.GetByText("Your password was changed.")).ToBeVisibleAsync();

        await page.GotoAsync("/admin");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Organisations", Exact = true })).ToBeVisibleAsync();
        await other.GotoAsync("/admin");
        Assert.Equal("/admin/sign-in", new Uri(other.Url).AbsolutePath);
        await other.PasswordStepAsync(member);
        await Expect(other.GetByText("Invalid e-mail or password.")).ToBeVisibleAsync();
        Assert.Contains(await fixture.MailToAsync(member.Email), m => (m.Subject ?? "").StartsWith("Your password was changed", StringComparison.Ordinal));
    }
}
