using System.Collections.Concurrent;
using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Idunox.Shared.Persistence;

/// <summary>
/// The embedded default on SQLite: write-ahead logging, so readers never queue behind a writer, and a busy timeout,
/// so a writer waits its turn instead of failing with "database is locked". WAL is a property of the file (set once per
/// file and process); the busy timeout belongs to each connection.
/// </summary>
internal sealed class SqlitePragmas : DbConnectionInterceptor
{
    public static readonly SqlitePragmas Instance = new();

    public const int BusyTimeoutMilliseconds = 10_000;

    private static readonly ConcurrentDictionary<string, bool> WalFiles = new(StringComparer.Ordinal);

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData) => Apply(connection);

    public override Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Apply(connection);
        return Task.CompletedTask;
    }

    private static void Apply(DbConnection connection)
    {
        using var command = connection.CreateCommand();
        var wal = WalFiles.TryAdd(connection.DataSource, true) ? "PRAGMA journal_mode=WAL; " : string.Empty;
        command.CommandText = $"{wal}PRAGMA busy_timeout={BusyTimeoutMilliseconds};";
        command.ExecuteNonQuery();
    }
}
