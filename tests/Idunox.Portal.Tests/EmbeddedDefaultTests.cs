using System.Net;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Idunox.Portal.Tests;

/// <summary>The portal on the embedded default (a SQLite file): the same pages, no server to install.</summary>
public sealed class SqlitePortalFixture : PortalFixture
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"idunox-portal-{Guid.NewGuid():N}.db");

    protected override Task<IdunoxApp> CreateAppAsync() => Task.FromResult(IdunoxApp.OnSqlite(_file, extra: BrowserSettings));
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
}
