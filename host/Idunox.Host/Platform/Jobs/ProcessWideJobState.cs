using Hangfire;
using Idunox.Shared.Jobs;

namespace Idunox.Host.Platform;

/// <summary>
/// The parts of Hangfire's configuration that only exist process-wide (serializer settings, the global filter list).
/// Set once, under a lock, before any host of this process uses Hangfire: Hangfire enumerates the global filters while
/// it creates and performs jobs, so adding to them while another host runs is the race that made the suite flaky.
/// </summary>
internal static class ProcessWideJobState
{
    private static readonly Lazy<bool> Configured = new(() =>
    {
        GlobalConfiguration.Configuration
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings()
            .UseFilter(new TenantJobFilter());
        return true;
    }, LazyThreadSafetyMode.ExecutionAndPublication);

    public static void EnsureConfigured() => _ = Configured.Value;
}
