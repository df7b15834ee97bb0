using System.Net;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Idunox.Portal.Tests;

/// <summary>The embedded default as a new user runs it: Development, a SQLite file, the seeded demo users, e-mails as files.</summary>
public sealed class SqlitePortalFixture : PortalFixture
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"idunox-portal-{Guid.NewGuid():N}.db");

    protected override Task<IdunoxApp> CreateAppAsync() => Task.FromResult(IdunoxApp.OnSqlite(_file, "Development", BrowserSettings));
}

[CollectionDefinition(Name)]
public sealed class SqliteBrowserCollection : ICollectionFixture<SqlitePortalFixture>
{
    public const string Name = "browser-sqlite";
}

[Collection(SqliteBrowserCollection.Name)]
public sealed class EmbeddedDefaultTests(SqlitePortalFixture fixture)
{
    [Fact]
    public async Task On_SQLite_a_partner_signs_in_creates_a_key_that_works_and_revokes_it()
    {
        var partner = await fixture.App.PartnerAsync();
        var page = await fixture.NewPageAsync();
        await page.SignInAsync(partner);

        var key = await page.CreateKeyAsync("embedded");
        Assert.Equal(HttpStatusCode.OK, (await fixture.ProbeAsync(key)).StatusCode);
        await page.GotoAsync("/partner/keys");
        await page.KeyRow("embedded").GetByRole(AriaRole.Link, new() { Name = "Revoke embedded" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Revoke key" }).ClickAsync();

        await Expect(page.GetByText("Key revoked.")).ToBeVisibleAsync();
        Assert.Equal(HttpStatusCode.Unauthorized, (await fixture.ProbeAsync(key)).StatusCode);
    }

    /// <summary>
    /// The staff walkthrough of the embedded default: the seeded staff member enrols an authenticator, creates an
    /// organisation, invites a user (the link also arrives as an .eml), who chooses a password and creates a key; staff
    /// revoke it with a reason and see it in both audit trails, then open the job dashboard.
    /// </summary>
    [Fact]
    public async Task On_the_embedded_default_staff_onboard_a_partner_and_revoke_its_key_with_a_reason()
    {
        var staff = new TestStaff(new Identity.Contracts.StaffUserInfo(Guid.Empty, "staff@idunox.test", ["ops", "staff"]), "demo-staff-password");
        var page = await fixture.NewPageAsync();
        await page.SignInStaffAsync(fixture.App, staff, "/admin");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Organisations", Exact = true })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Demo Partner" })).ToBeVisibleAsync();

        await page.GetByRole(AriaRole.Link, new() { Name = "Add organisation" }).First.ClickAsync();
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("Northwind Freight");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add organisation" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Northwind Freight" })).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Invite a user" }).ClickAsync();
        await page.GetByLabel("E-mail address").FillAsync("it@northwind.example");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create invitation" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Invitation ready" })).ToBeVisibleAsync();

        var link = Staff.LinkIn(Assert.Single(await fixture.MailToAsync("it@northwind.example")));
        var partner = await fixture.NewPageAsync();
        await partner.GotoAsync(link);
        await partner.GetByLabel("New password").FillAsync("northwind partner passphrase");
        await partner.GetByLabel("The same password again").FillAsync("northwind partner passphrase");
        await partner.GetByRole(AriaRole.Button, new() { Name = "Set password and sign in" }).ClickAsync();
        await Expect(partner.GetByText("Welcome! Your password is set.")).ToBeVisibleAsync();
        var key = await partner.CreateKeyAsync("freight sync");
        Assert.Equal(HttpStatusCode.OK, (await fixture.ProbeAsync(key)).StatusCode);

        await page.GotoAsync("/admin/organisations/northwind-freight");
        await page.GetByRole(AriaRole.Link, new() { Name = "Revoke freight sync" }).ClickAsync();
        await page.GetByLabel("Reason").FillAsync("Test of the revocation drill");
        await page.GetByRole(AriaRole.Button, new() { Name = "Revoke key" }).ClickAsync();
        await Expect(page.GetByText("Key revoked.")).ToBeVisibleAsync();
        Assert.Equal(HttpStatusCode.Unauthorized, (await fixture.ProbeAsync(key)).StatusCode);

        await partner.GotoAsync("/partner/audit");
        await Expect(partner.Locator("table.list tbody tr").First).ToContainTextAsync("Test of the revocation drill");
        await page.GetByRole(AriaRole.Link, new() { Name = "Staff log" }).ClickAsync();
        await Expect(page.Locator("table.list tbody tr").First).ToContainTextAsync("Test of the revocation drill");

        await page.GetByRole(AriaRole.Link, new() { Name = "Jobs" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Background jobs" })).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Open the job dashboard" }).ClickAsync();
        await Expect(page.GetByText("Idunox jobs").First).ToBeVisibleAsync();
    }
}
