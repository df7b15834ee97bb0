using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Idunox.Shared.Outbox;

/// <summary>
/// Delivers the events someone is waiting for (the security notices) every <c>Outbox:UrgentPollSeconds</c>, apart from
/// the <c>outbox-dispatch</c> job: a notice goes out within seconds, whatever bulk backlog that job is working through.
/// Runs in processes that run jobs (<c>Jobs:Server:Enabled</c>); claims are shared safely with every other dispatcher.
/// </summary>
public sealed class UrgentOutboxPump(IServiceScopeFactory scopes, OutboxOptions options, TimeProvider clock, ILogger<UrgentOutboxPump> logger)
    : Microsoft.Extensions.Hosting.BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Pump)
        {
            return;
        }

        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.UrgentPollSeconds), clock);
        var failing = false;
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                foreach (var outbox in scope.ServiceProvider.GetServices<IOutboxDispatcher>())
                {
                    await outbox.DispatchAsync(stoppingToken, urgentOnly: true);
                }

                failing = false;
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                if (!failing)
                {
                    logger.LogWarning(e, "Delivering urgent outbox events failed; trying again every {Seconds} s (the outbox-dispatch job retries too)", options.UrgentPollSeconds);
                }

                failing = true; // one warning per outage, not one every few seconds
            }
        }
    }
}
