using Verifier = Reactive.Streams.Analyzers.Tests.Infrastructure.Verify<Reactive.Streams.Analyzers.Rules.ImpureDegraderAnalyzer>;

namespace Reactive.Streams.Analyzers.Tests.Rules;

public sealed class ImpureDegraderAnalyzerTests
{
    private static Microsoft.CodeAnalysis.Testing.DiagnosticResult Impure(int location, string name, string why) =>
        Verifier.Diagnostic(DiagnosticIds.ImpureDegrader).WithLocation(location).WithArguments(name, why)
            .WithOptions(Microsoft.CodeAnalysis.Testing.DiagnosticOptions.IgnoreAdditionalLocations);

    [Fact]
    public Task Attribute_degrader_reaching_a_static_write_names_the_call_path_and_the_line() =>
        Verifier.AnalyzerAsync("""
            using Reactive.Streams;

            [Backpressure(BackpressurePolicy.DegradeQuality, Degrader = {|#0:nameof(Halve)|})]
            public partial class Sink
            {
                static int Halve(int x) => Scale(x, 2);

                static int Scale(int x, int by)
                {
                    var result = x / by;
                    {|#1:Counters.Total += result|};
                    return result;
                }
            }

            static class Counters
            {
                public static int Total;
            }
            """,
            Verifier.Diagnostic(DiagnosticIds.ImpureDegrader).WithLocation(0).WithLocation(1)
                .WithArguments("Halve", "Halve \u2192 Scale \u2192 writes static field 'Counters.Total' (Test0.cs:11)"));

    [Fact]
    public Task Lambda_reading_the_clock_is_reported_with_the_API_named() =>
        Verifier.AnalyzerAsync("""
            using System;
            using Reactive.Streams;

            class C
            {
                int M() => StubFactory.DegradeQuality<DateTime>(4, {|#0:x => DateTime.UtcNow|});
            }
            """,
            Impure(0, "lambda", "lambda \u2192 reads the clock ('DateTime.UtcNow') (Test0.cs:6)"));

    [Theory]
    [InlineData("Guid.NewGuid().GetHashCode()", "creates a random GUID ('Guid.NewGuid')")]
    [InlineData("new Random().Next()", "uses randomness ('Random.Next')")]
    [InlineData("Random.Shared.Next()", "uses randomness ('Random.Next')")]
    [InlineData("new Random(42) is null ? 0 : x", "uses randomness ('new Random')")]
    [InlineData("Environment.ProcessorCount", "reads the environment ('Environment.ProcessorCount')")]
    [InlineData("System.Threading.Interlocked.Increment(ref x)", "performs an interlocked operation ('Interlocked.Increment')")]
    [InlineData("System.Diagnostics.Stopwatch.GetTimestamp() > 0 ? x : 0", "reads the clock ('Stopwatch.GetTimestamp')")]
    [InlineData("System.Threading.Volatile.Read(ref Shared.Value)", "performs a volatile access ('Volatile.Read')")]
    [InlineData("System.Threading.Tasks.Task.Run(() => x) is null ? 0 : x", "schedules a task ('Task.Run')")]
    [InlineData("System.IO.File.ReadAllText(\"a\").Length", "performs file I/O ('File.ReadAllText')")]
    [InlineData("System.IO.Path.Combine(\"a\", \"b\").Length", "calls 'Path.Combine', which is not known to be pure")]
    public Task Known_impure_and_unknown_APIs_are_named(string body, string why) =>
        Verifier.AnalyzerAsync(
            $$"""
            using System;
            using Reactive.Streams;

            static class Shared { public static int Value; }

            class C
            {
                int M() => StubFactory.Create<int>(BackpressurePolicy.DegradeQuality, 4, {|#0:x => {{body}}|});
            }
            """,
            Impure(0, "lambda", "lambda \u2192 " + why + " (Test0.cs:8)"));

    [Fact]
    public Task Interlocked_on_a_static_field_is_reported_as_interlocked() =>
        Verifier.AnalyzerAsync("""
            using Reactive.Streams;

            static class Shared { public static int Value; }

            class C
            {
                int M() => StubFactory.DegradeQuality<int>(4, {|#0:x => System.Threading.Interlocked.Increment(ref Shared.Value)|});
            }
            """,
            Impure(0, "lambda", "lambda \u2192 performs an interlocked operation ('Interlocked.Increment') (Test0.cs:7)"));

