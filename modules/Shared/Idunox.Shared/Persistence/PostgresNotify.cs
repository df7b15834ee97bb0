using Microsoft.EntityFrameworkCore;

namespace Idunox.Shared.Persistence;

/// <summary>
/// PostgreSQL NOTIFY through a module's own connection: inside the caller's transaction, listeners hear it when (and only
/// if) the change commits — a change and its signal are one. Nothing to do on SQLite (one process: in-process eviction).
/// </summary>
public static class PostgresNotify
{
    public static async Task SendAsync(DbContext db, string channel, string payload, CancellationToken cancellationToken)
    {
        if (db.Database.ProviderName == "Npgsql.EntityFrameworkCore.PostgreSQL")
        {
            await db.Database.ExecuteSqlRawAsync("SELECT pg_notify({0}, {1})", [channel, payload], cancellationToken);
        }
    }
}
