using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(Arcp.DPoP.Benchmarks.ProofValidationBenchmarks).Assembly).Run(args);
