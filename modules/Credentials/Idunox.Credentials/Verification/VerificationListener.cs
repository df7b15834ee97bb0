using System.Net.Sockets;
using Idunox.Identity.Contracts;
using Idunox.Credentials.Persistence;
using Idunox.Shared.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Idunox.Credentials.Verification;

/// <summary>
/// The PostgreSQL channel on which servers tell each other which keys verification must forget (ids only); organisation
/// changes come on Identity's <see cref="OrganisationSignals.Channel"/>.
/// </summary>
internal static class VerificationSignal
{
    public const string Channel = "idunox_key_verification";

    public static string ForKey(Guid keyId) => $"key:{keyId}";

    /// <summary>
    /// NOTIFY through the caller's own connection: inside its transaction, the other servers hear it when (and only if)
    /// the change commits. Nothing to do on SQLite (one process).
    /// </summary>
    public static Task NotifyAsync(CredentialsDbContext db, string payload, CancellationToken cancellationToken) =>
        PostgresNotify.SendAsync(db, Channel, payload, cancellationToken);

    public static void Apply(KeyVerificationCache cache, string channel, string payload)
    {
        if (channel == OrganisationSignals.Channel)
        {
            if (Guid.TryParse(payload, out var organisation))
            {
                cache.EvictOrganisation(organisation);
            }
            else
            {
                cache.Clear(); // not understood: forgetting everything is always safe
            }

            return;
        }

        if (payload.StartsWith(VerificationListener.PingPrefix, StringComparison.Ordinal))
        {
            return; // another server checking its own connection
        }

        if (payload.StartsWith("key:", StringComparison.Ordinal) && Guid.TryParse(payload.AsSpan(4), out var keyId))
        {
            cache.EvictKey(keyId);
        }
        else
        {
            cache.Clear(); // not understood: forgetting everything is always safe
        }
    }
}

/// <summary>An organisation suspended or activated on this server: its keys are forgotten here at once (other servers hear the NOTIFY).</summary>
internal sealed class OrganisationStatusEviction(KeyVerificationCache cache) : IOrganisationStatusHandler
{
    public void Handle(OrganisationStatusChanged change) => cache.EvictOrganisation(change.TenantId);
}

