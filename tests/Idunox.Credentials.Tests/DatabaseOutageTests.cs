using System.Net;
using System.Text.RegularExpressions;
using Idunox.Credentials.Verification;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Idunox.Credentials.Tests;

/// <summary>A host on a PostgreSQL cluster of the test's own, which the test stops and starts.</summary>
public sealed class OutageFixture : IAsyncLifetime
{
    private OwnedPostgres? _cluster;
    private IdunoxApp? _app;

    public OwnedPostgres Cluster => _cluster ?? throw new InvalidOperationException("The fixture has not started.");

    public IdunoxApp App => _app ?? throw new InvalidOperationException("The fixture has not started.");

    public string ConnectionString { get; private set; } = string.Empty;

    public async Task InitializeAsync()
    {
        _cluster = await OwnedPostgres.StartAsync();
        var database = await _cluster.CreateDatabaseAsync();
        ConnectionString = database.ConnectionString;
        _app = IdunoxApp.OnPostgres(database);
        _ = _app.Server;
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }
}

/// <summary>
/// PostgreSQL stops while partners use the platform: requests that need it answer 503 (never 500), keys this server
/// verified within the cache's TTL keep working and nothing else is accepted, pages show "temporarily unavailable", the
/// log gets one warning; when it is back the host recovers by itself, with every acknowledged write kept and every
/// refused one absent, and the reminder job that failed in the outage sends its reminder once afterwards.
/// </summary>
public sealed partial class DatabaseOutageTests(OutageFixture fixture) : IClassFixture<OutageFixture>
{
    private IdunoxApp App => fixture.App;

    [Fact]
    public async Task An_outage_answers_503_keeps_recently_verified_keys_working_loses_nothing_and_passes_by_itself()
    {
        var cache = App.Services.GetRequiredService<KeyVerificationCache>();
        await WaitAsync(() => Task.FromResult(cache.Enabled), "the host never listened for key changes");
        var session = await PartnerSession.StartAsync(App);
        var (kept, keptCredential) = await session.CreateKeyAsync("kept");
        var (revoked, revokedCredential) = await session.CreateKeyAsync("revoked");
        await PartnerSession.Expect(await session.PostRevokeAsync(revokedCredential.Id()), HttpStatusCode.OK);
        var (_, expiring) = await session.CreateKeyAsync("expiring soon", expiresInDays: 5);
        await PartnerSession.Expect(await session.ProbeAsync(kept), HttpStatusCode.OK);
        await (await session.ProbeAsync(revoked)).AssertProblemAsync(HttpStatusCode.Unauthorized, "api_key_revoked");
        var browser = await SignInToPortalAsync(session.Partner);
        var before = await CountRowsAsync();

        await fixture.Cluster.StopServerAsync();
        try
        {
            var outageStarts = App.Logs.Lines.Count;

            // The portal API: 503 with Retry-After for reads and writes alike.
            var list = await session.Portal.GetAsync(new Uri("/v1/partner/credentials", UriKind.Relative));
            await list.AssertProblemAsync(HttpStatusCode.ServiceUnavailable, "service_unavailable");
            Assert.Equal("5", list.Headers.GetValues("Retry-After").Single());
            await (await session.PostCreateAsync(new { name = "made in the outage" })).AssertProblemAsync(HttpStatusCode.ServiceUnavailable, "service_unavailable");
            await (await session.PostRevokeAsync(keptCredential.Id())).AssertProblemAsync(HttpStatusCode.ServiceUnavailable, "service_unavailable");

            // The data API: keys read within the TTL still work (and the revoked one stays refused); anything else is 503.
            await PartnerSession.Expect(await session.ProbeAsync(kept), HttpStatusCode.OK);
            await (await session.ProbeAsync(revoked)).AssertProblemAsync(HttpStatusCode.Unauthorized, "api_key_revoked");
            await (await session.ProbeAsync(Keys.ApiKeyFormat.Generate("test"))).AssertProblemAsync(HttpStatusCode.ServiceUnavailable, "service_unavailable");

            // Health: not ready, naming the database; alive.
            var ready = await App.CreateClient().GetAsync(new Uri("/health/ready", UriKind.Relative));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            Assert.Contains("unreachable", await ready.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.OK, (await App.CreateClient().GetAsync(new Uri("/health/live", UriKind.Relative))).StatusCode);

            // A page: the friendly page with a reference to quote, not a stack trace.
            var page = await browser.GetAsync(new Uri("/partner/keys", UriKind.Relative));
            var html = await page.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.ServiceUnavailable, page.StatusCode);
            Assert.Contains("Temporarily unavailable", html, StringComparison.Ordinal);
            Assert.Matches("quote this reference: <code>[0-9a-f-]{20,}</code>", html);
            Assert.DoesNotContain("Npgsql", html, StringComparison.Ordinal);

            // The reminder job fails in the outage (Hangfire retries it, and the next run catches up anyway).
            await Assert.ThrowsAnyAsync<Exception>(() => App.RunJobAsync("expiry-reminders"));

            // One warning for the outage, no error or stack trace per request. The test's log capture takes every level of
            // every category; the host itself keeps out two framework categories that log an error the host reports
            // once already (the JWT handler's copy of a rethrown exception, the health check service's unhealthy answer).
            string[] filtered = [typeof(Microsoft.AspNetCore.Authentication.JwtBearer.JwtBearerHandler).FullName!, "Microsoft.Extensions.Diagnostics.HealthChecks.DefaultHealthCheckService"];
            var outageLines = App.Logs.Lines.Skip(outageStarts).ToList();
            Assert.Single(outageLines, l => l.Contains("The database is unavailable", StringComparison.Ordinal) && l.StartsWith("Warning ", StringComparison.Ordinal));
            Assert.DoesNotContain(outageLines, l => l.StartsWith("Error ", StringComparison.Ordinal) &&
                !filtered.Any(category => l.StartsWith($"Error {category}:", StringComparison.Ordinal)));
            var rules = App.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Microsoft.Extensions.Logging.LoggerFilterOptions>>().Value.Rules;
            Assert.All(filtered, category => Assert.Contains(rules, r => r.CategoryName == category && r.LogLevel == Microsoft.Extensions.Logging.LogLevel.Critical));

            // The TTL is a hard limit: past it, even the kept key waits for the database.
            App.Clock.Advance(TimeSpan.FromSeconds(31));
            await (await session.ProbeAsync(kept)).AssertProblemAsync(HttpStatusCode.ServiceUnavailable, "service_unavailable");
        }
        finally
        {
            await fixture.Cluster.StartServerAsync();
        }

