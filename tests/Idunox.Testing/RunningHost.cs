using System.Collections.Concurrent;
using System.Diagnostics;

namespace Idunox.Testing;

/// <summary>
/// The built host serving as its own process on a free loopback port, as an operator runs it, so a test can signal it
/// (<c>SIGTERM</c>, <c>SIGKILL</c>) and watch it stop. Killed (with its children) when disposed if still running.
/// </summary>
public sealed class RunningHost : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private RunningHost(Process process, Uri address) => (_process, Address) = (process, address);

    public Uri Address { get; }

    public int Port => Address.Port;

    /// <summary>The host's resident memory now (VmRSS), in bytes.</summary>
    public long ResidentBytes()
    {
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
            }
        }

        throw new InvalidOperationException("No VmRSS in /proc/<pid>/status.");
    }

    /// <summary>Everything the host wrote so far, stdout and stderr, a line each.</summary>
    public IReadOnlyCollection<string> Output => _output.ToArray();

    public static async Task<RunningHost> StartAsync(IReadOnlyDictionary<string, string?> environment)
    {
        var port = HostProcess.FreePort();
        var address = new Uri($"http://127.0.0.1:{port}");
        var start = HostProcess.StartInfo([], new Dictionary<string, string?>(environment) { ["Urls"] = address.ToString().TrimEnd('/') });

        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the host process.");
        var host = new RunningHost(process, address);
        process.OutputDataReceived += (_, e) => host.Note(e.Data);
        process.ErrorDataReceived += (_, e) => host.Note(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(5) };
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"The host exited with {process.ExitCode} before it served:\n{string.Join('\n', host.Output)}");
            }

            try
            {
                if ((await client.GetAsync(new Uri("/health/live", UriKind.Relative))).IsSuccessStatusCode)
                {
                    return host;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            if (clock.Elapsed > TimeSpan.FromMinutes(2))
            {
                await host.DisposeAsync();
                throw new TimeoutException($"The host did not serve within 2 minutes:\n{string.Join('\n', host.Output)}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Sends a signal by name (<c>TERM</c>, <c>INT</c>, <c>KILL</c>) to the host process.</summary>
    public async Task SignalAsync(string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { $"-{signal}", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) } })
            ?? throw new InvalidOperationException("Could not run kill.");
        await kill.WaitForExitAsync();
    }

    /// <summary>Waits for the process to end and answers its exit code; kills it and fails when it takes longer than <paramref name="timeout"/>.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var limit = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException($"The host did not exit within {timeout.TotalSeconds:0} s:\n{string.Join('\n', Output)}");
        }

        _process.WaitForExit(); // the output readers finish
        return _process.ExitCode;
    }

    /// <summary>Waits for a line containing <paramref name="text"/> among the lines written from line <paramref name="from"/> on (0: any).</summary>
    public async Task WaitForOutputAsync(string text, TimeSpan timeout, int from = 0)
    {
        var clock = Stopwatch.StartNew();
        while (!_output.Skip(from).Any(l => l.Contains(text, StringComparison.Ordinal)))
        {
            if (clock.Elapsed > timeout || _process.HasExited)
            {
                throw new TimeoutException($"The host never wrote \"{text}\":\n{string.Join('\n', Output)}");
            }

            await Task.Delay(20);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private void Note(string? line)
    {
        if (line is not null)
        {
            _output.Enqueue(line);
        }
    }
}
