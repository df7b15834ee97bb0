using Hangfire;
using Idunox.Shared.Jobs;

namespace Idunox.Host.Platform;

/// <summary>
/// Puts every module's recurring job on its schedule at start-up. Until the job storage is ready (the <c>hangfire</c>
/// schema of an unmigrated production database) it keeps trying every 30 seconds instead of failing the host.
/// </summary>
internal sealed class RecurringJobSchedule(
    IRecurringJobManager manager, IEnumerable<RecurringJobRegistration> registrations, ILogger<RecurringJobSchedule> logger) : BackgroundService
{
    private bool _scheduled;

    /// <summary>Schedules at once when the storage is ready, so the jobs are there when the host has started.</summary>
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        _scheduled = TrySchedule();
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!_scheduled && !stoppingToken.IsCancellationRequested)
        {
            await Task.Delay(TimeSpan.FromSeconds(30), stoppingToken);
            _scheduled = TrySchedule();
        }
    }

    private bool TrySchedule()
    {
        try
        {
            foreach (var job in registrations)
            {
                manager.AddOrUpdate<RecurringJobRunner>(job.Name, r => r.RunAsync(job.Name, CancellationToken.None), job.Cron,
                    new RecurringJobOptions { TimeZone = TimeZoneInfo.Utc });
            }

            logger.LogInformation("Scheduled {Count} recurring jobs", registrations.Count());
            return true;
        }
        catch (Exception e)
        {
            logger.LogWarning("Could not schedule the recurring jobs (has the migrate verb run?): {Error}. Trying again in 30 seconds.", e.Message);
            return false;
        }
    }
}
