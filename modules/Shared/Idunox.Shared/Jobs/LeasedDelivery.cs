namespace Idunox.Shared.Jobs;

/// <summary>
/// The retry rule of the platform's leased deliveries (outbox events, e-mails): an item is claimed with a lease first,
/// so two servers never work on it at once, marked done when the work succeeded, else it waits <see cref="Backoff"/> and
/// is tried again — forever: nothing is dropped.
/// </summary>
public static class LeasedDelivery
{
    /// <summary>1, 2, 4, … minutes, at most an hour, after the <paramref name="attempt"/>-th attempt failed.</summary>
    public static TimeSpan Backoff(int attempt) => TimeSpan.FromMinutes(Math.Min(60, Math.Pow(2, Math.Max(0, attempt - 1))));
}
