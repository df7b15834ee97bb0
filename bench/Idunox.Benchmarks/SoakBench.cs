using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;

namespace Idunox.Benchmarks;

/// <summary>
/// <c>build/bench.sh soak [minutes]</c>: the built host (Release, pinned to core 0) on a throwaway PostgreSQL with its
/// job server running, under mixed traffic at a steady rate (<c>--rate</c>, 250 requests a second: about half what one
/// core serves of this mix; <c>--rate 0</c> sends as fast as the host answers) for the given time — the data API's probe with 50 keys of 5 organisations
/// (90 %), the portal's list/create/rotate/revoke (9 %), sign-ins, a third of them with a wrong password (1 %). Prints
/// throughput, p50/p99 per kind, answers by status, and the host's memory (RSS and GC heap) at the start, at minute 2
/// and at the end; memory should be flat after warm-up (growth under 10 % from minute 2) with no 5xx at all.
/// </summary>
internal static class SoakBench
{
    private const string Password = "soak-password-1234";
    private const int Organisations = 5;
    private const int KeysEach = 10;

    private sealed record Options(string HostDll, string Postgres, double Minutes, int Connections, double Rate)
    {
        public static Options Parse(string[] args)
        {
            string Value(string name, string fallback) => BenchArgs.Value(args, name, fallback);

            var postgres = BenchArgs.RequirePostgres("soak");

            var minutes = args.FirstOrDefault(a => double.TryParse(a, CultureInfo.InvariantCulture, out _)) ?? Value("--minutes", "10");
            return new Options(Value("--host", "host/Idunox.Host/bin/Release/net10.0/Idunox.Host.dll"), postgres,
                double.Parse(minutes, CultureInfo.InvariantCulture), int.Parse(Value("--connections", "16"), CultureInfo.InvariantCulture),
                double.Parse(Value("--rate", "250"), CultureInfo.InvariantCulture));
        }
    }

    /// <summary>What one worker saw of one kind of request: latencies (ticks) and answers by status.</summary>
    private sealed class Tally
    {
        public List<long> Ticks { get; } = [];

        public Dictionary<int, long> Statuses { get; } = [];

        public void Add(long ticks, int status)
        {
            Ticks.Add(ticks);
            Statuses[status] = Statuses.GetValueOrDefault(status) + 1;
        }
    }

    private sealed record Partner(int Index, string Email, string[] Keys)
    {
        public string? Token { get; set; }

        /// <summary>Temporary keys in use: rotated or revoked later.</summary>
        public System.Collections.Concurrent.ConcurrentQueue<Guid> Temporary { get; } = new();

        /// <summary>
        /// Rotated keys in their grace, with their successors: the old key is revoked later, and only then may its
        /// successor be rotated (the product refuses to rotate a key whose predecessor still works).
        /// </summary>
        public System.Collections.Concurrent.ConcurrentQueue<(Guid Old, Guid Successor)> Retiring { get; } = new();
    }