        // Back by itself: no restart.
        await WaitAsync(async () => (await session.Portal.GetAsync(new Uri("/v1/partner/credentials", UriKind.Relative))).StatusCode == HttpStatusCode.OK,
            "the portal API did not recover");
        await WaitAsync(async () => (await App.CreateClient().GetAsync(new Uri("/health/ready", UriKind.Relative))).StatusCode == HttpStatusCode.OK,
            "the host never became ready again");
        await WaitAsync(() => Task.FromResult(cache.Enabled), "the host never listened for key changes again");
        await PartnerSession.Expect(await session.ProbeAsync(kept), HttpStatusCode.OK);
        await (await session.ProbeAsync(revoked)).AssertProblemAsync(HttpStatusCode.Unauthorized, "api_key_revoked");

        // Everything acknowledged before is there, nothing refused in the outage left a trace: keys, audit trail, outbox.
        Assert.Equal(before, await CountRowsAsync());
        var names = (await session.ListAsync()).Select(k => k.GetProperty("name").GetString()).ToList();
        Assert.Equal(["expiring soon", "kept", "revoked"], names.Order());
        Assert.Equal("active", (await session.GetAsync(keptCredential.Id())).Status());

        // The reminder the failed run did not send goes out once.
        await App.RunJobAsync("expiry-reminders");
        await App.RunJobAsync("email-dispatch");
        await App.RunJobAsync("expiry-reminders");
        await App.RunJobAsync("email-dispatch");
        var prefix = expiring.GetProperty("prefix").GetString()!.TrimEnd('…');
        Assert.Single(Directory.GetFiles(App.MailDirectory, "*.eml").Select(f => MimeKit.MimeMessage.Load(f)),
            m => m.Subject is { } subject && subject.Contains(prefix, StringComparison.Ordinal) && subject.Contains("expires in", StringComparison.Ordinal));
    }

    private async Task<(long Keys, long Audit, long Outbox)> CountRowsAsync()
    {
        await using var connection = new NpgsqlConnection(fixture.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT (SELECT count(*) FROM credentials.api_keys), (SELECT count(*) FROM credentials.audit_events), (SELECT count(*) FROM credentials.outbox_messages)",
            connection);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
    }

    private async Task<HttpClient> SignInToPortalAsync(TestPartner partner)
    {
        var browser = App.CreateClient(new WebApplicationFactoryClientOptions
        {
            BaseAddress = new Uri("https://localhost"),
            AllowAutoRedirect = false,
            HandleCookies = true,
        });
        var form = await browser.GetStringAsync(new Uri("/partner/sign-in", UriKind.Relative));
        var signedIn = await browser.PostAsync(new Uri("/partner/sign-in", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "sign-in",
            ["__RequestVerificationToken"] = TokenField().Match(form).Groups[1].Value,
            ["Input.Email"] = partner.Email,
            ["Input.Password"] = partner.Password,
        }));
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync(new Uri("/partner/keys", UriKind.Relative))).StatusCode);
        return browser;
    }

    /// <summary>Polls (real time) until the condition holds: recovery takes the pool and the listener a moment.</summary>
    private static async Task WaitAsync(Func<Task<bool>> condition, string failure)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), failure);
            await Task.Delay(100);
        }
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex TokenField();
}
