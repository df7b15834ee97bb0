using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Idunox.Portal.Tests;

/// <summary>The pages' HTTP contract, below the browser: cookies, headers, which credential opens what.</summary>
public sealed partial class PageHttpTests(PostgresAppFixture fixture) : IClassFixture<PostgresAppFixture>
{
    /// <summary>A browser-like client over HTTPS (the host's default: cookies are HTTPS-only outside Development).</summary>
    private HttpClient Browser() => fixture.App.CreateClient(new WebApplicationFactoryClientOptions
    {
        BaseAddress = new Uri("https://localhost"),
        AllowAutoRedirect = false,
        HandleCookies = true,
    });

    private static async Task<string> AntiforgeryTokenAsync(HttpClient client, string path)
    {
        var html = await client.GetStringAsync(new Uri(path, UriKind.Relative));
        return TokenField().Match(html).Groups[1].Value;
    }

    private async Task<(HttpClient Client, HttpResponseMessage Answer)> SignInAsync(TestPartner partner, string query = "")
    {
        var client = Browser();
        var token = await AntiforgeryTokenAsync(client, "/partner/sign-in" + query);
        var answer = await client.PostAsync(new Uri("/partner/sign-in" + query, UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "sign-in",
            ["__RequestVerificationToken"] = token,
            ["Input.Email"] = partner.Email,
            ["Input.Password"] = partner.Password,
        }));
        return (client, answer);
    }

    [Fact]
    public async Task Signing_in_sets_an_HttpOnly_SameSite_HTTPS_only_session_cookie_and_goes_to_the_keys()
    {
        var partner = await fixture.App.PartnerAsync();

        var (_, answer) = await SignInAsync(partner);

        Assert.Equal(HttpStatusCode.Redirect, answer.StatusCode);
        Assert.Equal("/partner/keys", answer.Headers.Location!.AbsolutePath);
        var cookie = answer.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("__Host-idunox.portal=", StringComparison.Ordinal));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("secure", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("expires=", cookie, StringComparison.OrdinalIgnoreCase); // a session cookie: gone with the browser
    }

    [Theory]
    [InlineData("https://evil.example/partner/keys")]
    [InlineData("//evil.example/partner")]
    [InlineData("/\\evil.example")]
    [InlineData("/docs")]
    public async Task A_return_address_outside_the_portal_is_ignored(string returnUrl)
    {
        var partner = await fixture.App.PartnerAsync();

        var (_, answer) = await SignInAsync(partner, $"?returnUrl={Uri.EscapeDataString(returnUrl)}");

        Assert.Equal(HttpStatusCode.Redirect, answer.StatusCode);
        Assert.Equal(new Uri("https://localhost/partner/keys"), new Uri(new Uri("https://localhost"), answer.Headers.Location!));
    }

    [Fact]
    public async Task Pages_carry_a_strict_content_security_policy_and_no_sniffing_or_referrer()
    {
        var response = await Browser().GetAsync(new Uri("/partner/sign-in", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var csp = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
        foreach (var directive in new[] { "default-src 'self'", "script-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "form-action 'self'" })
        {
            Assert.Contains(directive, csp, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("unsafe-inline", csp, StringComparison.Ordinal);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
        var html = await response.Content.ReadAsStringAsync();
        Assert.DoesNotMatch("<script(?![^>]*src=)", html); // no inline script
        Assert.DoesNotContain("style=", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bearer_token_opens_no_page()
    {
        var partner = await fixture.App.PartnerAsync();
        var token = await fixture.App.SignInAsync(partner);
        var client = Browser();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

        var response = await client.GetAsync(new Uri("/partner/keys", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/partner/sign-in", response.Headers.Location!.AbsolutePath);
    }

    [Theory]
    [InlineData("/v1/partner/me")]
    [InlineData("/v1/partner/credentials")]
    [InlineData("/v1/partner/audit")]
    public async Task The_portal_cookie_opens_nothing_under_v1(string path)
    {
        var partner = await fixture.App.PartnerAsync();
        var (client, _) = await SignInAsync(partner);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri("/partner/keys", UriKind.Relative))).StatusCode);

        var response = await client.GetAsync(new Uri(path, UriKind.Relative));

        await response.AssertProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task Signing_out_takes_a_form_post_with_its_token_and_ends_the_session()
    {
        var partner = await fixture.App.PartnerAsync();
        var (client, _) = await SignInAsync(partner);

        // Another site's form (no token) signs nobody out.
        var forged = await client.PostAsync(new Uri("/partner/sign-out", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string>()));
        Assert.Equal(HttpStatusCode.Redirect, forged.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri("/partner/keys", UriKind.Relative))).StatusCode);

        var token = await AntiforgeryTokenAsync(client, "/partner/keys");
        var signOut = await client.PostAsync(new Uri("/partner/sign-out", UriKind.Relative),
            new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = token }));

        Assert.Equal("/partner/sign-in?signedOut=1", signOut.Headers.Location!.OriginalString);
        var after = await client.GetAsync(new Uri("/partner/keys", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
    }

    [Fact]
    public async Task Wrong_credentials_on_the_page_get_the_same_message_for_every_case_and_keep_nothing_but_the_e_mail()
    {
        var partner = await fixture.App.PartnerAsync();
        var client = Browser();
        async Task<string> TryAsync(string email, string password)
        {
            var token = await AntiforgeryTokenAsync(client, "/partner/sign-in");
            var answer = await client.PostAsync(new Uri("/partner/sign-in", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["_handler"] = "sign-in", ["__RequestVerificationToken"] = token, ["Input.Email"] = email, ["Input.Password"] = password,
            }));
            Assert.Equal(HttpStatusCode.Unauthorized, answer.StatusCode);
            var html = await answer.Content.ReadAsStringAsync();
            Assert.DoesNotContain(password, html, StringComparison.Ordinal);
            Assert.Contains($"value=\"{email}\"", html, StringComparison.Ordinal);
            return Regex.Match(html, "<div class=\"flash flash-error\".*?</div>", RegexOptions.Singleline).Value;
        }

        var wrongPassword = await TryAsync(partner.Email, "not the password at all");
        var unknown = await TryAsync($"nobody-{Guid.NewGuid():N}@partner.example", "not the password at all");

        Assert.Contains("Invalid e-mail or password.", wrongPassword, StringComparison.Ordinal);
        Assert.Equal(wrongPassword, unknown);
    }

    [Fact]
    public async Task Posting_the_revoke_or_rotate_form_for_another_organisations_key_changes_nothing()
    {
        var owner = await fixture.App.PartnerAsync();
        var api = fixture.App.ClientWithToken(await fixture.App.SignInAsync(owner));
        var created = await api.PostAsJsonAsync(new Uri("/v1/partner/credentials", UriKind.Relative), new { name = "not yours" });
        var body = System.Text.Json.JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement;
        var (key, id) = (body.GetProperty("apiKey").GetString()!, body.GetProperty("credential").GetProperty("id").GetString()!);
        var (stranger, _) = await SignInAsync(await fixture.App.PartnerAsync());
        var token = await AntiforgeryTokenAsync(stranger, "/partner/keys");

        Task<HttpResponseMessage> PostAsync(string keyId, string action) =>
            stranger.PostAsync(new Uri($"/partner/keys/{keyId}/{action}", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["_handler"] = $"{action}-key", ["__RequestVerificationToken"] = token, ["Input.GraceHours"] = "24",
            }));

        foreach (var action in new[] { "revoke", "rotate" })
        {
            // The page of a key that is not theirs has no form to send: refused exactly like a key that never was.
            var theirs = await PostAsync(id, action);
            var unknown = await PostAsync(Guid.NewGuid().ToString(), action);
            Assert.Equal(HttpStatusCode.BadRequest, theirs.StatusCode);
            Assert.Equal(unknown.StatusCode, theirs.StatusCode);
            Assert.Equal(await unknown.Content.ReadAsStringAsync(), await theirs.Content.ReadAsStringAsync());
        }

        var list = await api.GetStringAsync(new Uri("/v1/partner/credentials?status=all", UriKind.Relative));
        var items = System.Text.Json.JsonDocument.Parse(list).RootElement.GetProperty("items");
        Assert.Equal(1, items.GetArrayLength());
        Assert.Equal("active", items[0].GetProperty("status").GetString());
        var probe = new HttpRequestMessage(HttpMethod.Get, "/v1/partner-auth-probe");
        probe.Headers.Add("X-Api-Key", key);
        Assert.Equal(HttpStatusCode.OK, (await fixture.App.CreateClient().SendAsync(probe)).StatusCode);
    }

    [Fact]
    public async Task A_session_made_by_one_server_is_honoured_by_another_on_the_same_database_and_after_a_restart()
    {
        var partner = await fixture.App.PartnerAsync();
        var (_, answer) = await SignInAsync(partner);
        var cookie = answer.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("__Host-idunox.portal=", StringComparison.Ordinal)).Split(';')[0];

        // A second host on the same database: what a second server, or this one after a restart, is.
        await using var other = IdunoxApp.OnPostgres(fixture.Database);
        var client = other.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri("https://localhost"), AllowAutoRedirect = false, HandleCookies = false });
        using var request = new HttpRequestMessage(HttpMethod.Get, "/partner/keys");
        request.Headers.Add("Cookie", cookie);
        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(partner.Email, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // The key ring is in the database, not in a folder of one machine (in-process hosts would share that too).
        await using var connection = new Npgsql.NpgsqlConnection(fixture.Database.ConnectionString);
        await connection.OpenAsync();
        await using var count = new Npgsql.NpgsqlCommand("SELECT count(*) FROM identity.data_protection_keys WHERE xml LIKE '%<key %'", connection);
        Assert.True((long)(await count.ExecuteScalarAsync())! >= 1);
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex TokenField();
}
