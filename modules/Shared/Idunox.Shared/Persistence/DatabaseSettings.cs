using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace Idunox.Shared.Persistence;

public enum DatabaseProvider
{
    Sqlite,
    Postgres,
}

/// <summary>
/// <c>Database:Provider</c>, <c>ConnectionStrings:Idunox</c> and <c>Database:MigrateOnStartup</c>, read and checked once.
/// Production requires PostgreSQL and a connection string; the embedded default is a SQLite file under the content root.
/// </summary>
public sealed record DatabaseSettings(DatabaseProvider Provider, string ConnectionString, bool MigrateOnStartup)
{
    // The connection string may hold a password: never print it.
    public override string ToString() => $"DatabaseSettings {{ Provider = {Provider}, MigrateOnStartup = {MigrateOnStartup} }}";

    public const string ConnectionStringName = "Idunox";

    public static DatabaseSettings From(IConfiguration configuration, IHostEnvironment environment)
    {
        var providerText = configuration["Database:Provider"];
        if (!Enum.TryParse<DatabaseProvider>(providerText, ignoreCase: true, out var provider) || !Enum.IsDefined(provider))
        {
            throw new StartupConfigurationException(
                $"Database:Provider must be 'Sqlite' or 'Postgres' (it is '{providerText ?? "<missing>"}').");
        }

        if (environment.IsProduction() && provider != DatabaseProvider.Postgres)
        {
            throw new StartupConfigurationException(
                "Production requires PostgreSQL: set Database__Provider=Postgres and ConnectionStrings__Idunox.");
        }

        var connectionString = configuration.GetConnectionString(ConnectionStringName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new StartupConfigurationException(
                $"ConnectionStrings:{ConnectionStringName} is missing. Set it (environment variable ConnectionStrings__{ConnectionStringName}) " +
                "to a PostgreSQL connection string, e.g. \"Host=localhost;Database=idunox;Username=idunox;Password=...\".");
        }

        if (provider == DatabaseProvider.Sqlite)
        {
            connectionString = AnchorSqliteFile(connectionString, environment.ContentRootPath);
        }

        return new DatabaseSettings(provider, connectionString, configuration.GetValue("Database:MigrateOnStartup", false));
    }

    /// <summary>A relative SQLite file lives under the content root (not the working directory), and its folder is created.</summary>
    private static string AnchorSqliteFile(string connectionString, string contentRoot)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString);
        if (builder.DataSource is { Length: > 0 } file && file != ":memory:" && builder.Mode != SqliteOpenMode.Memory)
        {
            var path = Path.IsPathRooted(file) ? file : Path.GetFullPath(Path.Combine(contentRoot, file));
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            builder.DataSource = path;
        }

        return builder.ToString();
    }
}

/// <summary>Configuration the host cannot start with; the host prints the message (no stack trace) and exits non-zero.</summary>
public sealed class StartupConfigurationException(string message) : Exception(message);
