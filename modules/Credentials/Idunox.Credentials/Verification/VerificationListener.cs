using System.Net.Sockets;
using Idunox.Credentials.Contracts;
using Idunox.Credentials.Persistence;
using Idunox.Shared.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Idunox.Credentials.Verification;

/// <summary>The one PostgreSQL channel on which servers tell each other what verification must forget. Ids only.</summary>
internal static class VerificationSignal
{
    public const string Channel = "idunox_key_verification";

    public static string ForKey(Guid keyId) => $"key:{keyId}";

    public static string ForOrganisation(Guid tenantId) => $"organisation:{tenantId}";

    /// <summary>
    /// NOTIFY through the caller's own connection: inside its transaction, the other servers hear it when (and only if)
    /// the change commits. Nothing to do on SQLite (one process).
    /// </summary>
    public static async Task NotifyAsync(CredentialsDbContext db, string payload, CancellationToken cancellationToken)
    {
        if (db.Database.ProviderName == "Npgsql.EntityFrameworkCore.PostgreSQL")
        {
            await db.Database.ExecuteSqlRawAsync("SELECT pg_notify({0}, {1})", [Channel, payload], cancellationToken);
        }
    }

    public static void Apply(KeyVerificationCache cache, string payload)
    {
        if (payload.StartsWith("key:", StringComparison.Ordinal) && Guid.TryParse(payload.AsSpan(4), out var keyId))
        {
            cache.EvictKey(keyId);
        }
        else if (payload.StartsWith("organisation:", StringComparison.Ordinal) && Guid.TryParse(payload.AsSpan(13), out var tenantId))
        {
            cache.EvictOrganisation(tenantId);
        }
        else
        {
            cache.Clear(); // not understood: forgetting everything is always safe
        }
    }
}

/// <summary>Forgets an organisation's keys here at once, and tells the other servers.</summary>
internal sealed class KeyVerificationChanges(KeyVerificationCache cache, CredentialsDbContext db) : IKeyVerificationChanges
{
    public async Task OrganisationChangedAsync(Guid tenantId, CancellationToken cancellationToken)
    {
        cache.EvictOrganisation(tenantId);
        await VerificationSignal.NotifyAsync(db, VerificationSignal.ForOrganisation(tenantId), cancellationToken);
    }
}

/// <summary>
/// Listens on a dedicated PostgreSQL connection for changes made by any server, and evicts what they name. The cache is
/// trusted only while listening: when the connection drops, every request asks the database until the listener is back
/// (and the cache starts empty then), so a missed notification can never keep a revoked key alive; only when the
/// database cannot be asked either do keys read within the TTL stand in. On SQLite (one process) the cache is on from
/// the start and changes are evicted in-process.
/// </summary>
internal sealed class VerificationListener(DatabaseSettings database, KeyVerificationCache cache, ILogger<VerificationListener> logger)
    : BackgroundService
{
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
            try
            {
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync(stoppingToken);
                connection.Notification += (_, e) => VerificationSignal.Apply(cache, e.Payload);
                await using (var listen = new NpgsqlCommand($"LISTEN {VerificationSignal.Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                cache.Enable();
                if (failing)
                {
                    logger.LogInformation("Listening for key changes again: the key verification cache is back on");
                    failing = false;
                }

                while (!stoppingToken.IsCancellationRequested)
                {
                    await connection.WaitAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is NpgsqlException or IOException or SocketException or InvalidOperationException or TimeoutException)
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
        }

        cache.Disable();
    }
}
