using Idunox.Credentials.Contracts;
using Idunox.Notifications.Email;
using Idunox.Notifications.Persistence;
using Idunox.Notifications.Templates;
using Idunox.Shared;
using Idunox.Shared.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Idunox.Notifications.Notices;

/// <summary>
/// Tells an organisation's portal users when one of its keys was created, rotated, revoked or retired: who, when and
/// which prefix — never the key. Redelivery of an event queues nothing new (the e-mails' dedupe keys carry the event id).
/// </summary>
internal sealed class SecurityNotices(NotificationsDbContext db, EmailQueue queue, EmailTemplates templates, EmailDispatcher dispatcher)
    : IIntegrationEventHandler<ApiKeyCreated>,
      IIntegrationEventHandler<ApiKeyRotated>,
      IIntegrationEventHandler<ApiKeyRevoked>,
      IIntegrationEventHandler<ApiKeyGraceEnded>
{
    public Task HandleAsync(ApiKeyCreated e, CancellationToken ct) => QueueAsync(e, "key-created",
        u => templates.KeyCreated(u.DisplayName, e.Key.Prefix, e.Key.Name, e.Actor.Name, e.OccurredAt, e.Key.ExpiresAt), ct);

    public Task HandleAsync(ApiKeyRotated e, CancellationToken ct) => QueueAsync(e, "key-rotated",
        u => templates.KeyRotated(u.DisplayName, e.Previous.Prefix, e.Previous.Name, e.Successor.Prefix, e.Actor.Name, e.OccurredAt, e.GraceEndsAt), ct);

    public Task HandleAsync(ApiKeyRevoked e, CancellationToken ct) => QueueAsync(e, "key-revoked",
        u => templates.KeyRevoked(u.DisplayName, e.Key.Prefix, e.Key.Name, e.Actor.Name, e.OccurredAt), ct);

    public Task HandleAsync(ApiKeyGraceEnded e, CancellationToken ct) => QueueAsync(e, "key-grace-ended",
        u => templates.GraceEnded(u.DisplayName, e.Key.Prefix, e.Key.Name, e.GraceEndedAt), ct);

    private async Task QueueAsync(IIntegrationEvent e, string kind, Func<Identity.Contracts.PartnerUserInfo, RenderedEmail> render, CancellationToken ct)
    {
        if (await db.OutgoingEmails.AnyAsync(m => m.DedupeKey.StartsWith($"event:{e.EventId:N}:"), ct))
        {
            return; // delivered before
        }

        await queue.ToOrganisationAsync(e.TenantId, kind, $"event:{e.EventId:N}", render, ct);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException error) when (db.IsUniqueViolation<OutgoingEmail>(error, nameof(OutgoingEmail.DedupeKey)))
        {
            db.ChangeTracker.Clear(); // a concurrent delivery queued them: nothing to add
            return;
        }

        // Notices go out now rather than at the next e-mail-dispatch run; a failure here is retried by that job.
        await dispatcher.DeliverDueAsync(ct);
    }
}
