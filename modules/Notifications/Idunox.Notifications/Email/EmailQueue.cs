using Idunox.Identity.Contracts;
using Idunox.Notifications.Persistence;
using Idunox.Notifications.Templates;

namespace Idunox.Notifications.Email;

/// <summary>Queues one e-mail per enabled portal user of an organisation, in the caller's unit of work (saved with it).</summary>
internal sealed class EmailQueue(NotificationsDbContext db, IPartnerUserDirectory users, TimeProvider clock)
{
    public async Task<int> ToOrganisationAsync(
        Guid tenantId, string kind, string dedupe, Func<PartnerUserInfo, RenderedEmail> render, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var recipients = (await users.ListByTenantAsync(tenantId, cancellationToken)).Where(u => u.Enabled).ToList();
        foreach (var user in recipients)
        {
            var email = render(user);
            db.OutgoingEmails.Add(new OutgoingEmail
            {
                Id = Guid.CreateVersion7(),
                TenantId = tenantId,
                DedupeKey = $"{dedupe}:{user.Id:N}",
                Kind = kind,
                Recipient = user.Email,
                Subject = email.Subject,
                TextBody = email.Text,
                HtmlBody = email.Html,
                CreatedAt = now,
                NextAttemptAt = now,
            });
        }

        return recipients.Count;
    }
}
