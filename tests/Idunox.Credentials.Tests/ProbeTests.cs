using System.Net;
using Idunox.Credentials.Keys;
using Idunox.Identity.Contracts;

namespace Idunox.Credentials.Tests;

public sealed class ProbeTests(PostgresAppFixture fixture) : IClassFixture<PostgresAppFixture>
{
    private IdunoxApp App => fixture.App;

    [Fact]
    public async Task Without_a_header_the_probe_asks_for_a_key()
    {
        var response = await PartnerSession.Probe(App, null);

        await response.AssertProblemAsync(HttpStatusCode.Unauthorized, "api_key_missing");
        Assert.Equal("ApiKey", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Fact]
    public async Task Answers_are_whole_JSON_documents_with_their_length_and_a_refusal_is_the_problem_every_error_is()
    {
        var session = await PartnerSession.StartAsync(App);
        var (key, _) = await session.CreateKeyAsync();

        var accepted = await session.ProbeAsync(key);
        var body = await accepted.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        Assert.Equal("application/json; charset=utf-8", accepted.Content.Headers.ContentType!.ToString());
        Assert.Equal(System.Text.Encoding.UTF8.GetByteCount(body), accepted.Content.Headers.ContentLength);
        Assert.EndsWith("}\n", body, StringComparison.Ordinal);
        Assert.Equal("active", System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("credential").GetProperty("status").GetString());

        // The refusal is written from bytes made once; it must be what the problem details service writes for any error.
        var refused = await PartnerSession.Probe(App, ApiKeyFormat.Generate("test"));
        var problem = await refused.Content.ReadAsStringAsync();
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType!.ToString());
        Assert.Equal(System.Text.Encoding.UTF8.GetByteCount(problem), refused.Content.Headers.ContentLength);
        var traceId = System.Text.Json.JsonDocument.Parse(problem).RootElement.GetProperty("traceId").GetString()!;
        var http = new Microsoft.AspNetCore.Http.DefaultHttpContext { RequestServices = App.Services, TraceIdentifier = traceId };
        using var expected = new MemoryStream();
        http.Response.Body = expected;
        var previous = System.Diagnostics.Activity.Current;
        System.Diagnostics.Activity.Current = null;
        try
        {
            await Idunox.Shared.Errors.ApiProblems.WriteAsync(http, 401, "api_key_invalid", "The API key is not valid.", "No such key exists. Create one in the partner portal.");
        }
        finally
        {
            System.Diagnostics.Activity.Current = previous;
        }

        Assert.Equal(System.Text.Encoding.UTF8.GetString(expected.ToArray()) + "\n", problem);
    }

    public static TheoryData<int> GarbageLengths => new() { 1, 7, 17, 46, 47, 48, 64, 65, 500, 4096, 8192 };

    [Theory]
    [MemberData(nameof(GarbageLengths))]
    public async Task Garbage_of_any_length_is_malformed_and_costs_no_database_query(int length)
    {
        var garbage = string.Concat(Enumerable.Range(0, length).Select(i => "idx_test_%$ab"[i % 13]));
        var before = SqlCommands();

        var response = await PartnerSession.Probe(App, garbage);

        await response.AssertProblemAsync(HttpStatusCode.Unauthorized, "api_key_malformed");
        Assert.Equal(before, SqlCommands());
    }

    [Fact]
    public async Task A_garbage_key_costs_no_query_where_a_well_formed_one_does()
    {
        // The positive control for the "no query" tests above: the counter does see the query a well-formed key costs.
        var before = SqlCommands();

        await (await PartnerSession.Probe(App, ApiKeyFormat.Generate("test"))).AssertProblemAsync(HttpStatusCode.Unauthorized, "api_key_invalid");

        Assert.True(SqlCommands() > before, "A well-formed key is looked up in the database, and the counter sees it.");
    }

