namespace Idunox.Shared.Outbox;

/// <summary>
/// <c>Outbox:BatchSize</c> (default 2 000, 1–10 000): events one dispatcher claims at once. <c>Outbox:UrgentPollSeconds</c>
/// (default 5, 1–60): how often a process that runs jobs looks for events someone is waiting for.
/// </summary>
public sealed record OutboxOptions(int BatchSize, int UrgentPollSeconds = 5, bool Pump = true)
{
    public static OutboxOptions From(Microsoft.Extensions.Configuration.IConfiguration configuration) => new(
        Math.Clamp(Microsoft.Extensions.Configuration.ConfigurationBinder.GetValue(configuration, "Outbox:BatchSize", 2_000), 1, 10_000),
        Math.Clamp(Microsoft.Extensions.Configuration.ConfigurationBinder.GetValue(configuration, "Outbox:UrgentPollSeconds", 5), 1, 60),
        Microsoft.Extensions.Configuration.ConfigurationBinder.GetValue(configuration, "Jobs:Server:Enabled", true));
}
