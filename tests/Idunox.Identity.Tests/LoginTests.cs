using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Idunox.Identity.Contracts;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Idunox.Identity.Tests;

public sealed class LoginTests(PostgresAppFixture fixture) : IClassFixture<PostgresAppFixture>
{
    private IdunoxApp App => fixture.App;

    [Fact]
    public async Task Signing_in_with_the_right_password_answers_a_bearer_token_for_the_users_tenant()
    {
        var partner = await App.PartnerAsync();

        var response = await App.CreateClient().PostLoginAsync(partner.Email, partner.Password);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(response.Headers.CacheControl?.NoStore);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Bearer", body.GetProperty("tokenType").GetString());
        Assert.Equal(3600, body.GetProperty("expiresIn").GetInt32());
        Assert.Equal(App.Clock.GetUtcNow().UtcDateTime.AddHours(1), body.GetProperty("expiresAt").GetDateTime().ToUniversalTime());

        var token = new JsonWebToken(body.GetProperty("accessToken").GetString());
        Assert.Equal("HS256", token.Alg);
        Assert.Equal(partner.User.Id.ToString(), token.Subject);
        Assert.Equal(partner.Email, token.GetClaim("email").Value);
        Assert.Equal(partner.Organisation.Id.ToString(), token.GetClaim("tenant").Value);
        Assert.Equal("https://idunox.com/partner-platform", token.Issuer);
        Assert.Equal(["idunox-partner-portal"], token.Audiences);
    }

