using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Idunox.Credentials.Keys;
using Npgsql;

namespace Idunox.Benchmarks;

/// <summary>
/// <c>build/bench.sh probe</c>: the data API's key check over HTTP, against a bare endpoint in the same run. The built
/// host (Release) runs pinned to core 0 and wrk to core 1; the legs (<c>/health/live</c>, the probe with a valid key, with a
/// valid key whose 50-entry IP allow-list admits the caller last,
/// with a well-formed never-issued key, with garbage) alternate, several rounds, on SQLite and on PostgreSQL. Then the
/// probe's latency at about half its peak rate, and how long a key revoked on host A stays accepted by host B.
/// </summary>
internal static class ProbeBench
{
    private const string Email = "bench@example.com";
    private const string Password = "bench-password-1234";

    public static async Task<int> RunAsync(string[] args)
    {
        var options = BenchOptions.Parse(args);
        Console.WriteLine($"probe benchmark: {options.Rounds} rounds of {options.Seconds} s a leg, wrk {options.Connections} connections, host on core 0, wrk on core 1");
        var report = new List<string>();
        foreach (var provider in options.Providers)
        {
            report.AddRange(await RunProviderAsync(options, provider));
        }

        Console.WriteLine();
        Console.WriteLine("summary");
        foreach (var line in report)
        {
            Console.WriteLine(line);
        }

        return 0;
    }

