using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Idunox.Testing;

/// <summary>
/// A TCP proxy on loopback in front of PostgreSQL that can make connections go silent the way a dead peer or a dropping
/// firewall does: the sockets stay open (no reset, no close), and nothing more is carried either way. Only connections
/// that sent a given text (e.g. <c>LISTEN</c>) are silenced, so the rest of a host's traffic goes on.
/// </summary>
public sealed class SilencingProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentBag<Pipe> _pipes = [];
    private readonly Task _accepting;

    public SilencingProxy(string host, int port)
    {
        _target = new IPEndPoint(IPAddress.Parse(host == "localhost" ? "127.0.0.1" : host), port);
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>The connection string of <paramref name="connectionString"/>, through this proxy.</summary>
    public static SilencingProxy For(string connectionString, out string proxied)
    {
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        var proxy = new SilencingProxy(builder.Host!, builder.Port);
        builder.Host = "127.0.0.1";
        builder.Port = proxy.Port;
        proxied = builder.ConnectionString;
        return proxy;
    }

    /// <summary>Silences every open connection whose client has sent <paramref name="marker"/>; answers how many.</summary>
    public int Silence(string marker) => _pipes.Count(p => p.SilenceIfSent(marker));

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            var server = new TcpClient();
            await server.ConnectAsync(_target, _stop.Token);
            var pipe = new Pipe(client, server);
            _pipes.Add(pipe);
            _ = pipe.RunAsync(_stop.Token);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        foreach (var pipe in _pipes)
        {
            pipe.Dispose();
        }

        await _accepting;
    }

    private sealed class Pipe(TcpClient client, TcpClient server) : IDisposable
    {
        private readonly StringBuilder _sent = new();
        private volatile bool _silent;

        public bool SilenceIfSent(string marker)
        {
            lock (_sent)
            {
                if (!_sent.ToString().Contains(marker, StringComparison.Ordinal))
                {
                    return false;
                }
            }

            _silent = true;
            return true;
        }

        public Task RunAsync(CancellationToken cancellationToken) =>
            Task.WhenAll(CopyAsync(client.GetStream(), server.GetStream(), record: true, cancellationToken),
                CopyAsync(server.GetStream(), client.GetStream(), record: false, cancellationToken));

        private async Task CopyAsync(NetworkStream from, NetworkStream to, bool record, CancellationToken cancellationToken)
        {
            var buffer = new byte[16 * 1024];
            try
            {
                while (true)
                {
                    var read = await from.ReadAsync(buffer, cancellationToken);
                    if (read == 0)
                    {
                        break;
                    }

                    if (record)
                    {
                        lock (_sent)
                        {
                            if (_sent.Length < 64 * 1024)
                            {
                                _sent.Append(Encoding.ASCII.GetString(buffer, 0, read));
                            }
                        }
                    }

                    if (!_silent)
                    {
                        await to.WriteAsync(buffer.AsMemory(0, read), cancellationToken); // silent: swallowed, no reset, no close
                    }
                }
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or SocketException)
            {
            }
        }

        public void Dispose()
        {
            client.Dispose();
            server.Dispose();
        }
    }
}