    public static async Task<int> RunAsync(string[] args)
    {
        var options = Options.Parse(args);
        var database = await ProbeBench.FreshDatabaseAsync(options.Postgres, "idunox_soak");
        var mail = Directory.CreateTempSubdirectory("idunox-soak-mail-");
        var settings = BenchHost.PostgresSettings(database);
        settings["Email__Mode"] = "Pickup";
        settings["Email__PickupDirectory"] = mail.FullName;
        // One client address sends everything: the per-address limits would measure themselves, not the host.
        settings["Identity__Login__AttemptsPerAddressPerMinute"] = "1000000000";
        settings["Credentials__Verification__RefusalsPerAddressPerMinute"] = "1000000000";
        Console.WriteLine($"soak: {options.Minutes} minutes, {options.Connections} connections, " +
            (options.Rate > 0 ? $"{options.Rate} requests a second" : "as fast as the host answers") + ", host on core 0 with its job server, PostgreSQL");
        try
        {
            await BenchHost.VerbAsync(options.HostDll, settings, null, "migrate");
            var partners = new List<Partner>();
            for (var i = 0; i < Organisations; i++)
            {
                var email = $"soak-{i}@partner.example";
                await BenchHost.VerbAsync(options.HostDll, settings, null, "tenants", "add", "--name", $"Soak Partner {i}", "--slug", $"soak-{i}");
                await BenchHost.VerbAsync(options.HostDll, settings, Password, "partners", "add", "--tenant", $"soak-{i}", "--email", email, "--password-stdin");
                partners.Add(new Partner(i, email, new string[KeysEach]));
            }

            await using var host = await BenchHost.StartAsync(options.HostDll, settings, core: 0);
            using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = options.Connections, PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
            using var client = new HttpClient(handler) { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
            foreach (var partner in partners)
            {
                partner.Token = await SignInAsync(client, partner.Email, Password) ?? throw new InvalidOperationException($"{partner.Email} could not sign in");
                for (var k = 0; k < KeysEach; k++)
                {
                    // Two keys of each organisation expire within the reminder thresholds, so the reminder job has work.
                    using var created = await SendAsync(client, HttpMethod.Post, "/v1/partner/credentials", partner.Token,
                        new { name = $"soak {k}", expiresInDays = k < 2 ? 5 : 90 });
                    created.EnsureSuccessStatusCode();
                    partner.Keys[k] = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("apiKey").GetString()!;
                }
            }

            var started = Stopwatch.StartNew();
            var memory = new List<(string When, long Rss, long? Heap)> { ("start", await HostMemory.RssAsync(host.ProcessId), await HostMemory.GcHeapAsync(host.ProcessId)) };
            var end = TimeSpan.FromMinutes(options.Minutes);
            var workers = Enumerable.Range(0, options.Connections)
                .Select(w => Task.Run(() => WorkAsync(client, partners, w, options.Connections, started, end,
                    options.Rate > 0 ? TimeSpan.FromSeconds(options.Connections / options.Rate) : TimeSpan.Zero))).ToList();

            var minute = 0;
            while (started.Elapsed < end)
            {
                await Task.WhenAny(Task.WhenAll(workers), Task.Delay(TimeSpan.FromMinutes(minute + 1) - started.Elapsed));
                minute++;
                if (started.Elapsed >= end)
                {
                    break;
                }

                var rss = await HostMemory.RssAsync(host.ProcessId);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  minute {minute}: host RSS {rss / 1048576.0:0} MiB"));
                if (minute == 2)
                {
                    memory.Add(("minute 2", rss, await HostMemory.GcHeapAsync(host.ProcessId)));
                }
            }

            var tallies = await Task.WhenAll(workers);
            var elapsed = started.Elapsed;
            memory.Add(("end", await HostMemory.RssAsync(host.ProcessId), await HostMemory.GcHeapAsync(host.ProcessId)));
            Report(tallies, elapsed, memory);
            await ReportJobsAsync(database);
            return 0;
        }
        finally
        {
            mail.Delete(recursive: true);
        }
    }

    /// <summary>
    /// One connection's requests, each at its slot (<paramref name="interval"/> apart, the workers' slots interleaved)
    /// or, with no interval, back to back. Latency is measured from the request's start.
    /// </summary>
    private static async Task<Dictionary<string, Tally>> WorkAsync(
        HttpClient client, List<Partner> partners, int worker, int workers, Stopwatch started, TimeSpan end, TimeSpan interval)
    {
        var random = new Random(worker);
        var tallies = new Dictionary<string, Tally>();
        var signedInAt = DateTime.UtcNow;
        var slot = interval * worker / workers; // spread the workers' slots over the interval
        while (started.Elapsed < end)
        {
            if (interval > TimeSpan.Zero)
            {
                slot += interval;
                if (slot > started.Elapsed)
                {
                    await Task.Delay(slot - started.Elapsed);
                }
            }

            var roll = random.Next(1000);
            var partner = partners[random.Next(partners.Count)];
            var (kind, call) = roll switch
            {
                < 900 => ("probe", () => ProbeAsync(client, partner.Keys[random.Next(KeysEach)])),
                < 990 => PortalCall(client, partner, random),
                _ => random.Next(3) == 0
                    ? ("sign-in, wrong password", () => SignInCallAsync(client, $"nobody-{random.Next()}@partner.example", "not the password"))
                    : ("sign-in", () => SignInCallAsync(client, partner.Email, Password)),
            };
            var before = Stopwatch.GetTimestamp();
            int status;
            try
            {
                status = await call();
            }
            catch (HttpRequestException)
            {
                status = 0; // no answer at all
            }
            catch (TaskCanceledException)
            {
                status = -1; // timed out
            }

            if (!tallies.TryGetValue(kind, out var tally))
            {
                tallies[kind] = tally = new Tally();
            }

            tally.Add(Stopwatch.GetTimestamp() - before, status);
            if (worker == 0 && DateTime.UtcNow - signedInAt > TimeSpan.FromMinutes(45))
            {
                // Portal tokens live 60 minutes: a long soak signs in again, as the portal does.
                foreach (var p in partners)
                {
                    p.Token = await SignInAsync(client, p.Email, Password) ?? p.Token;
                }

                signedInAt = DateTime.UtcNow;
            }
        }

        return tallies;
    }

    /// <summary>
    /// Half lists; the rest changes keys, kept to a handful of temporary keys an organisation (a create or a rotation adds
    /// one, a revocation takes one away; with none to take, it creates, with too many, it revokes).
    /// </summary>
    private static (string, Func<Task<int>>) PortalCall(HttpClient client, Partner partner, Random random)
    {
        var roll = random.Next(100);
        var temporary = partner.Temporary;
        if (roll < 50)
        {
            return ("portal list", () => StatusAsync(client, HttpMethod.Get, "/v1/partner/credentials", partner.Token!, null));
        }

        if ((roll < 58 && temporary.Count < 10) || (temporary.IsEmpty && partner.Retiring.IsEmpty))
        {
            return ("portal create", async () =>
            {
                using var answer = await SendAsync(client, HttpMethod.Post, "/v1/partner/credentials", partner.Token!, new { name = "soak temporary", expiresInDays = 30 });
                if (answer.StatusCode == HttpStatusCode.Created)
                {
                    temporary.Enqueue(await IdOfAsync(answer, "credential"));
                }

                return (int)answer.StatusCode;
            });
        }

        if (roll < 66 && temporary.TryDequeue(out var rotated))
        {
            return ("portal rotate", async () =>
            {
                using var answer = await SendAsync(client, HttpMethod.Post, $"/v1/partner/credentials/{rotated}/rotate", partner.Token!, new { graceHours = 24 });
                if (answer.StatusCode == HttpStatusCode.Created)
                {
                    partner.Retiring.Enqueue((rotated, await IdOfAsync(answer, "credential")));
                }

                return (int)answer.StatusCode;
            });
        }

        if (partner.Retiring.TryDequeue(out var retiring))
        {
            return ("portal revoke", async () =>
            {
                var status = await StatusAsync(client, HttpMethod.Post, $"/v1/partner/credentials/{retiring.Old}/revoke", partner.Token!, null);
                temporary.Enqueue(retiring.Successor);
                return status;
            });
        }

        return temporary.TryDequeue(out var revoked)
            ? ("portal revoke", () => StatusAsync(client, HttpMethod.Post, $"/v1/partner/credentials/{revoked}/revoke", partner.Token!, null))
            : ("portal list", () => StatusAsync(client, HttpMethod.Get, "/v1/partner/credentials", partner.Token!, null));
    }

    private static async Task<Guid> IdOfAsync(HttpResponseMessage answer, string property) =>
        (await answer.Content.ReadFromJsonAsync<JsonElement>()).GetProperty(property).GetProperty("id").GetGuid();

    private static async Task<int> ProbeAsync(HttpClient client, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/partner-auth-probe");
        request.Headers.Add("X-Api-Key", key);
        using var answer = await client.SendAsync(request);
        await answer.Content.LoadIntoBufferAsync();
        return (int)answer.StatusCode;
    }

    private static async Task<int> SignInCallAsync(HttpClient client, string email, string password)
    {
        using var answer = await client.PostAsJsonAsync("/v1/partner/auth/login", new { email, password });
        await answer.Content.LoadIntoBufferAsync();
        return (int)answer.StatusCode;
    }

    private static async Task<string?> SignInAsync(HttpClient client, string email, string password)
    {
        using var answer = await client.PostAsJsonAsync("/v1/partner/auth/login", new { email, password });
        return answer.IsSuccessStatusCode ? (await answer.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString() : null;
    }

    private static async Task<int> StatusAsync(HttpClient client, HttpMethod method, string path, string token, object? body)
    {
        using var answer = await SendAsync(client, method, path, token, body);
        await answer.Content.LoadIntoBufferAsync();
        return (int)answer.StatusCode;
    }

    private static Task<HttpResponseMessage> SendAsync(HttpClient client, HttpMethod method, string path, string token, object? body)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        return client.SendAsync(request);
    }

    private static readonly Dictionary<string, int[]> Expected = new()
    {
        ["probe"] = [200],
        ["portal list"] = [200],
        ["portal create"] = [201],
        ["portal rotate"] = [201],
        ["portal revoke"] = [200],
        ["sign-in"] = [200],
        ["sign-in, wrong password"] = [401],
    };

    private static void Report(Dictionary<string, Tally>[] tallies, TimeSpan elapsed, List<(string When, long Rss, long? Heap)> memory)
    {
        var kinds = tallies.SelectMany(t => t.Keys).Distinct().OrderBy(k => Array.IndexOf(Expected.Keys.ToArray(), k)).ToList();
        var total = tallies.Sum(t => t.Values.Sum(x => x.Ticks.Count));
        Console.WriteLine();
        Console.WriteLine("summary");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {total:N0} requests in {elapsed.TotalMinutes:0.0} minutes: {total / elapsed.TotalSeconds:N0} req/s"));
        long fiveHundreds = 0, unexpected = 0;
        foreach (var kind in kinds)
        {
            var ticks = tallies.Where(t => t.ContainsKey(kind)).SelectMany(t => t[kind].Ticks).Order().ToList();
            var statuses = tallies.Where(t => t.ContainsKey(kind)).SelectMany(t => t[kind].Statuses)
                .GroupBy(s => s.Key).ToDictionary(g => g.Key, g => g.Sum(s => s.Value));
            fiveHundreds += statuses.Where(s => s.Key >= 500).Sum(s => s.Value);
            unexpected += statuses.Where(s => !Expected[kind].Contains(s.Key)).Sum(s => s.Value);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {kind,-24} {ticks.Count,10:N0} ({100.0 * ticks.Count / total,4:0.0} %)  p50 {Ms(ticks, 0.50),7:0.00} ms  p99 {Ms(ticks, 0.99),7:0.00} ms  answers {string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{(s.Key switch { 0 => "no answer", -1 => "timed out", _ => s.Key.ToString(CultureInfo.InvariantCulture) })} × {s.Value:N0}"))}"));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  5xx answers: {fiveHundreds}; answers other than expected: {unexpected}"));
        foreach (var (when, rss, heap) in memory)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  host memory at {when,-9} RSS {rss / 1048576.0,6:0.0} MiB  live GC heap {(heap is { } h ? $"{h / 1048576.0,6:0.0} MiB" : "n/a (dotnet-gcdump missing)")}"));
        }

        if (memory.Count == 3)
        {
            var (_, rss2, heap2) = memory[1];
            var (_, rssEnd, heapEnd) = memory[2];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  growth from minute 2 to the end: RSS {100.0 * (rssEnd - rss2) / rss2:+0.0;-0.0} %  live GC heap {(heap2 is { } a && heapEnd is { } b ? $"{100.0 * (b - a) / a:+0.0;-0.0} %" : "n/a")}  (target: under 10 %)"));
        }
    }

