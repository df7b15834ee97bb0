using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Idunox.Credentials.Tests;

/// <summary>Every portal endpoint that takes a key id, tried with another organisation's key: 404, and nothing changes.</summary>
public sealed class IsolationTests(PostgresAppFixture fixture) : IClassFixture<PostgresAppFixture>
{
    private IdunoxApp App => fixture.App;

    public static TheoryData<string, string> Endpoints => new()
    {
        { "GET", "/v1/partner/credentials/{id}" },
        { "POST", "/v1/partner/credentials/{id}/rotate" },
        { "POST", "/v1/partner/credentials/{id}/revoke" },
    };

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Another_organisations_key_id_is_answered_exactly_like_an_unknown_one(string method, string path)
    {
        var mallory = await PartnerSession.StartAsync(App);
        var victim = await PartnerSession.StartAsync(App);
        var (victimKey, victimCredential) = await victim.CreateKeyAsync("victim's key");
        var auditBefore = await AuditTotalAsync(victim);

        var foreign = await Send(mallory, method, path.Replace("{id}", victimCredential.Id().ToString(), StringComparison.Ordinal));
        var unknown = await Send(mallory, method, path.Replace("{id}", Guid.NewGuid().ToString(), StringComparison.Ordinal));
        var notAnId = await Send(mallory, method, path.Replace("{id}", "not-a-guid", StringComparison.Ordinal));

        var answers = new List<string>();
        foreach (var response in new[] { foreign, unknown, notAnId })
        {
            var problem = await response.AssertProblemAsync(HttpStatusCode.NotFound, "key_not_found");
            answers.Add($"{problem.GetProperty("title")}|{problem.GetProperty("detail")}|{problem.GetProperty("type")}");
        }

        Assert.Single(answers.Distinct());
        var after = await victim.GetAsync(victimCredential.Id());
        Assert.Equal(victimCredential.GetRawText(), after.GetRawText());
        Assert.Equal(HttpStatusCode.OK, (await victim.ProbeAsync(victimKey)).StatusCode);
        Assert.Single(await victim.ListAsync());
        Assert.Equal(auditBefore, await AuditTotalAsync(victim));
        Assert.Equal(0, await AuditTotalAsync(mallory));
    }

    [Fact]
    public async Task Lists_and_audit_trails_show_only_the_callers_organisation()
    {
        var one = await PartnerSession.StartAsync(App);
        var two = await PartnerSession.StartAsync(App);
        var (_, mine) = await one.CreateKeyAsync("mine");
        var (_, theirs) = await two.CreateKeyAsync("theirs");

        Assert.Equal([mine.Id()], (await one.ListAsync()).Select(c => c.Id()));
        Assert.Equal([theirs.Id()], (await two.ListAsync()).Select(c => c.Id()));
        var audit = await one.Portal.GetFromJsonAsync<JsonElement>(new Uri("/v1/partner/audit", UriKind.Relative));
        Assert.NotEmpty(audit.GetProperty("items").EnumerateArray()); // what follows checks something
        Assert.All(audit.GetProperty("items").EnumerateArray(), e => Assert.Equal(mine.Id(), e.GetProperty("key").GetProperty("id").GetGuid()));
    }

    [Fact]
    public async Task A_data_API_key_opens_no_portal_endpoint_and_a_portal_token_no_data_API_endpoint()
    {
        var session = await PartnerSession.StartAsync(App);
        var (key, _) = await session.CreateKeyAsync();
        var withKey = App.CreateClient();
        withKey.DefaultRequestHeaders.Add("X-Api-Key", key);

        await (await withKey.GetAsync(new Uri("/v1/partner/credentials", UriKind.Relative))).AssertProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
        await (await withKey.GetAsync(new Uri("/v1/partner/me", UriKind.Relative))).AssertProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
        await (await session.Portal.GetAsync(new Uri("/v1/partner-auth-probe", UriKind.Relative))).AssertProblemAsync(HttpStatusCode.Unauthorized, "api_key_missing");
    }

    [Fact]
    public async Task Another_organisations_key_sent_along_with_a_token_cannot_choose_the_tenant()
    {
        var victim = await PartnerSession.StartAsync(App);
        var (victimKey, victimCredential) = await victim.CreateKeyAsync("victim's key");
        var mallory = await PartnerSession.StartAsync(App);
        var (_, own) = await mallory.CreateKeyAsync("mallory's key");
        var token = await App.SignInAsync(mallory.Partner);

        foreach (var header in new[] { victimKey, "garbage" })
        {
            var both = App.ClientWithToken(token);
            both.DefaultRequestHeaders.Add("X-Api-Key", header);

            var list = (await both.GetFromJsonAsync<JsonElement>(new Uri("/v1/partner/credentials", UriKind.Relative)))
                .GetProperty("items").EnumerateArray().Select(c => c.Id()).ToList();
            Assert.Contains(own.Id(), list);
            Assert.DoesNotContain(victimCredential.Id(), list);
            await (await both.PostAsync(new Uri($"/v1/partner/credentials/{victimCredential.Id()}/revoke", UriKind.Relative), null))
                .AssertProblemAsync(HttpStatusCode.NotFound, "key_not_found");
            var created = await both.PostAsJsonAsync(new Uri("/v1/partner/credentials", UriKind.Relative), new { name = $"made with {header[..7]}" });
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        Assert.Single(await victim.ListAsync());
        Assert.Equal(HttpStatusCode.OK, (await victim.ProbeAsync(victimKey)).StatusCode);
        Assert.Equal(3, (await mallory.ListAsync()).Count);
    }

    private static Task<HttpResponseMessage> Send(PartnerSession session, string method, string path) =>
        session.Portal.SendAsync(new HttpRequestMessage(new HttpMethod(method), new Uri(path, UriKind.Relative))
        {
            Content = method == "POST" ? JsonContent.Create(new { graceHours = 24 }) : null,
        });

    private static async Task<int> AuditTotalAsync(PartnerSession session) =>
        (await session.Portal.GetFromJsonAsync<JsonElement>(new Uri("/v1/partner/audit", UriKind.Relative))).GetProperty("total").GetInt32();
}
