using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;

namespace Idunox.Identity.Tests;

public sealed class AccountTests(PostgresAppFixture fixture) : IClassFixture<PostgresAppFixture>
{
    private static readonly Uri Me = new("/v1/partner/me", UriKind.Relative);
    private static readonly Uri ChangePassword = new("/v1/partner/auth/change-password", UriKind.Relative);

    private IdunoxApp App => fixture.App;

    [Fact]
    public async Task Me_answers_the_signed_in_user_and_their_organisation()
    {
        var partner = await App.PartnerAsync();

        var me = await App.ClientWithToken(await App.SignInAsync(partner)).GetFromJsonAsync<JsonElement>(Me);

        Assert.Equal(partner.User.Id, me.GetProperty("user").GetProperty("id").GetGuid());
        Assert.Equal(partner.Email, me.GetProperty("user").GetProperty("email").GetString());
        Assert.Equal(partner.User.DisplayName, me.GetProperty("user").GetProperty("displayName").GetString());
        Assert.Equal(partner.Organisation.Id, me.GetProperty("tenant").GetProperty("id").GetGuid());
        Assert.Equal(partner.Organisation.Name, me.GetProperty("tenant").GetProperty("name").GetString());
        Assert.Equal(partner.Organisation.Slug, me.GetProperty("tenant").GetProperty("slug").GetString());
    }

    [Fact]
    public async Task Changing_the_password_ends_older_tokens_and_answers_a_new_one()
    {
        var partner = await App.PartnerAsync();
        var oldToken = await App.SignInAsync(partner);
        const string newPassword = "a much better passphrase";

        var response = await App.ClientWithToken(oldToken).PostAsJsonAsync(ChangePassword,
            new { currentPassword = partner.Password, newPassword });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(response.Headers.CacheControl?.NoStore);
        var newToken = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString()!;
        await (await App.ClientWithToken(oldToken).GetAsync(Me)).AssertProblemAsync(HttpStatusCode.Unauthorized, "invalid_token");
        Assert.Equal(HttpStatusCode.OK, (await App.ClientWithToken(newToken).GetAsync(Me)).StatusCode);
        await (await App.CreateClient().PostLoginAsync(partner.Email, partner.Password)).AssertProblemAsync(HttpStatusCode.Unauthorized, "invalid_credentials");
        Assert.Equal(HttpStatusCode.OK, (await App.CreateClient().PostLoginAsync(partner.Email, newPassword)).StatusCode);
    }

    [Theory]
    [InlineData("short pass", "newPassword")]
    [InlineData("", "newPassword")]
    [InlineData("EMAIL", "newPassword")]
    [InlineData("my address is EMAIL ok", "newPassword")]
    [InlineData("WRONG-CURRENT", "currentPassword")]
    public async Task Password_policy_and_a_wrong_current_password_are_validation_problems(string newPassword, string field)
    {
        var partner = await App.PartnerAsync();
        var token = await App.SignInAsync(partner);
        var current = newPassword == "WRONG-CURRENT" ? "not the current password" : partner.Password;
        newPassword = newPassword == "WRONG-CURRENT" ? "a perfectly fine new password" : newPassword.Replace("EMAIL", partner.Email.ToUpperInvariant(), StringComparison.Ordinal);

        var response = await App.ClientWithToken(token).PostAsJsonAsync(ChangePassword, new { currentPassword = current, newPassword });

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal([field], problem.GetProperty("errors").EnumerateObject().Select(p => p.Name));
        Assert.Equal(HttpStatusCode.OK, (await App.ClientWithToken(token).GetAsync(Me)).StatusCode); // nothing changed
        Assert.Equal(HttpStatusCode.OK, (await App.CreateClient().PostLoginAsync(partner.Email, partner.Password)).StatusCode);
    }

    [Fact]
    public async Task Changing_the_password_needs_a_valid_token()
    {
        var response = await App.CreateClient().PostAsJsonAsync(ChangePassword, new { currentPassword = "x", newPassword = "y" });

        await response.AssertProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task Passwords_are_stored_only_as_Identity_hashes()
    {
        var partner = await App.PartnerAsync(password: "plaintext that must never be stored");

        await using var connection = new NpgsqlConnection(fixture.Database.ConnectionString);
        await connection.OpenAsync();
        var tables = new List<string>();
        await using (var list = new NpgsqlCommand("SELECT table_name FROM information_schema.tables WHERE table_schema = 'identity'", connection))
        await using (var reader = await list.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                tables.Add(reader.GetString(0));
            }
        }

        Assert.Contains("partner_users", tables);
        foreach (var table in tables)
        {
            await using var dump = new NpgsqlCommand($"SELECT row_to_json(t)::text FROM identity.\"{table}\" t", connection);
            await using var rows = await dump.ExecuteReaderAsync();
            while (await rows.ReadAsync())
            {
                Assert.DoesNotContain("plaintext that must never be stored", rows.GetString(0), StringComparison.Ordinal);
            }
        }

        await using var hash = new NpgsqlCommand("SELECT password_hash FROM identity.partner_users WHERE id = @id", connection);
        hash.Parameters.AddWithValue("id", partner.User.Id);
        var stored = (string)(await hash.ExecuteScalarAsync())!;
        Assert.Equal(0x01, Convert.FromBase64String(stored)[0]); // ASP.NET Core Identity's v3 format (PBKDF2)
    }
}
