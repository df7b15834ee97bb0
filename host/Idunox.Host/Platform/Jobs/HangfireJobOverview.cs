using Hangfire;
using Hangfire.Storage;
using Idunox.Shared.Jobs;

namespace Idunox.Host.Platform;

/// <summary>The recurring jobs as Hangfire's storage knows them: what the staff area shows beside its link to the dashboard.</summary>
internal sealed class HangfireJobOverview(JobStorage storage, IEnumerable<RecurringJobRegistration> registrations) : IJobOverview
{
    public Task<IReadOnlyList<RecurringJobStatus>> RecurringJobsAsync(CancellationToken cancellationToken)
    {
        using var connection = storage.GetConnection();
        var stored = connection.GetRecurringJobs().ToDictionary(j => j.Id, StringComparer.Ordinal);
        IReadOnlyList<RecurringJobStatus> jobs = registrations.OrderBy(r => r.Name, StringComparer.Ordinal).Select(r =>
            stored.TryGetValue(r.Name, out var job)
                ? new RecurringJobStatus(r.Name, r.Cron, job.LastExecution, job.LastJobState, job.NextExecution)
                : new RecurringJobStatus(r.Name, r.Cron, null, null, null)).ToList();
        return Task.FromResult(jobs);
    }
}
