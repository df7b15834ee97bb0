using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Idunox.Credentials.Keys;

namespace Idunox.Benchmarks;

/// <summary>
/// What refusing a bad key costs before any database work, against the baseline of hashing a good key (the least a
/// lookup needs). The claim under test: malformed keys and bad checksums are refused cheaply, whatever their length.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(InProcessShortRun))]
public class KeyVerificationBenchmarks
{
    private readonly string _valid = ApiKeyFormat.Generate("test");
    private string _typo = string.Empty;
    private readonly string _garbage8K = new('x', 8192);
    private readonly string _wrongEnvironment = ApiKeyFormat.Generate("live");

    [GlobalSetup]
    public void Setup() => _typo = _valid[..12] + (_valid[12] == 'A' ? 'B' : 'A') + _valid[13..];

    [Benchmark(Baseline = true, Description = "SHA-256 of a valid key (lookup baseline)")]
    public byte[] HashValid() => ApiKeyFormat.Hash(_valid);

    [Benchmark(Description = "inspect a valid key (shape + CRC32)")]
    public object InspectValid() => ApiKeyFormat.Inspect(_valid, "test", out _);

    [Benchmark(Description = "refuse a key with a typo (bad checksum)")]
    public object RefuseTypo() => ApiKeyFormat.Inspect(_typo, "test", out _);

    [Benchmark(Description = "refuse 8 KB of garbage")]
    public object RefuseGarbage() => ApiKeyFormat.Inspect(_garbage8K, "test", out _);

    [Benchmark(Description = "refuse a live key on a test server")]
    public object RefuseWrongEnvironment() => ApiKeyFormat.Inspect(_wrongEnvironment, "test", out _);
}

/// <summary>In this process (no generated project to build) and short: the ratios, not the last nanosecond, are the point.</summary>
public sealed class InProcessShortRun : ManualConfig
{
    public InProcessShortRun() => AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance));
}
