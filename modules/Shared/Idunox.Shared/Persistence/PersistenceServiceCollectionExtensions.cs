using Idunox.Shared.MultiTenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Idunox.Shared.Persistence;

public static class PersistenceServiceCollectionExtensions
{
    /// <summary>
    /// Registers a module's DbContext (with every <see cref="IInterceptor"/> registered in the container: diagnostics, tests) as <typeparamref name="TContext"/>, backed by the provider-specific subclass that
    /// owns that provider's migrations, with the module's own migrations history table.
    /// </summary>
    public static IHostApplicationBuilder AddModuleDbContext<TContext, TSqliteContext, TPostgresContext>(
        this IHostApplicationBuilder builder, string schema)
        where TContext : ModuleDbContext
        where TSqliteContext : TContext
        where TPostgresContext : TContext
    {
        var settings = builder.Services.GetOrAddDatabaseSettings(builder);
        builder.Services.AddTenantContext();
        if (settings.Provider == DatabaseProvider.Sqlite)
        {
            builder.Services.AddDbContext<TContext, TSqliteContext>((services, options) =>
                ConfigureSqlite(options, settings.ConnectionString, schema).AddInterceptors(services.GetServices<IInterceptor>()));
        }
        else
        {
            builder.Services.AddDbContext<TContext, TPostgresContext>((services, options) =>
                ConfigurePostgres(options, settings.ConnectionString, schema).AddInterceptors(services.GetServices<IInterceptor>()));
        }

        builder.Services.AddSingleton<IModuleDatabase>(new ModuleDatabase<TContext>(schema));
        return builder;
    }

    public static DbContextOptionsBuilder ConfigureSqlite(DbContextOptionsBuilder options, string connectionString, string schema) =>
        options
            .UseSqlite(connectionString, sqlite => sqlite.MigrationsHistoryTable($"__ef_migrations_{schema}"))
            .AddInterceptors(SqlitePragmas.Instance)
            .ConfigureWarnings(ReportFailuresWhereTheyAreHandled)
            .UseSnakeCaseNamingConvention();

    public static DbContextOptionsBuilder ConfigurePostgres(DbContextOptionsBuilder options, string connectionString, string schema) =>
        options
            .UseNpgsql(connectionString, npgsql => npgsql.MigrationsHistoryTable("__ef_migrations", schema))
            .ConfigureWarnings(ReportFailuresWhereTheyAreHandled)
            .UseSnakeCaseNamingConvention();

    /// <summary>
    /// EF Core logs a failed command, connection, query or save at Error, with its stack, and then throws the same
    /// exception to whoever handles it (the host's exception handlers, a job's runner, a use case that expects a unique
    /// violation): every failure would be logged twice, and a database outage would be a stack trace per request. EF
    /// Core's own lines go to Debug; the exception is reported once, where it is handled.
    /// </summary>
    private static void ReportFailuresWhereTheyAreHandled(WarningsConfigurationBuilder warnings) => warnings.Log(
        (RelationalEventId.CommandError, LogLevel.Debug),
        (RelationalEventId.ConnectionError, LogLevel.Debug),
        (RelationalEventId.TransactionError, LogLevel.Debug),
        (CoreEventId.QueryIterationFailed, LogLevel.Debug),
        (CoreEventId.SaveChangesFailed, LogLevel.Debug));

    private static DatabaseSettings GetOrAddDatabaseSettings(this IServiceCollection services, IHostApplicationBuilder builder)
    {
        if (services.FirstOrDefault(d => d.ServiceType == typeof(DatabaseSettings))?.ImplementationInstance is DatabaseSettings existing)
        {
            return existing;
        }

        var settings = DatabaseSettings.From(builder.Configuration, builder.Environment);
        services.TryAddSingleton(settings);
        return settings;
    }
}
