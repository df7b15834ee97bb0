using System.Diagnostics;
using Npgsql;

namespace Idunox.Testing;

/// <summary>
/// A PostgreSQL cluster a test owns, so it can stop and start it (the suite's shared cluster must keep running for
/// everyone else): <c>initdb</c> into a folder of its own, on a free loopback port, run as the <c>postgres</c> user when
/// the tests run as root (as <c>build/postgres.sh</c> does). Removed when disposed.
/// </summary>
public sealed class OwnedPostgres : IAsyncDisposable
{
    private readonly string _bin;
    private readonly string _folder;
    private readonly int _port;

    private OwnedPostgres(string bin, string folder, int port) => (_bin, _folder, _port) = (bin, folder, port);

    public string ServerConnectionString => $"Host=127.0.0.1;Port={_port};Username=postgres;Pooling=true;Maximum Pool Size=20;Timeout=3";

    public static async Task<OwnedPostgres> StartAsync()
    {
        var bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(v => Path.Combine(v, "bin")).Where(Directory.Exists)
                .OrderBy(v => int.TryParse(Path.GetFileName(Path.GetDirectoryName(v)), out var major) ? major : 0).LastOrDefault()
            : null;
        if (bin is null)
        {
            throw new InvalidOperationException("PostgreSQL server binaries are not installed (apt-get install -y postgresql); build/test.sh installs them.");
        }

        var folder = Directory.CreateTempSubdirectory("idunox-owned-pg-").FullName;
        if (Environment.UserName == "root")
        {
            await RunAsync("chown", ["postgres:postgres", folder]);
        }

        var cluster = new OwnedPostgres(bin, folder, HostProcess.FreePort());
        await cluster.AsPostgresAsync("initdb", ["-D", cluster.Data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"]);
        await cluster.StartServerAsync();
        return cluster;
    }

    private string Data => Path.Combine(_folder, "data");

    /// <summary>Creates a database on this cluster and returns its connection string.</summary>
    public async Task<TestDatabase> CreateDatabaseAsync()
    {
        var name = $"idunox_owned_{Guid.NewGuid():N}";
        await using (var connection = new NpgsqlConnection(ServerConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await command.ExecuteNonQueryAsync();
        }

        return new TestDatabase(name, new NpgsqlConnectionStringBuilder(ServerConnectionString) { Database = name }.ConnectionString);
    }

    /// <summary>Stops the server now (open connections are cut, as in a crash or a failover).</summary>
    public Task StopServerAsync() => AsPostgresAsync("pg_ctl", ["-D", Data, "-m", "immediate", "-w", "stop"]);

    /// <summary>Starts the server again, on the same port and data.</summary>
    /// <remarks>
    /// Commits are synchronous (PostgreSQL's default), unlike the suite's shared throwaway server: an immediate stop
    /// loses what an asynchronous commit had acknowledged but not yet written (up to a few hundred milliseconds), and
    /// the outage tests check that every acknowledged write survives. <c>fsync=off</c> stays: the machine does not crash.
    /// </remarks>
    public Task StartServerAsync() => AsPostgresAsync("pg_ctl",
    [
        "-D", Data, "-l", Path.Combine(_folder, "log"), "-w", "-t", "60",
        "-o", $"-p {_port} -k {_folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100",
        "start",
    ]);

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (File.Exists(Path.Combine(Data, "postmaster.pid")))
        {
            try
            {
                await StopServerAsync();
            }
            catch (InvalidOperationException)
            {
                // already gone: nothing to stop
            }
        }

        Directory.Delete(_folder, recursive: true);
    }

    private Task AsPostgresAsync(string tool, IReadOnlyList<string> args) =>
        Environment.UserName == "root"
            ? RunAsync("runuser", ["-u", "postgres", "--", Path.Combine(_bin, tool), .. args])
            : RunAsync(Path.Combine(_bin, tool), args);

    private static async Task RunAsync(string file, IReadOnlyList<string> args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {file}.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(limit.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(file)} {string.Join(' ', args)} failed ({process.ExitCode}): {await output} {await error}");
        }
    }
}