    private static async Task<List<string>> RunProviderAsync(BenchOptions options, string provider)
    {
        Console.WriteLine();
        Console.WriteLine($"== {provider} ==");
        var work = Directory.CreateTempSubdirectory("idunox-probe-");
        var connection = provider == "sqlite"
            ? $"Data Source={Path.Combine(work.FullName, "bench.db")}"
            : await FreshDatabaseAsync(options.Postgres!, "idunox_bench");
        var settings = HostSettings(provider, connection);
        try
        {
            await ArrangePartnerAsync(options.HostDll, settings);
            await using var host = await BenchHost.StartAsync(options.HostDll, settings, core: 0);
            using var api = await SignInAsync(host.BaseAddress);
            var valid = (await api.CreateKeyAsync("bench valid")).ApiKey;
            // The worst case of the allow-list check (50 ranges, the caller's 127.0.0.0/8 last) and a rate limit counted on
            // every request (high enough never to refuse one here).
            var fenced = (await api.CreateKeyAsync("bench allow-list", ipAllowList: AllowListOf50, rateLimit: UnreachedRateLimit)).ApiKey;
            var unknown = ApiKeyFormat.Generate("live");
            const string garbage = "idx_live_this-is-not-a-key";
            await api.ExpectAsync(valid, HttpStatusCode.OK);
            await api.ExpectAsync(fenced, HttpStatusCode.OK);
            await api.ExpectAsync(unknown, HttpStatusCode.Unauthorized, "api_key_invalid");
            await api.ExpectAsync(garbage, HttpStatusCode.Unauthorized, "api_key_malformed");

            var legs = new Leg[]
            {
                new("/health/live", "/health/live", null, Expect2xx: true),
                new("probe, valid key", "/v1/partner-auth-probe", valid, Expect2xx: true),
                new("probe, valid key, allow-list, rate limit", "/v1/partner-auth-probe", fenced, Expect2xx: true),
                new("probe, never-issued key", "/v1/partner-auth-probe", unknown, Expect2xx: false),
                new("probe, garbage", "/v1/partner-auth-probe", garbage, Expect2xx: false),
            };

            // Warm up every path before measuring: on one core, tiered compilation and dynamic PGO take the better part of
            // a minute to settle (the first seconds run at a third of the steady rate).
            foreach (var leg in legs)
            {
                await Wrk.RunAsync(options, host.BaseAddress, leg, options.WarmUpSeconds);
            }

            var statementsBefore = provider == "postgres" ? await Statements.ReadAsync(options.Postgres!) : null;
            var results = legs.ToDictionary(l => l.Name, _ => new List<WrkResult>());
            var ratios = legs.ToDictionary(l => l.Name, _ => new List<double>());
            var validSeconds = 0.0;
            for (var round = 1; round <= options.Rounds; round++)
            {
                // Alternate the order each round so no leg always runs on a warmer (or hotter) machine.
                var order = round % 2 == 1 ? legs : legs.Reverse().ToArray();
                var thisRound = new Dictionary<string, WrkResult>();
                foreach (var leg in order)
                {
                    var result = await Wrk.RunAsync(options, host.BaseAddress, leg, options.Seconds);
                    thisRound[leg.Name] = result;
                    results[leg.Name].Add(result);
                    if (leg.Key == valid)
                    {
                        validSeconds += result.Seconds;
                    }

                    Console.WriteLine($"  round {round} {leg.Name,-26} {result}");
                }

                foreach (var leg in legs)
                {
                    ratios[leg.Name].Add(thisRound[leg.Name].RequestsPerSecond / thisRound["/health/live"].RequestsPerSecond);
                }
            }

            // A refusal leg that turned into 429s would measure the wrong thing: check the answers are still the refusals.
            await api.ExpectAsync(unknown, HttpStatusCode.Unauthorized, "api_key_invalid");
            await api.ExpectAsync(garbage, HttpStatusCode.Unauthorized, "api_key_malformed");

            var lines = new List<string> { $"{provider}:" };
            foreach (var leg in legs)
            {
                var r = results[leg.Name];
                lines.Add(string.Create(CultureInfo.InvariantCulture,
                    $"  {leg.Name,-26} {Median(r.Select(x => x.RequestsPerSecond)),9:N0} req/s  p50 {Median(r.Select(x => x.P50Ms)),6:0.00} ms  p99 {Median(r.Select(x => x.P99Ms)),6:0.00} ms  ratio to /health/live {Median(ratios[leg.Name]):0.00} (rounds {string.Join(" ", ratios[leg.Name].Select(x => x.ToString("0.00", CultureInfo.InvariantCulture)))})"));
            }

            if (statementsBefore is not null)
            {
                var after = await Statements.ReadAsync(options.Postgres!);
                var lookups = after.KeyLookups - statementsBefore.KeyLookups;
                var validRequests = results["probe, valid key"].Sum(x => x.Requests);
                lines.Add(string.Create(CultureInfo.InvariantCulture,
                    $"  key lookups by hash while measuring: {lookups} for {validRequests:N0} valid-key and {results["probe, never-issued key"].Sum(x => x.Requests):N0} never-issued-key requests over {validSeconds:0} s each (cache lifetime 30 s); SQL statements of any kind: {after.All - statementsBefore.All}"));
            }

            // Latency when not saturated: about half the valid-key probe's peak.
            var peak = Median(results["probe, valid key"].Select(x => x.RequestsPerSecond));
            var paced = await Wrk.RunPacedAsync(options, host.BaseAddress, legs[1], peak / 2);
            lines.Add(string.Create(CultureInfo.InvariantCulture,
                $"  probe at about half its peak: {paced.RequestsPerSecond:N0} req/s ({paced.RequestsPerSecond / peak:P0} of peak)  p50 {paced.P50Ms:0.00} ms  p99 {paced.P99Ms:0.00} ms"));
            // The baseline's tail at the same rate: what the machine and the server add with no key check at all.
            var pacedLive = await Wrk.RunPacedAsync(options, host.BaseAddress, legs[0], paced.RequestsPerSecond);
            lines.Add(string.Create(CultureInfo.InvariantCulture,
                $"  /health/live at the same rate: {pacedLive.RequestsPerSecond:N0} req/s  p50 {pacedLive.P50Ms:0.00} ms  p99 {pacedLive.P99Ms:0.00} ms"));

            if (provider == "postgres")
            {
                await using var hostB = await BenchHost.StartAsync(options.HostDll, settings, core: 0);
                lines.Add(await RevocationAcrossHostsAsync(api, hostB.BaseAddress, options.Revocations));
                lines.Add(await RateLimitAcrossHostsAsync(api, host.BaseAddress, hostB.BaseAddress));
            }

            return lines;
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    /// <summary>50 allow-list entries, the caller's (127.0.0.0/8) last: the allow-list check's worst case.</summary>
    internal static readonly object AllowListOf50 = new
    {
        mode = "enforce",
        entries = Enumerable.Range(0, 49).Select(i => $"10.{i}.0.0/16").Append("127.0.0.0/8").ToArray(),
    };

    /// <summary>A rate limit every request is counted against, never reached by one core's traffic.</summary>
    internal static readonly object UnreachedRateLimit = new { perSecond = 100_000, perMinute = 6_000_000 };

    /// <summary>
    /// Two hosts share a key limited to 200 requests a second; its caller sends 3× that, alternating hosts, for 60 s: the
    /// requests served against the limit (the overshoot), and each host's part.
    /// </summary>
    private static async Task<string> RateLimitAcrossHostsAsync(PartnerApi api, Uri hostA, Uri hostB)
    {
        const int limit = 200, seconds = 60, rate = limit * 3;
        var key = (await api.CreateKeyAsync("rate limited", rateLimit: new { perSecond = limit })).ApiKey;
        await Task.Delay(TimeSpan.FromSeconds(11)); // two heartbeats (every 5 s): each host has seen the other
        using var a = new HttpClient { BaseAddress = hostA };
        using var b = new HttpClient { BaseAddress = hostB };
        var served = new int[2];
        var refused = 0;
        var other = 0;
        var calls = new List<Task>(rate * seconds);
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < rate * seconds; i++)
        {
            var due = TimeSpan.FromSeconds((double)i / rate);
            if (due > clock.Elapsed)
            {
                await Task.Delay(due - clock.Elapsed);
            }

            var side = i % 2;
            calls.Add(Task.Run(async () =>
            {
                using var answer = await ProbeAsync(side == 0 ? a : b, key);
                switch (answer.StatusCode)
                {
                    case HttpStatusCode.OK:
                        Interlocked.Increment(ref served[side]);
                        break;
                    case HttpStatusCode.TooManyRequests:
                        Interlocked.Increment(ref refused);
                        break;
                    default:
                        Interlocked.Increment(ref other);
                        break;
                }
            }));
        }

        await Task.WhenAll(calls);
        var elapsed = clock.Elapsed.TotalSeconds;
        var total = served[0] + served[1];
        var allowed = limit * Math.Ceiling(elapsed); // every clock second the run touched
        return string.Create(CultureInfo.InvariantCulture,
            $"  rate limit {limit}/s shared by two hosts, {rate}/s sent for {elapsed:0.0} s: served {total} ({total / elapsed:0.0}/s; host A {served[0]}, host B {served[1]}), refused 429 {refused}, other {other}; overshoot {(total / allowed) - 1:+0.0%;-0.0%} of the limit over the seconds touched");
    }

    /// <summary>Create on A, use on B (so B caches it), revoke on A, then ask B until it refuses: the time B still accepted it.</summary>
    private static async Task<string> RevocationAcrossHostsAsync(PartnerApi hostA, Uri hostB, int count)
    {
        using var b = new HttpClient { BaseAddress = hostB };
        var latencies = new List<double>();
        var longest = 0.0;
        for (var i = 0; i < count; i++)
        {
            var created = await hostA.CreateKeyAsync($"revocation {i}");
            using (var first = await ProbeAsync(b, created.ApiKey))
            {
                if (first.StatusCode != HttpStatusCode.OK)
                {
                    throw new InvalidOperationException($"host B refused a fresh key: {(int)first.StatusCode}");
                }
            }

            await hostA.RevokeAsync(created.Credential.Id);
            var revoked = Stopwatch.StartNew();
            while (true)
            {
                using var answer = await ProbeAsync(b, created.ApiKey);
                if (answer.StatusCode == HttpStatusCode.Unauthorized)
                {
                    break;
                }

                if (revoked.Elapsed > TimeSpan.FromSeconds(45))
                {
                    throw new InvalidOperationException("host B still accepted a revoked key after 45 s");
                }
            }

            latencies.Add(revoked.Elapsed.TotalMilliseconds);
            longest = Math.Max(longest, revoked.Elapsed.TotalMilliseconds);
        }

        latencies.Sort();
        return string.Create(CultureInfo.InvariantCulture,
            $"  revocation on host A refused by host B ({count} revocations): p50 {Percentile(latencies, 0.50):0.0} ms  p99 {Percentile(latencies, 0.99):0.0} ms  max {longest:0.0} ms");
    }

    private static Task<HttpResponseMessage> ProbeAsync(HttpClient client, string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/v1/partner-auth-probe");
        request.Headers.Add("X-Api-Key", key);
        return client.SendAsync(request);
    }

    /// <summary>A migrated database with one organisation and its partner user (who signs in with <see cref="SignInAsync"/>).</summary>
    internal static async Task ArrangePartnerAsync(string hostDll, IReadOnlyDictionary<string, string> settings)
    {
        await BenchHost.VerbAsync(hostDll, settings, null, "migrate");
        await BenchHost.VerbAsync(hostDll, settings, null, "tenants", "add", "--name", "Bench Partner", "--slug", "bench");
        await BenchHost.VerbAsync(hostDll, settings, Password, "partners", "add", "--tenant", "bench", "--email", Email, "--password-stdin");
    }

    /// <summary>The partner of <see cref="ArrangePartnerAsync"/>, signed in to the running host.</summary>
    internal static async Task<PartnerApi> SignInAsync(Uri host)
    {
        var api = new PartnerApi(host);
        await api.SignInAsync(Email, Password);
        return api;
    }

    internal static Dictionary<string, string> HostSettings(string provider, string connection) => new()
    {
        ["ASPNETCORE_ENVIRONMENT"] = "Staging",
        ["Database__Provider"] = provider == "sqlite" ? "Sqlite" : "Postgres",
        ["ConnectionStrings__Idunox"] = connection,
        ["Jwt__SigningKey"] = "bench-signing-key-bench-signing-key-0123456789",
        ["Jobs__Storage"] = provider == "sqlite" ? "InMemory" : "Postgres",
        ["Email__Mode"] = "Pickup",
        ["Email__PickupDirectory"] = Path.Combine(Path.GetTempPath(), "idunox-bench-mail"),
        // The refusal legs measure what a refusal costs, not the 429 an address gets after 60 refusals a minute.
        ["Credentials__Verification__RefusalsPerAddressPerMinute"] = "1000000000",
    };

    internal static async Task<string> FreshDatabaseAsync(string server, string name)
    {
        await using (var admin = new NpgsqlConnection(server))
        {
            await admin.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE); CREATE DATABASE {name};", admin);
            await drop.ExecuteNonQueryAsync();
            await using var extension = new NpgsqlCommand("CREATE EXTENSION IF NOT EXISTS pg_stat_statements", admin);
            await extension.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString;
    }

    internal static double Median(IEnumerable<double> values) => Percentile(values.Order().ToList(), 0.5);

    private static double Percentile(IReadOnlyList<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];

    private sealed record Statements(long KeyLookups, long All)
    {
        public static async Task<Statements> ReadAsync(string server)
        {
            await using var connection = new NpgsqlConnection(server);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(
                """
                SELECT coalesce(sum(calls) FILTER (WHERE query ILIKE '%api_keys%' AND query ILIKE '%.hash = $%'), 0)::bigint,
                       coalesce(sum(calls) FILTER (WHERE query NOT ILIKE '%pg_stat_statements%'), 0)::bigint
                FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = 'idunox_bench')
                """, connection);
            await using var reader = await command.ExecuteReaderAsync();
            await reader.ReadAsync();
            return new Statements(reader.GetInt64(0), reader.GetInt64(1));
        }
    }
}

internal sealed record BenchOptions(string HostDll, string WrkPath, string? Postgres, int Seconds, int Rounds, int Connections, int Revocations, int WarmUpSeconds, int WrkCore = 1)
{
    public IEnumerable<string> Providers => Postgres is null ? ["sqlite"] : ["sqlite", "postgres"];

