using Hangfire;
using Hangfire.Common;
using Hangfire.InMemory;
using Idunox.Shared;
using Idunox.Shared.Jobs;
using Idunox.Shared.MultiTenancy;
using Microsoft.Extensions.DependencyInjection;

namespace Idunox.Host.Tests;

/// <summary>The Hangfire tenant filter with a real Hangfire server: a job runs in the tenant it was enqueued in.</summary>
public sealed class JobTenantTests
{
    [Fact]
    public async Task A_job_enqueued_in_a_tenant_runs_in_that_tenant_and_one_enqueued_without_runs_without()
    {
        var services = new ServiceCollection();
        services.AddTenantContext();
        services.AddSingleton<TenantProbe>();
        await using var provider = services.BuildServiceProvider();
        using var storage = new InMemoryStorage();
        var filters = new JobFilterCollection { new TenantJobFilter() };
        var client = new BackgroundJobClient(storage, filters);
        var probe = provider.GetRequiredService<TenantProbe>();

        using var server = new BackgroundJobServer(
            new BackgroundJobServerOptions
            {
                WorkerCount = 1,
                SchedulePollingInterval = TimeSpan.FromMilliseconds(100),
                Activator = new ScopedActivator(provider),
                FilterProvider = filters,
            },
            storage);

        var tenant = Guid.NewGuid();
        var explicitScope = new TenantContext();
        using (explicitScope.Use(tenant))
        {
            client.Enqueue<TenantProbe>(p => p.Record("with"));
        }

        client.Enqueue<TenantProbe>(p => p.Record("without"));

        var seen = await probe.WaitForAsync(2, TimeSpan.FromSeconds(30));
        Assert.Equal(tenant, seen["with"]);
        Assert.Null(seen["without"]);
    }

    public sealed class TenantProbe(IServiceProvider services)
    {
        private readonly Dictionary<string, Guid?> _seen = [];
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _expected = int.MaxValue;

        public void Record(string label)
        {
            using var scope = services.CreateScope();
            lock (_seen)
            {
                _seen[label] = scope.ServiceProvider.GetRequiredService<ITenantContext>().TenantId;
                if (_seen.Count >= _expected)
                {
                    _done.TrySetResult();
                }
            }
        }

        public async Task<Dictionary<string, Guid?>> WaitForAsync(int count, TimeSpan timeout)
        {
            lock (_seen)
            {
                _expected = count;
                if (_seen.Count >= count)
                {
                    _done.TrySetResult();
                }
            }

            await _done.Task.WaitAsync(timeout);
            lock (_seen)
            {
                return new Dictionary<string, Guid?>(_seen);
            }
        }
    }

    private sealed class ScopedActivator(IServiceProvider provider) : JobActivator
    {
        public override object ActivateJob(Type jobType) => provider.GetRequiredService(jobType);
    }
}

/// <summary>The host's own Hangfire set-up stores the tenant a job is enqueued in (PostgreSQL job storage).</summary>
public sealed class HostJobTenantTests(PostgresAppFixture fixture) : IClassFixture<PostgresAppFixture>
{
    [Fact]
    public void A_job_enqueued_in_a_tenant_scope_carries_the_tenant_as_a_job_parameter()
    {
        var client = fixture.App.Services.GetRequiredService<IBackgroundJobClient>();
        var storage = fixture.App.Services.GetRequiredService<JobStorage>();
        var tenant = Guid.NewGuid();

        string withTenant, withoutTenant;
        using (var scope = fixture.App.Services.CreateScope())
        using (scope.ServiceProvider.GetRequiredService<TenantContext>().Use(tenant))
        {
            withTenant = client.Enqueue<Idunox.Host.Platform.RecurringJobRunner>(r => r.RunAsync("email-dispatch", CancellationToken.None));
        }

        withoutTenant = client.Enqueue<Idunox.Host.Platform.RecurringJobRunner>(r => r.RunAsync("email-dispatch", CancellationToken.None));

        using var connection = storage.GetConnection();
        Assert.Equal($"\"{tenant}\"", connection.GetJobParameter(withTenant, TenantJobFilter.Parameter));
        Assert.Null(connection.GetJobParameter(withoutTenant, TenantJobFilter.Parameter));
    }
}
