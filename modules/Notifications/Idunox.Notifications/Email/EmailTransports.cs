using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace Idunox.Notifications.Email;

/// <summary>How a finished message leaves the building: SMTP, or a file in the pickup folder.</summary>
internal interface IEmailTransport
{
    Task SendAsync(MimeMessage message, CancellationToken cancellationToken);
}

internal sealed class SmtpEmailTransport(EmailOptions options) : IEmailTransport
{
    public async Task SendAsync(MimeMessage message, CancellationToken cancellationToken)
    {
        using var client = new SmtpClient { Timeout = (int)options.Timeout.TotalMilliseconds };
        await client.ConnectAsync(options.SmtpHost, options.SmtpPort, options.Security switch
        {
            SmtpSecurity.None => SecureSocketOptions.None,
            SmtpSecurity.SslOnConnect => SecureSocketOptions.SslOnConnect,
            SmtpSecurity.Auto => SecureSocketOptions.Auto,
            _ => SecureSocketOptions.StartTls,
        }, cancellationToken);
        if (options.Username is not null)
        {
            await client.AuthenticateAsync(options.Username, options.Password ?? string.Empty, cancellationToken);
        }

        await client.SendAsync(message, cancellationToken);
        try
        {
            await client.DisconnectAsync(quit: true, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The server accepted the message; a failed goodbye must not make it count as unsent (and be sent again).
        }
    }
}

/// <summary>Writes each message as <c>&lt;time&gt;-&lt;id&gt;.eml</c>: what the embedded default does instead of sending.</summary>
internal sealed class PickupEmailTransport(EmailOptions options) : IEmailTransport
{
    public async Task SendAsync(MimeMessage message, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(options.PickupDirectory);
        var id = (message.MessageId ?? Guid.NewGuid().ToString("N")).Split('@')[0];
        var path = Path.Combine(options.PickupDirectory, $"{message.Date.UtcDateTime:yyyyMMdd'T'HHmmss}-{id}.eml");
        var temporary = path + ".tmp";
        await message.WriteToAsync(temporary, cancellationToken);
        File.Move(temporary, path, overwrite: true); // whole files only: readers never see half a message
    }
}
