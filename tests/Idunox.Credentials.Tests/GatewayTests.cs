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
        _upstream.MapGet("/v1/added/{**rest}", (HttpContext http) => Results.Json(new { path = http.Request.Path.Value }));
        _upstream.MapGet("/v1/broken/{**rest}", () => Results.Text("the data API broke", statusCode: 500));
        _upstream.MapGet("/v1/slow/{**rest}", async (CancellationToken ct) => { await Task.Delay(TimeSpan.FromSeconds(30), ct); return Results.Ok(); });
        await _upstream.StartAsync();
        _upstreamAddress = _upstream.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();

        var closedPort = FreePort();
        _app = IdunoxApp.OnSqlite(_database, extra: new Dictionary<string, string?>
        {
            ["Gateway:Routes:orders:ClusterId"] = "data",
            ["Gateway:Routes:orders:Match:Path"] = "/v1/orders/{**rest}",
            ["Gateway:Routes:verified:ClusterId"] = "data",
            ["Gateway:Routes:verified:Match:Path"] = "/v1/verified/{**rest}",
            ["Gateway:Routes:broken:ClusterId"] = "data",
            ["Gateway:Routes:broken:Match:Path"] = "/v1/broken/{**rest}",
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

        var down = await (await GetAsync("/v1/down/x", key)).AssertProblemAsync(HttpStatusCode.BadGateway, "upstream_unavailable");
        Assert.DoesNotContain("127.0.0.1", down.GetRawText(), StringComparison.Ordinal);
        Assert.True(down.TryGetProperty("traceId", out _));

        var slow = await (await GetAsync("/v1/slow/x", key)).AssertProblemAsync(HttpStatusCode.GatewayTimeout, "upstream_timeout");
        Assert.DoesNotContain(_upstreamAddress, slow.GetRawText(), StringComparison.Ordinal);
    }

    /// <summary>
    /// Every host serves the gateway, with one cache promise: a key revoked through host A is refused by host B's gateway
    /// within seconds (its listener hears the change), and the data API hears nothing more from that key.
    /// </summary>
    [Fact]
    public async Task A_key_revoked_on_one_host_is_refused_by_the_other_hosts_gateway_within_seconds()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync();
        var routes = new Dictionary<string, string?>
        {
            ["Gateway:Routes:orders:ClusterId"] = "data",
            ["Gateway:Routes:orders:Match:Path"] = "/v1/orders/{**rest}",
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
        var (_, key, _) = await PartnerWithKeyAsync();
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync("/v1/added/1", key)).StatusCode);

        var endpointsChanged = EndpointsChange();
        Reload(("Gateway:Routes:added:ClusterId", "data"), ("Gateway:Routes:added:Match:Path", "/v1/added/{**rest}"));
        await endpointsChanged.WaitAsync(TimeSpan.FromSeconds(10));
        var added = await GetAsync("/v1/added/1", key);
        Assert.Equal(HttpStatusCode.OK, added.StatusCode);
        Assert.Equal("/v1/added/1", (await added.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("path").GetString());

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
    public async Task A_route_that_would_take_a_platform_path_is_refused_at_start_naming_the_route(string path)
    {
        var (exitCode, _, error) = await HostProcess.RunAsync(["migrate"], new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["ConnectionStrings__Idunox"] = $"Data Source={Path.Combine(Path.GetTempPath(), $"idunox-shadow-{Guid.NewGuid():N}.db")}",
            ["Gateway__Routes__sneaky__ClusterId"] = "data",
            ["Gateway__Routes__sneaky__Match__Path"] = path,
            ["Gateway__Clusters__data__Destinations__one__Address"] = "http://127.0.0.1:9/",
        });

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
