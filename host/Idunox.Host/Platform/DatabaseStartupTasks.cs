using Idunox.Shared.Modularity;
using Idunox.Shared.Persistence;

namespace Idunox.Host.Platform;

/// <summary>
/// At web start-up: applies every module's migrations when <c>Database:MigrateOnStartup</c> is on (the embedded default;
/// production migrates with the <c>migrate</c> verb), then runs the modules' start-up tasks. Runs before Kestrel listens.
/// </summary>
internal sealed class DatabaseStartupTasks(
    IServiceProvider services,
    DatabaseSettings settings,
    IEnumerable<IModuleDatabase> databases,
    IEnumerable<IStartupTask> tasks,
    ILogger<DatabaseStartupTasks> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (settings.MigrateOnStartup)
        {
            foreach (var database in databases)
            {
                await database.MigrateAsync(services, cancellationToken);
            }

            logger.LogInformation("Applied migrations of {Count} module databases ({Provider})", databases.Count(), settings.Provider);
        }

        foreach (var task in tasks.OrderBy(t => t.Order))
        {
            await task.RunAsync(services, cancellationToken);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

internal static class DatabaseStartupTasksExtensions
{
    public static WebApplicationBuilder AddDatabaseStartupTasks(this WebApplicationBuilder builder)
    {
        // First of all hosted services (they start in order): Data Protection's own starts by reading its key ring from
        // the database, which on a fresh embedded database has no tables until the migrations here have run.
        builder.Services.Insert(0, ServiceDescriptor.Singleton<IHostedService, DatabaseStartupTasks>());
        return builder;
    }
}
