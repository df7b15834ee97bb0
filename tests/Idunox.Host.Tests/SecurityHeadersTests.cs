using System.Net;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Idunox.Host.Tests;

/// <summary>HSTS on HTTPS answers, a policy and no framing for every page (the API reference and the job dashboard too), and a key ring nobody can read from the database.</summary>
public sealed class SecurityHeadersTests(PostgresAppFixture fixture) : IClassFixture<PostgresAppFixture>
{
    private HttpClient Client(string scheme) =>
        fixture.App.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri($"{scheme}://localhost"), AllowAutoRedirect = false });

    [Theory]
    [InlineData("/partner/sign-in")]
    [InlineData("/v1/partner-auth-probe")]
    [InlineData("/health/live")]
    public async Task HTTPS_answers_carry_Strict_Transport_Security_and_plain_HTTP_answers_do_not(string path)
    {
        var secure = await Client("https").GetAsync(new Uri(path, UriKind.Relative));
        var plain = await Client("http").GetAsync(new Uri(path, UriKind.Relative));

        Assert.Equal("max-age=31536000", secure.Headers.GetValues("Strict-Transport-Security").Single());
        Assert.False(plain.Headers.Contains("Strict-Transport-Security"));
    }

    [Theory]
    [InlineData("/partner/sign-in")]
    [InlineData("/partner/forgot-password")]
    [InlineData("/partner/welcome?token=not-a-token")]
    [InlineData("/admin/sign-in")]
    [InlineData("/admin/welcome?token=not-a-token")]
    [InlineData("/partner/keys")] // the redirect to sign-in
    [InlineData("/no-such-page")]
    [InlineData("/v1/partner/me")]
    [InlineData("/health/ready")]
    public async Task Pages_and_API_answers_are_never_stored_by_a_browser_or_a_proxy(string path)
    {
        var answer = await Client("https").GetAsync(new Uri(path, UriKind.Relative));

        Assert.True(answer.Headers.CacheControl?.NoStore == true, $"{path} ({(int)answer.StatusCode}) lacks Cache-Control: no-store");
    }

    [Theory]
    [InlineData("/brand.css")]
    [InlineData("/v1/partner/config")]
    public async Task What_is_the_same_for_everyone_says_it_may_be_cached(string path)
    {
        var answer = await Client("https").GetAsync(new Uri(path, UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.NotEqual(true, answer.Headers.CacheControl?.NoStore);
        Assert.True(answer.Headers.CacheControl?.MaxAge > TimeSpan.Zero);
    }

    [Fact]
    public async Task The_HSTS_max_age_is_a_setting_and_zero_sends_none()
    {
        await using var app = IdunoxApp.OnPostgres(fixture.Database, extra: new Dictionary<string, string?> { ["Http:HstsMaxAgeSeconds"] = "0" });
        var answer = await app.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri("https://localhost") })
            .GetAsync(new Uri("/health/live", UriKind.Relative));
        Assert.False(answer.Headers.Contains("Strict-Transport-Security"));
    }

    [Theory]
    [InlineData("/docs")]
    [InlineData("/hangfire")]
    [InlineData("/partner/sign-in")]
    public async Task Every_page_has_a_content_security_policy_and_may_not_be_framed(string path)
    {
        var answer = await Client("https").GetAsync(new Uri(path, UriKind.Relative));

        var policy = answer.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("frame-ancestors 'none'", policy, StringComparison.Ordinal);
        Assert.Contains("object-src 'none'", policy, StringComparison.Ordinal);
        Assert.Contains("form-action 'self'", policy, StringComparison.Ordinal);
        Assert.DoesNotContain("*", policy, StringComparison.Ordinal); // nothing from anywhere else
        Assert.Equal("DENY", answer.Headers.GetValues("X-Frame-Options").Single());
    }

    [Fact]
    public async Task The_key_ring_in_the_database_holds_no_master_key_in_plain_text()
    {
        // Something protected with the ring: a sign-in page's antiforgery token makes the ring's first key.
        Assert.Equal(HttpStatusCode.OK, (await Client("https").GetAsync(new Uri("/partner/sign-in", UriKind.Relative))).StatusCode);

        await using var connection = new Npgsql.NpgsqlConnection(fixture.Database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand("SELECT xml FROM identity.data_protection_keys", connection);
        var keys = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                keys.Add(reader.GetString(0));
            }
        }

        Assert.NotEmpty(keys);
        Assert.All(keys, xml =>
        {
            Assert.Contains("<encryptedSecret", xml, StringComparison.Ordinal);
            Assert.Contains("EncryptedXml", xml, StringComparison.Ordinal);
            Assert.DoesNotContain("<value>", xml, StringComparison.Ordinal);
            Assert.DoesNotContain("unencrypted form", xml, StringComparison.Ordinal);
        });
    }
}
