using BenchmarkDotNet.Running;

if (args is ["strictness"])
{
    return Arcp.DPoP.Benchmarks.Ed25519Strictness.Run();
}

if (args is ["alloctypes", var mode])
{
    return Arcp.DPoP.Benchmarks.AllocTypes.Run(cache: mode == "cache");
}

if (args is ["allocations"])
{
    return Arcp.DPoP.Benchmarks.AllocationReport.Run();
}

BenchmarkSwitcher.FromAssembly(typeof(Arcp.DPoP.Benchmarks.ProofValidationBenchmarks).Assembly).Run(args);
return 0;
