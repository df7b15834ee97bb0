using Idunox.Shared.Persistence;
using Idunox.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Idunox.Host.Tests;

public sealed class MigrationTests
{
    private static readonly string[] ModuleSchemas = ["identity", "credentials", "notifications", "staffadmin"];

    [Fact]
    public async Task Migrations_apply_to_an_empty_PostgreSQL_database_and_leave_no_pending_model_changes()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync();
        await using var app = IdunoxApp.OnPostgres(database);
        _ = app.Server;

        await AssertMigratedAsync(app);
        var tables = await QueryAsync(database.ConnectionString,
            "SELECT table_schema || '.' || table_name FROM information_schema.tables WHERE table_schema = ANY(@schemas)");
        foreach (var schema in ModuleSchemas)
        {
            Assert.Contains($"{schema}.__ef_migrations", tables);
            Assert.Contains(tables, t => t.StartsWith($"{schema}.", StringComparison.Ordinal) && !t.EndsWith("__ef_migrations", StringComparison.Ordinal));
        }

        Assert.DoesNotContain(tables, t => t.StartsWith("public.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Migrations_apply_to_an_empty_SQLite_database_and_leave_no_pending_model_changes()
    {
        var file = Path.Combine(Path.GetTempPath(), $"idunox-test-{Guid.NewGuid():N}.db");
        try
        {
            await using (var app = IdunoxApp.OnSqlite(file))
            {
                _ = app.Server;
                await AssertMigratedAsync(app);
            }

            await using var connection = new SqliteConnection($"Data Source={file}");
            await connection.OpenAsync();
            await using var command = new SqliteCommand("SELECT name FROM sqlite_master WHERE type = 'table'", connection);
            var tables = new List<string>();
            await using (var reader = await command.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    tables.Add(reader.GetString(0));
                }
            }

            foreach (var schema in ModuleSchemas)
            {
                // Each module keeps its own history table, and its tables carry its name: SQLite has no schemas.
                Assert.Contains($"__ef_migrations_{schema}", tables);
                Assert.Contains(tables, t => t.StartsWith($"{schema}_", StringComparison.Ordinal));
            }
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            File.Delete(file);
        }
    }

    private static async Task AssertMigratedAsync(IdunoxApp app)
    {
        var databases = app.Services.GetServices<IModuleDatabase>().ToList();
        Assert.Equal(ModuleSchemas.Order(), databases.Select(d => d.Schema).Order());
        foreach (var database in databases)
        {
            Assert.Empty(await database.GetPendingMigrationsAsync(app.Services, CancellationToken.None));
            Assert.False(database.HasPendingModelChanges(app.Services), $"{database.Schema}: the model has changes no migration captures");
        }
    }

    internal static async Task<List<string>> QueryAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("schemas", ModuleSchemas.Append("public").ToArray());
        var rows = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add(reader.GetString(0));
        }

        return rows;
    }
}
