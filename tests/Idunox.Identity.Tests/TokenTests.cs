using System.Net;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Text;
using Idunox.Identity.Contracts;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Idunox.Identity.Tests;

public sealed class TokenTests(PostgresAppFixture fixture) : IClassFixture<PostgresAppFixture>
{
    private static readonly Uri Me = new("/v1/partner/me", UriKind.Relative);

    private IdunoxApp App => fixture.App;

    [Fact]
    public async Task Without_a_token_me_is_a_401_problem_with_a_bearer_challenge()
    {
        var response = await App.CreateClient().GetAsync(Me);

        await response.AssertProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Fact]
    public async Task A_token_stops_working_when_it_expires()
    {
        var partner = await App.PartnerAsync();
        var client = App.ClientWithToken(await App.SignInAsync(partner));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(Me)).StatusCode);

        App.Clock.Advance(TimeSpan.FromMinutes(59));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(Me)).StatusCode);

        App.Clock.Advance(TimeSpan.FromMinutes(1));
        await (await client.GetAsync(Me)).AssertProblemAsync(HttpStatusCode.Unauthorized, "invalid_token");
    }

    public static TheoryData<string> Forgeries => new()
    {
        "another key",
        "alg none",
        "HS512 with the right key",
        "wrong issuer",
        "wrong audience",
        "tampered payload",
        "no expiry",
        "not yet valid",
        "garbage",
    };

    [Theory]
    [MemberData(nameof(Forgeries))]
    public async Task Forged_and_tampered_tokens_are_refused(string forgery)
    {
        var partner = await App.PartnerAsync();
        var victim = await App.PartnerAsync();
        var genuine = await App.SignInAsync(partner);
        Assert.Equal(HttpStatusCode.OK, (await App.ClientWithToken(genuine).GetAsync(Me)).StatusCode);
        var stamp = genuine; // the forgeries copy its stamps

        var token = forgery switch
        {
            "another key" => Forge(partner, stamp, key: Key("another-key-that-is-also-long-enough-for-hs256!!")),
            "alg none" => Unsigned(partner, stamp),
            "HS512 with the right key" => Forge(partner, stamp, algorithm: SecurityAlgorithms.HmacSha512),
            "wrong issuer" => Forge(partner, stamp, issuer: "https://evil.example"),
            "wrong audience" => Forge(partner, stamp, audience: "some-other-api"),
            "tampered payload" => Tamper(genuine, partner.Organisation.Id.ToString(), victim.Organisation.Id.ToString()),
            "no expiry" => Forge(partner, stamp, noExpiry: true),
            "not yet valid" => Forge(partner, stamp, notBefore: App.Clock.GetUtcNow().UtcDateTime.AddMinutes(5)),
            _ => "eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.c2lnbmF0dXJl",
        };

        var response = await App.ClientWithToken(token).GetAsync(Me);

        await response.AssertProblemAsync(HttpStatusCode.Unauthorized, "invalid_token");
        Assert.Contains("invalid_token", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_correctly_forged_token_is_accepted_so_the_forgeries_above_fail_for_their_own_reason()
    {
        var partner = await App.PartnerAsync();
        var stamp = await App.SignInAsync(partner);

        Assert.Equal(HttpStatusCode.OK, (await App.ClientWithToken(Forge(partner, stamp)).GetAsync(Me)).StatusCode);
    }

    [Fact]
    public async Task A_rotated_signing_key_keeps_tokens_of_the_previous_one_working_while_it_is_listed()
    {
        var partner = await App.PartnerAsync();
        var before = await App.SignInAsync(partner); // signed with the key in use until now
        const string next = "dGhlLW5leHQtc2lnbmluZy1rZXktYWZ0ZXItdGhlLXJvdGF0aW9uLTI1Ni1iaXRzLW9yLW1vcmU=";

        await using var rotated = IdunoxApp.OnPostgres(fixture.Database, extra: new Dictionary<string, string?>
        {
            ["Jwt:SigningKey"] = next,
            ["Jwt:PreviousSigningKeys:0"] = IdunoxApp.JwtSigningKey,
        });
        await using var forgotten = IdunoxApp.OnPostgres(fixture.Database, extra: new Dictionary<string, string?> { ["Jwt:SigningKey"] = next });

        Assert.Equal(HttpStatusCode.OK, (await rotated.ClientWithToken(before).GetAsync(Me)).StatusCode);
        await (await forgotten.ClientWithToken(before).GetAsync(Me)).AssertProblemAsync(HttpStatusCode.Unauthorized, "invalid_token");

        // New tokens are signed with the new key only: a host that does not know it yet refuses them.
        var after = await rotated.SignInAsync(partner);
        Assert.Equal(HttpStatusCode.OK, (await forgotten.ClientWithToken(after).GetAsync(Me)).StatusCode);
        await (await App.ClientWithToken(after).GetAsync(Me)).AssertProblemAsync(HttpStatusCode.Unauthorized, "invalid_token");
    }

    [Fact]
    public async Task Disabling_the_user_ends_its_tokens_and_enabling_it_does_not_revive_them()
    {
        var partner = await App.PartnerAsync();
        var client = App.ClientWithToken(await App.SignInAsync(partner));

        await App.ProvisionAsync(p => p.SetPartnerUserEnabledAsync(partner.Email, false, CancellationToken.None));
        await (await client.GetAsync(Me)).AssertProblemAsync(HttpStatusCode.Unauthorized, "invalid_token");

        await App.ProvisionAsync(p => p.SetPartnerUserEnabledAsync(partner.Email, true, CancellationToken.None));
        await (await client.GetAsync(Me)).AssertProblemAsync(HttpStatusCode.Unauthorized, "invalid_token");
        Assert.Equal(HttpStatusCode.OK, (await App.ClientWithToken(await App.SignInAsync(partner)).GetAsync(Me)).StatusCode);
    }

    [Fact]
    public async Task Suspending_the_organisation_ends_its_users_tokens_for_good_and_activating_it_does_not_revive_them()
    {
        var partner = await App.PartnerAsync();
        var signedIn = App.ClientWithToken(await App.SignInAsync(partner));
        // A token from the other way one is issued: changing the password.
        var changed = await signedIn.PostAsJsonAsync(new Uri("/v1/partner/auth/change-password", UriKind.Relative),
            new { currentPassword = partner.Password, newPassword = "another long passphrase" });
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        var fromChange = App.ClientWithToken((await changed.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("accessToken").GetString()!);
        Assert.Equal(HttpStatusCode.OK, (await fromChange.GetAsync(Me)).StatusCode);

        await App.ProvisionAsync(p => p.SetOrganisationStatusAsync(partner.Organisation.Slug, OrganisationStatus.Suspended, CancellationToken.None));
        await (await fromChange.GetAsync(Me)).AssertProblemAsync(HttpStatusCode.Unauthorized, "invalid_token");

        await App.ProvisionAsync(p => p.SetOrganisationStatusAsync(partner.Organisation.Slug, OrganisationStatus.Active, CancellationToken.None));
        await (await fromChange.GetAsync(Me)).AssertProblemAsync(HttpStatusCode.Unauthorized, "invalid_token");
        var fresh = App.ClientWithToken(await App.SignInAsync(partner.Email, "another long passphrase"));
        Assert.Equal(HttpStatusCode.OK, (await fresh.GetAsync(Me)).StatusCode);
    }

    [Fact]
    public async Task A_correctly_signed_token_whose_user_and_tenant_disagree_is_refused()
    {
        var partner = await App.PartnerAsync();
        var other = await App.PartnerAsync();
        var genuine = await App.SignInAsync(partner);

        var token = Forge(partner, genuine, tenant: other.Organisation.Id);

        await (await App.ClientWithToken(token).GetAsync(Me)).AssertProblemAsync(HttpStatusCode.Unauthorized, "invalid_token");
        await (await App.ClientWithToken(token).GetAsync(new Uri("/v1/partner/credentials", UriKind.Relative)))
            .AssertProblemAsync(HttpStatusCode.Unauthorized, "invalid_token");
    }

    private string Forge(
        TestPartner partner,
        string stamp,
        SecurityKey? key = null,
        string algorithm = SecurityAlgorithms.HmacSha256,
        string issuer = "https://idunox.com/partner-platform",
        string audience = "idunox-partner-portal",
        DateTime? notBefore = null,
        bool noExpiry = false,
        Guid? tenant = null)
    {
        var now = App.Clock.GetUtcNow().UtcDateTime;
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            IssuedAt = now,
            NotBefore = notBefore ?? now,
            Expires = noExpiry ? null : now.AddMinutes(30),
            SigningCredentials = new SigningCredentials(key ?? TestKey, algorithm),
            Subject = Claims(partner, stamp, tenant),
        };
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }

    private string Unsigned(TestPartner partner, string stamp)
    {
        var now = App.Clock.GetUtcNow().UtcDateTime;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = "https://idunox.com/partner-platform",
            Audience = "idunox-partner-portal",
            Expires = now.AddMinutes(30),
            NotBefore = now,
            Subject = Claims(partner, stamp),
        });
    }

    /// <summary>Swaps the tenant in the payload, keeping the header and signature.</summary>
    private static string Tamper(string token, string from, string to)
    {
        var parts = token.Split('.');
        var payload = Encoding.UTF8.GetString(Base64UrlEncoder.DecodeBytes(parts[1])).Replace(from, to, StringComparison.Ordinal);
        return $"{parts[0]}.{Base64UrlEncoder.Encode(payload)}.{parts[2]}";
    }

    /// <summary>The claims of <paramref name="partner"/>, with the stamps of a genuine token (<paramref name="genuine"/>).</summary>
    private static ClaimsIdentity Claims(TestPartner partner, string genuine, Guid? tenant = null)
    {
        var token = new JsonWebToken(genuine);
        return new(
        [
            new Claim("sub", partner.User.Id.ToString()),
            new Claim("email", partner.Email),
            new Claim("tenant", (tenant ?? partner.Organisation.Id).ToString()),
            new Claim("sstamp", token.GetClaim("sstamp").Value),
            new Claim("ostamp", token.GetClaim("ostamp").Value),
        ]);
    }

    private static SymmetricSecurityKey TestKey => new(Convert.FromBase64String(IdunoxApp.JwtSigningKey));

    private static SymmetricSecurityKey Key(string text) => new(Encoding.UTF8.GetBytes(text));
}