    [Fact]
    public Task Console_logging_lock_await_and_events_are_reported() =>
        Verifier.AnalyzerAsync("""
            using System;
            using System.Threading.Tasks;
            using Microsoft.Extensions.Logging;
            using Reactive.Streams;

            class C
            {
                static readonly object Gate = new();
                static ILogger Log = null!;
                static event Action? Changed;

                void M()
                {
                    StubFactory.DegradeQuality<int>(4, {|#0:Print|});
                    StubFactory.DegradeQuality<int>(4, {|#1:static x => { Log.LogInformation("x"); return x; }|});
                    StubFactory.DegradeQuality<int>(4, {|#2:static x => { lock (Gate) { return x; } }|});
                    StubFactory.DegradeQuality<Task<int>>(4, {|#3:static async t => await t|});
                    StubFactory.DegradeQuality<int>(4, {|#4:static x => { Changed += () => { }; return x; }|});
                }

                static int Print(int x)
                {
                    Console.WriteLine(x);
                    return x;
                }
            }
            """,
            Impure(0, "Print", "Print \u2192 performs console I/O ('Console.WriteLine') (Test0.cs:23)"),
            Impure(1, "lambda", "lambda \u2192 logs ('LoggerExtensions.LogInformation') (Test0.cs:15)"),
            Impure(2, "lambda", "lambda \u2192 takes a lock (Test0.cs:16)"),
            Impure(3, "lambda", "lambda \u2192 awaits (Test0.cs:17)"),
            Impure(4, "lambda", "lambda \u2192 subscribes to event 'C.Changed' (Test0.cs:18)"));

    [Fact]
    public Task Writes_to_captured_state_fields_ref_parameters_and_outside_collections_are_reported() =>
        Verifier.AnalyzerAsync("""
            using System.Collections.Generic;
            using Reactive.Streams;

            class C
            {
                static readonly List<int> Seen = new();
                int _count;
                static int s_calls;

                void M(int[] buffer)
                {
                    var total = 0;
                    StubFactory.DegradeQuality<int>(4, {|#0:x => total += x|});
                    StubFactory.DegradeQuality<int>(4, {|#1:static x => { Seen.Add(x); return x; }|});
                    StubFactory.DegradeQuality<int>(4, {|#2:x => _count = x|});
                    StubFactory.DegradeQuality<int>(4, {|#3:Bump|});
                    StubFactory.DegradeQuality<int>(4, {|#4:x => buffer[0] = x|});
                }

                static int Bump(int x)
                {
                    Add(ref s_calls);
                    return x;
                }

                static void Add(ref int value) => value++;
            }
            """,
            Impure(0, "lambda", "lambda \u2192 writes captured variable 'total' (Test0.cs:13)"),
            Impure(1, "lambda", "lambda \u2192 mutates 'Seen' ('List.Add'), which was not created inside the degrader (Test0.cs:14)"),
            Impure(2, "lambda", "lambda \u2192 writes field 'C._count' (Test0.cs:15)"),
            Impure(3, "Bump", "Bump \u2192 Add \u2192 writes ref parameter 'value' (Test0.cs:26)"),
            Impure(4, "lambda", "lambda \u2192 writes an element of array 'buffer', which was not created inside the degrader (Test0.cs:17)"));

    [Fact]
    public Task Reading_captured_state_in_a_lambda_is_reported_as_a_captured_read() =>
        Verifier.AnalyzerAsync("""
            using Reactive.Streams;

            class C
            {
                int _scale = 2;

                void M()
                {
                    var factor = 3;
                    StubFactory.DegradeQuality<int>(4, {|#0:x => x / factor|});
                    StubFactory.DegradeQuality<int>(4, {|#1:x => x / _scale|});
                }
            }
            """,
            Impure(0, "lambda", "lambda \u2192 reads captured variable 'factor' (Test0.cs:10)"),
            Impure(1, "lambda", "lambda \u2192 reads captured field 'C._scale' (Test0.cs:11)"));

    [Fact]
    public Task Options_initializer_degrader_and_delegate_invocation_are_checked() =>
        Verifier.AnalyzerAsync("""
            using System;
            using Reactive.Streams;

            class C
            {
                static Func<int, int> Hook = x => x;

                object O = new StubOptions<int>(BackpressurePolicy.DegradeQuality, 4) { Degrader = {|#0:static x => Hook(x)|} };
            }
            """,
            Impure(0, "lambda", "lambda \u2192 invokes delegate 'Hook', which cannot be proved pure (Test0.cs:8)"));

