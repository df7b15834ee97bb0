using System.Threading.Channels;
using Idunox.Identity.Contracts;
using Idunox.Notifications.Templates;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MimeKit;

namespace Idunox.Notifications.Email;

/// <summary>
/// Sends invitation, password-reset and security-notice e-mails off the request (so a page answers in the same time whether or not an
/// e-mail goes out) and without storing them: a bounded in-memory queue and one sender. The link is never logged.
/// </summary>
internal sealed class AccountEmails(IEmailTransport transport, EmailTemplates templates, EmailOptions options, TimeProvider clock, ILogger<AccountEmails> logger)
    : BackgroundService, IAccountEmails
{
    private readonly Channel<Queued> _queue =
        Channel.CreateBounded<Queued>(new BoundedChannelOptions(1000) { FullMode = BoundedChannelFullMode.Wait });

    /// <summary>An e-mail waiting to be rendered and sent: its kind, to whom, and how it reads.</summary>
    private sealed record Queued(string Kind, Guid? TenantId, string Recipient, Func<EmailTemplates, RenderedEmail> Render);

    public bool Enabled => true;

    public void SendInvitation(AccountEmail email) => Enqueue(new("invitation", email.TenantId, email.Recipient,
        t => t.Invitation(email.RecipientName, email.OrganisationName, email.Link, email.ExpiresAt)));

    public void SendPasswordReset(AccountEmail email) => Enqueue(new("password-reset", email.TenantId, email.Recipient,
        t => t.PasswordReset(email.RecipientName, email.Link, email.ExpiresAt)));

    public void SendStaffInvitation(StaffInvitationEmail email) => Enqueue(new("staff-invitation", null, email.Recipient,
        t => t.StaffInvitation(email.Recipient, email.Roles, email.InvitedBy, email.Link, email.ExpiresAt)));

    public void SendSecurityNotice(SecurityNotice notice) => Enqueue(new("security-notice", notice.TenantId, notice.Recipient,
        t => t.SecurityNotice(notice.RecipientName, notice.Kind, notice.At, notice.Address, notice.Staff)));

    private void Enqueue(Queued email)
    {
        // Never waits: when the queue is full (Wait mode makes TryWrite say so) the e-mail is not sent, and the log says it.
        if (!_queue.Writer.TryWrite(email))
        {
            logger.LogWarning("The account e-mail queue is full: a {Kind} e-mail of tenant {TenantId} was not sent", email.Kind, email.TenantId);
        }
    }

    /// <summary>Sends what is queued now; for tests and shutdown.</summary>
    internal async Task DrainAsync(CancellationToken cancellationToken)
    {
        while (_queue.Reader.TryRead(out var item))
        {
            await SendAsync(item, cancellationToken);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var email in _queue.Reader.ReadAllAsync(stoppingToken))
            {
                await SendAsync(email, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task SendAsync(Queued email, CancellationToken cancellationToken)
    {
        var (kind, rendered) = (email.Kind, email.Render(templates));
        var message = new MimeMessage
        {
            MessageId = $"{Guid.CreateVersion7():N}@idunox.partner-platform",
            Subject = rendered.Subject,
            Date = clock.GetUtcNow(),
            Body = new BodyBuilder { TextBody = rendered.Text, HtmlBody = rendered.Html }.ToMessageBody(),
        };
        message.From.Add(new MailboxAddress(options.FromName, options.FromAddress));
        message.To.Add(MailboxAddress.Parse(email.Recipient));
        message.Headers.Add("X-Idunox-Kind", kind);
        try
        {
            await transport.SendAsync(message, cancellationToken);
            logger.LogInformation("Sent a {Kind} e-mail for tenant {TenantId}", kind, email.TenantId);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Not retried: the link would have to be kept somewhere. The person asks again, or staff pass it on.
            logger.LogWarning("Could not send a {Kind} e-mail for tenant {TenantId}: {Error}", kind, email.TenantId, e.GetType().Name);
        }
    }
}
