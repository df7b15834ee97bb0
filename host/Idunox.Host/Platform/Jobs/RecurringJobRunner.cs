using Hangfire;
using System.Diagnostics;
using Idunox.Shared.Jobs;
using Idunox.Shared.Observability;

namespace Idunox.Host.Platform;

/// <summary>What Hangfire (and the <c>jobs run</c> verb) calls: one run of one named job, in a service scope of its own.</summary>
/// <remarks>
/// Its full name (<c>Idunox.Host.Platform.RecurringJobRunner</c>) is stored with every enqueued job in the job storage,
/// so it keeps this namespace although it lives in the <c>Jobs</c> folder: a new name would leave jobs queued by the
/// release before unreadable to this one.
/// </remarks>
internal sealed class RecurringJobRunner(
    IServiceScopeFactory scopes, IEnumerable<RecurringJobRegistration> registrations, JobMetrics metrics, ILogger<RecurringJobRunner> logger)
{
    [AutomaticRetry(Attempts = 3)]
    [System.ComponentModel.DisplayName("{0}")]
    public async Task<string> RunAsync(string name, CancellationToken cancellationToken)
    {
        var registration = registrations.FirstOrDefault(r => r.Name == name)
            ?? throw new InvalidOperationException($"There is no job named '{name}'.");
        await using var scope = scopes.CreateAsyncScope();
        var job = (IRecurringJob)scope.ServiceProvider.GetRequiredService(registration.JobType);
        using var activity = IdunoxTelemetry.Jobs.StartActivity($"job {name}");
        activity?.SetTag("idunox.job", name);
        var started = Stopwatch.GetTimestamp();
        JobOutcome outcome;
        try
        {
            outcome = await job.RunAsync(cancellationToken);
        }
        catch (Exception e)
        {
            metrics.Ran(name, succeeded: false, Stopwatch.GetElapsedTime(started), items: 0);
            activity?.SetStatus(ActivityStatusCode.Error, e.GetType().Name);
            throw;
        }

        metrics.Ran(name, succeeded: true, Stopwatch.GetElapsedTime(started), outcome.Items);
        activity?.SetTag("idunox.job.items", outcome.Items);
        // A run that found nothing to do is not news: every minute of an idle day would say so otherwise.
        logger.Log(outcome.DidNothing ? LogLevel.Debug : LogLevel.Information, "Job {Job}: {Summary}", name, outcome.Summary);
        return outcome.Summary;
    }
}
