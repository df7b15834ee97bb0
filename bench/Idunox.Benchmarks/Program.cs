using BenchmarkDotNet.Running;
using Idunox.Benchmarks;

// build/bench.sh [keys|login|probe|gateway|jobs|soak|all]: each measurement runs its subject side by side with a baseline and reports the ratio.
var what = args.FirstOrDefault() ?? "all";
if (what == "gateway")
{
    return await GatewayBench.RunAsync(args.Skip(1).ToArray());
}

// The gateway benchmark's stand-in for the data API, started by GatewayBench as a process of its own.
if (what == "upstream")
{
    return await GatewayUpstream.RunAsync(args.Skip(1).ToArray());
}

if (what == "probe")
{
    return await ProbeBench.RunAsync(args.Skip(1).ToArray());
}

if (what == "soak")
{
    return await SoakBench.RunAsync(args.Skip(1).ToArray());
}

if (what == "jobs")
{
    return await JobsBench.RunAsync(args.Skip(1).ToArray());
}

if (what is "keys" or "all")
{
    BenchmarkRunner.Run<KeyVerificationBenchmarks>(args: args.Skip(1).ToArray());
}

if (what is "login" or "all")
{
    await LoginTiming.RunAsync();
}

if (what is not ("keys" or "login" or "all"))
{
    Console.Error.WriteLine("usage: build/bench.sh [keys|login|probe|gateway|jobs|soak|all]");
    return 2;
}

return 0;
