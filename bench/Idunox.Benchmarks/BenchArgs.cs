namespace Idunox.Benchmarks;

/// <summary>What the benchmarks read from their command line and environment.</summary>
internal static class BenchArgs
{
    /// <summary>The value after <paramref name="name"/> (<c>--seconds 8</c>), or <paramref name="fallback"/>.</summary>
    public static string Value(string[] args, string name, string fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }

    /// <summary>The PostgreSQL server build/bench.sh started (<c>IDUNOX_TEST_POSTGRES</c>), or null.</summary>
    public static string? Postgres => Environment.GetEnvironmentVariable("IDUNOX_TEST_POSTGRES") is { Length: > 0 } server ? server : null;

    /// <summary>The PostgreSQL server; a benchmark that needs one says how to get it when there is none.</summary>
    public static string RequirePostgres(string benchmark) => Postgres
        ?? throw new InvalidOperationException($"IDUNOX_TEST_POSTGRES is not set: run this through build/bench.sh {benchmark}, which starts a throwaway PostgreSQL.");
}
