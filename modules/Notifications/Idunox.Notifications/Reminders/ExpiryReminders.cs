using Idunox.Credentials.Contracts;
using Idunox.Notifications.Email;
using Idunox.Notifications.Persistence;
using Idunox.Notifications.Templates;
using Idunox.Shared.Jobs;
using Idunox.Shared.MultiTenancy;
using Idunox.Shared.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
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
/// <c>expiry-reminders</c> (hourly): e-mails each organisation's portal users when one of its keys comes within a reminder
/// threshold of its expiry. A key gets each threshold's reminder once: the reminder and its e-mails are recorded in one
/// transaction under a unique (key, threshold) index, so a retry, a second server or a rerun finds it done. A late run
/// that finds a key past several thresholds sends only the nearest. Then the due e-mails are sent.
/// </summary>
internal sealed class ExpiryReminders(
    IServiceScopeFactory scopes,
    ICredentialDirectory credentials,
    EmailDispatcher dispatcher,
    IOptions<ReminderOptions> options,
    TimeProvider clock,
    ILogger<ExpiryReminders> logger) : IRecurringJob
{
    public const string JobName = "expiry-reminders";

    public async Task<JobOutcome> RunAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var thresholds = options.Value.Thresholds;
        var keys = await credentials.ListExpiringAsync(now, TimeSpan.FromDays(thresholds[^1]), cancellationToken);

        var planned = 0;
        foreach (var key in keys)
        {
            var remaining = key.Key.ExpiresAt - now;
            var threshold = thresholds.First(t => remaining <= TimeSpan.FromDays(t)); // the nearest one crossed
            if (await PlanAsync(key, threshold, (int)Math.Ceiling(remaining.TotalDays), now, cancellationToken))
            {
                planned++;
            }
        }

        return EmailOutcome.Of($"planned {planned} reminder(s); ", await dispatcher.DeliverDueAsync(cancellationToken), planned);
    }

    private async Task<bool> PlanAsync(ExpiringKey key, int threshold, int days, DateTime now, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        using var tenant = scope.ServiceProvider.GetRequiredService<TenantContext>().Use(key.TenantId);
        var db = scope.ServiceProvider.GetRequiredService<NotificationsDbContext>();
        if (await db.SentReminders.AnyAsync(r => r.ApiKeyId == key.Key.Id && r.ThresholdDays == threshold, cancellationToken))
        {
            return false;
        }

        var templates = scope.ServiceProvider.GetRequiredService<EmailTemplates>();
        db.SentReminders.Add(new SentReminder { Id = Guid.CreateVersion7(), ApiKeyId = key.Key.Id, ThresholdDays = threshold, SentAt = now });
        var recipients = await scope.ServiceProvider.GetRequiredService<EmailQueue>().ToOrganisationAsync(
            key.TenantId, "expiry-reminder", $"reminder:{key.Key.Id:N}:{threshold}",
            user => templates.ExpiryReminder(user.DisplayName, key.Key.Prefix, key.Key.Name, days, key.Key.ExpiresAt),
            cancellationToken);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (db.IsUniqueViolation<SentReminder>(e, nameof(SentReminder.ApiKeyId), nameof(SentReminder.ThresholdDays)) ||
                                          db.IsUniqueViolation<OutgoingEmail>(e, nameof(OutgoingEmail.DedupeKey)))
        {
            return false; // another run recorded this reminder first
        }

        logger.LogInformation("Queued the {Threshold}-day reminder of API key {KeyId} ({Prefix}) to {Recipients} user(s) of tenant {TenantId}",
            threshold, key.Key.Id, key.Key.Prefix, recipients, key.TenantId);
        return true;
    }
}
