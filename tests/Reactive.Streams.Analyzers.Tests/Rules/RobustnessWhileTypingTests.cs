using System.Collections.Immutable;
using Microsoft.CodeAnalysis.Diagnostics;
using Reactive.Streams.Analyzers.Tests.Infrastructure;

namespace Reactive.Streams.Analyzers.Tests.Rules;

/// <summary>
/// Degraders and boundaries half typed, in the shapes the purity audit added (ref and out helpers, custom interpolated
/// string handlers, pointers, options of a user type, a degrader named by a string or an overload set): no rule crashes.
/// </summary>
public sealed class RobustnessWhileTypingTests
{
    private const string WhileTyping = """
        using System;
        using System.Threading.Tasks.Dataflow;
        using Reactive.Streams;

        [Backpressure(BackpressurePolicy.DegradeQuality, Degrader = "Halve")]
        public partial class ByString { static int Halve(int x) => x / 2; }

        [Backpressure(BackpressurePolicy.DegradeQuality, Degrader = nameof(Halve))]
        public partial class Overloads { static int Halve(int x) => x / 2; static long Halve(long x) => x / 2; }

        [Backpressure(BackpressurePolicy.DegradeQuality, Degrader = nameof(Overloads))]
        public partial class NamesAType { }

        [System.Runtime.CompilerServices.InterpolatedStringHandler]
        ref struct Tally
        {
            public Tally(int literalLength, int formattedCount, Nope extra) { }
            public void AppendLiteral(string s) => Undefined(s);
            public void AppendFormatted<T>(T value, ) { }
        }

        sealed class WorkerOptions : ExecutionDataflowBlockOptions { public WorkerOptions( { BoundedCapacity = ; } }

        static class H
        {
            public static bool TryHalf(int x, out Nope y) { y = x / ; return true; }
            public static void Inc(ref int n) => n +;
            public static int Render(ref Tally t) => 0;
        }

        class C
        {
            unsafe void M()
            {
                StubFactory.DegradeQuality<int>(4, static x => H.TryHalf(x, out var y) ? y : x);
                StubFactory.DegradeQuality<int>(4, static x => { var n = x; H.Inc(ref n, ); return n; });
                StubFactory.DegradeQuality<int>(4, static x => H.Render($"n={x}{}"));
                StubFactory.DegradeQuality<int>(4, static x => { fixed (int* p = ) { *p = x; } return x; });
                StubFactory.DegradeQuality<int>(4, static x => { ref var r = ref Missing.Field; r = x; return x; });
                StubFactory.DegradeQuality<int>(4, static (ref int x) => x);
                StubFactory.DegradeQuality<int>(4, static x => x switch { > 0 => H.Inc(ref x), _ => });
                new ActionBlock<int>(x => { }, new WorkerOptions { BoundedCapacity = });
                new ActionBlock<int>(x => { }, new Nope { BoundedCapacity = DataflowBlockOptions.Unbounded });
            }
        }
        """;

    public static TheoryData<string> Analyzers
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (var type in typeof(DiagnosticIds).Assembly.GetTypes().Where(t => typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && !t.IsAbstract))
            {
                data.Add(type.FullName!);
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Analyzers))]
    public async Task No_rule_crashes_on_code_being_typed(string analyzer)
    {
        var instance = (DiagnosticAnalyzer)Activator.CreateInstance(typeof(DiagnosticIds).Assembly.GetType(analyzer, throwOnError: true)!)!;
        var diagnostics = await AnalyzerRunner.RunAsync(ImmutableArray.Create(instance), withLibrary: true, WhileTyping);
        Assert.DoesNotContain(diagnostics, d => d.Id == "AD0001");
    }
}
