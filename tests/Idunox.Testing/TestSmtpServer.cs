using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using MimeKit;
using SmtpServer;
using SmtpServer.Storage;
using SmtpResponse = SmtpServer.Protocol.SmtpResponse;

namespace Idunox.Testing;

/// <summary>
/// A real SMTP server in the test process, on a loopback port of its own, keeping every message it accepts.
/// It can be stopped and started again on the same port, to play an outage.
/// </summary>
public sealed class TestSmtpServer : IAsyncDisposable
{
    private readonly ConcurrentQueue<MimeMessage> _messages = new();
    private SmtpServer.SmtpServer? _server;
    private Task? _running;

    public TestSmtpServer()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        Port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
    }

    public int Port { get; }

    public IReadOnlyList<MimeMessage> Messages => _messages.ToArray();

    /// <summary>How many messages the server accepted (cheaper than <see cref="Messages"/> for polling).</summary>
    public int Count => _messages.Count;

    /// <summary>Forgets the messages accepted so far.</summary>
    public void Clear() => _messages.Clear();

    /// <summary>Settings that point a host's e-mail at this server.</summary>
    public IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Email:Mode"] = "Smtp",
        ["Email:Smtp:Host"] = "127.0.0.1",
        ["Email:Smtp:Port"] = Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Email:Smtp:Security"] = "None",
        ["Email:Smtp:TimeoutSeconds"] = "10",
    };

    public TestSmtpServer Start()
    {
        var options = new SmtpServerOptionsBuilder()
            .ServerName("localhost")
            .Endpoint(e => e.Endpoint(new IPEndPoint(IPAddress.Loopback, Port)).IsSecure(false))
            .Build();
        var services = new SmtpServer.ComponentModel.ServiceProvider();
        services.Add(_store);
        services.Add((SmtpServer.Net.IEndpointListenerFactory)new NoDelayListeners());
        _server = new SmtpServer.SmtpServer(options, services);
        _server.SessionCreated += (_, _) => Interlocked.Increment(ref _sessions);
        _running = _server.StartAsync(CancellationToken.None);
        return this;
    }

    public async Task StopAsync()
    {
        if (_server is null)
        {
            return;
        }

        _server.Shutdown();
        await _server.ShutdownTask;
        if (_running is not null)
        {
            await _running;
        }

        _server = null;
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    /// <summary>How many SMTP sessions (connections) clients opened since the server was created.</summary>
    public int Sessions => Volatile.Read(ref _sessions);

    private int _sessions;

    /// <summary>From now on, accept <paramref name="count"/> more messages, then answer every further one with a temporary failure (451).</summary>
    public void AcceptOnly(int count) => _store.Remaining = count;

    /// <summary>Accept every message again.</summary>
    public void AcceptAll() => _store.Remaining = int.MaxValue;

    private Store _store => _storeInstance ??= new Store(_messages);

    private Store? _storeInstance;

    /// <summary>
    /// Replies without Nagle's delay (TCP_NODELAY on each accepted connection), as production mail servers do: otherwise
    /// each pipelined reply waits for the client's delayed ACK, 40 ms a message, and the test server, not the sender, is measured.
    /// </summary>
    private sealed class NoDelayListeners : SmtpServer.Net.IEndpointListenerFactory
    {
        public SmtpServer.Net.IEndpointListener CreateListener(IEndpointDefinition endpointDefinition)
        {
            var listener = new SmtpServer.Net.EndpointListenerFactory().CreateListener(endpointDefinition);
            // The library keeps its TcpListener private; accepted connections inherit TCP_NODELAY from it (Linux).
            var field = listener.GetType().GetFields(System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic)
                .Single(f => f.FieldType == typeof(TcpListener));
            ((TcpListener)field.GetValue(listener)!).Server.NoDelay = true;
            return listener;
        }
    }

    private sealed class Store(ConcurrentQueue<MimeMessage> messages) : MessageStore
    {
        private int _remaining = int.MaxValue;

        public int Remaining { get => Volatile.Read(ref _remaining); set => Volatile.Write(ref _remaining, value); }

        public override async Task<SmtpResponse> SaveAsync(
            ISessionContext context, IMessageTransaction transaction, ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
        {
            if (Interlocked.Decrement(ref _remaining) < 0)
            {
                Interlocked.Exchange(ref _remaining, 0); // stays refusing
                return new SmtpResponse(SmtpServer.Protocol.SmtpReplyCode.MailboxUnavailable, "mailbox busy, try again later");
            }

            await using var stream = new MemoryStream(buffer.ToArray());
            messages.Enqueue(await MimeMessage.LoadAsync(stream, cancellationToken));
            return SmtpResponse.Ok;
        }
    }
}
