using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Idunox.Host.Tests;

/// <summary>The API reads JSON strictly: a value of the wrong type is a 400 naming the field, and nothing is done.</summary>
public sealed class StrictJsonTests(PostgresAppFixture fixture) : IClassFixture<PostgresAppFixture>
{
    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    [Theory]
    [InlineData("{\"name\": \"feed\", \"expiresInDays\": \"30\"}", "expiresInDays")]
    [InlineData("{\"name\": 42}", "name")]
    [InlineData("{\"name\": \"feed\", \"expiresInDays\": 30.5}", "expiresInDays")]
    [InlineData("{\"name\": \"feed\", \"expiresInDays\": true}", "expiresInDays")]
    public async Task A_value_of_the_wrong_type_is_a_validation_problem_naming_the_field_and_creates_nothing(string body, string field)
    {
        var partner = await fixture.App.PartnerAsync();
        var client = fixture.App.ClientWithToken(await fixture.App.SignInAsync(partner));

        var response = await client.PostAsync(new Uri("/v1/partner/credentials", UriKind.Relative), Json(body));

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out var messages), problem.ToString());
        Assert.Contains("wrong JSON type", messages[0].GetString(), StringComparison.Ordinal);
        var list = await client.GetFromJsonAsync<JsonElement>(new Uri("/v1/partner/credentials", UriKind.Relative));
        Assert.Equal(0, list.GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task A_grace_written_as_a_string_is_refused_and_the_key_is_not_rotated()
    {
        var partner = await fixture.App.PartnerAsync();
        var client = fixture.App.ClientWithToken(await fixture.App.SignInAsync(partner));
        var created = await (await client.PostAsync(new Uri("/v1/partner/credentials", UriKind.Relative), Json("{\"name\": \"feed\"}")))
            .Content.ReadFromJsonAsync<JsonElement>();
        var id = created.GetProperty("credential").GetProperty("id").GetString();

        var response = await client.PostAsync(new Uri($"/v1/partner/credentials/{id}/rotate", UriKind.Relative), Json("{\"graceHours\": \"48\"}"));

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        Assert.True(problem.GetProperty("errors").TryGetProperty("graceHours", out _));
        var list = await client.GetFromJsonAsync<JsonElement>(new Uri("/v1/partner/credentials", UriKind.Relative));
        Assert.Equal(1, list.GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task Every_api_answer_is_kept_by_nobody_and_never_framed_and_the_public_configuration_may_be_cached()
    {
        var partner = await fixture.App.PartnerAsync();
        var client = fixture.App.ClientWithToken(await fixture.App.SignInAsync(partner));
        foreach (var path in new[] { "/v1/partner/me", "/v1/partner/credentials", "/v1/partner/audit", "/v1/partner-auth-probe" })
        {
            var response = await client.GetAsync(new Uri(path, UriKind.Relative));
            Assert.True(response.Headers.CacheControl?.NoStore == true, $"{path} ({(int)response.StatusCode}) lacks Cache-Control: no-store");
            Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
            Assert.Contains("frame-ancestors 'none'", response.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        }

        var anonymous = await fixture.App.CreateClient().GetAsync(new Uri("/v1/partner/me", UriKind.Relative));
        Assert.True(anonymous.Headers.CacheControl?.NoStore == true);
        var config = await fixture.App.CreateClient().GetAsync(new Uri("/v1/partner/config", UriKind.Relative));
        Assert.NotEqual(true, config.Headers.CacheControl?.NoStore);
    }
}