    [Fact]
    public async Task A_key_with_one_character_changed_fails_its_checksum_without_a_database_query()
    {
        var session = await PartnerSession.StartAsync(App);
        var (key, _) = await session.CreateKeyAsync();
        var position = 12;
        var typo = key[..position] + (key[position] == 'A' ? 'B' : 'A') + key[(position + 1)..];
        var before = SqlCommands();

        await (await session.ProbeAsync(typo)).AssertProblemAsync(HttpStatusCode.Unauthorized, "api_key_malformed");

        Assert.Equal(before, SqlCommands());
    }

    [Fact]
    public async Task A_live_key_is_refused_by_a_test_server_by_its_own_code()
    {
        var liveKey = ApiKeyFormat.Generate("live");
        var before = SqlCommands();

        await (await PartnerSession.Probe(App, liveKey)).AssertProblemAsync(HttpStatusCode.Unauthorized, "api_key_wrong_environment");

        Assert.Equal(before, SqlCommands());
    }

    [Fact]
    public async Task A_well_formed_key_that_was_never_issued_is_invalid()
    {
        await (await PartnerSession.Probe(App, ApiKeyFormat.Generate("test"))).AssertProblemAsync(HttpStatusCode.Unauthorized, "api_key_invalid");
    }

    [Fact]
    public async Task Revoked_and_expired_keys_are_refused_by_their_own_codes()
    {
        var session = await PartnerSession.StartAsync(App);
        var (revokedKey, revoked) = await session.CreateKeyAsync("revoked");
        await session.RevokeAsync(revoked.Id());
        var (expiredKey, _) = await session.CreateKeyAsync("expired", expiresInDays: 1);
        App.Clock.Advance(TimeSpan.FromDays(1));

        await (await session.ProbeAsync(revokedKey)).AssertProblemAsync(HttpStatusCode.Unauthorized, "api_key_revoked");
        await (await session.ProbeAsync(expiredKey)).AssertProblemAsync(HttpStatusCode.Unauthorized, "api_key_expired");
    }

    [Fact]
    public async Task Keys_of_a_suspended_organisation_stop_working_until_it_is_activated()
    {
        var session = await PartnerSession.StartAsync(App);
        var (key, _) = await session.CreateKeyAsync();

        await App.ProvisionAsync(p => p.SetOrganisationStatusAsync(session.Partner.Organisation.Slug, OrganisationStatus.Suspended, CancellationToken.None));
        await (await session.ProbeAsync(key)).AssertProblemAsync(HttpStatusCode.Unauthorized, "api_key_organisation_suspended");

        await App.ProvisionAsync(p => p.SetOrganisationStatusAsync(session.Partner.Organisation.Slug, OrganisationStatus.Active, CancellationToken.None));
        Assert.Equal(HttpStatusCode.OK, (await session.ProbeAsync(key)).StatusCode);
    }

    [Fact]
    public async Task Two_key_headers_are_malformed_and_surrounding_spaces_are_forgiven()
    {
        var session = await PartnerSession.StartAsync(App);
        var (key, _) = await session.CreateKeyAsync();

        var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/v1/partner-auth-probe", UriKind.Relative));
        request.Headers.TryAddWithoutValidation("X-Api-Key", [key, key]);
        await (await App.CreateClient().SendAsync(request)).AssertProblemAsync(HttpStatusCode.Unauthorized, "api_key_malformed");

        Assert.Equal(HttpStatusCode.OK, (await session.ProbeAsync($"  {key} ")).StatusCode);
    }

    [Theory]
    [InlineData("\u00A0{0}")] // no-break space
    [InlineData("{0}\u00A0")]
    [InlineData("{0}\u000B")] // vertical tab
    [InlineData("\u000B{0}")]
    [InlineData("{0}\u2003")] // em space
    [InlineData("\u3000{0}")] // ideographic space
    [InlineData("{0}\u200B")] // zero-width space
    public async Task A_key_with_any_whitespace_but_spaces_and_tabs_around_it_is_malformed(string format)
    {
        var session = await PartnerSession.StartAsync(App);
        var (key, _) = await session.CreateKeyAsync();

        var response = await session.ProbeAsync(string.Format(System.Globalization.CultureInfo.InvariantCulture, format, key));

        await response.AssertProblemAsync(HttpStatusCode.Unauthorized, "api_key_malformed");
        Assert.Equal(HttpStatusCode.OK, (await session.ProbeAsync($"\t {key}\t ")).StatusCode);
    }

