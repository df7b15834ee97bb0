using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Idunox.Benchmarks;

/// <summary>
/// The gateway benchmark's stand-in for the data API: <c>Idunox.Benchmarks upstream --port N</c>, a bare Kestrel app (no
/// routing, no logging) run as a process of its own so it can be pinned to its own core. A GET answers a fixed 1 KB JSON
/// body, or with <c>?bytes=N</c> streams N bytes; a POST reads its body (any size) and answers how many bytes came. It
/// counts the requests it gets and those that carried <c>Idunox-Identity</c>: <c>GET /__count</c> answers "calls signed".
/// </summary>
internal static class GatewayUpstream
{
    public const string CountPath = "/__count";

    /// <summary>The fixed answer: a JSON object of exactly 1024 bytes.</summary>
    public static readonly byte[] Body = Encoding.UTF8.GetBytes($"{{\"data\":\"{new string('a', 1024 - 11)}\"}}");

    public static async Task<int> RunAsync(string[] args)
    {
        var port = int.Parse(BenchArgs.Value(args, "--port", "0"), CultureInfo.InvariantCulture);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = null;
            k.AddServerHeader = false;
            k.Listen(IPAddress.Loopback, port);
        });
        await using var app = builder.Build();
        long calls = 0, signed = 0;
        var chunk = new byte[64 * 1024];
        app.Run(async http =>
        {
            var request = http.Request;
            var response = http.Response;
            if (request.Path == CountPath)
            {
                await response.WriteAsync(string.Create(CultureInfo.InvariantCulture, $"{Interlocked.Read(ref calls)} {Interlocked.Read(ref signed)}"));
                return;
            }

            Interlocked.Increment(ref calls);
            if (request.Headers.ContainsKey("Idunox-Identity"))
            {
                Interlocked.Increment(ref signed);
            }

            if (HttpMethods.IsPost(request.Method))
            {
                var buffer = new byte[64 * 1024];
                long received = 0;
                int read;
                while ((read = await request.Body.ReadAsync(buffer, http.RequestAborted)) > 0)
                {
                    received += read;
                }

                var answer = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{{\"bytes\":{received}}}"));
                response.ContentType = "application/json";
                response.ContentLength = answer.Length;
                await response.Body.WriteAsync(answer, http.RequestAborted);
                return;
            }

            if (request.Query.TryGetValue("bytes", out var asked) && long.TryParse(asked, CultureInfo.InvariantCulture, out var length))
            {
                response.ContentType = "application/octet-stream";
                response.ContentLength = length;
                for (long sent = 0; sent < length; sent += chunk.Length)
                {
                    await response.Body.WriteAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, length - sent)), http.RequestAborted);
                }

                return;
            }

            response.ContentType = "application/json";
            response.ContentLength = Body.Length;
            await response.Body.WriteAsync(Body, http.RequestAborted);
        });
        await app.RunAsync();
        return 0;
    }
}

/// <summary>The upstream as the benchmark runs it: this program's <c>upstream</c> verb in a process pinned to a core.</summary>
internal sealed class UpstreamProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly HttpClient _client;

    private UpstreamProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
        _client = new HttpClient { BaseAddress = baseAddress };
    }

    public Uri BaseAddress { get; }

    public static async Task<UpstreamProcess> StartAsync(int core)
    {
        var port = BenchHost.FreePort();
        var info = new ProcessStartInfo("taskset") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "-c", core.ToString(CultureInfo.InvariantCulture), "dotnet", typeof(GatewayUpstream).Assembly.Location, "upstream", "--port", port.ToString(CultureInfo.InvariantCulture) })
        {
            info.ArgumentList.Add(argument);
        }

        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { Console.Error.WriteLine($"  upstream: {e.Data}"); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var upstream = new UpstreamProcess(process, new Uri($"http://127.0.0.1:{port}/"));
        var started = Stopwatch.StartNew();
        while (started.Elapsed < TimeSpan.FromSeconds(30))
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"the upstream exited with {process.ExitCode}");
            }

            try
            {
                await upstream.CountsAsync();
                return upstream;
            }
            catch (HttpRequestException)
            {
                await Task.Delay(100);
            }
        }

        await upstream.DisposeAsync();
        throw new InvalidOperationException("the upstream did not answer within 30 s");
    }

    /// <summary>The requests the upstream has had, and how many of them carried a signed identity.</summary>
    public async Task<(long Calls, long Signed)> CountsAsync()
    {
        var parts = (await _client.GetStringAsync(GatewayUpstream.CountPath)).Split(' ');
        return (long.Parse(parts[0], CultureInfo.InvariantCulture), long.Parse(parts[1], CultureInfo.InvariantCulture));
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
