using Npgsql;

namespace Idunox.Testing;

/// <summary>
/// The PostgreSQL server of the test run. <c>build/test.sh</c> starts a throwaway cluster and sets
/// <c>IDUNOX_TEST_POSTGRES</c>; each fixture creates its own database on it and drops it afterwards.
/// </summary>
public static class TestPostgres
{
    public const string Variable = "IDUNOX_TEST_POSTGRES";

    /// <summary>The server's connection string; a test that needs PostgreSQL fails here, loudly, when there is none.</summary>
    public static string ServerConnectionString =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"This test needs PostgreSQL and {Variable} is not set. Run build/test.sh (it starts a throwaway " +
                $"cluster), or set {Variable} to a server you own, e.g. \"Host=127.0.0.1;Port=5432;Username=postgres\".");

    public static async Task<TestDatabase> CreateDatabaseAsync()
    {
        var name = $"idunox_test_{Guid.NewGuid():N}";
        await using (var connection = new NpgsqlConnection(ServerConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await command.ExecuteNonQueryAsync();
        }

        var builder = new NpgsqlConnectionStringBuilder(ServerConnectionString) { Database = name, Pooling = true };
        return new TestDatabase(name, builder.ConnectionString);
    }
}

/// <summary>One empty database of the test server, dropped when disposed.</summary>
public sealed class TestDatabase(string name, string connectionString) : IAsyncDisposable
{
    public string Name => name;

    public string ConnectionString => connectionString;

    /// <summary>Runs SQL of the test's own on this database (to arrange a fault, say).</summary>
    public async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(TestPostgres.ServerConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync();
    }
}
