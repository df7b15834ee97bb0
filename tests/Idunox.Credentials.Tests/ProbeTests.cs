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

    private int SqlCommands() => App.Logs.Lines.Count(l => l.Contains("Executed DbCommand", StringComparison.Ordinal));
}
