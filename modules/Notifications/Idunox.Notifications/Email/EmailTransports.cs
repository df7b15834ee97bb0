using System.Net.Sockets;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace Idunox.Notifications.Email;

/// <summary>How finished messages leave the building: SMTP, or files in the pickup folder.</summary>
internal interface IEmailTransport
{
    /// <summary>A connection for sending messages one after another (over SMTP: one connection, reused for each).</summary>
    Task<IEmailConnection> OpenAsync(CancellationToken cancellationToken);
}

/// <summary>An open connection to the mail server. Not thread-safe: one sender at a time.</summary>
internal interface IEmailConnection : IAsyncDisposable
{
    Task SendAsync(MimeMessage message, CancellationToken cancellationToken);
}

internal static class EmailTransportExtensions
{
    /// <summary>One message on a connection of its own.</summary>
    public static async Task SendAsync(this IEmailTransport transport, MimeMessage message, CancellationToken cancellationToken)
    {
        await using var connection = await transport.OpenAsync(cancellationToken);
        await connection.SendAsync(message, cancellationToken);
    }
}

internal sealed class SmtpEmailTransport(EmailOptions options) : IEmailTransport
{
    public async Task<IEmailConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var client = new SmtpClient { Timeout = (int)options.Timeout.TotalMilliseconds };
        // Our own socket, without Nagle's algorithm: MailKit writes a message's last bytes in a small segment that would
        // otherwise wait for the server's delayed ACK (40 ms a message on Linux) — the limit on a reused connection.
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using (var connecting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                connecting.CancelAfter(options.Timeout);
                await socket.ConnectAsync(options.SmtpHost, options.SmtpPort, connecting.Token);
            }

            await client.ConnectAsync(socket, options.SmtpHost, options.SmtpPort, options.Security switch
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

            return new Connection(client);
        }
        catch
        {
            client.Dispose();
            socket.Dispose();
            throw;
        }
    }

    private sealed class Connection(SmtpClient client) : IEmailConnection
    {
        public Task SendAsync(MimeMessage message, CancellationToken cancellationToken) => client.SendAsync(message, cancellationToken);

        public async ValueTask DisposeAsync()
        {
            try
            {
                if (client.IsConnected)
                {
                    await client.DisconnectAsync(quit: true, CancellationToken.None);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Every message sent was accepted already; a failed goodbye must not make any count as unsent (and be sent again).
            }
            finally
            {
                client.Dispose();
            }
        }
    }
}

/// <summary>Writes each message as <c>&lt;time&gt;-&lt;id&gt;.eml</c>: what the embedded default does instead of sending.</summary>
internal sealed class PickupEmailTransport(EmailOptions options) : IEmailTransport, IEmailConnection
{
    public Task<IEmailConnection> OpenAsync(CancellationToken cancellationToken) => Task.FromResult<IEmailConnection>(this);

    public async Task SendAsync(MimeMessage message, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(options.PickupDirectory);
        var id = (message.MessageId ?? Guid.NewGuid().ToString("N")).Split('@')[0];
        var path = Path.Combine(options.PickupDirectory, $"{message.Date.UtcDateTime:yyyyMMdd'T'HHmmss}-{id}.eml");
        var temporary = path + ".tmp";
        await message.WriteToAsync(temporary, cancellationToken);
        File.Move(temporary, path, overwrite: true); // whole files only: readers never see half a message
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
