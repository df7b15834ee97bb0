using Idunox.Shared.Modularity;
using Idunox.Shared.Persistence;

namespace Idunox.Host.Verbs;

/// <summary>
/// Before a verb touches the database: where the web host would migrate by itself (Development), the verb does too;
/// elsewhere an unmigrated database is one clear line that names the fix, not a page of SQL errors.
/// </summary>
internal static class DatabaseReady
{
    public static async Task<bool> EnsureAsync(IServiceProvider services, VerbConsole console, CancellationToken cancellationToken)
    {
        var settings = services.GetRequiredService<DatabaseSettings>();
        var pending = new List<IModuleDatabase>();
        foreach (var database in services.GetServices<IModuleDatabase>())
        {
            if ((await database.GetPendingMigrationsAsync(services, cancellationToken)).Count > 0)
            {
                pending.Add(database);
            }
        }

        if (pending.Count == 0)
        {
            return true;
        }

        if (settings.MigrateOnStartup)
        {
            foreach (var database in pending)
            {
                await database.MigrateAsync(services, cancellationToken);
            }

            await console.Error.WriteLineAsync($"idunox: migrated the database first ({string.Join(", ", pending.Select(d => d.Schema))}), as the web host would.");
            return true;
        }

        await console.Error.WriteLineAsync(
            $"idunox: the database is not migrated ({string.Join(", ", pending.Select(d => d.Schema))} pending): run `idunox migrate` first.");
        return false;
    }
}
