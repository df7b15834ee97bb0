using Idunox.Shared.Errors;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Idunox.Credentials.Contracts;
using Microsoft.Extensions.DependencyInjection;

namespace Idunox.Credentials.Tests;

/// <summary>
/// A key staff rotate on a partner's behalf is never shown to staff: its successor waits, without a secret, until one of
/// the organisation's users collects it, once.
/// </summary>
public sealed class HandoverTests(PostgresAppFixture fixture) : IClassFixture<PostgresAppFixture>
{
    private IdunoxApp App => fixture.App;

    [Fact]
    public async Task Staff_rotation_shows_staff_no_secret_and_the_partner_collects_the_successor_once()
    {
        var session = await PartnerSession.StartAsync(App);
        var (old, credential) = await session.CreateKeyAsync("billing sync");

        var result = await StaffRotateAsync(session, credential.Id(), 48, "Partner lost access to their vault (call with J. Doe)");

        Assert.True(result.Succeeded, result.Failure?.Message);
        Assert.Equal("grace", result.Value!.Previous.Status);
        Assert.Null(result.Value.Offer.CollectedAt);
        Assert.Equal(HttpStatusCode.OK, (await session.ProbeAsync(old)).StatusCode); // in grace for 48 hours
        Assert.Single(await session.ListAsync()); // nothing new works yet: there is no successor key at all

        var offers = await ListHandoversAsync(session);
        var offer = Assert.Single(offers);
        Assert.Equal("billing sync", offer.GetProperty("name").GetString());
        Assert.Equal(credential.Id(), offer.GetProperty("replacesId").GetGuid());
        Assert.Equal("Partner lost access to their vault (call with J. Doe)", offer.GetProperty("reason").GetString());

        var collected = await PartnerSession.Expect(await CollectAsync(session, offer.Id()), HttpStatusCode.Created);
        var successor = collected.GetProperty("apiKey").GetString()!;
        Assert.StartsWith("idx_test_", successor, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await session.ProbeAsync(successor)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await session.ProbeAsync(old)).StatusCode);
        var successorId = collected.GetProperty("credential").Id();
        Assert.Equal(successorId, (await session.GetAsync(credential.Id())).GetProperty("replacedById").GetGuid());
        Assert.Equal(credential.Id(), (await session.GetAsync(successorId)).GetProperty("rotatedFromId").GetGuid());

        // Collected once: a second collection (a colleague, a replay) is told who took it, and makes no key.
        var again = await CollectAsync(session, offer.Id());
        var problem = await again.AssertProblemAsync(HttpStatusCode.Conflict, "key_already_collected");
        Assert.Contains(session.Partner.Email, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(2, (await session.ListAsync()).Count);
        Assert.Empty(await ListHandoversAsync(session));

        // The chain rule holds: the collected key does not rotate while the key it replaced is in grace.
        await (await session.PostRotateAsync(successorId)).AssertProblemAsync(HttpStatusCode.Conflict, "key_not_rotatable");

        var staffView = Assert.Single(await StaffHandoversAsync(session));
        Assert.Equal(session.Partner.Email, staffView.CollectedBy);
    }

    [Fact]
    public async Task Another_organisations_offer_is_answered_like_an_unknown_one_and_stays_collectable()
    {
        var victim = await PartnerSession.StartAsync(App);
        var mallory = await PartnerSession.StartAsync(App);
        var (_, credential) = await victim.CreateKeyAsync("victim's key");
        await StaffRotateAsync(victim, credential.Id(), 24, "Rotated at the partner's request");
        var offerId = Assert.Single(await ListHandoversAsync(victim)).Id();

        Assert.Empty(await ListHandoversAsync(mallory));
        var answers = new List<string>();
        foreach (var id in new[] { offerId.ToString(), Guid.NewGuid().ToString(), "not-a-guid" })
        {
            var problem = await (await CollectAsync(mallory, id)).AssertProblemAsync(HttpStatusCode.NotFound, "handover_not_found");
            answers.Add($"{problem.GetProperty("title")}|{problem.GetProperty("detail")}");
        }

        Assert.Single(answers.Distinct());
        Assert.Empty(await mallory.ListAsync());
        await PartnerSession.Expect(await CollectAsync(victim, offerId.ToString()), HttpStatusCode.Created);
    }