    private static double Ms(List<long> sortedTicks, double p) => sortedTicks.Count == 0
        ? double.NaN
        : sortedTicks[Math.Clamp((int)Math.Ceiling(p * sortedTicks.Count) - 1, 0, sortedTicks.Count - 1)] * 1000.0 / Stopwatch.Frequency;

    /// <summary>What the job server did meanwhile, from Hangfire's own tables.</summary>
    private static async Task ReportJobsAsync(string database)
    {
        try
        {
            await ReadJobsAsync(database);
        }
        catch (NpgsqlException e)
        {
            Console.WriteLine($"  jobs run meanwhile: could not read Hangfire's tables ({e.Message})");
        }
    }

    private static async Task ReadJobsAsync(string database)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT coalesce(substring(invocationdata::jsonb ->> 'Arguments' from '\"([a-z-]+)'), '?') AS job, statename, count(*) FROM hangfire.job GROUP BY 1, 2 ORDER BY 1, 2",
            connection);
        await using var reader = await command.ExecuteReaderAsync();
        var lines = new List<string>();
        while (await reader.ReadAsync())
        {
            lines.Add($"{reader.GetString(0)} {reader.GetString(1)} × {reader.GetInt64(2)}");
        }

        Console.WriteLine($"  jobs run meanwhile: {(lines.Count == 0 ? "none" : string.Join("; ", lines))}");
    }
}

/// <summary>A process's memory: its RSS from /proc, and its live GC heap through dotnet-gcdump.</summary>
internal static class HostMemory
{
    public static async Task<long> RssAsync(int pid)
    {
        var status = await File.ReadAllLinesAsync($"/proc/{pid}/status");
        var line = status.First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }

    /// <summary>
    /// The live GC heap: what survives a full collection, from <c>dotnet-gcdump report</c> (which induces one). The size
    /// after whatever collection happened last would swing with the generation collected; the live heap is what a leak
    /// grows. Null when dotnet-gcdump is not installed (build/bench.sh installs it).
    /// </summary>
    public static async Task<long?> GcHeapAsync(int pid)
    {
        var tool = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".dotnet", "tools", "dotnet-gcdump");
        if (!File.Exists(tool))
        {
            return null;
        }

        var info = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "report", "-p", pid.ToString(CultureInfo.InvariantCulture) })
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var line = output.Split('\n').FirstOrDefault(l => l.Contains("GC Heap bytes", StringComparison.Ordinal));
        return line is null ? null : long.Parse(line.Trim().Split(' ')[0], NumberStyles.AllowThousands, CultureInfo.InvariantCulture);
    }
}