    [Fact]
    public Task Interface_calls_and_overly_deep_call_chains_are_not_proved() =>
        Verifier.AnalyzerAsync("""
            using Reactive.Streams;

            interface IScaler { int Scale(int x); }

            static class Deep
            {
                public static int D0(int x) => D1(x);
                public static int D1(int x) => D2(x);
                public static int D2(int x) => D3(x);
                public static int D3(int x) => D4(x);
                public static int D4(int x) => D5(x);
                public static int D5(int x) => D6(x);
                public static int D6(int x) => D7(x);
                public static int D7(int x) => D8(x);
                public static int D8(int x) => D9(x);
                public static int D9(int x) => x;
            }

            class C
            {
                static IScaler Scaler = null!;

                void M()
                {
                    StubFactory.DegradeQuality<int>(4, {|#0:static x => Scaler.Scale(x)|});
                    StubFactory.DegradeQuality<int>(4, {|#1:Deep.D0|});
                }
            }
            """,
            Impure(0, "lambda", "lambda \u2192 calls 'IScaler.Scale', which has no body to prove (Test0.cs:25)"),
            Impure(1, "D0", "D0 \u2192 D1 \u2192 D2 \u2192 D3 \u2192 D4 \u2192 D5 \u2192 D6 \u2192 D7 \u2192 calls 'Deep.D8' deeper than 8 calls, which is not proved (Test0.cs:14)"));

    [Fact]
    public Task Attribute_degraders_on_members_parameters_and_return_values_are_proved() =>
        Verifier.AnalyzerAsync("""
            using Reactive.Streams;

            public class Pipeline
            {
                public static int Seen;

                static int Note(int x)
                {
                    Seen = x;
                    return x;
                }

                [Backpressure(BackpressurePolicy.DegradeQuality, Degrader = {|#0:nameof(Note)|})]
                public object? Field;

                [Backpressure(BackpressurePolicy.DegradeQuality, Degrader = {|#1:nameof(Note)|})]
                public object? Property { get; set; }

                [Backpressure(BackpressurePolicy.DegradeQuality, Degrader = {|#2:nameof(Note)|})]
                public void Method() { }

                public void Parameter([Backpressure(BackpressurePolicy.DegradeQuality, Degrader = {|#3:nameof(Note)|})] object sink) { }

                [return: Backpressure(BackpressurePolicy.DegradeQuality, Degrader = {|#4:nameof(Note)|})]
                public object Returned() => new object();
            }
            """,
            Impure(0, "Note", "Note \u2192 writes static field 'Pipeline.Seen' (Test0.cs:9)"),
            Impure(1, "Note", "Note \u2192 writes static field 'Pipeline.Seen' (Test0.cs:9)"),
            Impure(2, "Note", "Note \u2192 writes static field 'Pipeline.Seen' (Test0.cs:9)"),
            Impure(3, "Note", "Note \u2192 writes static field 'Pipeline.Seen' (Test0.cs:9)"),
            Impure(4, "Note", "Note \u2192 writes static field 'Pipeline.Seen' (Test0.cs:9)"));

    [Fact]
    public Task Method_groups_are_proved_in_nested_types_structs_and_field_initializers() =>
        // Method groups are proved at the end of the type that uses them (after its methods are compiled), so every
        // kind of containing type must still get its verdicts.
        Verifier.AnalyzerAsync("""
            using Reactive.Streams;

            static class Counters
            {
                public static int Total;

                public static int Count(int x)
                {
                    Total++;
                    return x;
                }
            }

            class Outer
            {
                object _field = StubFactory.DegradeQuality<int>(4, {|#0:Counters.Count|});

                sealed class Inner
                {
                    object M() => StubFactory.DegradeQuality<int>(4, {|#1:Counters.Count|});
                }

                struct Value
                {
                    object M() => StubFactory.DegradeQuality<int>(4, Halve);

                    static int Halve(int x) => x / 2;
                }
            }
            """,
            Impure(0, "Count", "Count \u2192 writes static field 'Counters.Total' (Test0.cs:9)"),
            Impure(1, "Count", "Count \u2192 writes static field 'Counters.Total' (Test0.cs:9)"));

