using Microsoft.CodeAnalysis.Testing;
using Reactive.Streams.Analyzers.Rules;
using Reactive.Streams.Analyzers.Tests.Infrastructure;

namespace Reactive.Streams.Analyzers.Tests.Rules;

/// <summary>RXS0004 finds the degrader on every surface of Core that takes one.</summary>
public sealed class DegraderSurfaceTests
{
    private static DiagnosticResult Impure(int location, string name, string why) =>
        Verify<ImpureDegraderAnalyzer>.Diagnostic(DiagnosticIds.ImpureDegrader).WithLocation(location).WithArguments(name, why)
            .WithOptions(DiagnosticOptions.IgnoreAdditionalLocations);

    [Fact]
    public Task Block_bridges_SubscribeAsync_named_arguments_and_method_groups() =>
        Verify<ImpureDegraderAnalyzer>.AnalyzerAsync("""
            using System;
            using System.Reactive.Concurrency;
            using System.Threading.Tasks;
            using Reactive.Streams;

            class C
            {
                static int Hits;

                static int Count(int x) => x + Hits++;

                void M(IObservable<int> source, IScheduler scheduler)
                {
                    _ = new BackpressureBlock<int>(BackpressurePolicy.DegradeQuality, 8, {|#0:static x => x + Hits++|});
                    _ = source.ToBoundedStream(BackpressurePolicy.DegradeQuality, 8, {|#1:Count|});
                    _ = source.ToAsyncEnumerable(BackpressurePolicy.DegradeQuality, 8, degrader: {|#2:static x => x + Hits++|});
                    _ = source.SubscribeAsync(static (x, _) => ValueTask.CompletedTask, BackpressurePolicy.DegradeQuality, 8, {|#3:static x => x + Hits++|});
                    _ = BoundedStream.DegradeQuality<int>(degrader: {|#4:static x => x + Hits++|}, capacity: 8);
                    _ = BoundedStream.DegradeQuality<int>(8, {|#5:(Func<int, int>)(static x => x + Hits++)|}, "n");
                    _ = BoundedStream.DegradeQuality<int>(8, {|#6:new Func<int, int>(Count)|});
                    _ = BoundedStream.DegradeQuality<int>(8, static x => x / 2);
                }
            }
            """,
            Impure(0, "lambda", "lambda \u2192 writes static field 'C.Hits' (Test0.cs:14)"),
            Impure(1, "Count", "Count \u2192 writes static field 'C.Hits' (Test0.cs:10)"),
            Impure(2, "lambda", "lambda \u2192 writes static field 'C.Hits' (Test0.cs:16)"),
            Impure(3, "lambda", "lambda \u2192 writes static field 'C.Hits' (Test0.cs:17)"),
            Impure(4, "lambda", "lambda \u2192 writes static field 'C.Hits' (Test0.cs:18)"),
            Impure(5, "lambda", "lambda \u2192 writes static field 'C.Hits' (Test0.cs:19)"),
            Impure(6, "Count", "Count \u2192 writes static field 'C.Hits' (Test0.cs:10)"));

    [Fact]
    public Task Local_function_method_groups_and_compiled_method_groups() =>
        Verify<ImpureDegraderAnalyzer>.AnalyzerAsync("""
            using System;
            using Reactive.Streams;

            class C
            {
                void M()
                {
                    var k = 2;
                    int Scale(int x) => x * k;
                    static int Halve(int x) => x / 2;
                    _ = BoundedStream.DegradeQuality<int>(8, {|#0:Scale|});
                    _ = BoundedStream.DegradeQuality<int>(8, Halve);
                    _ = BoundedStream.DegradeQuality<int>(8, Math.Abs);
                    _ = BoundedStream.DegradeQuality<string>(8, {|#1:System.IO.File.ReadAllText|});
                }
            }
            """,
            Impure(0, "Scale", "Scale \u2192 reads captured variable 'k' (Test0.cs:9)"),
            Impure(1, "ReadAllText", "ReadAllText \u2192 performs file I/O ('File.ReadAllText') (Test0.cs:14)"));
}
