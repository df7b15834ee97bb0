using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Idunox.Shared.Persistence;

/// <summary>One module's database as the host sees it: for the <c>migrate</c> verb, start-up migration and readiness.</summary>
public interface IModuleDatabase
{
    /// <summary>The module's schema (PostgreSQL) or table prefix (SQLite).</summary>
    string Schema { get; }

    Task MigrateAsync(IServiceProvider services, CancellationToken cancellationToken);

    Task<IReadOnlyList<string>> GetPendingMigrationsAsync(IServiceProvider services, CancellationToken cancellationToken);

    Task<bool> CanConnectAsync(IServiceProvider services, CancellationToken cancellationToken);

    /// <summary>True when the model has changed since the last migration (a migration is missing).</summary>
    bool HasPendingModelChanges(IServiceProvider services);
}

internal sealed class ModuleDatabase<TContext>(string schema) : IModuleDatabase
    where TContext : ModuleDbContext
{
    public string Schema => schema;

    public async Task MigrateAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        await using var scope = services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<TContext>().Database.MigrateAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<string>> GetPendingMigrationsAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        await using var scope = services.CreateAsyncScope();
        var pending = await scope.ServiceProvider.GetRequiredService<TContext>().Database.GetPendingMigrationsAsync(cancellationToken);
        return pending.ToList();
    }

    public async Task<bool> CanConnectAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        await using var scope = services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<TContext>().Database.CanConnectAsync(cancellationToken);
    }

    public bool HasPendingModelChanges(IServiceProvider services)
    {
        using var scope = services.CreateScope();
        return scope.ServiceProvider.GetRequiredService<TContext>().Database.HasPendingModelChanges();
    }
}
