using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;

namespace Idunox.Benchmarks;

/// <summary>
/// <c>build/bench.sh gateway</c>: the data API gateway (YARP with the key gate and a signed identity per request) against
/// bare YARP in the same host and against the upstream called directly. The built host (Release, SQLite, environment
/// <c>Benchmark</c>) and a minimal upstream (<see cref="GatewayUpstream"/>) run as processes pinned to cores of their own;
/// wrk gets a third core when there is one and shares the upstream's otherwise. The legs (direct, bare route, valid key,
/// scoped route, revoked key) alternate, several rounds; then the gateway and the bare route at half the gateway's peak
/// rate, and a 100 MB upload and download through the gateway with the host's memory sampled.
/// </summary>
internal static class GatewayBench
{
    private const long TransferBytes = 100L * 1024 * 1024;
    private const string Direct = "direct to upstream";
    private const string Bare = "bare route (no key check)";
    private const string Valid = "gateway, valid key";
    private const string Scoped = "gateway, scoped route";
    private const string Restricted = "gateway, allow-list, rate limit";
    private const string Revoked = "gateway, revoked key";

    public static async Task<int> RunAsync(string[] args)
    {
        var options = BenchOptions.Parse(args, rounds: 3);
        var cores = Environment.ProcessorCount;
        var (hostCore, upstreamCore, wrkCore) = cores >= 3 ? (0, 1, 2) : (0, 1, 1);
        options = options with { WrkCore = wrkCore };
        Console.WriteLine($"gateway benchmark (SQLite): {options.Rounds} rounds of {options.Seconds} s a leg after {options.WarmUpSeconds} s of warm-up a leg, wrk {options.Connections} connections");
        Console.WriteLine($"pinning ({cores} cores): host on core {hostCore}, upstream on core {upstreamCore}, wrk on core {wrkCore}" +
            (cores >= 3 ? "" : " — shared with the upstream: no third core for wrk, so the direct leg's upstream and wrk split one core"));

        var work = Directory.CreateTempSubdirectory("idunox-gateway-");
        var database = Path.Combine(work.FullName, "bench.db");
        try
        {
            await using var upstream = await UpstreamProcess.StartAsync(upstreamCore);
            var settings = HostSettings(database, upstream.BaseAddress);
            await ProbeBench.ArrangePartnerAsync(options.HostDll, settings);
            await using var host = await BenchHost.StartAsync(options.HostDll, settings, hostCore);
            using var api = await ProbeBench.SignInAsync(host.BaseAddress);
            var valid = (await api.CreateKeyAsync("gateway valid")).ApiKey;
            var revoked = await api.CreateKeyAsync("gateway revoked");
            await api.RevokeAsync(revoked.Credential.Id);
            var scoped = (await api.CreateKeyAsync("gateway scoped", ["orders:read"])).ApiKey;
            var restricted = (await api.CreateKeyAsync("gateway restricted", ipAllowList: ProbeBench.AllowListOf50, rateLimit: ProbeBench.UnreachedRateLimit)).ApiKey;

            using var client = new HttpClient { Timeout = TimeSpan.FromMinutes(5) };
            Console.WriteLine($"checks: {await CheckAsync(client, upstream.BaseAddress, host.BaseAddress, valid, revoked.ApiKey, scoped)}");

            var legs = new (Leg Leg, Uri Target)[]
            {
                (new Leg(Direct, "/v1/data/bench", null, Expect2xx: true), upstream.BaseAddress),
                (new Leg(Bare, "/v1/bare/bench", null, Expect2xx: true), host.BaseAddress),
                (new Leg(Valid, "/v1/data/bench", valid, Expect2xx: true), host.BaseAddress),
                (new Leg(Scoped, "/v1/orders/bench", scoped, Expect2xx: true), host.BaseAddress),
                (new Leg(Restricted, "/v1/data/bench", restricted, Expect2xx: true), host.BaseAddress),
                (new Leg(Revoked, "/v1/data/bench", revoked.ApiKey, Expect2xx: false), host.BaseAddress),
            };

            // Tiered compilation and dynamic PGO take a while to settle on one core (see ProbeBench).
            foreach (var (leg, target) in legs)
            {
                await Wrk.RunAsync(options, target, leg, options.WarmUpSeconds);
            }

            var results = legs.ToDictionary(l => l.Leg.Name, _ => new List<WrkResult>());
            var calls = legs.ToDictionary(l => l.Leg.Name, _ => (Calls: 0L, Signed: 0L));
            var ratios = new Dictionary<string, List<double>> { ["gateway / bare"] = [], ["scoped / bare"] = [], ["restricted / bare"] = [], ["revoked / bare"] = [], ["bare / direct"] = [] };
            for (var round = 1; round <= options.Rounds; round++)
            {
                var order = round % 2 == 1 ? legs : legs.Reverse().ToArray();
                var thisRound = new Dictionary<string, double>();
                foreach (var (leg, target) in order)
                {
                    // Let the last leg's requests in flight land before counting what this one sends upstream.
                    await Task.Delay(250);
                    var before = await upstream.CountsAsync();
                    var result = await Wrk.RunAsync(options, target, leg, options.Seconds);
                    await Task.Delay(250);
                    var after = await upstream.CountsAsync();
                    var seen = calls[leg.Name];
                    // The direct leg's count includes nothing else; the counting request itself is not counted.
                    calls[leg.Name] = (seen.Calls + after.Calls - before.Calls, seen.Signed + after.Signed - before.Signed);
                    results[leg.Name].Add(result);
                    thisRound[leg.Name] = result.RequestsPerSecond;
                    Console.WriteLine($"  round {round} {leg.Name,-26} {result}");
                }

                ratios["gateway / bare"].Add(thisRound[Valid] / thisRound[Bare]);
                ratios["scoped / bare"].Add(thisRound[Scoped] / thisRound[Bare]);
                ratios["restricted / bare"].Add(thisRound[Restricted] / thisRound[Bare]);
                ratios["revoked / bare"].Add(thisRound[Revoked] / thisRound[Bare]);
                ratios["bare / direct"].Add(thisRound[Bare] / thisRound[Direct]);
            }

            var report = new List<string> { "", "summary (medians of the rounds)", $"  {"leg",-26} {"req/s",9}  {"p50",9}  {"p99",9}  upstream calls (with Idunox-Identity)" };
            foreach (var (leg, _) in legs)
            {
                var r = results[leg.Name];
                report.Add(Invariant($"  {leg.Name,-26} {ProbeBench.Median(r.Select(x => x.RequestsPerSecond)),9:N0}  {ProbeBench.Median(r.Select(x => x.P50Ms)),6:0.00} ms  {ProbeBench.Median(r.Select(x => x.P99Ms)),6:0.00} ms  {calls[leg.Name].Calls:N0} ({calls[leg.Name].Signed:N0}) for {r.Sum(x => x.Requests):N0} answers"));
            }

            report.Add("");
            report.Add(Ratio(ratios, "gateway / bare", "target >= 0.90", r => r >= 0.90));
            report.Add(Ratio(ratios, "scoped / bare", "no target (a scope check on top)", null));
            report.Add(Ratio(ratios, "restricted / bare", "target >= 0.85 (a 50-entry allow-list and a rate limit on the key)", r => r >= 0.85));
            report.Add(Ratio(ratios, "revoked / bare", "target >= 1.0 with 0 upstream calls", r => r >= 1.0 && calls[Revoked].Calls == 0));
            report.Add(Ratio(ratios, "bare / direct", "no target (what passing through the host costs)", null));
            report.Add(Invariant($"  upstream calls during the revoked leg: {calls[Revoked].Calls}"));

            // Latency when not saturated: the gateway at about half its peak, and the bare route at the rate it reached.
            var peak = ProbeBench.Median(results[Valid].Select(x => x.RequestsPerSecond));
            var pacedGateway = await Wrk.RunPacedAsync(options, host.BaseAddress, legs[2].Leg, peak / 2);
            var pacedBare = await Wrk.RunPacedAsync(options, host.BaseAddress, legs[1].Leg, pacedGateway.RequestsPerSecond);
            var added = pacedGateway.P99Ms - pacedBare.P99Ms;
            report.Add("");
            report.Add(Invariant($"  gateway at about half its peak: {pacedGateway.RequestsPerSecond:N0} req/s ({pacedGateway.RequestsPerSecond / peak:P0} of peak)  p50 {pacedGateway.P50Ms:0.00} ms  p99 {pacedGateway.P99Ms:0.00} ms"));
            report.Add(Invariant($"  bare route at the same rate:    {pacedBare.RequestsPerSecond:N0} req/s  p50 {pacedBare.P50Ms:0.00} ms  p99 {pacedBare.P99Ms:0.00} ms"));
            report.Add(Invariant($"  p99 added by the key check: {added:0.00} ms (target <= 1 ms: {Met(added <= 1.0)})"));

            report.Add("");
            report.Add(await UploadAsync(client, host, upstream, valid, chunked: false));
            report.Add(await UploadAsync(client, host, upstream, valid, chunked: true));
            report.Add(await DownloadAsync(client, host, valid));

            foreach (var line in report)
            {
                Console.WriteLine(line);
            }

            return 0;
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    /// <summary>The probe's settings on SQLite, in the benchmark's environment, with the gateway's routes to the upstream.</summary>
    private static Dictionary<string, string> HostSettings(string database, Uri upstream)
    {
        var settings = ProbeBench.HostSettings("sqlite", $"Data Source={database}");
        settings["ASPNETCORE_ENVIRONMENT"] = "Benchmark"; // where Metadata:KeyCheck=none is allowed
        using var signing = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        settings["Gateway__SigningKeys__0"] = signing.ExportPkcs8PrivateKeyPem();
        settings["Gateway__Clusters__data__Destinations__one__Address"] = upstream.ToString();
        foreach (var (route, path) in new[] { ("bare", "bare"), ("data", "data"), ("orders", "orders"), ("invoices", "invoices") })
        {
            settings[$"Gateway__Routes__{route}__ClusterId"] = "data";
            settings[$"Gateway__Routes__{route}__Match__Path"] = $"/v1/{path}/{{**rest}}";
        }

        settings["Gateway__Routes__bare__Metadata__KeyCheck"] = "none";
        settings["Gateway__Routes__orders__Metadata__Scope"] = "orders:read";
        settings["Gateway__Routes__invoices__Metadata__Scope"] = "invoices:read"; // only for the check that the scope is enforced
        return settings;
    }

    /// <summary>Each leg answers what it should before anything is measured.</summary>
    private static async Task<string> CheckAsync(HttpClient client, Uri upstream, Uri host, string valid, string revoked, string scoped)
    {
        var expectations = new (Uri Target, string Path, string? Key, HttpStatusCode Status, string? Code)[]
        {
            (upstream, "/v1/data/bench", null, HttpStatusCode.OK, null),
            (host, "/v1/bare/bench", null, HttpStatusCode.OK, null),
            (host, "/v1/data/bench", null, HttpStatusCode.Unauthorized, null),
            (host, "/v1/data/bench", valid, HttpStatusCode.OK, null),
            (host, "/v1/data/bench", revoked, HttpStatusCode.Unauthorized, null),
            (host, "/v1/orders/bench", scoped, HttpStatusCode.OK, null),
            (host, "/v1/orders/bench", valid, HttpStatusCode.OK, null),
            (host, "/v1/invoices/bench", scoped, HttpStatusCode.Forbidden, "api_key_scope_missing"),
        };
        var seen = new List<string>();
        foreach (var (target, path, key, status, code) in expectations)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(target, path));
            if (key is not null)
            {
                request.Headers.Add("X-Api-Key", key);
            }

            using var answer = await client.SendAsync(request);
            var body = await answer.Content.ReadAsStringAsync();
            var wrong = answer.StatusCode != status
                || (status == HttpStatusCode.OK && body != System.Text.Encoding.UTF8.GetString(GatewayUpstream.Body))
                || (code is not null && !body.Contains($"\"{code}\"", StringComparison.Ordinal));
            if (wrong)
            {
                throw new InvalidOperationException($"GET {target.Port}{path} with {(key == valid ? "the valid key" : key == revoked ? "the revoked key" : key == scoped ? "the scoped key" : "no key")}: expected {(int)status} {code}, got {(int)answer.StatusCode}: {body}");
            }

            var problemCode = status == HttpStatusCode.OK ? "" : " " + (System.Text.RegularExpressions.Regex.Match(body, "\"code\":\"([^\"]+)\"").Groups[1].Value);
            seen.Add($"{path}{(key is null ? "" : key == valid ? " valid" : key == revoked ? " revoked" : " scoped")} {(int)answer.StatusCode}{problemCode}");
        }

        return string.Join("; ", seen);
    }

