using Idunox.Host.Platform;
using Idunox.Shared.Jobs;
using Idunox.Shared.Modularity;
using Idunox.Shared.Outbox;

namespace Idunox.Host.Verbs;

/// <summary><c>jobs list</c> and <c>jobs run &lt;name&gt;</c>: one recurring job, once, now — for operators and checks.</summary>
internal sealed class JobsVerb(RecurringJobRunner runner, IEnumerable<RecurringJobRegistration> registrations) : IHostVerb
{
    public string Name => "jobs";

    public string Description => "list the recurring jobs, or run one now";

    public string Usage => """
        jobs list                    the recurring jobs and their schedules (cron, UTC)
        jobs run <name>              run one job now; exit code 1 when part of it failed (it is retried later)
        """;

    public async Task<int> RunAsync(IReadOnlyList<string> args, VerbConsole console, CancellationToken cancellationToken)
    {
        var parsed = VerbArguments.Parse(args);
        switch (parsed.Positional)
        {
            case ["list"]:
                foreach (var job in registrations.OrderBy(r => r.Name, StringComparer.Ordinal))
                {
                    await console.Out.WriteLineAsync($"{job.Name,-20} {job.Cron}");
                }

                return VerbExitCodes.Done;
            case ["run", var name]:
                if (registrations.All(r => r.Name != name))
                {
                    throw new VerbUsageException($"There is no job named '{name}'. Jobs: {string.Join(", ", registrations.Select(r => r.Name).Order())}.");
                }

                try
                {
                    var started = System.Diagnostics.Stopwatch.StartNew();
                    var summary = await runner.RunAsync(name, cancellationToken);
                    await console.Out.WriteLineAsync(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{name}: {summary} ({started.Elapsed.TotalSeconds:0.0} s)"));
                    return VerbExitCodes.Done;
                }
                catch (JobRetryException e)
                {
                    await console.Error.WriteLineAsync($"{name} failed: {e.Message}");
                    return VerbExitCodes.Failed;
                }

            default:
                throw new VerbUsageException(Usage);
        }
    }
}