    [Fact]
    public async Task The_email_is_matched_without_regard_to_case_or_surrounding_spaces()
    {
        var partner = await App.PartnerAsync();

        var response = await App.CreateClient().PostLoginAsync($"  {partner.Email.ToUpperInvariant()} ", partner.Password);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Every_refusal_is_the_same_401_whether_or_not_the_email_exists()
    {
        var partner = await App.PartnerAsync();
        var disabled = await App.PartnerAsync();
        await App.ProvisionAsync(p => p.SetPartnerUserEnabledAsync(disabled.Email, false, CancellationToken.None));
        var suspended = await App.PartnerAsync();
        await App.ProvisionAsync(p => p.SetOrganisationStatusAsync(suspended.Organisation.Slug, OrganisationStatus.Suspended, CancellationToken.None));
        var client = App.CreateClient();

        var answers = new List<string>();
        foreach (var (email, password) in new[]
                 {
                     (partner.Email, "wrong password, long enough"),
                     ($"nobody-{Guid.NewGuid():N}@partner.example", partner.Password),
                     (disabled.Email, disabled.Password),
                     (suspended.Email, suspended.Password),
                 })
        {
            var response = await client.PostLoginAsync(email, password);
            var problem = await response.AssertProblemAsync(HttpStatusCode.Unauthorized, "invalid_credentials");
            Assert.False(response.Headers.Contains("Retry-After"));
            answers.Add($"{problem.GetProperty("title")}|{problem.GetProperty("detail")}|{problem.GetProperty("type")}|{response.Headers.WwwAuthenticate}");
        }

        Assert.Single(answers.Distinct());
    }

    [Fact]
    public async Task A_staff_account_cannot_sign_in_to_the_portal()
    {
        var email = $"staff-{Guid.NewGuid():N}@idunox.example";
        await App.ProvisionAsync(p => p.AddStaffUserAsync(email, [StaffRoles.Ops], Arrange.DefaultPassword, CancellationToken.None));

        var response = await App.CreateClient().PostLoginAsync(email, Arrange.DefaultPassword);

        await response.AssertProblemAsync(HttpStatusCode.Unauthorized, "invalid_credentials");
    }

    [Fact]
    public async Task Five_failures_lock_the_email_for_fifteen_minutes_even_against_the_right_password()
    {
        var partner = await App.PartnerAsync();
        var client = App.CreateClient();

        for (var i = 0; i < 5; i++)
        {
            await (await client.PostLoginAsync(partner.Email, $"wrong password number {i}")).AssertProblemAsync(HttpStatusCode.Unauthorized, "invalid_credentials");
        }

        var locked = await client.PostLoginAsync(partner.Email, partner.Password);
        await locked.AssertProblemAsync(HttpStatusCode.TooManyRequests, "too_many_attempts");
        Assert.Equal(TimeSpan.FromMinutes(15), locked.Headers.RetryAfter?.Delta);

        App.Clock.Advance(TimeSpan.FromMinutes(14));
        var stillLocked = await client.PostLoginAsync(partner.Email, partner.Password);
        await stillLocked.AssertProblemAsync(HttpStatusCode.TooManyRequests, "too_many_attempts");
        Assert.Equal(TimeSpan.FromMinutes(1), stillLocked.Headers.RetryAfter?.Delta);

        App.Clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(HttpStatusCode.OK, (await client.PostLoginAsync(partner.Email, partner.Password)).StatusCode);
    }

    [Theory]
    [InlineData(30)]
    [InlineData(50)]
    public async Task A_burst_of_parallel_wrong_passwords_gets_no_more_password_checks_than_the_limit(int burst)
    {
        var partner = await App.PartnerAsync();
        await BurstAsync(App, fixture.Gate, partner, burst);
    }

    [Fact]
    public async Task A_burst_of_parallel_wrong_passwords_on_the_embedded_default_gets_no_more_password_checks_than_the_limit()
    {
        var gate = new CommandGate();
        await using var app = IdunoxApp.OnSqlite(Path.Combine(Path.GetTempPath(), $"idunox-burst-{Guid.NewGuid():N}.db"));
        app.TestServices.Add(services => services.AddSingleton<Microsoft.EntityFrameworkCore.Diagnostics.IInterceptor>(gate));
        var partner = await app.PartnerAsync();
        await BurstAsync(app, gate, partner, 20);
    }

    /// <summary>
    /// Sends a burst of wrong passwords at once: the gate holds the first ten attempts' reservations until all ten have
    /// arrived, so they overlap for certain (run one after another, the first would wait in vain and fail the test). Ten,
    /// because each waiting attempt holds a pooled connection (the test server's pool has 20).
    /// </summary>
    private static async Task BurstAsync(IdunoxApp app, CommandGate gate, TestPartner partner, int burst)
    {
        var guesses = new List<Task<HttpResponseMessage>>();
        using (gate.Arm("login_attempts\" AS a", parties: 10))
        {
            guesses.AddRange(Enumerable.Range(0, burst).Select(i => app.CreateClient().PostLoginAsync(partner.Email, $"guess number {i} of many")));
            await Task.WhenAll(guesses);
            Assert.Equal(burst, gate.Arrived);
        }

        var answers = guesses.Select(g => g.Result).ToList();
        // Each 401 is a password that was checked; everything past the limit was refused before any check.
        Assert.Equal(5, answers.Count(a => a.StatusCode == HttpStatusCode.Unauthorized));
        Assert.Equal(burst - 5, answers.Count(a => a.StatusCode == HttpStatusCode.TooManyRequests));
        await (await app.CreateClient().PostLoginAsync(partner.Email, partner.Password)).AssertProblemAsync(HttpStatusCode.TooManyRequests, "too_many_attempts");
    }

    [Fact]
    public async Task A_user_who_locked_themselves_out_and_used_a_reset_link_signs_in_at_once_from_the_same_address()
    {
        var partner = await App.PartnerAsync();
        var client = App.CreateClient();
        client.DefaultRequestHeaders.Add(IdunoxApp.ClientAddressHeader, "198.51.100.70");
        for (var i = 0; i < 5; i++)
        {
            await client.PostLoginAsync(partner.Email, $"what was it again {i}");
        }

        await (await client.PostLoginAsync(partner.Email, partner.Password)).AssertProblemAsync(HttpStatusCode.TooManyRequests, "too_many_attempts");
        await using (var scope = App.Services.CreateAsyncScope())
        {
            var link = (await scope.ServiceProvider.GetRequiredService<IPartnerAccounts>()
                .CreatePasswordResetAsync(partner.Organisation.Id, partner.User.Id, CancellationToken.None)).Value!;
            var token = System.Web.HttpUtility.ParseQueryString(link.Link.Query)["token"];
            Assert.NotNull((await scope.ServiceProvider.GetRequiredService<Idunox.Identity.Onboarding.AccountLinks>().SetPasswordAsync(token,
                Idunox.Identity.Onboarding.PartnerLinks.PasswordReset, "remembered at last 2026", "remembered at last 2026", "198.51.100.70",
                CancellationToken.None)).Value);
        }

        Assert.Equal(HttpStatusCode.OK, (await client.PostLoginAsync(partner.Email, "remembered at last 2026")).StatusCode);
    }

    [Fact]
    public async Task A_flood_of_wrong_passwords_from_one_address_locks_that_address_only_and_the_real_user_elsewhere_signs_in()
    {
        var partner = await App.PartnerAsync();
        var attacker = App.CreateClient();
        attacker.DefaultRequestHeaders.Add(IdunoxApp.ClientAddressHeader, "203.0.113.66");
        for (var i = 0; i < 8; i++)
        {
            var answer = await attacker.PostLoginAsync(partner.Email, $"wrong password number {i}");
            Assert.Equal(i < 5 ? HttpStatusCode.Unauthorized : HttpStatusCode.TooManyRequests, answer.StatusCode);
        }

        // Even the right password waits, from the attacker's address ...
        await (await attacker.PostLoginAsync(partner.Email, partner.Password)).AssertProblemAsync(HttpStatusCode.TooManyRequests, "too_many_attempts");
        // ... but not from the real user's.
        var user = App.CreateClient();
        user.DefaultRequestHeaders.Add(IdunoxApp.ClientAddressHeader, "198.51.100.40");
        Assert.Equal(HttpStatusCode.OK, (await user.PostLoginAsync(partner.Email, partner.Password)).StatusCode);

        // An IPv6 attacker rotating through its /64 is one address.
        for (var i = 1; i <= 6; i++)
        {
            var rotating = App.CreateClient();
            rotating.DefaultRequestHeaders.Add(IdunoxApp.ClientAddressHeader, $"2001:db8:66:66::{i:x}");
            var answer = await rotating.PostLoginAsync(partner.Email, $"rotating guess {i}");
            Assert.Equal(i <= 5 ? HttpStatusCode.Unauthorized : HttpStatusCode.TooManyRequests, answer.StatusCode);
        }

        var neighbour = App.CreateClient();
        neighbour.DefaultRequestHeaders.Add(IdunoxApp.ClientAddressHeader, "2001:db8:66:67::1");
        Assert.Equal(HttpStatusCode.OK, (await neighbour.PostLoginAsync(partner.Email, partner.Password)).StatusCode);
    }

    [Fact]
    public async Task A_burst_of_wrong_current_passwords_on_change_password_meets_the_same_limit()
    {
        var partner = await App.PartnerAsync();
        var client = App.ClientWithToken(await App.SignInAsync(partner));
        using var gate = new SemaphoreSlim(0);
        var guesses = Enumerable.Range(0, 30).Select(async i =>
        {
            await gate.WaitAsync();
            return await client.PostAsJsonAsync(new Uri("/v1/partner/auth/change-password", UriKind.Relative),
                new { currentPassword = $"guess number {i} of many", newPassword = "a brand new long passphrase" });
        }).ToList();

        gate.Release(30);
        var answers = await Task.WhenAll(guesses);

        Assert.Equal(5, answers.Count(a => a.StatusCode == HttpStatusCode.BadRequest));
        Assert.Equal(25, answers.Count(a => a.StatusCode == HttpStatusCode.TooManyRequests));
    }

    [Fact]
    public async Task A_success_clears_earlier_failures()
    {
        var partner = await App.PartnerAsync();
        var client = App.CreateClient();
        for (var i = 0; i < 4; i++)
        {
            await client.PostLoginAsync(partner.Email, "wrong password again");
        }

        Assert.Equal(HttpStatusCode.OK, (await client.PostLoginAsync(partner.Email, partner.Password)).StatusCode);
        for (var i = 0; i < 4; i++)
        {
            await (await client.PostLoginAsync(partner.Email, "wrong password again")).AssertProblemAsync(HttpStatusCode.Unauthorized, "invalid_credentials");
        }

        Assert.Equal(HttpStatusCode.OK, (await client.PostLoginAsync(partner.Email, partner.Password)).StatusCode);
    }

    [Fact]
    public async Task An_unknown_email_locks_exactly_like_a_known_one()
    {
        var email = $"nobody-{Guid.NewGuid():N}@partner.example";
        var client = App.CreateClient();

        for (var i = 0; i < 5; i++)
        {
            await (await client.PostLoginAsync(email, "some password or other")).AssertProblemAsync(HttpStatusCode.Unauthorized, "invalid_credentials");
        }

        var locked = await client.PostLoginAsync(email, "some password or other");
        await locked.AssertProblemAsync(HttpStatusCode.TooManyRequests, "too_many_attempts");
        Assert.Equal(TimeSpan.FromMinutes(15), locked.Headers.RetryAfter?.Delta);
    }

    [Fact]
    public async Task Missing_and_oversized_fields_are_validation_problems()
    {
        var client = App.CreateClient();

        var empty = await client.PostAsJsonAsync(new Uri("/v1/partner/auth/login", UriKind.Relative), new { });
        var problem = await empty.AssertProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        Assert.True(problem.GetProperty("errors").TryGetProperty("email", out _));
        Assert.True(problem.GetProperty("errors").TryGetProperty("password", out _));

        var huge = await client.PostLoginAsync(new string('a', 5000) + "@partner.example", new string('p', 5000));
        problem = await huge.AssertProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        Assert.True(problem.GetProperty("errors").TryGetProperty("email", out _));
        Assert.True(problem.GetProperty("errors").TryGetProperty("password", out _));
    }

    [Theory]
    [InlineData("{\"email\":")]
    [InlineData("not json at all")]
    [InlineData("[\"an\",\"array\"]")]
    [InlineData("")]
    [InlineData("null")]
    public async Task Malformed_bodies_are_400_problems(string body)
    {
        var response = await App.CreateClient().PostAsync(new Uri("/v1/partner/auth/login", UriKind.Relative),
            new StringContent(body, Encoding.UTF8, "application/json"));

        await response.AssertProblemAsync(HttpStatusCode.BadRequest, "malformed_request");
    }

    [Fact]
    public async Task A_value_of_the_wrong_type_is_a_validation_problem_naming_the_field()
    {
        var response = await App.CreateClient().PostAsync(new Uri("/v1/partner/auth/login", UriKind.Relative),
            new StringContent("{\"email\": 5, \"password\": true}", Encoding.UTF8, "application/json"));

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        Assert.True(problem.GetProperty("errors").TryGetProperty("email", out _), problem.ToString());
    }

    [Fact]
    public async Task A_body_that_is_not_JSON_by_its_content_type_is_a_415_problem()
    {
        var response = await App.CreateClient().PostAsync(new Uri("/v1/partner/auth/login", UriKind.Relative),
            new StringContent("email=a&password=b", Encoding.UTF8, "application/x-www-form-urlencoded"));

        await response.AssertProblemAsync(HttpStatusCode.UnsupportedMediaType, "unsupported_media_type");
    }

    [Fact]
    public async Task An_oversized_body_is_refused_before_it_is_read()
    {
        var body = $"{{\"email\":\"a@b.example\",\"password\":\"{new string('x', 200_000)}\"}}";

        var response = await App.CreateClient().PostAsync(new Uri("/v1/partner/auth/login", UriKind.Relative),
            new StringContent(body, Encoding.UTF8, "application/json"));

        await response.AssertProblemAsync(HttpStatusCode.RequestEntityTooLarge, "payload_too_large");
    }
}

public sealed class LoginRateLimitFixture : PostgresAppFixture
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Identity:Login:AttemptsPerAddressPerMinute"] = "3",
    };
}

