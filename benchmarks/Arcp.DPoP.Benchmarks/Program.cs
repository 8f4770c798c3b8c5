using BenchmarkDotNet.Running;

if (args is ["strictness"])
{
    return Arcp.DPoP.Benchmarks.Ed25519Strictness.Run();
}

BenchmarkSwitcher.FromAssembly(typeof(Arcp.DPoP.Benchmarks.ProofValidationBenchmarks).Assembly).Run(args);
return 0;
