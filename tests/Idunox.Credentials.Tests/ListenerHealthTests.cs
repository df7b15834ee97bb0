using System.Diagnostics;
using System.Net;
using Idunox.Credentials.Verification;
using Microsoft.Extensions.DependencyInjection;

namespace Idunox.Credentials.Tests;

/// <summary>
/// A listening connection can die without a word (no reset: a peer gone, a firewall dropping the flow). The listener
/// proves its connection every few seconds and stops trusting its cache when it cannot, so a revocation on another
/// server is never missed for longer than that.
/// </summary>
public sealed class ListenerHealthTests
{
    private static async Task WaitForAsync(Func<bool> condition, TimeSpan within, string what)
    {
        var waited = Stopwatch.StartNew();
        while (!condition() && waited.Elapsed < within)
        {
            await Task.Delay(20); // the listener works in real time: its check is due in real seconds
        }

        Assert.True(condition(), $"{what} (waited {waited.Elapsed})");
    }

    [Fact]
    public async Task A_host_whose_listening_connection_goes_silent_stops_trusting_its_cache_and_refuses_a_key_revoked_elsewhere()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync();
        await using var proxy = SilencingProxy.For(database.ConnectionString, out var proxied);
        await using var elsewhere = IdunoxApp.OnPostgres(database);
        _ = elsewhere.Server; // migrates
        await using var here = IdunoxApp.OnPostgres(database, extra: new Dictionary<string, string?>
        {
            ["ConnectionStrings:Idunox"] = proxied,
            ["Database:MigrateOnStartup"] = "false",
            ["Credentials:Verification:ListenerCheckSeconds"] = "1",
        });
        _ = here.Server;
        var cache = here.Services.GetRequiredService<KeyVerificationCache>();
        await WaitForAsync(() => cache.Enabled, TimeSpan.FromSeconds(10), "the host never started listening");

        var session = await PartnerSession.StartAsync(elsewhere);
        var (key, credential) = await session.CreateKeyAsync("seen here");
        await PartnerSession.Expect(await PartnerSession.Probe(here, key), HttpStatusCode.OK); // cached here

        // The listening connection goes silent; the host's other connections carry on.
        Assert.Equal(1, proxy.Silence("LISTEN idunox_key_verification"));
        await WaitForAsync(() => !cache.Enabled, TimeSpan.FromSeconds(10), "the host kept trusting its cache over a silent connection");

        await session.RevokeAsync(credential.Id()); // its notification is never heard here
        await (await PartnerSession.Probe(here, key)).AssertProblemAsync(HttpStatusCode.Unauthorized, "api_key_revoked");