    [Fact]
    public async Task A_key_header_on_routes_outside_the_data_API_costs_no_database_query()
    {
        var session = await PartnerSession.StartAsync(App);
        var (key, _) = await session.CreateKeyAsync();
        var unknown = Idunox.Credentials.Keys.ApiKeyFormat.Generate("test");
        var client = App.CreateClient();

        foreach (var path in new[] { "/health/live", "/no/such/route", "/v1/partner/config" })
        {
            var request = new HttpRequestMessage(HttpMethod.Get, new Uri(path, UriKind.Relative));
            request.Headers.Add("X-Api-Key", unknown);
            var before = SqlCommands();
            var response = await client.SendAsync(request);
            Assert.Equal(before, SqlCommands());
            Assert.NotEqual(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        // The positive control: on the data API the same header costs a query, and a known key is found.
        var probeBefore = SqlCommands();
        await (await PartnerSession.Probe(App, unknown)).AssertProblemAsync(HttpStatusCode.Unauthorized, "api_key_invalid");
        Assert.True(SqlCommands() > probeBefore);
        Assert.Equal(HttpStatusCode.OK, (await session.ProbeAsync(key)).StatusCode);
    }

    [Fact]
    public async Task Refused_keys_are_logged_below_information_so_a_flood_cannot_fill_the_logs()
    {
        var unknown = Idunox.Credentials.Keys.ApiKeyFormat.Generate("test");

        await (await PartnerSession.Probe(App, unknown)).AssertProblemAsync(HttpStatusCode.Unauthorized, "api_key_invalid");

        var refusals = App.Logs.Lines.Where(l => l.Contains("Refused an API key", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(refusals);
        Assert.All(refusals, l => Assert.StartsWith("Debug ", l, StringComparison.Ordinal));
    }

    private int SqlCommands() => App.Logs.Lines.Count(l => l.Contains("Executed DbCommand", StringComparison.Ordinal));
}

public sealed class RefusalLimitFixture : PostgresAppFixture
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Credentials:Verification:RefusalsPerAddressPerMinute"] = "3",
    };
}

/// <summary>
/// Anyone can mint well-formed keys; an address that keeps presenting keys nobody issued is made to wait for keys that
/// would need a query — but a partner's keys the server knows, valid or not, never pay for it.
/// </summary>
public sealed class RefusalLimitTests(RefusalLimitFixture fixture) : IClassFixture<RefusalLimitFixture>
{
    private IdunoxApp App => fixture.App;

    private static int _nextAddress;

    /// <summary>An address no other test of the class uses (the fixture's limiter is shared).</summary>
    private static string NewAddress() => $"203.0.113.{Interlocked.Increment(ref _nextAddress)}";

    [Fact]
    public async Task An_address_past_its_unknown_keys_gets_429_for_new_unknown_keys_while_its_valid_key_keeps_working_and_others_are_unaffected()
    {
        var session = await PartnerSession.StartAsync(App);
        var (good, _) = await session.CreateKeyAsync();
        var guesser = NewAddress();
        Assert.Equal(HttpStatusCode.OK, (await ProbeFrom(guesser, good)).StatusCode); // the partner's integration, in use

        for (var i = 0; i < 3; i++)
        {
            await (await ProbeFrom(guesser, ApiKeyFormat.Generate("test"))).AssertProblemAsync(HttpStatusCode.Unauthorized, "api_key_invalid");
        }

        var limited = await ProbeFrom(guesser, ApiKeyFormat.Generate("test"));
        await limited.AssertProblemAsync(HttpStatusCode.TooManyRequests, "too_many_attempts");
        var retryAfter = limited.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.InRange(retryAfter.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60));

        // The valid key from the same address is answered as always, from the cache and after its entry ended (30 s).
        Assert.Equal(HttpStatusCode.OK, (await ProbeFrom(guesser, good)).StatusCode);
        App.Clock.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal(HttpStatusCode.OK, (await ProbeFrom(guesser, good)).StatusCode);
        await (await ProbeFrom(guesser, ApiKeyFormat.Generate("test"))).AssertProblemAsync(HttpStatusCode.TooManyRequests, "too_many_attempts");
        // Garbage costs no query and is answered for what it is.
        await (await ProbeFrom(guesser, "garbage")).AssertProblemAsync(HttpStatusCode.Unauthorized, "api_key_malformed");

        Assert.Equal(HttpStatusCode.OK, (await ProbeFrom("198.51.100.7", good)).StatusCode);
        await (await ProbeFrom("198.51.100.7", ApiKeyFormat.Generate("test"))).AssertProblemAsync(HttpStatusCode.Unauthorized, "api_key_invalid");

        App.Clock.Advance(TimeSpan.FromSeconds(61));
        await (await ProbeFrom(guesser, ApiKeyFormat.Generate("test"))).AssertProblemAsync(HttpStatusCode.Unauthorized, "api_key_invalid");
    }

    [Fact]
    public async Task A_revoked_key_retrying_in_a_loop_is_answered_its_own_401_every_time_and_never_costs_the_valid_keys_of_its_address()
    {
        var session = await PartnerSession.StartAsync(App);
        var (stale, staleCredential) = await session.CreateKeyAsync("forgotten");
        var (good, _) = await session.CreateKeyAsync("in use");
        await session.RevokeAsync(staleCredential.GetProperty("id").GetGuid());
        var office = NewAddress();

        for (var i = 0; i < 20; i++)
        {
            await (await ProbeFrom(office, stale)).AssertProblemAsync(HttpStatusCode.Unauthorized, "api_key_revoked");
        }

        Assert.Equal(HttpStatusCode.OK, (await ProbeFrom(office, good)).StatusCode);
        // A key created just now (never seen by this server) is looked up too: the address was never limited.
        var (fresh, _) = await session.CreateKeyAsync("new");
        Assert.Equal(HttpStatusCode.OK, (await ProbeFrom(office, fresh)).StatusCode);
    }

    [Fact]
    public async Task An_IPv6_guesser_is_counted_by_its_64_network_and_an_IPv4_mapped_address_as_its_IPv4_address()
    {
        var network = $"2001:db8:{Random.Shared.Next(1, 0xffff):x}:{Random.Shared.Next(1, 0xffff):x}";
        for (var i = 1; i <= 3; i++)
        {
            await (await ProbeFrom($"{network}::{i:x}", ApiKeyFormat.Generate("test"))).AssertProblemAsync(HttpStatusCode.Unauthorized, "api_key_invalid");
        }

        // Another address of the same /64 is the same guesser; the next /64 is not.
        await (await ProbeFrom($"{network}:ffff:1:2:3", ApiKeyFormat.Generate("test"))).AssertProblemAsync(HttpStatusCode.TooManyRequests, "too_many_attempts");
        await (await ProbeFrom($"2001:db8:ffff:ffff::1", ApiKeyFormat.Generate("test"))).AssertProblemAsync(HttpStatusCode.Unauthorized, "api_key_invalid");

        var v4 = NewAddress();
        for (var i = 0; i < 3; i++)
        {
            await (await ProbeFrom($"::ffff:{v4}", ApiKeyFormat.Generate("test"))).AssertProblemAsync(HttpStatusCode.Unauthorized, "api_key_invalid");
        }

        await (await ProbeFrom(v4, ApiKeyFormat.Generate("test"))).AssertProblemAsync(HttpStatusCode.TooManyRequests, "too_many_attempts");
    }

    private Task<HttpResponseMessage> ProbeFrom(string address, string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/v1/partner-auth-probe", UriKind.Relative));
        request.Headers.TryAddWithoutValidation("X-Api-Key", key);
        request.Headers.Add(IdunoxApp.ClientAddressHeader, address);
        return App.CreateClient().SendAsync(request);
    }
}
