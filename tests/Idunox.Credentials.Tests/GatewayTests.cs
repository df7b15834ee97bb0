using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.IdentityModel.Tokens;

namespace Idunox.Credentials.Tests;

/// <summary>
/// The gateway in front of a real upstream (a Kestrel app standing in for the data API: it echoes what it received,
/// verifies the signed identity against the platform's JWKS with JwtBearer, answers 500 on one path and slowly on another).
/// </summary>
public sealed class GatewayTests : IAsyncLifetime
{
    private readonly string _database = Path.Combine(Path.GetTempPath(), $"idunox-gateway-{Guid.NewGuid():N}.db");
    private WebApplication _upstream = null!;
    private IdunoxApp _app = null!;
    private string _upstreamAddress = "";
    private int _upstreamCalls;
    private TokenValidationParameters _validation = new();
    private readonly TaskCompletionSource _slowCalled = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _slowAborted = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddAuthentication().AddJwtBearer(o =>
        {
            o.MapInboundClaims = false;
            o.Events = new JwtBearerEvents { OnMessageReceived = context => { context.Token = context.Request.Headers["Idunox-Identity"]; return Task.CompletedTask; } };
            o.TokenValidationParameters = _validation; // filled with the platform's JWKS once it runs
        });
        builder.Services.AddAuthorization();
        _upstream = builder.Build();
        _upstream.UseAuthentication();
        _upstream.UseAuthorization();
        _upstream.Use((context, next) => { Interlocked.Increment(ref _upstreamCalls); return next(context); });
        _upstream.MapGet("/v1/orders/{**rest}", (HttpContext http) => Results.Json(new
        {
            path = http.Request.Path.Value,
            headers = http.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString()),
        }));
        _upstream.MapGet("/v1/verified/{**rest}", (HttpContext http) => Results.Json(new
        {
            org = http.User.FindFirst("org_id")?.Value,
            slug = http.User.FindFirst("org_slug")?.Value,
            key = http.User.FindFirst("sub")?.Value,
            env = http.User.FindFirst("env")?.Value,
        })).RequireAuthorization();
        _upstream.MapGet("/v1/invoices/{**rest}", (HttpContext http) => Results.Json(new { path = http.Request.Path.Value }));
        _upstream.MapGet("/v1/scoped/{**rest}", (HttpContext http) => Results.Json(new
        {
            access = http.User.FindFirst("access")?.Value,
            scope = http.User.FindFirst("scope")?.Value,
        })).RequireAuthorization();
        _upstream.MapGet("/v1/added/{**rest}", (HttpContext http) => Results.Json(new { path = http.Request.Path.Value }));
        _upstream.MapGet("/v1/broken/{**rest}", () => Results.Text("the data API broke", statusCode: 500));
        _upstream.MapGet("/v1/broken/json", async (HttpContext http) =>
        {
            http.Response.StatusCode = 422; // JSON written as a stream (chunked, no length): the platform adds nothing to it
            http.Response.ContentType = "application/json";
            await http.Response.WriteAsync("""{"theirs":true}""");
        });
        _upstream.MapGet("/v1/slow/{**rest}", async (CancellationToken ct) => { await Task.Delay(TimeSpan.FromSeconds(30), ct); return Results.Ok(); });
        _upstream.MapGet("/v1/patient/{**rest}", async (CancellationToken ct) =>
        {
            _slowCalled.TrySetResult();
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(30), ct);
            }
            catch (OperationCanceledException)
            {
                _slowAborted.TrySetResult();
                throw;
            }

            return Results.Ok();
        });
        await _upstream.StartAsync();
        _upstreamAddress = _upstream.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();

        var closedPort = FreePort();
        _app = IdunoxApp.OnSqlite(_database, extra: new Dictionary<string, string?>
        {
            ["Gateway:Routes:orders:ClusterId"] = "data",
            ["Gateway:Routes:orders:Match:Path"] = "/v1/orders/{**rest}",
            ["Gateway:Routes:orders:Metadata:Scope"] = "orders:read",
            ["Gateway:Routes:invoices:ClusterId"] = "data",
            ["Gateway:Routes:invoices:Match:Path"] = "/v1/invoices/{**rest}",
            ["Gateway:Routes:invoices:Metadata:Scope"] = "invoices:write",
            ["Gateway:Routes:scoped:ClusterId"] = "data",
            ["Gateway:Routes:scoped:Match:Path"] = "/v1/scoped/{**rest}",
            ["Gateway:Routes:scoped:Metadata:Scope"] = "orders:read",
            ["Gateway:Scopes:orders:read:Description"] = "Read orders and their lines.",
            ["Gateway:Routes:verified:ClusterId"] = "data",
            ["Gateway:Routes:verified:Match:Path"] = "/v1/verified/{**rest}",
            ["Gateway:Routes:broken:ClusterId"] = "data",
            ["Gateway:Routes:broken:Match:Path"] = "/v1/broken/{**rest}",
            ["Gateway:Routes:patient:ClusterId"] = "data",
            ["Gateway:Routes:patient:Match:Path"] = "/v1/patient/{**rest}",
            ["Gateway:Routes:slow:ClusterId"] = "impatient",
            ["Gateway:Routes:slow:Match:Path"] = "/v1/slow/{**rest}",
            ["Gateway:Routes:down:ClusterId"] = "gone",
            ["Gateway:Routes:down:Match:Path"] = "/v1/down/{**rest}",
            ["Gateway:Clusters:data:Destinations:one:Address"] = _upstreamAddress,
            ["Gateway:Clusters:impatient:Destinations:one:Address"] = _upstreamAddress,
            ["Gateway:Clusters:impatient:HttpRequest:ActivityTimeout"] = "00:00:01",
            ["Gateway:Clusters:gone:Destinations:one:Address"] = $"http://127.0.0.1:{closedPort}/",
        });
        var jwks = new JsonWebKeySet(await _app.CreateClient().GetStringAsync(new Uri("/.well-known/jwks.json", UriKind.Relative)));
        _validation.IssuerSigningKeys = jwks.GetSigningKeys();
        _validation.ValidIssuer = "idunox-gateway";
        _validation.ValidAudience = "data";
        // The host runs on the test's clock: the statement's 60 seconds are checked against that clock.
        _validation.LifetimeValidator = (notBefore, expires, _, _) =>
            notBefore <= _app.Clock.GetUtcNow().UtcDateTime && _app.Clock.GetUtcNow().UtcDateTime < expires && expires - notBefore <= TimeSpan.FromSeconds(60);
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _upstream.DisposeAsync();
        File.Delete(_database);
    }

    [Fact]
    public async Task A_valid_key_reaches_the_data_API_without_its_secret_or_a_spoofed_identity_and_with_a_signed_one_naming_its_organisation()
    {
        var (partner, key, keyId) = await PartnerWithKeyAsync();
        var other = await PartnerWithKeyAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/orders/42?status=open");
        request.Headers.Add("X-Api-Key", key);
        request.Headers.Add("Idunox-Identity", "eyJhbGciOiJub25lIn0.eyJvcmdfaWQiOiJzb21lb25lIGVsc2UifQ.");
        var echoed = await (await _app.CreateClient().SendAsync(request)).Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal("/v1/orders/42", echoed.GetProperty("path").GetString());
        var headers = echoed.GetProperty("headers");
        Assert.False(headers.TryGetProperty("x-api-key", out _));
        Assert.DoesNotContain(key, headers.GetRawText(), StringComparison.Ordinal);
        var identity = headers.GetProperty("idunox-identity").GetString()!;
        Assert.DoesNotContain("eyJhbGciOiJub25lIn0", identity, StringComparison.Ordinal);
        // Who is calling travels only in the signed statement: not in the clear (no baggage, no header of its own).
        Assert.DoesNotContain(keyId.ToString(), headers.GetRawText(), StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(partner.Organisation.Id.ToString(), headers.GetRawText(), StringComparison.OrdinalIgnoreCase);
        // YARP's X-Forwarded-* say how the client reached the gateway.
        Assert.Equal("http", headers.GetProperty("x-forwarded-proto").GetString());
        Assert.True(headers.TryGetProperty("x-forwarded-host", out _));

        // The upstream's JwtBearer, with the platform's JWKS, accepts the statement and reads who is calling; two organisations do not cross.
        foreach (var (who, whoKey, whoKeyId) in new[] { (partner, key, keyId), other })
        {
            using var verified = new HttpRequestMessage(HttpMethod.Get, "/v1/verified/me");
            verified.Headers.Add("X-Api-Key", whoKey);
            var response = await _app.CreateClient().SendAsync(verified);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var claims = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(who.Organisation.Id.ToString(), claims.GetProperty("org").GetString());
            Assert.Equal(who.Organisation.Slug, claims.GetProperty("slug").GetString());
            Assert.Equal(whoKeyId.ToString(), claims.GetProperty("key").GetString());
            Assert.Equal("test", claims.GetProperty("env").GetString());
        }
    }

    [Fact]
    public async Task A_key_restricted_to_scopes_reaches_only_their_routes_is_refused_403_elsewhere_and_its_identity_and_probe_say_so()
    {
        var partner = await _app.PartnerAsync();
        var portal = _app.ClientWithToken(await _app.SignInAsync(partner));
        var created = await PartnerApi.ExpectAsync(
            await PartnerApi.PostCreateAsync(portal, new { name = "orders only", scopes = new[] { "orders:read" } }), HttpStatusCode.Created);
        var restricted = created.GetProperty("apiKey").GetString()!;
        Assert.Equal("restricted", created.GetProperty("credential").GetProperty("access").GetString());
        Assert.Equal(["orders:read"], created.GetProperty("credential").GetProperty("scopes").EnumerateArray().Select(e => e.GetString()));
        var (full, fullCredential) = await PartnerApi.CreateAsync(portal, "everything");
        Assert.Equal("full", fullCredential.GetProperty("access").GetString());
        Assert.Empty(fullCredential.GetProperty("scopes").EnumerateArray());

        Assert.Equal(HttpStatusCode.OK, (await GetAsync("/v1/orders/1", restricted)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await GetAsync("/v1/verified/me", restricted)).StatusCode); // a route with no scope: any valid key
        var before = Volatile.Read(ref _upstreamCalls);
        var refused = await GetAsync("/v1/invoices/7", restricted);
        var problem = await refused.AssertProblemAsync(HttpStatusCode.Forbidden, "api_key_scope_missing");
        Assert.Equal("invoices:write", problem.GetProperty("requiredScope").GetString());
        Assert.Contains("invoices:write", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(before, Volatile.Read(ref _upstreamCalls)); // never forwarded
        Assert.Equal(HttpStatusCode.OK, (await GetAsync("/v1/invoices/7", full)).StatusCode);

        // The signed statement carries the scopes (OAuth's space-separated "scope"), verified by the upstream's JwtBearer.
        var scoped = await (await GetAsync("/v1/scoped/x", restricted)).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("restricted", scoped.GetProperty("access").GetString());
        Assert.Equal("orders:read", scoped.GetProperty("scope").GetString());
        var fullScoped = await (await GetAsync("/v1/scoped/x", full)).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("full", fullScoped.GetProperty("access").GetString());

        var probe = await PartnerApi.ExpectAsync(await PartnerApi.ProbeAsync(_app, restricted), HttpStatusCode.OK);
        Assert.Equal("restricted", probe.GetProperty("credential").GetProperty("access").GetString());
        Assert.Equal(["orders:read"], probe.GetProperty("credential").GetProperty("scopes").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task Scopes_are_checked_against_the_routes_when_a_key_is_made_and_a_rotation_keeps_or_changes_them_in_the_audit_trail()
    {
        var partner = await _app.PartnerAsync();
        var portal = _app.ClientWithToken(await _app.SignInAsync(partner));
        var unknown = await PartnerApi.PostCreateAsync(portal, new { name = "typo", scopes = new[] { "orders:raed" } });
        var invalid = await unknown.AssertProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        Assert.Contains("'orders:raed'", invalid.GetProperty("errors").GetProperty("scopes")[0].GetString(), StringComparison.Ordinal);
        await (await PartnerApi.PostCreateAsync(portal, new { name = "none", scopes = Array.Empty<string>() }))
            .AssertProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        await (await PartnerApi.PostCreateAsync(portal, new { name = "both", access = "full", scopes = new[] { "orders:read" } }))
            .AssertProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        await (await PartnerApi.PostCreateAsync(portal, new { name = "odd", access = "some" })).AssertProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        Assert.Empty(await PartnerApi.ListAsync(portal)); // nothing was made

        var created = await PartnerApi.ExpectAsync(
            await PartnerApi.PostCreateAsync(portal, new { name = "billing", scopes = new[] { "orders:read", "invoices:write", "orders:read" } }), HttpStatusCode.Created);
        Assert.Equal(["invoices:write", "orders:read"], created.GetProperty("credential").GetProperty("scopes").EnumerateArray().Select(e => e.GetString()));
        var (_, kept, _) = await PartnerApi.RotateAsync(portal, created.GetProperty("credential").GetProperty("id").GetGuid(), 24);
        Assert.Equal(["invoices:write", "orders:read"], kept.GetProperty("scopes").EnumerateArray().Select(e => e.GetString()));
        var narrow = await PartnerApi.ExpectAsync(
            await PartnerApi.PostCreateAsync(portal, new { name = "widen me", access = "restricted", scopes = new[] { "orders:read" } }), HttpStatusCode.Created);
        var widened = await PartnerApi.ExpectAsync(
            await PartnerApi.PostRotateAsync(portal, narrow.GetProperty("credential").GetProperty("id").GetGuid(), new { graceHours = 24, access = "full" }),
            HttpStatusCode.Created);
        Assert.Equal("full", widened.GetProperty("credential").GetProperty("access").GetString());

        // Staff rotate on the partner's behalf and narrow the new key; the partner collects it with those scopes.
        var other = await PartnerApi.ExpectAsync(
            await PartnerApi.PostCreateAsync(portal, new { name = "reports", access = "full" }), HttpStatusCode.Created);
        await using (var scope = _app.Services.CreateAsyncScope())
        {
            var rotated = await scope.ServiceProvider.GetRequiredService<Idunox.Credentials.Contracts.ITenantKeyAdministration>().RotateAsync(
                partner.Organisation.Id, other.GetProperty("credential").GetProperty("id").GetGuid(), 24, new Idunox.Credentials.Contracts.KeyAccess(["orders:read"]),
                new Idunox.Credentials.Contracts.StaffKeyAction(Guid.NewGuid(), "narrowing at the partner's request", null), CancellationToken.None);
            Assert.True(rotated.Succeeded, rotated.Failure?.Message);
            var collected = await PartnerApi.ExpectAsync(
                await portal.PostAsync(new Uri($"/v1/partner/credentials/handovers/{rotated.Value!.Offer.Id}/collect", UriKind.Relative), null), HttpStatusCode.Created);
            Assert.Equal(["orders:read"], collected.GetProperty("credential").GetProperty("scopes").EnumerateArray().Select(e => e.GetString()));
        }

        var audit = await portal.GetStringAsync(new Uri("/v1/partner/audit", UriKind.Relative));
        Assert.Contains("scopes invoices:write, orders:read", audit, StringComparison.Ordinal); // the key made with them
        Assert.Contains("scopes changed from scopes orders:read to full access", audit, StringComparison.Ordinal); // the partner's rotation
        Assert.Contains("scopes changed from full access to scopes orders:read", audit, StringComparison.Ordinal); // staff's rotation
    }

    /// <summary>The statuses by the clock, as for the probe: grace works until it ends, then expired; validity ends the same way.</summary>
    [Fact]
    public async Task A_key_in_grace_is_served_until_its_grace_ends_and_an_expired_key_is_refused_before_the_data_API()
    {
        var partner = await _app.PartnerAsync();
        var portal = _app.ClientWithToken(await _app.SignInAsync(partner));
        var (rotating, credential) = await PartnerApi.CreateAsync(portal, "rotating");
        var (successor, _, _) = await PartnerApi.RotateAsync(portal, credential.GetProperty("id").GetGuid(), 24);
        var (shortLived, _) = await PartnerApi.CreateAsync(portal, "short-lived", expiresInDays: 1);

        _app.Clock.Advance(TimeSpan.FromHours(23));
        Assert.Equal(HttpStatusCode.OK, (await GetAsync("/v1/orders/1", rotating)).StatusCode); // in grace
        Assert.Equal(HttpStatusCode.OK, (await GetAsync("/v1/orders/1", shortLived)).StatusCode);

        _app.Clock.Advance(TimeSpan.FromHours(1));
        var before = Volatile.Read(ref _upstreamCalls);
        await (await GetAsync("/v1/orders/1", rotating)).AssertProblemAsync(HttpStatusCode.Unauthorized, "api_key_expired"); // grace over
        await (await GetAsync("/v1/orders/1", shortLived)).AssertProblemAsync(HttpStatusCode.Unauthorized, "api_key_expired");
        Assert.Equal(before, Volatile.Read(ref _upstreamCalls));
        Assert.Equal(HttpStatusCode.OK, (await GetAsync("/v1/orders/1", successor)).StatusCode);
    }

    [Fact]
    public async Task Refused_keys_are_answered_by_the_gate_and_never_reach_the_data_API()
    {
        var (partner, key, keyId) = await PartnerWithKeyAsync();
        await PartnerApi.RevokeAsync(_app.ClientWithToken(await _app.SignInAsync(partner)), keyId);
        var before = Volatile.Read(ref _upstreamCalls);

        await (await GetAsync("/v1/orders/1", null)).AssertProblemAsync(HttpStatusCode.Unauthorized, "api_key_missing");
        await (await GetAsync("/v1/orders/1", "idx_test_not-a-key")).AssertProblemAsync(HttpStatusCode.Unauthorized, "api_key_malformed");
        await (await GetAsync("/v1/orders/1", key)).AssertProblemAsync(HttpStatusCode.Unauthorized, "api_key_revoked");

        Assert.Equal(before, Volatile.Read(ref _upstreamCalls));
    }

    [Fact]
    public async Task Upstream_faults_are_problems_without_the_upstream_address_and_its_own_errors_pass_through()
    {
        var (_, key, _) = await PartnerWithKeyAsync();

        var broken = await GetAsync("/v1/broken/x", key);
        Assert.Equal(HttpStatusCode.InternalServerError, broken.StatusCode);
        Assert.Equal("the data API broke", await broken.Content.ReadAsStringAsync());
        var theirs = await GetAsync("/v1/broken/json", key);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, theirs.StatusCode);
        Assert.Equal("""{"theirs":true}""", await theirs.Content.ReadAsStringAsync()); // byte for byte

        var downAnswer = await GetAsync("/v1/down/x", key);
        Assert.EndsWith("}\n", await downAnswer.Content.ReadAsStringAsync(), StringComparison.Ordinal); // the platform's own answer, as every one
        var down = await downAnswer.AssertProblemAsync(HttpStatusCode.BadGateway, "upstream_unavailable");
        Assert.DoesNotContain("127.0.0.1", down.GetRawText(), StringComparison.Ordinal);
        Assert.True(down.TryGetProperty("traceId", out _));

        var slow = await (await GetAsync("/v1/slow/x", key)).AssertProblemAsync(HttpStatusCode.GatewayTimeout, "upstream_timeout");
        Assert.DoesNotContain(_upstreamAddress, slow.GetRawText(), StringComparison.Ordinal);
    }

    /// <summary>A signature per request would cost as much as the proxying: one statement serves a key's requests for 30 seconds.</summary>
    [Fact]
    public async Task One_signed_statement_serves_a_keys_requests_for_30_seconds_then_a_new_one_is_made()
    {
        var (_, key, _) = await PartnerWithKeyAsync();
        async Task<string> StatementAsync() =>
            (await (await GetAsync("/v1/orders/1", key)).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("headers").GetProperty("idunox-identity").GetString()!;

        var first = await StatementAsync();
        _app.Clock.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal(first, await StatementAsync());
        _app.Clock.Advance(TimeSpan.FromSeconds(1));
        var next = await StatementAsync();
        Assert.NotEqual(first, next);

        // Each is valid for 60 seconds from when it was made, so the one attached last still has at least 30 to go.
        var payload = new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(next);
        Assert.Equal(_app.Clock.GetUtcNow().UtcDateTime.AddSeconds(60), payload.ValidTo, TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task A_client_that_goes_away_cancels_the_call_to_the_data_API()
    {
        var (_, key, _) = await PartnerWithKeyAsync();
        using var leaving = new CancellationTokenSource();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/patient/x"); // a route with YARP's 100 s timeout
        request.Headers.Add("X-Api-Key", key);
        var call = _app.CreateClient().SendAsync(request, leaving.Token);
        await _slowCalled.Task.WaitAsync(TimeSpan.FromSeconds(10)); // the data API is working on it

        await leaving.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        await _slowAborted.Task.WaitAsync(TimeSpan.FromSeconds(10)); // and hears that nobody is waiting any more
    }

    /// <summary>
    /// Every host serves the gateway, with one cache promise: a key revoked through host A is refused by host B's gateway
    /// within seconds (its listener hears the change), and the data API hears nothing more from that key.
    /// </summary>
    [Fact]
    public async Task A_key_narrowed_or_revoked_on_one_host_is_refused_by_the_other_hosts_gateway_within_seconds()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync();
        var routes = new Dictionary<string, string?>
        {
            ["Gateway:Routes:orders:ClusterId"] = "data",
            ["Gateway:Routes:orders:Match:Path"] = "/v1/orders/{**rest}",
            ["Gateway:Routes:orders:Metadata:Scope"] = "orders:read",
            ["Gateway:Routes:invoices:ClusterId"] = "data",
            ["Gateway:Routes:invoices:Match:Path"] = "/v1/invoices/{**rest}",
            ["Gateway:Routes:invoices:Metadata:Scope"] = "invoices:write",
            ["Gateway:Routes:scoped:ClusterId"] = "data",
            ["Gateway:Routes:scoped:Match:Path"] = "/v1/scoped/{**rest}",
            ["Gateway:Routes:scoped:Metadata:Scope"] = "orders:read",
            ["Gateway:Scopes:orders:read:Description"] = "Read orders and their lines.",
            ["Gateway:Clusters:data:Destinations:one:Address"] = _upstreamAddress,
        };
        await using var hostA = IdunoxApp.OnPostgres(database, extra: routes);
        await using var hostB = IdunoxApp.OnPostgres(database, extra: routes);
        var cacheB = hostB.Services.GetRequiredService<Idunox.Credentials.Verification.KeyVerificationCache>();
        for (var i = 0; i < 200 && !cacheB.Enabled; i++)
        {
            await Task.Delay(25); // host B's listener connects
        }

        Assert.True(cacheB.Enabled, "host B never started listening for key changes");
        var partner = await hostA.PartnerAsync();
        var portal = hostA.ClientWithToken(await hostA.SignInAsync(partner));
        var (key, credential) = await PartnerApi.CreateAsync(portal, "two hosts");
        Assert.Equal(HttpStatusCode.OK, (await GatewayGetAsync(hostB, key)).StatusCode); // cached on B
        Assert.True(cacheB.Holds(credential.GetProperty("id").GetGuid()));

        // A key narrowed on A (a change, not a rotation) is narrowed on B's gateway too, from its next request on.
        var (wide, wideCredential) = await PartnerApi.CreateAsync(portal, "narrowed later");
        using (var invoices = new HttpRequestMessage(HttpMethod.Get, "/v1/invoices/1"))
        {
            invoices.Headers.Add("X-Api-Key", wide);
            Assert.Equal(HttpStatusCode.OK, (await hostB.CreateClient().SendAsync(invoices)).StatusCode);
        }

        var narrowed = await portal.PatchAsync(new Uri($"/v1/partner/credentials/{wideCredential.GetProperty("id").GetGuid()}", UriKind.Relative),
            new StringContent("""{"scopes": ["orders:read"]}""", System.Text.Encoding.UTF8, "application/merge-patch+json"));
        Assert.Equal(HttpStatusCode.OK, narrowed.StatusCode);
        var sinceNarrowed = System.Diagnostics.Stopwatch.StartNew();
        HttpResponseMessage onB;
        do
        {
            using var invoices = new HttpRequestMessage(HttpMethod.Get, "/v1/invoices/1");
            invoices.Headers.Add("X-Api-Key", wide);
            onB = await hostB.CreateClient().SendAsync(invoices);
        }
        while (onB.StatusCode == HttpStatusCode.OK && sinceNarrowed.Elapsed < TimeSpan.FromSeconds(10));

        await onB.AssertProblemAsync(HttpStatusCode.Forbidden, "api_key_scope_missing");

        await PartnerApi.RevokeAsync(portal, credential.GetProperty("id").GetGuid());
        var clock = System.Diagnostics.Stopwatch.StartNew();
        HttpResponseMessage answer;
        do
        {
            answer = await GatewayGetAsync(hostB, key);
        }
        while (answer.StatusCode == HttpStatusCode.OK && clock.Elapsed < TimeSpan.FromSeconds(10));

        await answer.AssertProblemAsync(HttpStatusCode.Unauthorized, "api_key_revoked");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
        var calls = Volatile.Read(ref _upstreamCalls);
        await (await GatewayGetAsync(hostB, key)).AssertProblemAsync(HttpStatusCode.Unauthorized, "api_key_revoked");
        Assert.Equal(calls, Volatile.Read(ref _upstreamCalls));
    }

    private static Task<HttpResponseMessage> GatewayGetAsync(IdunoxApp host, string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/v1/orders/7");
        request.Headers.Add("X-Api-Key", key);
        return host.CreateClient().SendAsync(request);
    }

    /// <summary>
    /// The configuration is read again when it changes: a new route serves without a restart; a reload that brings a
    /// route taking a platform path is refused as a whole, and the last good configuration keeps serving.
    /// </summary>
    [Fact]
    public async Task A_configuration_reload_adds_a_route_without_a_restart_and_a_bad_one_is_refused_keeping_the_last_good()
    {
        var (partner, key, _) = await PartnerWithKeyAsync();
        var portal = _app.ClientWithToken(await _app.SignInAsync(partner));
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync("/v1/added/1", key)).StatusCode);
        await (await PartnerApi.PostCreateAsync(portal, new { name = "too early", scopes = new[] { "added:read" } }))
            .AssertProblemAsync(HttpStatusCode.BadRequest, "validation_failed");

        var endpointsChanged = EndpointsChange();
        Reload(("Gateway:Routes:added:ClusterId", "data"), ("Gateway:Routes:added:Match:Path", "/v1/added/{**rest}"),
            ("Gateway:Routes:added:Metadata:Scope", "added:read"));
        await endpointsChanged.WaitAsync(TimeSpan.FromSeconds(10));
        var added = await GetAsync("/v1/added/1", key);
        Assert.Equal(HttpStatusCode.OK, added.StatusCode);
        Assert.Equal("/v1/added/1", (await added.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("path").GetString());
        // The new route's scope is in the catalogue at once: a key can be restricted to it.
        await PartnerApi.ExpectAsync(await PartnerApi.PostCreateAsync(portal, new { name = "added", scopes = new[] { "added:read" } }), HttpStatusCode.Created);

        Reload(("Gateway:Routes:sneaky:ClusterId", "data"), ("Gateway:Routes:sneaky:Match:Path", "/v1/partner/{**rest}"));
        await _app.Logs.WaitForAsync(l => l.Contains("Gateway route 'sneaky'", StringComparison.Ordinal), TimeSpan.FromSeconds(10));
        Assert.Equal(HttpStatusCode.OK, (await GetAsync("/v1/added/2", key)).StatusCode); // the last good configuration
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync("/v1/partner/me", key)).StatusCode); // still the platform's own (a bearer token is needed)
    }

    /// <summary>Completes when the host's endpoints change next (the proxy applied a new configuration).</summary>
    private Task EndpointsChange()
    {
        var changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _app.Services.GetRequiredService<Microsoft.AspNetCore.Routing.EndpointDataSource>().GetChangeToken()
            .RegisterChangeCallback(_ => changed.TrySetResult(), null);
        return changed.Task;
    }

    /// <summary>Changes the host's configuration as a changed settings file would, and tells its readers.</summary>
    private void Reload(params (string Key, string Value)[] settings)
    {
        var root = (Microsoft.Extensions.Configuration.IConfigurationRoot)_app.Services.GetRequiredService<Microsoft.Extensions.Configuration.IConfiguration>();
        // A settings source of its own kind; no later source names these keys, so they take effect as written.
        var provider = root.Providers.OfType<Microsoft.Extensions.Configuration.Memory.MemoryConfigurationProvider>().Last();
        foreach (var (key, value) in settings)
        {
            provider.Set(key, value);
        }

        root.Reload();
    }

    [Theory]
    [InlineData("/v1/partner/{**rest}")]
    [InlineData("/v1/partner-auth-probe")]
    [InlineData("/v1/{**everything}")]
    [InlineData("/admin/{**rest}")]
    public Task A_route_that_would_take_a_platform_path_is_refused_at_start_naming_the_route(string path) =>
        AssertRefusedAtStartAsync(path, null, null);

    /// <summary>A scope the catalogue could not show, or a route without the key check outside the benchmark's environment.</summary>
    [Theory]
    [InlineData("Scope", "Orders Read")]
    [InlineData("Scope", "orders:")]
    [InlineData("KeyCheck", "none")]
    public Task A_route_with_a_malformed_scope_or_no_key_check_is_refused_at_start_naming_the_route(string metadata, string value) =>
        AssertRefusedAtStartAsync("/v1/orders/{**rest}", metadata, value);

    private static async Task AssertRefusedAtStartAsync(string path, string? metadata, string? value)
    {
        var settings = new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["ConnectionStrings__Idunox"] = $"Data Source={Path.Combine(Path.GetTempPath(), $"idunox-shadow-{Guid.NewGuid():N}.db")}",
            ["Gateway__Routes__sneaky__ClusterId"] = "data",
            ["Gateway__Routes__sneaky__Match__Path"] = path,
            ["Gateway__Clusters__data__Destinations__one__Address"] = "http://127.0.0.1:9/",
        };
        if (metadata is not null)
        {
            settings[$"Gateway__Routes__sneaky__Metadata__{metadata}"] = value;
        }

        var (exitCode, _, error) = await HostProcess.RunAsync(["migrate"], settings);

        Assert.NotEqual(0, exitCode);
        Assert.Contains("Gateway route 'sneaky'", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }

    private Task<HttpResponseMessage> GetAsync(string path, string? key)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (key is not null)
        {
            request.Headers.Add("X-Api-Key", key);
        }

        return _app.CreateClient().SendAsync(request);
    }

    private async Task<(TestPartner Partner, string Key, Guid KeyId)> PartnerWithKeyAsync()
    {
        var partner = await _app.PartnerAsync();
        var (key, credential) = await PartnerApi.CreateAsync(_app.ClientWithToken(await _app.SignInAsync(partner)), "gateway");
        return (partner, key, credential.GetProperty("id").GetGuid());
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
