using Idunox.Shared.Errors;
using System.Net;
using Idunox.Identity.Contracts;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Idunox.Credentials.Tests;

/// <summary>
/// A database error is a fault the caller sees, never a rule's answer; and what is only a convenience never fails a
/// request. Each fault is a real PostgreSQL error, arranged with a constraint or a trigger on this class's own database.
/// </summary>
public sealed class DatabaseErrorTests(PostgresAppFixture fixture) : IClassFixture<PostgresAppFixture>
{
    private IdunoxApp App => fixture.App;

    private TestDatabase Database => fixture.Database;

    [Fact]
    public async Task A_failed_rotation_write_is_a_500_not_a_key_not_rotatable_and_changes_nothing()
    {
        var session = await PartnerSession.StartAsync(App);
        var (_, created) = await session.CreateKeyAsync("poisoned");
        // Existing rows stay; a new row with this name (the successor) is refused by the database.
        await Database.ExecuteAsync("ALTER TABLE credentials.api_keys ADD CONSTRAINT test_no_poison CHECK (name <> 'poisoned') NOT VALID");
        try
        {
            var response = await session.PostRotateAsync(created.Id(), new { graceHours = 48 });

            await response.AssertProblemAsync(HttpStatusCode.InternalServerError, "internal_error");
            // The error line names the organisation the request was for.
            var error = Assert.Single(App.Logs.Lines, l => l.StartsWith("Error", StringComparison.Ordinal) &&
                l.Contains($"/v1/partner/credentials/{created.Id()}/rotate", StringComparison.Ordinal));
            Assert.Contains($"[TenantId={session.Partner.Organisation.Id}]", error, StringComparison.Ordinal);
        }
        finally
        {
            await Database.ExecuteAsync("ALTER TABLE credentials.api_keys DROP CONSTRAINT test_no_poison");
        }

        var key = await session.GetAsync(created.Id());
        Assert.Equal("active", key.Status());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, key.GetProperty("replacedById").ValueKind);
        Assert.Single(await session.ListAsync());
    }

    [Fact]
    public async Task A_failed_organisation_insert_is_an_error_not_a_slug_taken()
    {
        await Database.ExecuteAsync("ALTER TABLE identity.organisations ADD CONSTRAINT test_no_poison CHECK (name <> 'Poisoned Ltd') NOT VALID");
        try
        {
            await using var scope = App.Services.CreateAsyncScope();
            var provisioning = scope.ServiceProvider.GetRequiredService<IOrganisationProvisioning>();

            await Assert.ThrowsAnyAsync<DbUpdateException>(() =>
                provisioning.AddOrganisationAsync("Poisoned Ltd", $"poisoned-{Guid.NewGuid():N}"[..20], CancellationToken.None));
        }
        finally
        {
            await Database.ExecuteAsync("ALTER TABLE identity.organisations DROP CONSTRAINT test_no_poison");
        }
    }

    /// <summary>
    /// Both adds pass the "is this slug free?" check before either inserts (the gate holds each INSERT until both arrived),
    /// so the second one reaches the unique index: its fallback answers slug_taken, not a 500.
    /// </summary>
    [Fact]
    public async Task A_slug_taken_by_a_concurrent_insert_after_the_check_is_still_slug_taken()
    {
        var slug = $"race-{Guid.NewGuid():N}"[..20];
        Outcome<OrganisationInfo>[] results;
        using (fixture.Gate.Arm("INSERT INTO identity.organisations", parties: 2))
        {
            results = await Task.WhenAll(Enumerable.Range(0, 2).Select(async _ =>
            {
                await using var scope = App.Services.CreateAsyncScope();
                return await scope.ServiceProvider.GetRequiredService<IOrganisationProvisioning>().AddOrganisationAsync("Racing Ltd", slug, CancellationToken.None);
            }));
            Assert.Equal(2, fixture.Gate.Arrived);
        }

        Assert.Single(results, r => r.Succeeded);
        Assert.Equal(ProvisioningError.SlugTaken, Assert.Single(results, r => !r.Succeeded).Failure!.Code);
    }

    /// <summary>
    /// Under the organisation's key lock no other rotation gets between a rotation's checks and its write, so the unique
    /// successor index is the last line only: here a successor row is written behind the lock's back (the gate runs it
    /// just before the rotation's INSERT). The index refuses the rotation's own successor, and the answer is 409
    /// key_not_rotatable with nothing changed: no grace started, the old key still works.
    /// </summary>
    [Fact]
    public async Task A_successor_written_behind_the_locks_back_makes_the_rotation_a_conflict_that_changes_nothing()
    {
        var session = await PartnerSession.StartAsync(App);
        var (key, created) = await session.CreateKeyAsync("raced");
        var id = created.Id();
        HttpResponseMessage response;
        using (fixture.Gate.ArmBefore("INSERT INTO credentials.api_keys", () => Database.ExecuteAsync($"""
            INSERT INTO credentials.api_keys (id, tenant_id, name, prefix, hash, created_at, created_by, expires_at, rotated_from_id)
            SELECT gen_random_uuid(), tenant_id, name, 'idx_test_raced', sha256(convert_to(random()::text, 'UTF8')), created_at, 'someone else', expires_at, id
            FROM credentials.api_keys WHERE id = '{id}'
            """)))
        {
            response = await session.PostRotateAsync(id, new { graceHours = 48 });
        }

        await response.AssertProblemAsync(HttpStatusCode.Conflict, "key_not_rotatable");
        var after = await session.GetAsync(id);
        Assert.Equal("active", after.GetProperty("status").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, after.GetProperty("graceEndsAt").ValueKind);
        Assert.Equal(HttpStatusCode.OK, (await session.ProbeAsync(key)).StatusCode);
    }

    /// <summary>The same for two portal users with one e-mail address: both pass the pre-check, the index refuses the second.</summary>
    [Fact]
    public async Task An_email_taken_by_a_concurrent_insert_after_the_check_is_still_email_taken()
    {
        var partner = await App.PartnerAsync();
        var email = $"race-{Guid.NewGuid():N}@partner.example";
        Outcome<PartnerUserInfo>[] results;
        using (fixture.Gate.Arm("INSERT INTO identity.partner_users", parties: 2))
        {
            results = await Task.WhenAll(Enumerable.Range(0, 2).Select(async i =>
            {
                await using var scope = App.Services.CreateAsyncScope();
                return await scope.ServiceProvider.GetRequiredService<IOrganisationProvisioning>()
                    .AddPartnerUserAsync(partner.Organisation.Slug, email, $"Racer {i}", "a long enough password 4711", CancellationToken.None);
            }));
            Assert.Equal(2, fixture.Gate.Arrived);
        }

        Assert.Single(results, r => r.Succeeded);
        Assert.Equal(ProvisioningError.EmailTaken, Assert.Single(results, r => !r.Succeeded).Failure!.Code);
    }

    [Fact]
    public async Task A_failed_last_used_write_never_refuses_a_good_key_and_is_tried_again_at_the_next_flush()
    {
        var session = await PartnerSession.StartAsync(App);
        var (key, created) = await session.CreateKeyAsync("last used");
        var writer = App.Services.GetRequiredService<Idunox.Credentials.Verification.LastUsedWriter>();
        await Database.ExecuteAsync("""
            CREATE FUNCTION test_refuse_last_used() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'last_used_at is not writable in this test'; END $$;
            CREATE TRIGGER test_refuse_last_used BEFORE UPDATE OF last_used_at ON credentials.api_keys
              FOR EACH ROW EXECUTE FUNCTION test_refuse_last_used();
            """);
        var used = App.Clock.GetUtcNow().UtcDateTime;
        try
        {
            Assert.Equal(HttpStatusCode.OK, (await session.ProbeAsync(key)).StatusCode);
            Assert.Equal(0, await writer.FlushAsync(CancellationToken.None));
            Assert.Contains(App.Logs.Lines, l => l.StartsWith("Warning", StringComparison.Ordinal) && l.Contains(created.Id().ToString(), StringComparison.Ordinal));
            Assert.Equal(HttpStatusCode.OK, (await session.ProbeAsync(key)).StatusCode); // still a good key
        }
        finally
        {
            await Database.ExecuteAsync("DROP TRIGGER test_refuse_last_used ON credentials.api_keys; DROP FUNCTION test_refuse_last_used();");
        }

        Assert.Equal(System.Text.Json.JsonValueKind.Null, (await session.GetAsync(created.Id())).GetProperty("lastUsedAt").ValueKind);
        App.Clock.Advance(TimeSpan.FromSeconds(30));
        await writer.FlushAsync(CancellationToken.None); // kept, and written now: the time of the use
        Assert.Equal(used, (await session.GetAsync(created.Id())).GetProperty("lastUsedAt").GetDateTime().ToUniversalTime());
    }

    [Fact]
    public async Task Disabling_a_user_whose_row_could_not_be_updated_is_reported_as_not_done_and_the_user_keeps_working()
    {
        var partner = await App.PartnerAsync();
        var token = await App.SignInAsync(partner);
        // The row is left as it is (a BEFORE trigger answering NULL skips the update): what a lost concurrent update looks like.
        await Database.ExecuteAsync($"""
            CREATE FUNCTION test_skip_update() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
            CREATE TRIGGER test_skip_update BEFORE UPDATE ON identity.partner_users
              FOR EACH ROW WHEN (OLD.id = '{partner.User.Id}') EXECUTE FUNCTION test_skip_update();
            """);
        Outcome<PartnerUserInfo> result;
        try
        {
            await using var scope = App.Services.CreateAsyncScope();
            result = await scope.ServiceProvider.GetRequiredService<IOrganisationProvisioning>()
                .SetPartnerUserEnabledAsync(partner.Email, false, CancellationToken.None);
        }
        finally
        {
            await Database.ExecuteAsync("DROP TRIGGER test_skip_update ON identity.partner_users; DROP FUNCTION test_skip_update();");
        }

        Assert.False(result.Succeeded);
        Assert.Equal(ProvisioningError.Conflict, result.Failure!.Code);
        Assert.Contains("not disabled", result.Failure.Message, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await App.ClientWithToken(token).GetAsync(new Uri("/v1/partner/me", UriKind.Relative))).StatusCode);
    }
}