    public static BenchOptions Parse(string[] args, int rounds = 5)
    {
        string Value(string name, string fallback) => BenchArgs.Value(args, name, fallback);

        return new BenchOptions(
            Value("--host", "host/Idunox.Host/bin/Release/net10.0/Idunox.Host.dll"),
            Value("--wrk", "wrk"),
            BenchArgs.Postgres,
            int.Parse(Value("--seconds", "8"), CultureInfo.InvariantCulture),
            int.Parse(Value("--rounds", rounds.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture),
            int.Parse(Value("--connections", "32"), CultureInfo.InvariantCulture),
            int.Parse(Value("--revocations", "200"), CultureInfo.InvariantCulture),
            int.Parse(Value("--warm-up", "15"), CultureInfo.InvariantCulture));
    }
}

internal sealed record Leg(string Name, string Path, string? Key, bool Expect2xx);

internal sealed record WrkResult(long Requests, double Seconds, double P50Ms, double P99Ms, long Non2xx, long SocketErrors)
{
    public double RequestsPerSecond => Requests / Seconds;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{RequestsPerSecond,9:N0} req/s  p50 {P50Ms,6:0.00} ms  p99 {P99Ms,6:0.00} ms  non-2xx {Non2xx}  socket errors {SocketErrors}");
}

/// <summary>Runs wrk (pinned to <see cref="BenchOptions.WrkCore"/>, core 1 unless a benchmark says otherwise) with a small Lua script that prints one line of figures.</summary>
internal static class Wrk
{
    private static readonly string Script = WriteScript();

