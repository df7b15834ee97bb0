using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;

namespace Idunox.Credentials.Tests;

/// <summary>
/// <c>PATCH /v1/partner/credentials/{id}</c>: a key renamed, narrowed, widened or given another expiry without rotating it;
/// verification follows at once, the audit trail says before → after, and a widening is told to the organisation.
/// </summary>
public sealed class KeyChangeTests : IAsyncLifetime
{
    private readonly string _database = Path.Combine(Path.GetTempPath(), $"idunox-change-{Guid.NewGuid():N}.db");
    private IdunoxApp _app = null!;

    public Task InitializeAsync()
    {
        _app = IdunoxApp.OnSqlite(_database, extra: new Dictionary<string, string?>
        {
            ["Gateway:Routes:orders:ClusterId"] = "data",
            ["Gateway:Routes:orders:Match:Path"] = "/v1/orders/{**rest}",
            ["Gateway:Routes:orders:Metadata:Scope"] = "orders:read",
            ["Gateway:Routes:invoices:ClusterId"] = "data",
            ["Gateway:Routes:invoices:Match:Path"] = "/v1/invoices/{**rest}",
            ["Gateway:Routes:invoices:Metadata:Scope"] = "invoices:read",
            ["Gateway:Clusters:data:Destinations:one:Address"] = "http://127.0.0.1:9/",
        });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        File.Delete(_database);
    }