    [Fact]
    public Task Local_functions_anonymous_methods_cycles_and_Pure_attributes_are_checked() =>
        Verifier.AnalyzerAsync("""
            using System.Diagnostics.Contracts;
            using Reactive.Streams;

            static class Shared
            {
                public static int Calls;

                [Pure]
                public static int Marked(int x) { Calls++; return x; }

                public static int Ping(int x) => x <= 0 ? 0 : Pong(x - 1);

                public static int Pong(int x)
                {
                    Calls = x;
                    return Ping(x);
                }
            }

            class C
            {
                void M()
                {
                    var seen = 0;
                    StubFactory.DegradeQuality<int>(4, {|#0:Track|});
                    StubFactory.DegradeQuality<int>(4, {|#1:delegate (int x) { return Shared.Marked(x); }|});
                    StubFactory.DegradeQuality<int>(4, {|#2:Shared.Ping|});

                    int Track(int x)
                    {
                        seen = x;
                        return x;
                    }
                }
            }
            """,
            Impure(0, "Track", "Track \u2192 writes captured variable 'seen' (Test0.cs:31)"),
            Impure(1, "lambda", "lambda \u2192 Marked \u2192 writes static field 'Shared.Calls' (Test0.cs:9)"),
            Impure(2, "Ping", "Ping \u2192 Pong \u2192 writes static field 'Shared.Calls' (Test0.cs:15)"));

    [Fact]
    public Task Pure_degraders_are_not_reported() =>
        Verifier.AnalyzerAsync("""
            using System;
            using System.Collections.Generic;
            using System.Collections.Immutable;
            using System.Linq;
            using System.Text;
            using Reactive.Streams;

            public sealed record Reading(string Sensor, double Value, TimeSpan Age);

            public struct Point { public int X; public int Y; }

            [Backpressure(BackpressurePolicy.DegradeQuality, Capacity = 16, Degrader = nameof(Coarsen))]
            public partial class Sink
            {
                const int Step = 10;

                static Reading Coarsen(Reading r) => r with { Value = Math.Round(r.Value / Step) * Step, Age = r.Age + TimeSpan.FromSeconds(1) };

                static int Fib(int n) => n < 2 ? n : Fib(n - 1) + Fib(n - 2);

                static bool IsEven(int n) => n == 0 || IsOdd(n - 1);

                static bool IsOdd(int n) => n != 0 && IsEven(n - 1);

                void M()
                {
                    StubFactory.DegradeQuality<string>(4, static s => $"{s.Trim().ToUpperInvariant()} ({s.Length} chars, {1.5:F1})");
                    StubFactory.DegradeQuality<int[]>(4, static xs =>
                    {
                        var list = new List<int>();
                        foreach (var x in xs)
                        {
                            list.Add(x / 2);
                        }

                        list.Sort();
                        var copy = new int[list.Count];
                        copy[0] = 1;
                        return list.Where(x => x > 0).Select(x => x * Step).ToArray();
                    });
                    StubFactory.DegradeQuality<int>(4, static x => Fib(x) + (IsEven(x) ? 1 : 0));
                    StubFactory.DegradeQuality<int>(4, x => Local(x));
                    StubFactory.DegradeQuality<Point>(4, static p => { var q = p; q.X /= 2; return q; });
                    StubFactory.DegradeQuality<ImmutableArray<int>>(4, static a => a.Add(1).RemoveAt(0));
                    StubFactory.DegradeQuality<string>(4, static s => new StringBuilder(s).Append('!').ToString());
                    StubFactory.DegradeQuality<(int, string)>(4, static t => (t.Item1 / 2, string.Concat(t.Item2, "~")));
                    StubFactory.DegradeQuality<int>(4, static x => int.TryParse(x.ToString(), out var y) ? y : Math.Max(x, 0));
                    StubFactory.DegradeQuality<int>(4, Math.Abs);
                    StubFactory.DegradeQuality<Reading>(4, static r => new Reading(r.Sensor, r.Value, r.Age));

                    static int Local(int x) => x / 2;
                }
            }
            """);

