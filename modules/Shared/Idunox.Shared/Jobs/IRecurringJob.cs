using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Idunox.Shared.Jobs;

/// <summary>
/// A job that runs on a schedule (Hangfire) and on demand (<c>jobs run &lt;name&gt;</c>). Every run must be idempotent
/// and safe while another server runs it too: jobs record facts, they never decide security.
/// </summary>
public interface IRecurringJob
{
    /// <summary>One run. Throws when part of the work failed and must be retried (the dashboard then shows it failed).</summary>
    Task<JobOutcome> RunAsync(CancellationToken cancellationToken);
}

/// <summary>
/// What a run did, in a line for operators; <paramref name="DidNothing"/> runs are not worth a log line.
/// <paramref name="Items"/>: how many things it handled (keys recorded, reminders planned, e-mails sent, events
/// delivered, rows removed), for the <c>idunox.job.items</c> metric.
/// </summary>
public sealed record JobOutcome(string Summary, bool DidNothing = false, int Items = 0);

public static class RecurringJobServiceCollectionExtensions
{
    /// <summary>Registers a module's recurring job; the host schedules it and the <c>jobs</c> verb can run it.</summary>
    public static IServiceCollection AddRecurringJob<TJob>(this IServiceCollection services, string name, string cron)
        where TJob : class, IRecurringJob
    {
        services.AddScoped<TJob>();
        services.AddSingleton(new RecurringJobRegistration(name, cron, typeof(TJob)));
        services.TryAddSingleton(sp => JobBatches.From(sp.GetRequiredService<IConfiguration>()));
        return services;
    }
}

/// <summary>
/// A job's stable kebab-case name (the Hangfire recurring job id and the CLI name, e.g. <c>grace-sweep</c>), its
/// schedule as a cron expression (UTC) and its type.
/// </summary>
public sealed record RecurringJobRegistration(string Name, string Cron, Type JobType);

/// <summary>How the recurring jobs are doing, for the staff area (the host answers it from Hangfire's storage).</summary>
public interface IJobOverview
{
    Task<IReadOnlyList<RecurringJobStatus>> RecurringJobsAsync(CancellationToken cancellationToken);
}

/// <summary>One recurring job: its schedule, its last run (when, and how it ended: Succeeded, Failed, Processing…) and its next run.</summary>
public sealed record RecurringJobStatus(string Name, string Cron, DateTime? LastRunAt, string? LastOutcome, DateTime? NextRunAt);