    [Fact]
    public async Task A_key_is_narrowed_widened_renamed_and_extended_in_place_and_the_probe_and_the_audit_trail_follow_at_once()
    {
        var partner = await _app.PartnerAsync();
        var portal = _app.ClientWithToken(await _app.SignInAsync(partner));
        var (key, credential) = await PartnerApi.CreateAsync(portal, "billing", expiresInDays: 30);
        var id = credential.GetProperty("id").GetGuid();
        var created = credential.GetProperty("createdAt").GetDateTime();
        Assert.Equal("full", (await PartnerApi.ExpectAsync(await PartnerApi.ProbeAsync(_app, key), HttpStatusCode.OK)).GetProperty("credential").GetProperty("access").GetString());

        // Narrowed: the very next request sees it (the cached key was evicted).
        var narrowed = await PartnerApi.ExpectAsync(await PartnerApi.PatchAsync(portal, id, """{"scopes": ["orders:read"], "name": "billing sync"}"""), HttpStatusCode.OK);
        Assert.Equal("restricted", narrowed.GetProperty("credential").GetProperty("access").GetString());
        Assert.Equal("billing sync", narrowed.GetProperty("credential").GetProperty("name").GetString());
        var probe = await PartnerApi.ExpectAsync(await PartnerApi.ProbeAsync(_app, key), HttpStatusCode.OK);
        Assert.Equal(["orders:read"], probe.GetProperty("credential").GetProperty("scopes").EnumerateArray().Select(e => e.GetString()));

        // Extended within the key's lifetime (365 days from when it was made), and back to full access: a widening, told by e-mail.
        var later = created.AddDays(200);
        var widened = await PartnerApi.ExpectAsync(
            await PartnerApi.PatchAsync(portal, id, $$"""{"scopes": null, "expiresAt": "{{later:yyyy-MM-ddTHH:mm:ss.fffffffZ}}"}""", "application/json"), HttpStatusCode.OK);
        Assert.Equal("full", widened.GetProperty("credential").GetProperty("access").GetString());
        Assert.Equal(later, widened.GetProperty("credential").GetProperty("expiresAt").GetDateTime(), TimeSpan.FromMilliseconds(1));
        Assert.Equal(later, (await PartnerApi.ExpectAsync(await PartnerApi.ProbeAsync(_app, key), HttpStatusCode.OK))
            .GetProperty("credential").GetProperty("expiresAt").GetDateTime(), TimeSpan.FromMilliseconds(1));
        await _app.RunJobAsync("outbox-dispatch");
        var notice = Directory.GetFiles(_app.MailDirectory, "*.eml").Select(f => MimeKit.MimeMessage.Load(f))
            .Single(m => m.Subject?.Contains("may now do more", StringComparison.Ordinal) == true);
        Assert.Contains("scopes orders:read → full access", notice.TextBody, StringComparison.Ordinal);
        Assert.DoesNotContain(key, notice.TextBody + notice.HtmlBody, StringComparison.Ordinal);

        // Past the lifetime, or in the past: refused, naming the rule; nothing changed.
        var tooLate = await (await PartnerApi.PatchAsync(portal, id, $$"""{"expiresAt": "{{created.AddDays(366):O}}"}""")).AssertProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        Assert.Contains("365 days from when it was made", tooLate.GetProperty("errors").GetProperty("expiresAt")[0].GetString(), StringComparison.Ordinal);
        await (await PartnerApi.PatchAsync(portal, id, """{"expiresAt": "2001-01-01T00:00:00Z"}""")).AssertProblemAsync(HttpStatusCode.BadRequest, "validation_failed");

        // An empty patch changes nothing and records nothing.
        await PartnerApi.ExpectAsync(await PartnerApi.PatchAsync(portal, id, "{}"), HttpStatusCode.OK);
        var audit = await portal.GetStringAsync(new Uri("/v1/partner/audit", UriKind.Relative));
        Assert.Equal(2, audit.Split("key.changed").Length - 1);
        Assert.Contains("name “billing” → “billing sync”; full access → scopes orders:read", audit, StringComparison.Ordinal);
        Assert.Contains($"scopes orders:read → full access; expiry", audit, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Staff_narrow_a_key_on_the_partners_behalf_with_a_reason_and_another_organisations_key_is_not_found()
    {
        var partner = await _app.PartnerAsync();
        var portal = _app.ClientWithToken(await _app.SignInAsync(partner));
        var (key, credential) = await PartnerApi.CreateAsync(portal, "partner's key");
        var id = credential.GetProperty("id").GetGuid();
        var other = await _app.PartnerAsync();
        var staff = new Idunox.Credentials.Contracts.StaffKeyAction(Guid.NewGuid(), "ticket 4711: only the orders feed", "198.51.100.7");

        await using (var scope = _app.Services.CreateAsyncScope())
        {
            var keys = scope.ServiceProvider.GetRequiredService<Idunox.Credentials.Contracts.ITenantKeyAdministration>();
            var elsewhere = await keys.ChangeAsync(other.Organisation.Id, id, new Idunox.Credentials.Contracts.KeyAccess(["orders:read"]), null, null, staff, CancellationToken.None);
            Assert.Equal("key_not_found", elsewhere.Failure?.Code);

            var changed = await keys.ChangeAsync(partner.Organisation.Id, id, new Idunox.Credentials.Contracts.KeyAccess(["orders:read"]),
                new Idunox.Credentials.Contracts.IpAllowListChange("enforce", ["127.0.0.1"]), new Idunox.Credentials.Contracts.KeyRateLimit(null, 600),
                staff, CancellationToken.None);
            Assert.True(changed.Succeeded, changed.Failure?.Message);
            Assert.Equal(["orders:read"], changed.Value!.Scopes);
            Assert.Equal("enforce", changed.Value.IpAllowMode);
            Assert.Equal(new Idunox.Credentials.Contracts.KeyRateLimit(null, 600), changed.Value.RateLimit);
        }

        var probe = await PartnerApi.ExpectAsync(await PartnerApi.ProbeAsync(_app, key), HttpStatusCode.OK); // the test's calls come from 127.0.0.1
        Assert.Equal("restricted", probe.GetProperty("credential").GetProperty("access").GetString());
        var audit = await portal.GetStringAsync(new Uri("/v1/partner/audit", UriKind.Relative));
        Assert.Contains("Idunox staff", audit, StringComparison.Ordinal);
        Assert.Contains("reason: ticket 4711: only the orders feed", audit, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"nickname": "x"}""", "nickname")]
    [InlineData("""{"name": 42}""", "name")]
    [InlineData("""{"name": null}""", "name")]
    [InlineData("""{"scopes": "orders:read"}""", "scopes")]
    [InlineData("""{"scopes": ["orders:raed"]}""", "scopes")]
    [InlineData("""{"scopes": []}""", "scopes")]
    [InlineData("""{"expiresAt": "next week"}""", "expiresAt")]
    [InlineData("""{"expiresAt": null}""", "expiresAt")]
    [InlineData("""{"access": "restricted"}""", "scopes")]
    [InlineData("""{"access": "full", "scopes": ["orders:read"]}""", "scopes")]
    [InlineData("""{"access": "everything"}""", "access")]
    [InlineData("""["name"]""", "body")]
    public async Task A_patch_that_does_not_add_up_is_a_400_naming_the_member_and_changes_nothing(string json, string member)
    {
        var partner = await _app.PartnerAsync();
        var portal = _app.ClientWithToken(await _app.SignInAsync(partner));
        var (_, credential) = await PartnerApi.CreateAsync(portal, "unchanged");

        var problem = await (await PartnerApi.PatchAsync(portal, credential.GetProperty("id").GetGuid(), json)).AssertProblemAsync(HttpStatusCode.BadRequest, "validation_failed");

        Assert.True(problem.GetProperty("errors").TryGetProperty(member, out _), problem.GetRawText());
        var after = await PartnerApi.GetAsync(portal, credential.GetProperty("id").GetGuid());
        Assert.Equal("unchanged", after.GetProperty("name").GetString());
        Assert.Equal("full", after.GetProperty("access").GetString());
    }

    [Fact]
    public async Task Malformed_bodies_other_media_types_other_tenants_keys_and_keys_that_stopped_are_answered_clearly()
    {
        var partner = await _app.PartnerAsync();
        var portal = _app.ClientWithToken(await _app.SignInAsync(partner));
        var (_, credential) = await PartnerApi.CreateAsync(portal, "mine");
        var id = credential.GetProperty("id").GetGuid();

        await (await PartnerApi.PatchAsync(portal, id, """{"name": """)).AssertProblemAsync(HttpStatusCode.BadRequest, "malformed_request");
        await (await PartnerApi.PatchAsync(portal, id, "name=x", "application/x-www-form-urlencoded")).AssertProblemAsync(HttpStatusCode.UnsupportedMediaType, "unsupported_media_type");
        await (await PartnerApi.PatchAsync(portal, Guid.NewGuid(), """{"name": "x"}""")).AssertProblemAsync(HttpStatusCode.NotFound, "key_not_found");
        await (await portal.PatchAsync(new Uri("/v1/partner/credentials/not-an-id", UriKind.Relative),
            new StringContent("""{"name": "x"}""", Encoding.UTF8, "application/merge-patch+json"))).AssertProblemAsync(HttpStatusCode.NotFound, "key_not_found");

        // Another organisation's key is not found, and stays as it was.
        var other = await _app.PartnerAsync();
        var otherPortal = _app.ClientWithToken(await _app.SignInAsync(other));
        await (await PartnerApi.PatchAsync(otherPortal, id, """{"name": "taken over"}""")).AssertProblemAsync(HttpStatusCode.NotFound, "key_not_found");
        Assert.Equal("mine", (await PartnerApi.GetAsync(portal, id)).GetProperty("name").GetString());

        await PartnerApi.RevokeAsync(portal, id);
        await (await PartnerApi.PatchAsync(portal, id, """{"name": "revived"}""")).AssertProblemAsync(HttpStatusCode.Conflict, "key_not_changeable");
    }
}
