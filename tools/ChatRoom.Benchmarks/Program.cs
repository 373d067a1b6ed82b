// Micro-benchmarks of the message hot path: framing, parsing, formatting, routing and the stores. Run from the repo root:
//   dotnet run -c Release --project tools/ChatRoom.Benchmarks -- --filter '*' --job short --inProcess
// Every class reports allocations ([MemoryDiagnoser]); docs/perf/benchmarks.md has the figures and how to read them.
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;

// Without --inProcess each job is built as its own project first, which takes minutes on a small shared machine.
var config = ManualConfig.Create(DefaultConfig.Instance).WithBuildTimeout(TimeSpan.FromMinutes(10));
BenchmarkSwitcher.FromAssembly(typeof(ChatRoom.Benchmarks.Samples).Assembly).Run(args, config);
