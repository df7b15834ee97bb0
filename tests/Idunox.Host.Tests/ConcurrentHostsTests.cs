using Hangfire;
using Hangfire.Common;
using Hangfire.Storage;
using Idunox.Shared.Jobs;
using Idunox.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Idunox.Host.Tests;

/// <summary>
/// Hangfire keeps state per process; the tests start many hosts in one process, in parallel. Each host must start, and
/// each must keep its jobs in its own storage, however many start at once.
/// </summary>
public sealed class ConcurrentHostsTests
{
    private const int Hosts = 16;

    [Fact]
    public async Task Sixteen_hosts_started_at_once_each_start_and_schedule_their_jobs_in_their_own_storage()
    {
        var folder = Directory.CreateTempSubdirectory("idunox-hosts-");
        var apps = Enumerable.Range(0, Hosts)
            .Select(i => IdunoxApp.OnSqlite(Path.Combine(folder.FullName, $"host-{i}.db"), extra: new Dictionary<string, string?>
            {
                // A Hangfire server in every host, so their workers enumerate the process-wide filters while others start.
                ["Jobs:Server:Enabled"] = "true",
                ["Jobs:Server:WorkerCount"] = "1",
            }))
            .ToList();
        try
        {
            using var start = new Barrier(Hosts);
            var started = await Task.WhenAll(apps.Select(app => Task.Run(() =>
            {
                Assert.True(start.SignalAndWait(TimeSpan.FromSeconds(60)), "the hosts never all reached the start line: they did not start at once");
                _ = app.Server;
                return app.Services.GetRequiredService<JobStorage>();
            })));

            Assert.Equal(Hosts, started.Distinct().Count());
            foreach (var (app, storage) in apps.Zip(started))
            {
                // Each host's job client and scheduler write to that host's storage, not to the last one configured.
                var jobId = app.Services.GetRequiredService<IBackgroundJobClient>().Schedule(() => Console.Out.Flush(), TimeSpan.FromDays(1));
                using var connection = storage.GetConnection();
                Assert.NotNull(connection.GetJobData(jobId));
                Assert.Equal(app.Services.GetServices<RecurringJobRegistration>().Count(), connection.GetRecurringJobs().Count);
            }

            Assert.Single(GlobalJobFilters.Filters, (JobFilter f) => f.Instance is TenantJobFilter);
        }
        finally
        {
            await Task.WhenAll(apps.Select(app => app.DisposeAsync().AsTask()));
            folder.Delete(recursive: true);
        }
    }
}