    public static Task<WrkResult> RunAsync(BenchOptions options, Uri host, Leg leg, int seconds) =>
        RunCoreAsync(options, host, leg, seconds, options.Connections, delayMs: 0);

    /// <summary>wrk cannot hold a fixed rate; each connection waits 1 ms after every answer, with as many connections as the target needs.</summary>
    public static async Task<WrkResult> RunPacedAsync(BenchOptions options, Uri host, Leg leg, double target)
    {
        var connections = 4;
        WrkResult result = await RunCoreAsync(options, host, leg, 3, connections, delayMs: 1);
        for (var attempt = 0; attempt < 3; attempt++)
        {
            connections = Math.Clamp((int)Math.Round(connections * target / result.RequestsPerSecond), 1, 256);
            result = await RunCoreAsync(options, host, leg, attempt == 2 ? options.Seconds : 3, connections, delayMs: 1);
            if (Math.Abs(result.RequestsPerSecond - target) / target < 0.1 && attempt < 2)
            {
                result = await RunCoreAsync(options, host, leg, options.Seconds, connections, delayMs: 1);
                break;
            }
        }

        return result;
    }

    private static async Task<WrkResult> RunCoreAsync(BenchOptions options, Uri host, Leg leg, int seconds, int connections, int delayMs)
    {
        var arguments = new List<string> { "-c", options.WrkCore.ToString(CultureInfo.InvariantCulture), options.WrkPath, "-t", "1", "-c", connections.ToString(CultureInfo.InvariantCulture), "-d", $"{seconds}s", "--timeout", "5s", "-s", Script };
        if (leg.Key is not null)
        {
            arguments.AddRange(["-H", $"X-Api-Key: {leg.Key}"]);
        }

        arguments.Add(new Uri(host, leg.Path).ToString());
        var info = new ProcessStartInfo("taskset") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["IDUNOX_WRK_DELAY_MS"] = delayMs.ToString(CultureInfo.InvariantCulture);
        using var process = Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var line = output.Split('\n').FirstOrDefault(l => l.StartsWith("IDUNOX ", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"wrk printed no result: {output} {error}");
        var f = line.Split(' ');
        var result = new WrkResult(
            long.Parse(f[1], CultureInfo.InvariantCulture), double.Parse(f[2], CultureInfo.InvariantCulture) / 1e6,
            double.Parse(f[3], CultureInfo.InvariantCulture) / 1000, double.Parse(f[4], CultureInfo.InvariantCulture) / 1000,
            long.Parse(f[5], CultureInfo.InvariantCulture), long.Parse(f[6], CultureInfo.InvariantCulture));
        var wrongAnswers = leg.Expect2xx ? result.Non2xx : result.Requests - result.Non2xx;
        if (wrongAnswers > 0 || result.SocketErrors > 0)
        {
            throw new InvalidOperationException($"{leg.Name}: {wrongAnswers} unexpected answers and {result.SocketErrors} socket errors: {result}");
        }

        return result;
    }

    private static string WriteScript()
    {
        var path = Path.Combine(Path.GetTempPath(), "idunox-wrk-report.lua");
        File.WriteAllText(path,
            """
            local pause = tonumber(os.getenv("IDUNOX_WRK_DELAY_MS") or "0")
            if pause > 0 then
              delay = function() return pause end
            end
            done = function(summary, latency, requests)
              local e = summary.errors
              io.write(string.format("IDUNOX %d %d %d %d %d %d\n", summary.requests, summary.duration,
                latency:percentile(50), latency:percentile(99), e.status, e.connect + e.read + e.write + e.timeout))
            end
            """);
        return path;
    }
}

/// <summary>A verb's run: its answer, its wall time, its peak resident memory and the CPU time it used (user + system, read from <c>/proc</c> while it ran: the last 25 ms are not seen).</summary>
internal sealed record VerbRun(int ExitCode, string Out, string Error, TimeSpan Elapsed, long PeakBytes, TimeSpan Cpu);

/// <summary>The built host as a separate process (pinned to a core), and its command-line verbs.</summary>
internal sealed class BenchHost : IAsyncDisposable
{
    private readonly Process _process;