    [Fact]
    public async Task Two_colleagues_collecting_at_once_get_one_key_between_them()
    {
        var session = await PartnerSession.StartAsync(App);
        var colleague = App.CreateDefaultClient();
        var colleagueUser = await App.SecondUserAsync(session.Partner);
        colleague.DefaultRequestHeaders.Authorization = new("Bearer", await App.SignInAsync(colleagueUser.Email, Arrange.DefaultPassword));
        var (_, credential) = await session.CreateKeyAsync("shared");
        await StaffRotateAsync(session, credential.Id(), 24, "Rotated at the partner's request");
        var offerId = Assert.Single(await ListHandoversAsync(session)).Id();

        var answers = await Task.WhenAll(
            CollectAsync(session, offerId),
            colleague.PostAsync(new Uri($"/v1/partner/credentials/handovers/{offerId}/collect", UriKind.Relative), null));

        Assert.Single(answers, a => a.StatusCode == HttpStatusCode.Created);
        Assert.Single(answers, a => a.StatusCode == HttpStatusCode.Conflict);
        Assert.Equal(2, (await session.ListAsync()).Count);
    }

    [Fact]
    public async Task An_offer_nobody_collects_lapses_after_seven_days_and_the_old_key_ends_with_its_grace()
    {
        var session = await PartnerSession.StartAsync(App);
        var (old, credential) = await session.CreateKeyAsync("forgotten");
        await StaffRotateAsync(session, credential.Id(), 24, "Rotated at the partner's request");
        var offerId = Assert.Single(await ListHandoversAsync(session)).Id();

        App.Clock.Advance(TimeSpan.FromHours(25));
        await (await session.ProbeAsync(old)).AssertProblemAsync(HttpStatusCode.Unauthorized, "api_key_expired");
        Assert.Single(await ListHandoversAsync(session)); // still collectable after the old key stopped

        App.Clock.Advance(TimeSpan.FromDays(6));
        Assert.Empty(await ListHandoversAsync(session));
        await (await CollectAsync(session, offerId)).AssertProblemAsync(HttpStatusCode.NotFound, "handover_not_found");
    }

    [Fact]
    public async Task A_key_already_rotated_is_not_offered_twice()
    {
        var session = await PartnerSession.StartAsync(App);
        var (_, credential) = await session.CreateKeyAsync("once");
        Assert.True((await StaffRotateAsync(session, credential.Id(), 24, "First rotation")).Succeeded);

        var second = await StaffRotateAsync(session, credential.Id(), 24, "Second rotation");

        Assert.Equal("key_not_rotatable", second.Failure?.Code);
        Assert.Single(await ListHandoversAsync(session));
    }

    private async Task<Outcome<StaffRotation>> StaffRotateAsync(PartnerSession session, Guid keyId, int graceHours, string reason)
    {
        await using var scope = App.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<ITenantKeyAdministration>().RotateAsync(session.Partner.Organisation.Id, keyId, graceHours, null,
            new StaffKeyAction(Guid.NewGuid(), reason, "198.51.100.7"), CancellationToken.None);
    }

    private async Task<IReadOnlyList<KeyHandoverOverview>> StaffHandoversAsync(PartnerSession session)
    {
        await using var scope = App.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<ITenantKeyAdministration>().ListHandoversAsync(session.Partner.Organisation.Id, CancellationToken.None);
    }

    private static async Task<List<JsonElement>> ListHandoversAsync(PartnerSession session) =>
        (await PartnerSession.Expect(await session.Portal.GetAsync(new Uri("/v1/partner/credentials/handovers", UriKind.Relative)), HttpStatusCode.OK))
            .GetProperty("items").EnumerateArray().ToList();

    private static Task<HttpResponseMessage> CollectAsync(PartnerSession session, object id) =>
        session.Portal.PostAsync(new Uri($"/v1/partner/credentials/handovers/{id}/collect", UriKind.Relative), null);
}
