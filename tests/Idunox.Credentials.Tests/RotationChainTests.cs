using System.Net;

namespace Idunox.Credentials.Tests;

/// <summary>Rotation is no way around the key cap: a rotation chain never holds more than two usable keys.</summary>
public sealed class RotationChainTests(KeyLimitFixture fixture) : IClassFixture<KeyLimitFixture>
{
    private IdunoxApp App => fixture.App;

    [Fact]
    public async Task A_key_whose_predecessor_is_in_grace_cannot_be_rotated_until_the_predecessor_is_revoked_or_its_grace_ends()
    {
        var session = await PartnerSession.StartAsync(App);
        var (_, first) = await session.CreateKeyAsync("chain");
        var (_, second, _) = await session.RotateAsync(first.Id(), graceHours: 72);

        var refused = await session.PostRotateAsync(second.Id(), new { graceHours = 72 });

        var problem = await refused.AssertProblemAsync(HttpStatusCode.Conflict, "key_not_rotatable");
        var detail = problem.GetProperty("detail").GetString()!;
        Assert.Contains(first.GetProperty("prefix").GetString()!, detail, StringComparison.Ordinal);
        Assert.Contains(App.Clock.GetUtcNow().UtcDateTime.AddHours(72).ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture),
            detail, StringComparison.Ordinal);
        Assert.Contains("Revoke", detail, StringComparison.Ordinal);

        // Revoking the old key frees the chain.
        await session.RevokeAsync(first.Id());
        var (_, third, _) = await session.RotateAsync(second.Id(), graceHours: 24);

        // Or its grace ending does.
        await (await session.PostRotateAsync(third.Id())).AssertProblemAsync(HttpStatusCode.Conflict, "key_not_rotatable");
        App.Clock.Advance(TimeSpan.FromHours(24));
        await session.RotateAsync(third.Id(), graceHours: 24);
    }

    [Fact]
    public async Task At_the_cap_chained_rotations_never_give_more_usable_keys_than_the_cap_plus_one_grace_key_per_chain()
    {
        var session = await PartnerSession.StartAsync(App); // the cap here is 2
        var (_, a) = await session.CreateKeyAsync("a");
        await session.CreateKeyAsync("b");
        var (_, a2, _) = await session.RotateAsync(a.Id(), graceHours: 72);

        for (var i = 0; i < 5; i++)
        {
            await (await session.PostRotateAsync(a2.Id(), new { graceHours = 72 })).AssertProblemAsync(HttpStatusCode.Conflict, "key_not_rotatable");
        }

        var usable = (await session.ListAsync()).Count(k => k.Status() is "active" or "expiring" or "grace");
        Assert.Equal(3, usable);
    }

    [Fact]
    public async Task Two_concurrent_rotations_of_a_successor_give_at_most_one_new_key()
    {
        var session = await PartnerSession.StartAsync(App);
        var (_, first) = await session.CreateKeyAsync("race");
        var (_, second, _) = await session.RotateAsync(first.Id(), graceHours: 24);
        await session.RevokeAsync(first.Id());

        HttpResponseMessage[] answers;
        using (fixture.Gate.Arm("pg_advisory_xact_lock", parties: 2))
        {
            answers = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => session.PostRotateAsync(second.Id(), new { graceHours = 72 })));
            Assert.Equal(2, fixture.Gate.Arrived);
        }

        Assert.Equal([HttpStatusCode.Created, HttpStatusCode.Conflict], answers.Select(a => a.StatusCode).Order());
        var successors = (await session.ListAsync()).Count(c =>
            c.GetProperty("rotatedFromId").ValueKind != System.Text.Json.JsonValueKind.Null && c.GetProperty("rotatedFromId").GetGuid() == second.Id());
        Assert.Equal(1, successors);
    }
}
