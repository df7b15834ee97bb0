using System.Net;
using System.Text.Json;

namespace Idunox.Credentials.Tests;

/// <summary>The key list is paged, newest first, shows what works and what stopped recently by default, and filters.</summary>
public sealed class KeyListTests(PostgresAppFixture fixture) : IClassFixture<PostgresAppFixture>
{
    private IdunoxApp App => fixture.App;

    [Fact]
    public async Task By_default_the_list_shows_working_keys_and_those_that_stopped_in_the_last_30_days()
    {
        var session = await PartnerSession.StartAsync(App);
        var (_, working) = await session.CreateKeyAsync("billing sync");
        App.Clock.Advance(TimeSpan.FromSeconds(1));
        var (_, revoked) = await session.CreateKeyAsync("old crm");
        await session.RevokeAsync(revoked.Id());
        App.Clock.Advance(TimeSpan.FromSeconds(1));
        var (_, shortLived) = await session.CreateKeyAsync("one day trial", expiresInDays: 1);

        App.Clock.Advance(TimeSpan.FromDays(2));
        Assert.Equal([shortLived.Id(), revoked.Id(), working.Id()], (await PageAsync(session, "")).Items.Select(k => k.Id()));

        App.Clock.Advance(TimeSpan.FromDays(30));
        var page = await PageAsync(session, "");
        Assert.Equal([working.Id()], page.Items.Select(k => k.Id()));
        Assert.Equal(1, page.Total);

        Assert.Equal(3, (await PageAsync(session, "?status=all")).Total);
        Assert.Equal([revoked.Id()], (await PageAsync(session, "?status=revoked")).Items.Select(k => k.Id()));
        Assert.Equal([shortLived.Id()], (await PageAsync(session, "?status=expired")).Items.Select(k => k.Id()));
        Assert.Equal([shortLived.Id(), revoked.Id()], (await PageAsync(session, "?status=revoked,expired")).Items.Select(k => k.Id()));
        Assert.Equal([working.Id()], (await PageAsync(session, "?status=active,expiring,grace")).Items.Select(k => k.Id()));
    }

    [Fact]
    public async Task Pages_are_newest_first_and_a_search_finds_keys_by_name_or_by_masked_prefix()
    {
        var session = await PartnerSession.StartAsync(App);
        var created = new List<JsonElement>();
        foreach (var name in new[] { "Alpha sync", "beta export", "Gamma SYNC" })
        {
            created.Add((await session.CreateKeyAsync(name)).Credential);
            App.Clock.Advance(TimeSpan.FromSeconds(1));
        }

        var second = await PageAsync(session, "?pageSize=1&page=2");
        Assert.Equal([created[1].Id()], second.Items.Select(k => k.Id()));
        Assert.Equal((2, 1, 3), (second.Page, second.PageSize, second.Total));

        Assert.Equal([created[2].Id(), created[0].Id()], (await PageAsync(session, "?q=sync")).Items.Select(k => k.Id()));
        var prefix = created[1].GetProperty("prefix").GetString()!; // "idx_test_Ab12Cd34…", as the list shows it
        Assert.Equal([created[1].Id()], (await PageAsync(session, $"?q={Uri.EscapeDataString(prefix)}")).Items.Select(k => k.Id()));
        Assert.Empty((await PageAsync(session, "?q=nothing%25like_this")).Items);
    }

    [Theory]
    [InlineData("?status=lost", "status")]
    [InlineData("?pageSize=0", "pageSize")]
    [InlineData("?pageSize=101", "pageSize")]
    [InlineData("?page=0", "page")]
    [InlineData("?page=201", "page")]
    public async Task Unknown_statuses_and_paging_out_of_range_are_validation_problems(string query, string field)
    {
        var session = await PartnerSession.StartAsync(App);

        var response = await session.Portal.GetAsync(new Uri($"/v1/partner/credentials{query}", UriKind.Relative));

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _));
    }

    [Theory]
    [InlineData("?page=200")]
    [InlineData("?page=1&pageSize=1")]
    [InlineData("?page=100&pageSize=100")]
    public async Task Paging_at_the_edges_of_its_range_is_accepted(string query)
    {
        var session = await PartnerSession.StartAsync(App);
        await session.CreateKeyAsync("the only one");

        var (items, page, _, total) = await PageAsync(session, query);

        Assert.Equal(1, total);
        Assert.Equal(page == 1 ? 1 : 0, items.Count); // a page past the last is empty, not refused
    }

    private static async Task<(List<JsonElement> Items, int Page, int PageSize, int Total)> PageAsync(PartnerSession session, string query)
    {
        var body = await PartnerSession.Expect(await session.Portal.GetAsync(new Uri($"/v1/partner/credentials{query}", UriKind.Relative)), HttpStatusCode.OK);
        return (body.GetProperty("items").EnumerateArray().ToList(), body.GetProperty("page").GetInt32(), body.GetProperty("pageSize").GetInt32(),
            body.GetProperty("total").GetInt32());
    }
}