/// <summary>
/// Listens on a dedicated PostgreSQL connection for changes made by any server, and evicts what they name. The cache is
/// trusted only while listening: when the connection drops, every request asks the database until the listener is back
/// (and the cache starts empty then), so a missed notification can never keep a revoked key alive; only when the
/// database cannot be asked either do keys read within the TTL stand in. On SQLite (one process) the cache is on from
/// the start and changes are evicted in-process.
/// </summary>
/// <remarks>
/// A connection can die silently (a peer gone without a reset, a firewall that drops the flow): the socket stays open and
/// notifications stop arriving. So the listener checks its own connection every
/// <c>Credentials:Verification:ListenerCheckSeconds</c> (5 by default): it sends a NOTIFY on the channel to itself and
/// must hear it back within the same time; when it does not, the cache stops being trusted at once and the connection is
/// made anew.
/// </remarks>
internal sealed class VerificationListener(DatabaseSettings database, KeyVerificationCache cache, Microsoft.Extensions.Options.IOptions<VerificationOptions> options,
    ILogger<VerificationListener> logger) : BackgroundService
{
    /// <summary>The payload prefix of the listener's own checks (other servers ignore them: see <see cref="VerificationSignal.Apply"/>).</summary>
    public const string PingPrefix = "ping:";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (database.Provider != DatabaseProvider.Postgres)
        {
            cache.Enable();
            return;
        }

        // Its own connection (not from the pool), with TCP keepalive so a silently dead peer is noticed too.
        var connectionString = new NpgsqlConnectionStringBuilder(database.ConnectionString) { Pooling = false, KeepAlive = 5 }.ConnectionString;
        var failing = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            var connection = new NpgsqlConnection(connectionString);
            try
            {
                await connection.OpenAsync(stoppingToken);
                var check = new SelfCheck();
                connection.Notification += (_, e) =>
                {
                    if (e.Payload.StartsWith(PingPrefix, StringComparison.Ordinal))
                    {
                        check.Heard(e.Payload); // every server's checks reach every server: only our own counts
                    }
                    else
                    {
                        VerificationSignal.Apply(cache, e.Channel, e.Payload);
                    }
                };
                await using (var listen = new NpgsqlCommand($"LISTEN {VerificationSignal.Channel}; LISTEN {OrganisationSignals.Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                cache.Enable();
                if (failing)
                {
                    logger.LogInformation("Listening for key changes again: the key verification cache is back on");
                    failing = false;
                }

                var every = TimeSpan.FromSeconds(options.Value.ListenerCheckSeconds);
                while (!stoppingToken.IsCancellationRequested)
                {
                    // Wait for changes until the next check is due, then ask the connection to prove it still carries them.
                    // (Elapsed time on the machine's monotonic clock, not the platform's TimeProvider: a connection dies in real time.)
                    var since = System.Diagnostics.Stopwatch.GetTimestamp();
                    while (System.Diagnostics.Stopwatch.GetElapsedTime(since) < every && !stoppingToken.IsCancellationRequested)
                    {
                        await connection.WaitAsync((int)Math.Max(1, (every - System.Diagnostics.Stopwatch.GetElapsedTime(since)).TotalMilliseconds), stoppingToken);
                    }

                    await CheckAsync(connection, check, every, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is NpgsqlException or IOException or SocketException or InvalidOperationException or TimeoutException or ListenerSilentException)
            {
                cache.Disable();
                if (!failing)
                {
                    logger.LogWarning("Not hearing about key changes ({Error}): every key is verified from the database until the listener is back",
                        e.Message);
                    failing = true;
                }

                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
            finally
            {
                // Not awaited: closing a silent connection waits for its unanswered command (seconds), and the cache is
                // already off; the next connection need not wait for it.
                _ = CloseQuietlyAsync(connection);
            }
        }

        cache.Disable();
    }

    private static async Task CloseQuietlyAsync(NpgsqlConnection connection)
    {
        try
        {
            await connection.DisposeAsync();
        }
        catch (Exception e) when (e is NpgsqlException or IOException or SocketException or InvalidOperationException or TimeoutException)
        {
            // already broken
        }
    }

    /// <summary>
    /// Sends a NOTIFY with a new nonce through the listening connection and waits, at most <paramref name="within"/>,
    /// to hear it back; the command itself times out in the same time. A connection that cannot do this carries no
    /// notifications either.
    /// </summary>
    private static async Task CheckAsync(NpgsqlConnection connection, SelfCheck check, TimeSpan within, CancellationToken stoppingToken)
    {
        var nonce = check.Expect(PingPrefix + Guid.NewGuid().ToString("N"));
        // Not disposed: disposing a command still waiting on a silent connection would wait with it.
        var ping = new NpgsqlCommand("SELECT pg_notify(@channel, @payload)", connection);
        ping.Parameters.AddWithValue("channel", VerificationSignal.Channel);
        ping.Parameters.AddWithValue("payload", nonce);
        try
        {
            // A silent connection answers nothing (Npgsql's own command timeout would wait far longer for it).
            await ping.ExecuteNonQueryAsync(stoppingToken).WaitAsync(within, stoppingToken);
        }
        catch (TimeoutException)
        {
            throw new ListenerSilentException();
        }

        var sent = System.Diagnostics.Stopwatch.GetTimestamp();
        while (!check.Answered)
        {
            var left = within - System.Diagnostics.Stopwatch.GetElapsedTime(sent);
            if (left <= TimeSpan.Zero)
            {
                throw new ListenerSilentException();
            }

            await connection.WaitAsync((int)Math.Max(1, left.TotalMilliseconds), stoppingToken);
        }
    }

    /// <summary>The nonce of the check in flight, and whether it came back (set from Npgsql's notification callback).</summary>
    private sealed class SelfCheck
    {
        private string? _expected;
        private volatile bool _answered;

        public bool Answered => _answered;

        public string Expect(string nonce)
        {
            _answered = false;
            Volatile.Write(ref _expected, nonce);
            return nonce;
        }

        public void Heard(string payload)
        {
            if (payload == Volatile.Read(ref _expected))
            {
                _answered = true;
            }
        }
    }

    private sealed class ListenerSilentException() : Exception("the listening connection did not carry its own check back in time");
}