    [Fact]
    public Task Generic_methods_methods_of_generic_types_extensions_and_method_groups_are_proved_through_their_definition() =>
        Verifier.AnalyzerAsync("""
            using System.Text;
            using Reactive.Streams;

            static class H
            {
                public static T Same<T>(T x) => x;
                public static T Wrap<T>(this T x) => x;
            }

            static class GenericUtil<T> { public static T Id(T x) => x; }

            sealed class Calc<T> { public T Twice(T x) => x; }

            sealed record Frame(string Codec, int Width);

            class C
            {
                void M()
                {
                    StubFactory.DegradeQuality<int>(8, static x => H.Same(x));
                    StubFactory.DegradeQuality<int>(8, static x => GenericUtil<int>.Id(x));
                    StubFactory.DegradeQuality<string>(8, static x => new Calc<string>().Twice(x));
                    StubFactory.DegradeQuality<int>(8, static x => x.Wrap());
                    StubFactory.DegradeQuality<int>(8, H.Same);
                    StubFactory.DegradeQuality<Frame>(8, static f => f with { Codec = new StringBuilder(f.Codec).Append('-').Append(f.Width).ToString() });
                }
            }
            """);

    [Fact]
    public Task An_impure_override_behind_a_virtual_call_is_reported_with_the_override_on_the_path() =>
        Verifier.AnalyzerAsync("""
            using Reactive.Streams;

            class Shape { public virtual int Describe(int w) => w; }

            sealed class Loud : Shape
            {
                public static int Calls;

                public override int Describe(int w)
                {
                    {|#1:Calls++|};
                    return w;
                }
            }

            public class Open { public virtual int Describe(int w) => w; }

            sealed record R(Shape S, Open O, int W);

            class C
            {
                void M()
                {
                    StubFactory.DegradeQuality<R>(8, {|#0:static r => r with { W = r.S.Describe(r.W) }|});
                    StubFactory.DegradeQuality<R>(8, {|#2:static r => r with { W = {|#3:r.O.Describe(r.W)|} }|});
                }
            }
            """,
            Verifier.Diagnostic(DiagnosticIds.ImpureDegrader).WithLocation(0).WithLocation(1)
                .WithArguments("lambda", "lambda \u2192 Loud.Describe \u2192 writes static field 'Loud.Calls' (Test0.cs:11)"),
            Verifier.Diagnostic(DiagnosticIds.ImpureDegrader).WithLocation(2).WithLocation(3)
                .WithArguments("lambda", "lambda \u2192 calls virtual 'Open.Describe', which a type outside this compilation can override (Test0.cs:25)"));

    [Fact]
    public Task Local_functions_are_on_the_call_path_and_a_wait_on_an_async_helper_is_reported_as_its_await() =>
        Verifier.AnalyzerAsync("""
            using System.Threading.Tasks;
            using Reactive.Streams;

            static class H
            {
                public static int Calls;

                public static int Outer(int x)
                {
                    return Inner(x);

                    static int Inner(int y)
                    {
                        Calls++;
                        return y;
                    }
                }

                public static int Sync(int x) => Load(x).GetAwaiter().GetResult();

                static async Task<int> Load(int x)
                {
                    await Task.Yield();
                    return x;
                }
            }

            class C
            {
                void M()
                {
                    StubFactory.DegradeQuality<int>(8, {|#0:static x => H.Outer(x)|});
                    StubFactory.DegradeQuality<int>(8, {|#1:static x => H.Sync(x)|});
                }
            }
            """,
            Impure(0, "lambda", "lambda \u2192 Outer \u2192 Inner \u2192 writes static field 'H.Calls' (Test0.cs:14)"),
            Impure(1, "lambda", "lambda \u2192 Sync \u2192 Load \u2192 awaits (Test0.cs:23)"));

    [Fact]
    public Task Members_declared_pure_in_editorconfig_are_trusted() =>
        Verifier.AnalyzerAsync(
            """
            using Reactive.Streams;

            class C
            {
                int M() => StubFactory.DegradeQuality<string>(4, static s => System.IO.Path.Combine(s, "x"));
            }
            """,
            withLibrary: true,
            editorConfig: "reactive_streams.pure_members = System.IO.Path.Combine, Some.Other.Type\n");

    [Fact]
    public Task Degraders_held_in_variables_are_not_judged() =>
        Verifier.AnalyzerAsync("""
            using System;
            using Reactive.Streams;

            class C
            {
                int M(Func<int, int> degrader) => StubFactory.DegradeQuality(4, degrader);
            }
            """);
}
