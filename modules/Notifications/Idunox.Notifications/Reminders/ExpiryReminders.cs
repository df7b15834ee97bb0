using Idunox.Credentials.Contracts;
using Idunox.Identity.Contracts;
using Idunox.Notifications.Email;
using Idunox.Notifications.Persistence;
using Idunox.Notifications.Templates;
using Idunox.Shared.Jobs;
using Idunox.Shared.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Idunox.Notifications.Reminders;

/// <summary><c>Notifications:ReminderThresholdDays</c>: the "expires in N days" reminders, by default 30, 7 and 1 days before.</summary>
internal sealed class ReminderOptions
{
    public const string SectionName = "Notifications";

    public IList<int> ReminderThresholdDays { get; set; } = [];

    public IReadOnlyList<int> Thresholds => ReminderThresholdDays.Count > 0 ? ReminderThresholdDays.Distinct().Order().ToList() : [1, 7, 30];
}

/// <summary>
/// <c>expiry-reminders</c> (hourly): e-mails each organisation's portal users when its keys come within a reminder
/// threshold of their expiry — one digest per user per run, listing every key of the organisation that crossed a
/// threshold in that run, nearest expiry first. Then the due e-mails are sent.
/// </summary>
/// <remarks>
/// A key gets each threshold's reminder once: planning claims (key, threshold) pairs with one
/// <c>INSERT … ON CONFLICT DO NOTHING RETURNING</c> into <c>sent_reminders</c> (unique on the pair), and writes the digests
/// of exactly the claimed pairs in the same transaction. A retry, a rerun or a second server finds the pairs taken and
/// writes nothing for them; a run that dies mid-batch rolls the batch back whole. Batches hold whole organisations (up to
/// <c>Jobs:BatchSize</c> keys), so a digest is never split. A digest that fails to send is retried as an e-mail, never
/// planned again. A late run that finds a key past several thresholds reminds of the nearest only.
/// </remarks>
internal sealed class ExpiryReminders(
    NotificationsDbContext db,
    ICredentialDirectory credentials,
    IPartnerUserDirectory users,
    EmailTemplates templates,
    EmailDispatcher dispatcher,
    IOptions<ReminderOptions> options,
    JobBatches batches,
    TimeProvider clock,
    ILogger<ExpiryReminders> logger) : IRecurringJob
{
    public const string JobName = "expiry-reminders";

    /// <summary>Rows per INSERT: five parameters a row stays far below both providers' parameter limits.</summary>
    private const int RowsPerStatement = 2_000;

    private sealed record Due(Guid TenantId, KeyReference Key, int Threshold, int Days);

    public async Task<JobOutcome> RunAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var thresholds = options.Value.Thresholds;
        var keys = await credentials.ListExpiringAsync(now, TimeSpan.FromDays(thresholds[^1]), cancellationToken);
        var due = keys.Select(k =>
        {
            var remaining = k.Key.ExpiresAt - now;
            return new Due(k.TenantId, k.Key, thresholds.First(t => remaining <= TimeSpan.FromDays(t)), (int)Math.Ceiling(remaining.TotalDays));
        });

        int planned = 0, digests = 0;
        foreach (var batch in WholeOrganisations(due, batches.Size))
        {
            var (reminders, emails) = await PlanBatchAsync(batch, now, cancellationToken);
            planned += reminders;
            digests += emails;
        }

        return EmailOutcome.Of($"planned {planned} reminder(s) in {digests} e-mail(s); ", await dispatcher.DeliverDueAsync(cancellationToken), planned);
    }

    /// <summary>Batches of whole organisations, up to <paramref name="size"/> keys (one larger organisation is a batch of its own).</summary>
    private static IEnumerable<List<Due>> WholeOrganisations(IEnumerable<Due> due, int size)
    {
        var batch = new List<Due>();
        foreach (var organisation in due.GroupBy(d => d.TenantId))
        {
            var keys = organisation.ToList();
            if (batch.Count > 0 && batch.Count + keys.Count > size)
            {
                yield return batch;
                batch = [];
            }

            batch.AddRange(keys);
        }

        if (batch.Count > 0)
        {
            yield return batch;
        }
    }

    private async Task<(int Reminders, int Emails)> PlanBatchAsync(List<Due> batch, DateTime now, CancellationToken cancellationToken)
    {
        var strategy = db.Database.CreateExecutionStrategy();
        return await strategy.ExecuteAsync(async ct =>
        {
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            var claimed = new HashSet<(Guid, int)>();
            foreach (var chunk in batch.Chunk(RowsPerStatement))
            {
                claimed.UnionWith(await ClaimAsync(chunk, now, ct));
            }

            var mine = batch.Where(d => claimed.Contains((d.Key.Id, d.Threshold))).ToList();
            if (mine.Count == 0)
            {
                return (0, 0); // all done before: by an earlier run, or by another server just now
            }

            var recipients = (await users.ListByTenantsAsync(mine.Select(d => d.TenantId).Distinct().ToList(), ct)).Where(u => u.Enabled).ToLookup(u => u.TenantId);
            var digest = Guid.CreateVersion7();
            var emails = new List<OutgoingEmail>();
            foreach (var organisation in mine.GroupBy(d => d.TenantId))
            {
                var lines = organisation.Select(d => new ExpiringKeyLine(d.Key.Prefix, d.Key.Name, d.Days, d.Key.ExpiresAt)).ToList();
                foreach (var user in recipients[organisation.Key])
                {
                    emails.Add(OutgoingEmail.Queued(organisation.Key, $"reminders:{digest:N}:{user.Id:N}", "expiry-reminder", user.Email,
                        templates.ExpiryDigest(user.DisplayName, lines), now));
                }
            }

            await db.InsertAsync(emails, ct);
            await transaction.CommitAsync(ct);
            logger.LogInformation("Planned {Reminders} expiry reminder(s) of {Organisations} organisation(s) in {Emails} e-mail(s)",
                mine.Count, mine.Select(d => d.TenantId).Distinct().Count(), emails.Count);
            return (mine.Count, emails.Count);
        }, cancellationToken);
    }

    /// <summary>Records the (key, threshold) pairs not recorded yet and answers those: this run's to send.</summary>
    private async Task<List<(Guid, int)>> ClaimAsync(Due[] chunk, DateTime now, CancellationToken cancellationToken)
    {
        var t = SqlNames.Of<SentReminder>(db);
        string keyId = t.Column(nameof(SentReminder.ApiKeyId)), threshold = t.Column(nameof(SentReminder.ThresholdDays));
        var inserted = await db.InsertNewAsync<ClaimedReminder>(t.Table,
            [t.Column(nameof(SentReminder.Id)), t.Column(nameof(SentReminder.TenantId)), keyId, threshold, t.Column(nameof(SentReminder.SentAt))],
            chunk.Select(d => new object[] { Guid.CreateVersion7(), d.TenantId, d.Key.Id, d.Threshold, now }), [keyId, threshold],
            $"{keyId} AS key_id, {threshold} AS threshold_days", cancellationToken);
        return inserted.Select(r => (r.KeyId, r.ThresholdDays)).ToList();
    }

    private sealed record ClaimedReminder(Guid KeyId, int ThresholdDays);
}
