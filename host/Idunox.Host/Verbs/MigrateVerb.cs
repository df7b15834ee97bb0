using Idunox.Shared.Modularity;
using Idunox.Shared.Persistence;

namespace Idunox.Host.Verbs;

/// <summary><c>migrate</c>: applies every enabled module's pending migrations to the configured database.</summary>
internal sealed class MigrateVerb(IServiceProvider services, IEnumerable<IModuleDatabase> databases, DatabaseSettings settings, Platform.JobsSettings jobs) : IHostVerb
{
    public string Name => "migrate";

    public string Description => "apply every module's pending database migrations and create the job schema";

    public string Usage => """
        migrate                      apply every enabled module's pending migrations (and, on PostgreSQL, create
                                     Hangfire's schema); on PostgreSQL the role needs CREATEDB when the database
                                     does not exist yet
        """;

    public async Task<int> RunAsync(IReadOnlyList<string> args, VerbConsole console, CancellationToken cancellationToken)
    {
        VerbArguments.Parse(args).ExpectPositional(0, Usage);
        foreach (var database in databases)
        {
            var pending = await database.GetPendingMigrationsAsync(services, cancellationToken);
            await database.MigrateAsync(services, cancellationToken);
            await console.Out.WriteLineAsync(pending.Count == 0
                ? $"{database.Schema}: up to date"
                : $"{database.Schema}: applied {pending.Count} migration(s): {string.Join(", ", pending)}");
        }

        await console.Out.WriteLineAsync(await Platform.JobsSetup.MigrateAsync(jobs, cancellationToken));
        await console.Out.WriteLineAsync($"Database ({settings.Provider}) is up to date.");
        return VerbExitCodes.Done;
    }
}
