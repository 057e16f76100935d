using BenchmarkDotNet.Running;

// Runs every benchmark class in this assembly; see README.md ("Benchmarks") for the commands.
//   full run:  dotnet run -c Release --project tests/Reactive.Streams.Benchmarks -- --filter '*'
//   smoke run: dotnet run -c Release --project tests/Reactive.Streams.Benchmarks -- --filter '*' --job dry
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);

/// <summary>Entry point type for the benchmark switcher.</summary>
public partial class Program;
