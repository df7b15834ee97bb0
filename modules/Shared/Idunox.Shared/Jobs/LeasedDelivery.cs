namespace Idunox.Shared.Jobs;

/// <summary>
/// The one claim / lease / retry loop of the platform (outbox events, e-mails): each due item is claimed with a lease
/// first, so two servers never work on it at once; it is marked done when the work succeeded, else it waits
/// <see cref="Backoff"/> and is tried again — forever: nothing is dropped.
/// </summary>
public static class LeasedDelivery
{
    /// <summary>1, 2, 4, … minutes, at most an hour.</summary>
    public static TimeSpan Backoff(int attempt) => TimeSpan.FromMinutes(Math.Min(60, Math.Pow(2, Math.Max(0, attempt - 1))));

    /// <summary>Works through <paramref name="due"/> with <paramref name="steps"/>; answers how many were done and how many failed.</summary>
    public static async Task<(int Done, int Failed)> RunAsync<TItem>(
        IEnumerable<TItem> due, LeaseSteps<TItem> steps, TimeProvider clock, CancellationToken cancellationToken)
    {
        int done = 0, failed = 0;
        foreach (var item in due)
        {
            var now = clock.GetUtcNow().UtcDateTime; // each lease counts from its own claim, however long the batch takes
            if (!await steps.ClaimAsync(item, now, cancellationToken))
            {
                continue; // another server has it, or it is no longer due
            }

            try
            {
                await steps.WorkAsync(item, now, cancellationToken);
                await steps.MarkDoneAsync(item, now, cancellationToken);
                done++;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                failed++;
                var error = $"{e.GetType().Name}: {e.Message}";
                await steps.MarkFailedAsync(item, now + Backoff(steps.AttemptsBefore(item) + 1), error.Length > 2000 ? error[..2000] : error, e,
                    cancellationToken);
            }
        }

        return (done, failed);
    }
}

/// <summary>What one kind of leased work does at each step of <see cref="LeasedDelivery.RunAsync{TItem}"/>.</summary>
public abstract class LeaseSteps<TItem>
{
    /// <summary>Takes the item for a lease (and counts the attempt); false when someone else has it.</summary>
    public abstract Task<bool> ClaimAsync(TItem item, DateTime now, CancellationToken cancellationToken);

    public abstract Task WorkAsync(TItem item, DateTime now, CancellationToken cancellationToken);

    public abstract Task MarkDoneAsync(TItem item, DateTime now, CancellationToken cancellationToken);

    /// <summary>Records the failure and when to try again; <paramref name="error"/> is bounded, for the row.</summary>
    public abstract Task MarkFailedAsync(TItem item, DateTime retryAt, string error, Exception exception, CancellationToken cancellationToken);

    /// <summary>How many attempts the item had before this one.</summary>
    public abstract int AttemptsBefore(TItem item);
}