        // A new connection (through the same proxy, not silenced) brings the cache back.
        await WaitForAsync(() => cache.Enabled, TimeSpan.FromSeconds(15), "the host never listened again");
        await (await PartnerSession.Probe(here, key)).AssertProblemAsync(HttpStatusCode.Unauthorized, "api_key_revoked");
    }

    [Fact]
    public async Task The_host_that_makes_a_change_forgets_it_at_once_without_hearing_its_own_notification()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync();
        await using var proxy = SilencingProxy.For(database.ConnectionString, out var proxied);
        await using (var migrator = IdunoxApp.OnPostgres(database))
        {
            _ = migrator.Server;
        }

        // The listening connection will carry nothing, and its check is not due for minutes: the cache stays trusted,
        // so only the eviction made in-process by the change itself can make the next request see the change.
        await using var here = IdunoxApp.OnPostgres(database, extra: new Dictionary<string, string?>
        {
            ["ConnectionStrings:Idunox"] = proxied,
            ["Database:MigrateOnStartup"] = "false",
            ["Credentials:Verification:ListenerCheckSeconds"] = "300",
        });
        _ = here.Server;
        var cache = here.Services.GetRequiredService<KeyVerificationCache>();
        await WaitForAsync(() => cache.Enabled, TimeSpan.FromSeconds(10), "the host never started listening");
        Assert.Equal(1, proxy.Silence("LISTEN idunox_key_verification"));

        var session = await PartnerSession.StartAsync(here);
        var (revoked, revokedCredential) = await session.CreateKeyAsync("to revoke");
        var (rotated, rotatedCredential) = await session.CreateKeyAsync("to rotate");
        await PartnerSession.Expect(await session.ProbeAsync(revoked), HttpStatusCode.OK);
        await PartnerSession.Expect(await session.ProbeAsync(rotated), HttpStatusCode.OK);
        Assert.Equal(2, cache.Count);

        await session.RevokeAsync(revokedCredential.Id());
        await (await session.ProbeAsync(revoked)).AssertProblemAsync(HttpStatusCode.Unauthorized, "api_key_revoked");
        await session.RotateAsync(rotatedCredential.Id(), graceHours: 24);
        var probe = await PartnerSession.Expect(await session.ProbeAsync(rotated), HttpStatusCode.OK);
        Assert.Equal("grace", probe.GetProperty("credential").GetProperty("status").GetString());
        await here.ProvisionAsync(p => p.SetOrganisationStatusAsync(session.Partner.Organisation.Slug, Identity.Contracts.OrganisationStatus.Suspended,
            CancellationToken.None));
        await (await session.ProbeAsync(rotated)).AssertProblemAsync(HttpStatusCode.Unauthorized, "api_key_organisation_suspended");
        Assert.True(cache.Enabled, "the cache stopped being trusted: the answers above may have come from the database");
    }

    [Fact]
    public async Task A_suspension_and_its_signal_are_one_change_if_the_signal_cannot_be_sent_nothing_is_suspended()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync();
        var fault = new CommandFault();
        await using var staffHost = IdunoxApp.OnPostgres(database);
        staffHost.TestServices.Add(services => services.AddSingleton<Microsoft.EntityFrameworkCore.Diagnostics.IInterceptor>(fault));
        _ = staffHost.Server;
        await using var apiHost = IdunoxApp.OnPostgres(database);
        _ = apiHost.Server;
        var apiCache = apiHost.Services.GetRequiredService<KeyVerificationCache>();
        await WaitForAsync(() => apiCache.Enabled, TimeSpan.FromSeconds(10), "the host never started listening");
        var session = await PartnerSession.StartAsync(staffHost);
        var (key, _) = await session.CreateKeyAsync("cached elsewhere");
        await PartnerSession.Expect(await PartnerSession.Probe(apiHost, key), HttpStatusCode.OK);

        fault.FailAt(sql => sql.Contains("pg_notify", StringComparison.Ordinal), 1);
        await Assert.ThrowsAnyAsync<Exception>(() => staffHost.ProvisionAsync(p =>
            p.SetOrganisationStatusAsync(session.Partner.Organisation.Slug, Identity.Contracts.OrganisationStatus.Suspended, CancellationToken.None)));
        fault.Disarm();

        // Not suspended (the change rolled back with its signal), so the other server is right to go on accepting the key.
        await using (var scope = staffHost.Services.CreateAsyncScope())
        {
            var organisations = await scope.ServiceProvider.GetRequiredService<Identity.Contracts.IOrganisationProvisioning>().ListOrganisationsAsync(CancellationToken.None);
            Assert.Equal(Identity.Contracts.OrganisationStatus.Active, organisations.Single(o => o.Slug == session.Partner.Organisation.Slug).Status);
        }

        await PartnerSession.Expect(await PartnerSession.Probe(apiHost, key), HttpStatusCode.OK);

        // Sent with the change, the signal reaches the other server as the change commits.
        await staffHost.ProvisionAsync(p => p.SetOrganisationStatusAsync(session.Partner.Organisation.Slug, Identity.Contracts.OrganisationStatus.Suspended, CancellationToken.None));
        var waited = Stopwatch.StartNew();
        HttpStatusCode status;
        do
        {
            status = (await PartnerSession.Probe(apiHost, key)).StatusCode;
        }
        while (status == HttpStatusCode.OK && waited.Elapsed < TimeSpan.FromSeconds(10));

        Assert.Equal(HttpStatusCode.Unauthorized, status);
    }
}