    private BenchHost(Process process, Uri baseAddress) => (_process, BaseAddress) = (process, baseAddress);

    public Uri BaseAddress { get; }

    public int ProcessId => _process.Id;

    /// <summary>What every benchmark's host on PostgreSQL is started with (a benchmark adds its own settings).</summary>
    public static Dictionary<string, string> PostgresSettings(string connectionString) => new()
    {
        ["ASPNETCORE_ENVIRONMENT"] = "Staging",
        ["Database__Provider"] = "Postgres",
        ["ConnectionStrings__Idunox"] = connectionString,
        ["Jwt__SigningKey"] = "bench-signing-key-bench-signing-key-0123456789",
        ["Jobs__Storage"] = "Postgres",
    };

    public static async Task VerbAsync(string hostDll, IReadOnlyDictionary<string, string> settings, string? input, params string[] verb)
    {
        var info = Info(hostDll, settings, null);
        info.RedirectStandardInput = true;
        foreach (var word in verb)
        {
            info.ArgumentList.Add(word);
        }

        using var process = Process.Start(info)!;
        if (input is not null)
        {
            await process.StandardInput.WriteLineAsync(input);
        }

        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{string.Join(' ', verb)} exited {process.ExitCode}: {await output} {await error}");
        }
    }

    /// <summary>
    /// Runs a verb and answers how it went: exit code, output, wall time and the process's peak resident memory
    /// (VmHWM, read from /proc while it runs; the last reading before it exits).
    /// </summary>
    public static async Task<VerbRun> MeasuredVerbAsync(string hostDll, IReadOnlyDictionary<string, string> settings, params string[] verb)
    {
        var info = Info(hostDll, settings, null);
        foreach (var word in verb)
        {
            info.ArgumentList.Add(word);
        }

        var clock = Stopwatch.StartNew();
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        long peak = 0;
        var cpu = TimeSpan.Zero;
        while (!process.HasExited)
        {
            try
            {
                var line = File.ReadLines($"/proc/{process.Id}/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
                if (line is not null)
                {
                    peak = Math.Max(peak, long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024);
                }

                // /proc/<pid>/stat: utime and stime are the 14th and 15th fields, in clock ticks (100 a second), after the
                // command name in parentheses.
                var stat = File.ReadAllText($"/proc/{process.Id}/stat");
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                cpu = TimeSpan.FromSeconds((long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0);
            }
            catch (IOException)
            {
                // exited between the check and the read
            }

            await Task.WhenAny(process.WaitForExitAsync(), Task.Delay(25));
        }

        await process.WaitForExitAsync();
        return new VerbRun(process.ExitCode, await output, await error, clock.Elapsed, peak, cpu);
    }

    public static async Task<BenchHost> StartAsync(string hostDll, IReadOnlyDictionary<string, string> settings, int? core)
    {
        var port = FreePort();
        var baseAddress = new Uri($"http://127.0.0.1:{port}");
        var info = Info(hostDll, settings, core);
        info.Environment["Urls"] = baseAddress.ToString().TrimEnd('/');
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { Console.Error.WriteLine($"  host: {e.Data}"); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var client = new HttpClient { BaseAddress = baseAddress };
        var started = Stopwatch.StartNew();
        while (started.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"the host exited with {process.ExitCode}");
            }

            try
            {
                using var answer = await client.GetAsync("/health/live");
                if (answer.IsSuccessStatusCode)
                {
                    return new BenchHost(process, baseAddress);
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(200);
        }

        process.Kill(entireProcessTree: true);
        throw new InvalidOperationException("the host did not answer /health/live within 60 s");
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

    private static ProcessStartInfo Info(string hostDll, IReadOnlyDictionary<string, string> settings, int? core)
    {
        var info = core is { } c ? new ProcessStartInfo("taskset") : new ProcessStartInfo("dotnet");
        if (core is not null)
        {
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add(core.Value.ToString(CultureInfo.InvariantCulture));
            info.ArgumentList.Add("dotnet");
        }

        info.ArgumentList.Add(Path.GetFullPath(hostDll));
        info.WorkingDirectory = Path.GetDirectoryName(Path.GetFullPath(hostDll));
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        foreach (var (name, value) in settings)
        {
            info.Environment[name] = value;
        }

        return info;
    }

    internal static int FreePort()
    {
        var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}

/// <summary>The partner API as a partner's system uses it: sign in, create and revoke keys, probe.</summary>
internal sealed class PartnerApi(Uri baseAddress) : IDisposable
{
    private readonly HttpClient _client = new() { BaseAddress = baseAddress };

    public async Task SignInAsync(string email, string password)
    {
        using var answer = await _client.PostAsJsonAsync("/v1/partner/auth/login", new { email, password });
        answer.EnsureSuccessStatusCode();
        var token = (await answer.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString();
        _client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    /// <summary>A key valid 30 days, with full access or restricted to <paramref name="scopes"/>.</summary>
    public async Task<Created> CreateKeyAsync(string name, string[]? scopes = null, object? ipAllowList = null, object? rateLimit = null)
    {
        using var answer = await _client.PostAsJsonAsync("/v1/partner/credentials", new { name, expiresInDays = 30, scopes, ipAllowList, rateLimit });
        answer.EnsureSuccessStatusCode();
        return (await answer.Content.ReadFromJsonAsync<Created>(JsonSerializerOptions.Web))!;
    }

    public async Task RevokeAsync(Guid id)
    {
        using var answer = await _client.PostAsync($"/v1/partner/credentials/{id}/revoke", null);
        answer.EnsureSuccessStatusCode();
    }

    public async Task ExpectAsync(string key, HttpStatusCode status, string? code = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/v1/partner-auth-probe");
        request.Headers.Add("X-Api-Key", key);
        using var answer = await _client.SendAsync(request);
        var body = await answer.Content.ReadAsStringAsync();
        if (answer.StatusCode != status || (code is not null && !body.Contains($"\"{code}\"", StringComparison.Ordinal)))
        {
            throw new InvalidOperationException($"expected {(int)status} {code}, got {(int)answer.StatusCode}: {body}");
        }
    }

    public void Dispose() => _client.Dispose();

    internal sealed record Created(string ApiKey, CreatedCredential Credential);

    internal sealed record CreatedCredential(Guid Id);
}
