using System.Net.Sockets;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Idunox.Shared.Persistence;

/// <summary>
/// Tells "the database cannot be reached right now" apart from every other error: a server that is down, refuses
/// connections, is shutting down or restarting, has no connection to spare, or a connection that broke on the way.
/// Those are nobody's mistake and pass by themselves: a request answers 503 with <c>Retry-After</c>, not 500.
/// </summary>
public static class DatabaseOutage
{
    private static readonly HashSet<string> UnavailableStates = new(StringComparer.Ordinal)
    {
        "57P01", // admin_shutdown
        "57P02", // crash_shutdown
        "57P03", // cannot_connect_now (starting up, or in recovery)
        "53300", // too_many_connections
        "53400", // configuration_limit_exceeded
    };

    private const int SqliteBusy = 5;
    private const int SqliteLocked = 6;
    private const int SqliteCantOpen = 14;

    /// <summary>True when <paramref name="exception"/> (or one it wraps) says the database is unavailable.</summary>
    public static bool IsUnavailable(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case PostgresException postgres:
                    // A server answer: unavailable only for the connection-exception class and the shutdown/limit states.
                    return postgres.SqlState.StartsWith("08", StringComparison.Ordinal) || UnavailableStates.Contains(postgres.SqlState);
                case NpgsqlException npgsql when npgsql.IsTransient || npgsql.InnerException is SocketException or IOException or TimeoutException:
                    return true;
                case SqliteException { SqliteErrorCode: SqliteBusy or SqliteLocked or SqliteCantOpen }:
                    return true;
                case SocketException:
                    return true;
            }
        }

        return false;
    }
}

/// <summary>
/// One warning when the database becomes unreachable, not a stack trace for every request that finds it so: failures
/// less than <see cref="Quiet"/> apart are one outage, and the warning names how many requests it has met when the next
/// one is reported.
/// </summary>
public sealed class DatabaseOutageLog(ILogger<DatabaseOutageLog> logger, TimeProvider clock)
{
    public static readonly TimeSpan Quiet = TimeSpan.FromSeconds(30);

    private readonly object _gate = new();
    private DateTimeOffset _lastFailure = DateTimeOffset.MinValue;
    private long _failures;

    /// <summary>Notes one request that met the outage; logs a warning only when an outage begins.</summary>
    public void Report(Exception exception) => Report(exception.GetBaseException().Message);

    /// <summary>Notes one failure to reach the database, for <paramref name="reason"/>; logs a warning only when an outage begins.</summary>
    public void Report(string reason)
    {
        var now = clock.GetUtcNow();
        lock (_gate)
        {
            var begins = now - _lastFailure >= Quiet;
            _lastFailure = now;
            if (!begins)
            {
                _failures++;
                return;
            }

            var earlier = _failures;
            _failures = 1;
            logger.LogWarning(
                "The database is unavailable ({Reason}): requests that need it answer 503 until it is back{Earlier}",
                reason,
                earlier > 0 ? $" (the previous outage met {earlier} requests)" : string.Empty);
        }
    }
}
