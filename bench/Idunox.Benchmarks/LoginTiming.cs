using System.Diagnostics;
using Idunox.Testing;
using Microsoft.Data.Sqlite;

namespace Idunox.Benchmarks;

/// <summary>
/// Whether sign-in's answer time reveals that an e-mail exists: refusals for a known e-mail (wrong password) and for an
/// unknown one, interleaved in one run against the whole host (in memory, SQLite), compared by their medians.
/// A ratio near 1.00 means the two cannot be told apart by time.
/// </summary>
internal static class LoginTiming
{
    private const int Rounds = 300;

    public static async Task RunAsync()
    {
        var file = Path.Combine(Path.GetTempPath(), $"idunox-bench-{Guid.NewGuid():N}.db");
        try
        {
            await using var app = IdunoxApp.OnSqlite(file, "Testing", new Dictionary<string, string?>
            {
                // Measure the refusal itself, not the lockout that would follow the fifth failure.
                ["Identity:Login:MaxFailedAttempts"] = "1000000",
                ["Logging:LogLevel:Default"] = "Warning",
            });
            var partner = await app.PartnerAsync();
            var client = app.CreateClient();
            var known = new List<double>(Rounds);
            var unknown = new List<double>(Rounds);

            for (var i = 0; i < 20; i++)
            {
                await client.PostLoginAsync(partner.Email, "warm-up password");
                await client.PostLoginAsync($"warm-up-{i}@nowhere.example", "warm-up password");
            }

            for (var i = 0; i < Rounds; i++)
            {
                // Alternate which goes first, so drift on this noisy machine lands on both sides.
                var order = i % 2 == 0;
                var first = await TimeAsync(() => order ? client.PostLoginAsync(partner.Email, $"wrong password {i}") : client.PostLoginAsync($"nobody-{i}@nowhere.example", $"wrong password {i}"));
                var second = await TimeAsync(() => order ? client.PostLoginAsync($"nobody-{i}@nowhere.example", $"wrong password {i}") : client.PostLoginAsync(partner.Email, $"wrong password {i}"));
                (order ? known : unknown).Add(first);
                (order ? unknown : known).Add(second);
            }

            var knownMedian = Median(known);
            var unknownMedian = Median(unknown);
            Console.WriteLine();
            Console.WriteLine($"login refusal timing, {Rounds} interleaved pairs, whole host in memory on SQLite:");
            Console.WriteLine($"  known e-mail, wrong password : median {knownMedian:F2} ms");
            Console.WriteLine($"  unknown e-mail               : median {unknownMedian:F2} ms");
            Console.WriteLine($"  ratio unknown / known        : {unknownMedian / knownMedian:F2}");
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            File.Delete(file);
        }
    }

    private static async Task<double> TimeAsync(Func<Task<HttpResponseMessage>> call)
    {
        var watch = Stopwatch.StartNew();
        using var response = await call();
        watch.Stop();
        if ((int)response.StatusCode != 401)
        {
            throw new InvalidOperationException($"Expected a 401 refusal, got {(int)response.StatusCode}.");
        }

        return watch.Elapsed.TotalMilliseconds;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