public sealed class LoginRateLimitTests(LoginRateLimitFixture fixture) : IClassFixture<LoginRateLimitFixture>
{
    [Fact]
    public async Task One_address_gets_a_fixed_number_of_attempts_a_minute_known_email_or_not()
    {
        var app = fixture.App;
        var partner = await app.PartnerAsync();
        var client = app.CreateClient();

        await (await client.PostLoginAsync($"nobody-{Guid.NewGuid():N}@partner.example", "whatever it is")).AssertProblemAsync(HttpStatusCode.Unauthorized, "invalid_credentials");
        await (await client.PostLoginAsync(partner.Email, "wrong password here")).AssertProblemAsync(HttpStatusCode.Unauthorized, "invalid_credentials");
        Assert.Equal(HttpStatusCode.OK, (await client.PostLoginAsync(partner.Email, partner.Password)).StatusCode);

        var limited = await client.PostLoginAsync(partner.Email, partner.Password);
        await limited.AssertProblemAsync(HttpStatusCode.TooManyRequests, "too_many_attempts");
        Assert.Equal(TimeSpan.FromSeconds(60), limited.Headers.RetryAfter?.Delta);
        await (await client.PostLoginAsync($"nobody-{Guid.NewGuid():N}@partner.example", "whatever it is")).AssertProblemAsync(HttpStatusCode.TooManyRequests, "too_many_attempts");

        // Another address has a budget of its own.
        var elsewhere = app.CreateClient();
        elsewhere.DefaultRequestHeaders.Add(IdunoxApp.ClientAddressHeader, "198.51.100.7");
        Assert.Equal(HttpStatusCode.OK, (await elsewhere.PostLoginAsync(partner.Email, partner.Password)).StatusCode);

        app.Clock.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(HttpStatusCode.OK, (await client.PostLoginAsync(partner.Email, partner.Password)).StatusCode);
    }

