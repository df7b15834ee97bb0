using System.Net;
using System.Net.Http.Json;
using System.Text;

namespace Idunox.Credentials.Tests;

public sealed class ValidationTests(PostgresAppFixture fixture) : IClassFixture<PostgresAppFixture>
{
    private IdunoxApp App => fixture.App;

    public static TheoryData<string, string> BadCreations => new()
    {
        { """{"name":""}""", "name" },
        { """{"name":"   "}""", "name" },
        { """{}""", "name" },
        { $$"""{"name":"{{new string('n', 101)}}"}""", "name" },
        { """{"name":"line\nbreak"}""", "name" },
        // Characters that change how a name reads: a right-to-left override, zero-width ones, line and paragraph separators.
        { """{"name":"invoice\u202Egpj.exe"}""", "name" },
        { """{"name":"pay\u200Broll"}""", "name" },
        { """{"name":"\uFEFFbilling"}""", "name" },
        { """{"name":"first\u2028second"}""", "name" },
        { """{"name":"first\u2029second"}""", "name" },
        { """{"name":"soft\u00ADhyphen"}""", "name" },
        { """{"name":"ok","expiresInDays":0}""", "expiresInDays" },
        { """{"name":"ok","expiresInDays":-5}""", "expiresInDays" },
        { """{"name":"ok","expiresInDays":366}""", "expiresInDays" },
    };

    [Theory]
    [MemberData(nameof(BadCreations))]
    public async Task Bad_names_and_validities_are_validation_problems_and_create_nothing(string body, string field)
    {
        var session = await PartnerSession.StartAsync(App);

        var response = await session.Portal.PostAsync(new Uri("/v1/partner/credentials", UriKind.Relative), new StringContent(body, Encoding.UTF8, "application/json"));

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal([field], problem.GetProperty("errors").EnumerateObject().Select(p => p.Name));
        Assert.Empty(await session.ListAsync());
    }

    [Fact]
    public async Task A_name_of_exactly_100_characters_and_a_validity_of_365_days_are_accepted()
    {
        var session = await PartnerSession.StartAsync(App);

        var (_, credential) = await session.CreateKeyAsync(new string('n', 100), 365);

        Assert.Equal(100, credential.GetProperty("name").GetString()!.Length);
    }

    [Theory]
    [InlineData("""{"graceHours":12}""")]
    [InlineData("""{"graceHours":0}""")]
    [InlineData("""{"graceHours":96}""")]
    [InlineData("""{"graceHours":-24}""")]
    public async Task Grace_other_than_24_48_or_72_hours_is_a_validation_problem(string body)
    {
        var session = await PartnerSession.StartAsync(App);
        var (key, credential) = await session.CreateKeyAsync();

        var response = await session.Portal.PostAsync(new Uri($"/v1/partner/credentials/{credential.Id()}/rotate", UriKind.Relative),
            new StringContent(body, Encoding.UTF8, "application/json"));

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        Assert.True(problem.GetProperty("errors").TryGetProperty("graceHours", out _));
        Assert.Equal("active", (await session.GetAsync(credential.Id())).Status());
        Assert.Equal(HttpStatusCode.OK, (await session.ProbeAsync(key)).StatusCode);
    }

    [Theory]
    [InlineData("/v1/partner/credentials", """{"name":""", "malformed_request", null)]
    [InlineData("/v1/partner/credentials", """{"name":42}""", "validation_failed", "name")]
    [InlineData("/v1/partner/credentials", """{"name":"ok","expiresInDays":"soon"}""", "validation_failed", "expiresInDays")]
    [InlineData("/v1/partner/credentials", """{"name":"ok","expiresInDays":1.5}""", "validation_failed", "expiresInDays")]
    [InlineData("/v1/partner/credentials", """[1,2,3]""", "malformed_request", null)]
    [InlineData("/v1/partner/credentials", """{"name":"lone \uD800 surrogate"}""", "malformed_request", null)]
    [InlineData("/v1/partner/credentials/{id}/rotate", """{"graceHours":"a day"}""", "validation_failed", "graceHours")]
    [InlineData("/v1/partner/credentials/{id}/rotate", """{"graceHours":""", "malformed_request", null)]
    public async Task Malformed_bodies_are_400_problems_and_change_nothing(string path, string body, string code, string? field)
    {
        var session = await PartnerSession.StartAsync(App);
        var (_, credential) = await session.CreateKeyAsync();

        var response = await session.Portal.PostAsync(new Uri(path.Replace("{id}", credential.Id().ToString(), StringComparison.Ordinal), UriKind.Relative),
            new StringContent(body, Encoding.UTF8, "application/json"));

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest, code);
        if (field is not null)
        {
            // Well-formed JSON with a value of the wrong type: the field is named, as for any invalid value.
            Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
        }

        var list = await session.ListAsync();
        Assert.Equal([("active", credential.Id())], list.Select(c => (c.Status(), c.Id())));
    }

    [Theory]
    [InlineData("Café Zürich sync")]
    [InlineData("日本の請求システム")]
    [InlineData("نظام الفواتير")]
    [InlineData("می‌خواهم")] // Persian: a zero-width non-joiner between letters is part of the spelling
    [InlineData("deploy 🚀 bot")]
    [InlineData("family 👨‍👩‍👧 app")] // emoji joined by zero-width joiners
    public async Task Names_in_any_script_and_with_emoji_are_accepted(string name)
    {
        var session = await PartnerSession.StartAsync(App);

        var (_, credential) = await session.CreateKeyAsync(name);

        Assert.Equal(name, credential.GetProperty("name").GetString());
    }

    [Theory]
    [InlineData("?page=0", "page")]
    [InlineData("?page=201", "page")] // 200 pages of 50 reach the deepest offset allowed
    [InlineData("?page=101&pageSize=100", "page")]
    [InlineData("?pageSize=0", "pageSize")]
    [InlineData("?pageSize=101", "pageSize")]
    public async Task Audit_paging_out_of_range_is_a_validation_problem(string query, string field)
    {
        var session = await PartnerSession.StartAsync(App);

        var response = await session.Portal.GetAsync(new Uri($"/v1/partner/audit{query}", UriKind.Relative));

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _));
    }

    [Theory]
    [InlineData("?page=200")]
    [InlineData("?page=100&pageSize=100")]
    [InlineData("?page=1&pageSize=1")]
    public async Task Audit_paging_at_the_edges_of_its_range_is_accepted(string query)
    {
        var session = await PartnerSession.StartAsync(App);
        await session.CreateKeyAsync("audited once");

        var response = await session.Portal.GetAsync(new Uri($"/v1/partner/audit{query}", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Audit_paging_that_is_not_a_number_is_malformed()
    {
        var session = await PartnerSession.StartAsync(App);

        await (await session.Portal.GetAsync(new Uri("/v1/partner/audit?page=first", UriKind.Relative)))
            .AssertProblemAsync(HttpStatusCode.BadRequest, "malformed_request");
    }

    [Fact]
    public async Task Key_endpoints_need_a_signed_in_partner()
    {
        var anonymous = App.CreateClient();

        await (await anonymous.GetAsync(new Uri("/v1/partner/credentials", UriKind.Relative))).AssertProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
        await (await anonymous.PostAsJsonAsync(new Uri("/v1/partner/credentials", UriKind.Relative), new { name = "x" })).AssertProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
        await (await anonymous.GetAsync(new Uri("/v1/partner/audit", UriKind.Relative))).AssertProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
    }
}
