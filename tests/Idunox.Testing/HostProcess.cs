using System.Diagnostics;

namespace Idunox.Testing;

/// <summary>Runs the built host as its own process, as an operator would (<c>dotnet Idunox.Host.dll &lt;verb&gt;</c>).</summary>
public static class HostProcess
{
    public static async Task<(int ExitCode, string Out, string Error)> RunAsync(
        IReadOnlyList<string> args, IReadOnlyDictionary<string, string?> environment, string? stdin = null, TimeSpan? timeout = null)
    {
        var start = StartInfo(args, environment);
        start.RedirectStandardInput = true;
        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the host process.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
        }

        process.StandardInput.Close();
        using var limit = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            // A hung host must not outlive the test, nor the test run: end it and everything it started.
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            throw new HostProcessTimeoutException(process.Id, timeout ?? TimeSpan.FromMinutes(2), await output, await error);
        }

        return (process.ExitCode, await output, await error);
    }

    /// <summary>Starts a verb and leaves it running, for a test that kills it (<c>SIGKILL</c>) part of the way through.</summary>
    public static KillableProcess Start(IReadOnlyList<string> args, IReadOnlyDictionary<string, string?> environment) =>
        new(Process.Start(StartInfo(args, environment)) ?? throw new InvalidOperationException("Could not start the host process."));

    /// <summary><c>dotnet Idunox.Host.dll &lt;args&gt;</c> in the test's output folder, with stdout and stderr redirected.</summary>
    internal static ProcessStartInfo StartInfo(IReadOnlyList<string> args, IReadOnlyDictionary<string, string?> environment)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Idunox.Host.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        UseEnvironment(start, environment);
        return start;
    }

    /// <summary>Only what the test gives: no developer's environment (environment name, database) leaks into the host.</summary>
    internal static void UseEnvironment(ProcessStartInfo start, IReadOnlyDictionary<string, string?> environment)
    {
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("ASPNETCORE_", StringComparison.Ordinal) ||
                     k.StartsWith("DOTNET_ENVIRONMENT", StringComparison.Ordinal) || k.StartsWith("ConnectionStrings__", StringComparison.Ordinal) ||
                     k.StartsWith("Database__", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(key);
        }

        // A host given no environment runs as Production.
        var production = !environment.TryGetValue("ASPNETCORE_ENVIRONMENT", out var name) || string.IsNullOrEmpty(name) || name == "Production";
        foreach (var (key, value) in production ? TestCertificates.ProductionDefaults : TestCertificates.Defaults)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }
    }

    /// <summary>A loopback port nothing listens on right now.</summary>
    internal static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>The host did not exit in time; it was killed (with its child processes) before this was thrown.</summary>
public sealed class HostProcessTimeoutException(int processId, TimeSpan timeout, string output, string error)
    : TimeoutException($"The host process {processId} did not exit within {timeout.TotalSeconds:0} s and was killed.\nstdout: {output}\nstderr: {error}")
{
    public int ProcessId => processId;
}

/// <summary>A host process a test may kill as the kernel would: no signal handler runs, nothing is flushed, nothing rolls back in the process.</summary>
public sealed class KillableProcess : IDisposable
{
    private readonly Process _process;
    private readonly Task<string> _output;
    private readonly Task<string> _error;

    internal KillableProcess(Process process)
    {
        _process = process;
        _output = process.StandardOutput.ReadToEndAsync();
        _error = process.StandardError.ReadToEndAsync();
    }

    public bool HasExited => _process.HasExited;

    /// <summary>What it wrote, once it has ended.</summary>
    public async Task<string> OutputAsync() => $"stdout: {await _output}\nstderr: {await _error}";

    /// <summary><c>SIGKILL</c> (what <see cref="Process.Kill()"/> sends on Linux), then waits for the process to be gone.</summary>
    public async Task KillAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync();
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process.Dispose();
    }
}