    [Fact]
    public async Task Several_servers_share_one_address_budget_instead_of_multiplying_it()
    {
        var app = fixture.App;
        await using var other = IdunoxApp.OnPostgres(fixture.Database, extra: new Dictionary<string, string?> { ["Identity:Login:AttemptsPerAddressPerMinute"] = "3" });
        other.Clock.SetUtcNow(app.Clock.GetUtcNow());
        var partner = await app.PartnerAsync();
        const string address = "203.0.113.9";
        var onA = app.CreateClient();
        var onB = other.CreateClient();
        onA.DefaultRequestHeaders.Add(IdunoxApp.ClientAddressHeader, address);
        onB.DefaultRequestHeaders.Add(IdunoxApp.ClientAddressHeader, address);

        Assert.Equal(HttpStatusCode.OK, (await onA.PostLoginAsync(partner.Email, partner.Password)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await onB.PostLoginAsync(partner.Email, partner.Password)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await onA.PostLoginAsync(partner.Email, partner.Password)).StatusCode);

        // Three attempts were made through two servers: the fourth is refused on either.
        await (await onB.PostLoginAsync(partner.Email, partner.Password)).AssertProblemAsync(HttpStatusCode.TooManyRequests, "too_many_attempts");
        await (await onA.PostLoginAsync(partner.Email, partner.Password)).AssertProblemAsync(HttpStatusCode.TooManyRequests, "too_many_attempts");
    }
}
