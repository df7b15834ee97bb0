using Idunox.Credentials.Contracts;
using Idunox.Identity.Contracts;
using Idunox.Notifications.Email;
using Idunox.Notifications.Persistence;
using Idunox.Notifications.Templates;
using Idunox.Shared;
using Idunox.Shared.Jobs;
using Idunox.Shared.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Idunox.Notifications.Notices;

/// <summary>
/// Tells an organisation's portal users when one of its keys was created, rotated or revoked, or a key staff made waits to be collected (one e-mail each, sent at
/// once) and when rotated keys were retired (one digest per user for the keys whose grace ended together, sent with the
/// next e-mail run): who, when and which prefix — never the key. Each event is recorded in the inbox in the same
/// transaction as its e-mails, so a redelivered event queues nothing.
/// </summary>
internal sealed class SecurityNotices(NotificationsDbContext db, IPartnerUserDirectory users, EmailTemplates templates, EmailDispatcher dispatcher, TimeProvider clock)
    : IIntegrationEventHandler<ApiKeyCreated>,
      IIntegrationEventHandler<ApiKeyRotated>,
      IIntegrationEventHandler<ApiKeyRevoked>,
      IIntegrationEventHandler<ApiKeyChanged>,
      IIntegrationEventHandler<ApiKeyHandoverOffered>,
      IIntegrationEventBatchHandler<ApiKeyGraceEnded>
{
    public const string Handler = "security-notices";

    public Task HandleAsync(ApiKeyCreated e, CancellationToken ct) => NoticeAsync([e], "key-created",
        (_, u) => templates.KeyCreated(u.DisplayName, e.Key.Prefix, e.Key.Name, e.Actor.Name, e.OccurredAt, e.Key.ExpiresAt), ct);

    public Task HandleAsync(ApiKeyRotated e, CancellationToken ct) => NoticeAsync([e], "key-rotated",
        (_, u) => templates.KeyRotated(u.DisplayName, e.Previous.Prefix, e.Previous.Name, e.Successor.Prefix, e.Actor.Name, e.OccurredAt, e.GraceEndsAt), ct);

    public Task HandleAsync(ApiKeyHandoverOffered e, CancellationToken ct) => NoticeAsync([e], "key-handover",
        (_, u) => templates.KeyHandoverOffered(u.DisplayName, e.Previous.Prefix, e.Previous.Name, e.OccurredAt, e.GraceEndsAt, e.CollectBy, e.Reason), ct);

    public Task HandleAsync(ApiKeyRevoked e, CancellationToken ct) => NoticeAsync([e], "key-revoked",
        (_, u) => templates.KeyRevoked(u.DisplayName, e.Key.Prefix, e.Key.Name, e.Actor.Name, e.OccurredAt), ct);

    /// <summary>
    /// A key changed: when it may now do more (more scopes, full access, a later expiry) its organisation is told. When its
    /// expiry moved later, the "expires in N days" reminders it had been sent for thresholds now further away go out again
    /// when those thresholds come.
    /// </summary>
    public async Task HandleAsync(ApiKeyChanged e, CancellationToken ct)
    {
        if (e.Key.ExpiresAt > e.PreviousExpiresAt)
        {
            var daysLeft = (e.Key.ExpiresAt - e.OccurredAt).TotalDays;
            await db.SentReminders.IgnoreQueryFilters()
                .Where(r => r.TenantId == e.TenantId && r.ApiKeyId == e.Key.Id && r.ThresholdDays < daysLeft)
                .ExecuteDeleteAsync(ct);
        }

        if (e.WidensAccess)
        {
            await NoticeAsync([e], "key-changed", (_, u) => templates.KeyChanged(u.DisplayName, e.Key.Prefix, e.Key.Name, e.Actor.Name, e.OccurredAt, e.Changes), ct);
        }
    }

    /// <summary>Keys of one organisation whose grace ended: one digest per user (sent by the next e-mail run).</summary>
    public Task HandleAsync(IReadOnlyList<ApiKeyGraceEnded> events, CancellationToken ct) => QueueAsync(events, "key-grace-ended",
        (fresh, u) => templates.GraceEndedDigest(u.DisplayName, fresh.Select(e => new RetiredKeyLine(e.Key.Prefix, e.Key.Name, e.GraceEndedAt)).ToList()), ct);

    /// <summary>A notice someone is waiting for: queued, then sent now rather than at the next e-mail run (a failure is retried by that run).</summary>
    private async Task NoticeAsync<T>(IReadOnlyList<T> events, string kind, Func<IReadOnlyList<T>, PartnerUserInfo, RenderedEmail> render, CancellationToken ct)
        where T : IIntegrationEvent
    {
        await QueueAsync(events, kind, render, ct);
        await dispatcher.DeliverDueAsync(ct);
    }

    /// <summary>Records the events not handled before in the inbox and queues one e-mail per enabled user about them, in one transaction.</summary>
    private async Task QueueAsync<T>(IReadOnlyList<T> events, string kind, Func<IReadOnlyList<T>, PartnerUserInfo, RenderedEmail> render, CancellationToken cancellationToken)
        where T : IIntegrationEvent
    {
        var strategy = db.Database.CreateExecutionStrategy();
        await strategy.ExecuteAsync(async ct =>
        {
            var now = clock.GetUtcNow().UtcDateTime;
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            var handled = (await ClaimAsync(events.Select(e => e.EventId).ToList(), now, ct)).ToHashSet();
            var fresh = events.Where(e => handled.Contains(e.EventId)).ToList();
            if (fresh.Count > 0)
            {
                var tenant = fresh[0].TenantId;
                var emails = (await users.ListByTenantAsync(tenant, ct)).Where(u => u.Enabled).Select(user =>
                    OutgoingEmail.Queued(tenant, $"event:{fresh[0].EventId:N}:{user.Id:N}", kind, user.Email, render(fresh, user), now)).ToList();
                await db.InsertAsync(emails, ct);
            }

            await transaction.CommitAsync(ct);
        }, cancellationToken);
    }

    /// <summary>Inbox rows for the events this handler has not handled yet; answers those events (a redelivery answers none).</summary>
    private async Task<List<Guid>> ClaimAsync(IReadOnlyList<Guid> eventIds, DateTime now, CancellationToken cancellationToken)
    {
        var t = SqlNames.Of<HandledEvent>(db);
        string eventId = t.Column(nameof(HandledEvent.EventId)), handler = t.Column(nameof(HandledEvent.Handler));
        var inserted = await db.InsertNewAsync<Inserted>(t.Table, [eventId, handler, t.Column(nameof(HandledEvent.HandledAt))],
            eventIds.Select(id => new object[] { id, Handler, now }), [eventId, handler], $"{eventId} AS event_id", cancellationToken);
        return inserted.Select(i => i.EventId).ToList();
    }

    private sealed record Inserted(Guid EventId);
}

/// <summary>Handled-event records are kept as long as delivered events (a redelivery cannot come later than that).</summary>
internal sealed class HandledEventRetention(NotificationsDbContext db) : IRetentionPolicy
{
    public string What => "handled events";

    public Task<int> PurgeAsync(DateTime now, TimeSpan retention, CancellationToken cancellationToken)
    {
        var before = now - retention - TimeSpan.FromDays(1);
        return db.HandledEvents.Where(h => h.HandledAt < before).ExecuteDeleteAsync(cancellationToken);
    }
}