    /// <summary>100 MB posted through the gateway, with its length (<c>Content-Length</c>) or without (chunked).</summary>
    private static async Task<string> UploadAsync(HttpClient client, BenchHost host, UpstreamProcess upstream, string key, bool chunked)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(host.BaseAddress, "/v1/data/upload")) { Content = new GeneratedBody(TransferBytes, chunked) };
        request.Headers.Add("X-Api-Key", key);
        var before = await upstream.CountsAsync();
        var (outcome, memory, elapsed) = await WithRssAsync(host.ProcessId, async () =>
        {
            using var answer = await client.SendAsync(request);
            return (Status: (int)answer.StatusCode, Body: await answer.Content.ReadAsStringAsync());
        });
        var after = await upstream.CountsAsync();
        var received = System.Text.RegularExpressions.Regex.Match(outcome.Body, "\"bytes\":(\\d+)") is { Success: true } m ? long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : -1;
        var what = chunked ? "upload of 100 MB, chunked," : "upload of 100 MB with its Content-Length";
        var head = outcome.Status == 200 && received == TransferBytes
            ? Invariant($"  {what} through the gateway (valid key, streamed from a generator): {elapsed.TotalSeconds:0.00} s ({TransferBytes / 1048576.0 / elapsed.TotalSeconds:0} MB/s); the upstream received {received:N0} bytes (exactly 100 MB: yes) in {after.Calls - before.Calls} call(s)")
            : Invariant($"  {what} through the gateway FAILED: {outcome.Status} {outcome.Body.Trim()} (the upstream received {(received < 0 ? "?" : received.ToString("N0", CultureInfo.InvariantCulture))} bytes in {after.Calls - before.Calls} call(s))");
        return head + Environment.NewLine + memory;
    }

    private static async Task<string> DownloadAsync(HttpClient client, BenchHost host, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(host.BaseAddress, $"/v1/data/download?bytes={TransferBytes}"));
        request.Headers.Add("X-Api-Key", key);
        var (outcome, memory, elapsed) = await WithRssAsync(host.ProcessId, async () =>
        {
            using var answer = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            await using var body = await answer.Content.ReadAsStreamAsync();
            var buffer = new byte[64 * 1024];
            long total = 0;
            int read;
            while ((read = await body.ReadAsync(buffer)) > 0)
            {
                total += read;
            }

            return (Status: (int)answer.StatusCode, Total: total);
        });
        var head = outcome.Status == 200 && outcome.Total == TransferBytes
            ? Invariant($"  download of 100 MB through the gateway (valid key, streamed by the upstream): {elapsed.TotalSeconds:0.00} s ({TransferBytes / 1048576.0 / elapsed.TotalSeconds:0} MB/s); the client received {outcome.Total:N0} bytes (exactly 100 MB: yes)")
            : Invariant($"  download of 100 MB through the gateway FAILED: {outcome.Status}, the client received {outcome.Total:N0} bytes");
        return head + Environment.NewLine + memory;
    }

    /// <summary>
    /// Runs a transfer while sampling the host's RSS (before, every 50 ms during, and after), and words the growth. The
    /// kernel's own peak (VmHWM) is reset first where it may be (<c>/proc/&lt;pid&gt;/clear_refs</c>, as root), so a peak
    /// between two samples is seen too.
    /// </summary>
    private static async Task<(T Outcome, string Memory, TimeSpan Elapsed)> WithRssAsync<T>(int pid, Func<Task<T>> transfer)
    {
        bool kernelPeak;
        try
        {
            await File.WriteAllTextAsync($"/proc/{pid}/clear_refs", "5");
            kernelPeak = true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            kernelPeak = false;
        }

        var before = await HostMemory.RssAsync(pid);
        var peak = before;
        using var stop = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                peak = Math.Max(peak, await HostMemory.RssAsync(pid));
                await Task.Delay(50, CancellationToken.None);
            }
        });
        var clock = Stopwatch.StartNew();
        T outcome;
        try
        {
            outcome = await transfer();
        }
        finally
        {
            stop.Cancel();
            await sampler;
        }

        var elapsed = clock.Elapsed;
        var after = await HostMemory.RssAsync(pid);
        peak = Math.Max(peak, after);
        if (kernelPeak)
        {
            var hwm = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            peak = Math.Max(peak, long.Parse(hwm.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024);
        }

        var growth = (peak - before) / 1048576.0;
        return (outcome, Invariant(
            $"    host RSS: before {before / 1048576.0:0.0} MB, peak during {peak / 1048576.0:0.0} MB ({(kernelPeak ? "VmHWM reset before, and samples" : "samples every 50 ms")}), after {after / 1048576.0:0.0} MB: growth {growth:0.0} MB (target < 30 MB: {Met(growth < 30)})"), elapsed);
    }

    private static string Ratio(Dictionary<string, List<double>> ratios, string name, string target, Func<double, bool>? met)
    {
        var median = ProbeBench.Median(ratios[name]);
        var rounds = string.Join(" ", ratios[name].Select(x => x.ToString("0.00", CultureInfo.InvariantCulture)));
        return Invariant($"  {name,-15} {median:0.00} (rounds {rounds})  {target}{(met is null ? "" : $": {Met(met(median))}")}");
    }

    private static string Met(bool met) => met ? "met" : "NOT met";

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// A request body of the given length made as it is sent (one 64 KB buffer again and again), never held whole; its
    /// length is announced unless <paramref name="chunked"/>.
    /// </summary>
    private sealed class GeneratedBody(long length, bool chunked) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            var chunk = new byte[64 * 1024];
            Array.Fill(chunk, (byte)'x');
            for (long sent = 0; sent < length; sent += chunk.Length)
            {
                await stream.WriteAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, length - sent)));
            }
        }

        protected override bool TryComputeLength(out long size)
        {
            size = length;
            return !chunked;
        }
    }
}
