using System.Globalization;
using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Reactive.Streams.Generators.Tests.Infrastructure;

namespace Reactive.Streams.Generators.Tests.Sinks;

/// <summary>
/// Handler shapes a user writes without thinking of the generated call: each is either used and runs, or refused with an
/// RXS diagnostic on the method the user wrote, never accepted into code that silently does something else.
/// </summary>
public sealed class SinkHandlerShapeAuditTests
{
    private const string Union = """
        #pragma warning disable CS1591
        using System.Threading;
        using System.Threading.Tasks;
        using Reactive.Streams;
        namespace Shop;
        [EventUnion]
        public abstract partial record Order
        {
            public sealed record Placed(string Id) : Order;
            public sealed record Done : Order;
        }

        public static class Log
        {
            public static string Ran = "nothing";
        }

        public interface IPlacedHandler { void OnPlaced(Order.Placed item); }
        public interface IUnknownHandler { void OnUnknown(Order.Unknown item); }
        public abstract class VirtualHandlers { public virtual void OnPlaced(Order.Placed item) => Log.Ran = "VirtualHandlers.OnPlaced"; }
        public abstract class AsyncVoidHandlers { public async void OnPlaced(Order.Placed item) { await Task.Yield(); } }
        public abstract class AsyncVoidVirtualHandlers { public virtual async void OnPlaced(Order.Placed item) { await Task.Yield(); } }

        """;

    [Theory]
    // The sink's own handler, its fallback handler, an override of a plain virtual handler (a virtual call runs the override),
    // an inherited one, and an override of an async void one with a plain method (what runs then is plain: it is used).
    [InlineData("", "public async void OnPlaced(Order.Placed item) { await Task.Yield(); } public void OnDone(Order.Done item) { }", "OnPlaced", "OrderSink.OnPlaced")]
    [InlineData("", "public void OnPlaced(Order.Placed item) { } public void OnDone(Order.Done item) { } public async void OnUnknown(Order.Unknown item) { await Task.Yield(); }", "OnUnknown", "OrderSink.OnUnknown")]
    [InlineData(": VirtualHandlers", "public override async void OnPlaced(Order.Placed item) { await Task.Yield(); } public void OnDone(Order.Done item) { }", "OnPlaced", "OrderSink.OnPlaced")]
    [InlineData(": AsyncVoidHandlers", "public void OnDone(Order.Done item) { }", "OnPlaced", "AsyncVoidHandlers.OnPlaced")]
    public void An_async_void_handler_is_RXS1005_on_it_and_no_code_is_generated(string bases, string members, string handler, string runs)
    {
        var source = Union + Sink(bases, members);
        var run = TestCompilation.Run(source);

        var diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("RXS1005", diagnostic.Id);
        // On the async void method itself: the sink's own, or the base class's that the call runs.
        Assert.Equal(handler, source.Substring(diagnostic.Location.SourceSpan.Start, diagnostic.Location.SourceSpan.Length));
        var before = source.Substring(0, diagnostic.Location.SourceSpan.Start);
        Assert.Equal(runs.Split('.')[0], before.Substring(before.LastIndexOf("class ", StringComparison.Ordinal) + 6).Split(' ', '\n')[0]);
        Assert.EndsWith(
            $"'{runs}', which the generated call runs, is 'async void', so the adapters cannot wait for it or see its exception: an item would count as handled (and be committed) at its first await, and its exception would crash the process; return ValueTask instead ('async ValueTask')",
            diagnostic.GetMessage(CultureInfo.InvariantCulture),
            StringComparison.Ordinal);
        Assert.DoesNotContain(run.Sources.Keys, static k => k.Contains("StreamSink", StringComparison.Ordinal));
        Assert.Empty(run.CompilationDiagnostics);
    }

    [Fact]
    public void An_async_void_handler_of_a_base_class_in_another_assembly_is_RXS1005()
    {
        // Metadata has no 'async' modifier: the compiler's AsyncStateMachine attribute on the method says it.
        var library = TestCompilation.Create(Union).WithAssemblyName("Handlers");
        TestCompilation.CreateDriver().RunGeneratorsAndUpdateCompilation(library, out var generated, out _);
        using var image = new MemoryStream();
        Assert.True(generated.Emit(image).Success);
        var consumer = TestCompilation.Create("""
            #pragma warning disable CS1591
            using Reactive.Streams;
            using Shop;
            namespace Consumer;
            [StreamSink(typeof(Order))]
            [Backpressure(BackpressurePolicy.PauseUpstream)]
            public sealed partial class OrderSink : AsyncVoidHandlers
            {
                public void OnDone(Order.Done item) { }
            }
            """).AddReferences(MetadataReference.CreateFromImage(image.ToArray()));

        TestCompilation.CreateDriver().RunGeneratorsAndUpdateCompilation(consumer, out var output, out var diagnostics);

        Assert.Equal("RXS1005", Assert.Single(diagnostics).Id);
        Assert.Contains("'AsyncVoidHandlers.OnPlaced', which the generated call runs, is 'async void'", diagnostics[0].GetMessage(CultureInfo.InvariantCulture), StringComparison.Ordinal);
        Assert.Empty(output.GetDiagnostics().Where(static d => d.Severity >= DiagnosticSeverity.Warning));
    }

    [Theory]
    // What runs is not async void: an override of an async void virtual with a plain method, or an async void overload that a
    // handler with a token beside it keeps the call from.
    [InlineData(": AsyncVoidVirtualHandlers", "public override void OnPlaced(Order.Placed item) => Log.Ran = \"OrderSink.OnPlaced override\";", "OrderSink.OnPlaced override, completed")]
    [InlineData("", "public async void OnPlaced(Order.Placed item) { await Task.Yield(); Log.Ran = \"async void\"; } public ValueTask OnPlaced(Order.Placed item, CancellationToken cancellationToken) { Log.Ran = \"OrderSink.OnPlaced(Placed, CancellationToken)\"; return new ValueTask(Task.Delay(-1, cancellationToken)); }", "OrderSink.OnPlaced(Placed, CancellationToken), pending")]
    public void A_handler_whose_call_does_not_run_async_void_is_used(string bases, string members, string expected)
    {
        Assert.Equal(expected, Dispatch(Union + Sink(bases, members + " public void OnDone(Order.Done item) { }"), "new Order.Placed(\"p1\")"));
    }

    [Theory]
    [InlineData(": IPlacedHandler", "void IPlacedHandler.OnPlaced(Order.Placed item) { } public void OnDone(Order.Done item) { }", "OnPlaced", "IPlacedHandler.OnPlaced")]
    // Before, an explicit fallback handler was skipped without a word: unknown variants never reached it.
    [InlineData(": IUnknownHandler", "public void OnPlaced(Order.Placed item) { } public void OnDone(Order.Done item) { } void IUnknownHandler.OnUnknown(Order.Unknown item) { }", "OnUnknown", "IUnknownHandler.OnUnknown")]
    public void An_explicit_interface_implementation_named_like_a_handler_is_RXS1005_on_it(string bases, string members, string handler, string implemented)
    {
        var source = Union + Sink(bases, members);
        var run = TestCompilation.Run(source);

        var diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("RXS1005", diagnostic.Id);
        Assert.Equal(handler, source.Substring(diagnostic.Location.SourceSpan.Start, diagnostic.Location.SourceSpan.Length));
        Assert.EndsWith(
            $"it is an explicit implementation of '{implemented}', which the generated call '{handler}(item)' cannot reach; implement that member with a method named '{handler}' instead",
            diagnostic.GetMessage(CultureInfo.InvariantCulture),
            StringComparison.Ordinal);
        Assert.DoesNotContain(run.Sources.Keys, static k => k.Contains("StreamSink", StringComparison.Ordinal));
        Assert.Empty(run.CompilationDiagnostics);
    }

    [Theory]
    // C# removes every call to a partial method declared without an access modifier and implemented nowhere.
    [InlineData("partial void OnPlaced(Order.Placed item); public void OnDone(Order.Done item) { }", "OnPlaced")]
    [InlineData("public void OnPlaced(Order.Placed item) { } public void OnDone(Order.Done item) { } partial void OnUnknown(Order.Unknown item);", "OnUnknown")]
    public void A_partial_handler_without_an_implementation_is_RXS1005_on_it(string members, string handler)
    {
        var source = Union + Sink(string.Empty, members);
        var run = TestCompilation.Run(source);

        var diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("RXS1005", diagnostic.Id);
        Assert.Equal(handler, source.Substring(diagnostic.Location.SourceSpan.Start, diagnostic.Location.SourceSpan.Length));
        Assert.EndsWith(
            "it is a partial method without an implementation, so the compiler would remove the generated call to it and drop the variant; implement it, or declare it 'private partial void', which the compiler requires to be implemented",
            diagnostic.GetMessage(CultureInfo.InvariantCulture),
            StringComparison.Ordinal);
        Assert.DoesNotContain(run.Sources.Keys, static k => k.Contains("StreamSink", StringComparison.Ordinal));
        Assert.Empty(run.CompilationDiagnostics);
    }

    [Theory]
    // Implemented in another part of the class (another file), or declared with an access modifier and implemented.
    [InlineData("partial void OnPlaced(Order.Placed item);", "partial void OnPlaced(Order.Placed item) => Log.Ran = \"OnPlaced implementation\";")]
    [InlineData("private partial void OnPlaced(Order.Placed item);", "private partial void OnPlaced(Order.Placed item) => Log.Ran = \"OnPlaced implementation\";")]
    [InlineData("public partial ValueTask OnPlaced(Order.Placed item, CancellationToken cancellationToken);", "public partial ValueTask OnPlaced(Order.Placed item, CancellationToken cancellationToken) { Log.Ran = \"OnPlaced implementation\"; return default; }")]
    public void An_implemented_partial_handler_is_used(string definition, string implementation)
    {
        var parts = new[]
        {
            Union + Sink(string.Empty, definition + " public void OnDone(Order.Done item) { }"),
            "#pragma warning disable CS1591\nusing System.Threading;\nusing System.Threading.Tasks;\nnamespace Shop; public sealed partial class OrderSink { " + implementation + " }",
        };

        Assert.Equal("OnPlaced implementation, completed", Dispatch(parts, "new Order.Placed(\"p1\")"));
    }

    [Theory]
    [InlineData("DropOldest")]
    [InlineData("DegradeQuality")]
    [InlineData("PauseUpstream")]
    [InlineData("Fail")]
    public void A_sink_whose_primary_constructor_parameters_share_the_generated_code_s_names_compiles_and_runs(string policy)
    {
        // The generated members' parameters (item, cancellationToken, name, timeProvider, ...) shadow the primary
        // constructor's inside them; the handlers still see the sink's own.
        var degrader = policy == "DegradeQuality" ? ", Degrader = nameof(Degrade)" : string.Empty;
        var source = Union + $$"""
            [StreamSink(typeof(Order))]
            [Backpressure(BackpressurePolicy.{{policy}}, Capacity = 4{{degrader}})]
            public sealed partial class OrderSink(string item, string cancellationToken, string name, string timeProvider, string pauseTimeout, string scheduler, string sink, string options, string handler, string unroutable, string completion)
            {
                public OrderSink() : this("i", "c", "n", "t", "p", "s", "k", "o", "h", "u", "m") { }
                public void OnPlaced(Order.Placed placed) => Log.Ran = item + cancellationToken + name + timeProvider + pauseTimeout + scheduler + sink + options + handler + unroutable + completion;
                public void OnDone(Order.Done done) { }
                private static Order Degrade(Order order) => order;
            }
            """;

        Assert.Equal("icntpskohum, completed", Dispatch(source, "new Order.Placed(\"p1\")"));
    }

    [Fact]
    public void An_explicit_implementation_of_another_shape_is_none_of_the_sink_s_business()
    {
        // A base class implements an unrelated interface member that happens to be named like the fallback handler.
        var source = Union + """
            public interface IScoring { void OnUnknown(int code); }
            public abstract class Scored : IScoring { void IScoring.OnUnknown(int code) => Log.Ran = "IScoring.OnUnknown"; }

            """ + Sink(": Scored", "public void OnPlaced(Order.Placed item) => Log.Ran = \"OrderSink.OnPlaced\"; public void OnDone(Order.Done item) { }");

        Assert.Equal("OrderSink.OnPlaced, completed", Dispatch(source, "new Order.Placed(\"p1\")"));
        Assert.Equal("nothing, completed", Dispatch(source, "new Order.Unknown(\"shipped\", System.Text.Json.JsonDocument.Parse(\"{\\\"type\\\":\\\"shipped\\\"}\").RootElement)"));
    }

    [Fact]
    public void A_method_named_like_a_handler_of_no_variant_is_an_ordinary_method()
    {
        // OnShipped names no variant of Order, and OnOther is the fallback of payload-less unions only: neither is a handler,
        // neither is reported, and the generated code never calls them.
        var source = Union + Sink(
            string.Empty,
            "public void OnPlaced(Order.Placed item) => Log.Ran = \"OrderSink.OnPlaced\"; public void OnDone(Order.Done item) { } " +
            "public void OnShipped(Order.Placed item) => Log.Ran = \"OrderSink.OnShipped\"; public void OnOther(Order item) => Log.Ran = \"OrderSink.OnOther\";");

        Assert.Equal("OrderSink.OnPlaced, completed", Dispatch(source, "new Order.Placed(\"p1\")"));
        Assert.Equal("nothing, completed", Dispatch(source, "new Order.Unknown(\"shipped\", System.Text.Json.JsonDocument.Parse(\"{\\\"type\\\":\\\"shipped\\\"}\").RootElement)"));
    }

    [Theory]
    // Before, the generator called whichever was declared first (for a class in several files, in the compilation's file
    // order), and the other handler never ran.
    [InlineData("public void OnPlaced(Order.Placed item) { } public ValueTask OnPlaced(Order.Placed item, CancellationToken cancellationToken) => default;", "", "'OrderSink.OnPlaced(Order.Placed)', 'OrderSink.OnPlaced(Order.Placed, CancellationToken)'")]
    [InlineData("public ValueTask OnPlaced(Order.Placed item, CancellationToken cancellationToken) => default; public void OnPlaced(Order.Placed item) { }", "", "'OrderSink.OnPlaced(Order.Placed)', 'OrderSink.OnPlaced(Order.Placed, CancellationToken)'")]
    [InlineData("public void OnPlaced(Order.Placed item) { } public void OnPlaced(Order.Placed item, CancellationToken cancellationToken = default) { }", "", "'OrderSink.OnPlaced(Order.Placed)', 'OrderSink.OnPlaced(Order.Placed, CancellationToken)'")]
    [InlineData("", ": TwoHandlers", "'TwoHandlers.OnPlaced(Order.Placed)', 'TwoHandlers.OnPlaced(Order.Placed, CancellationToken)'")]
    public void Two_handlers_of_one_class_for_one_variant_are_RXS1005_on_each(string members, string bases, string shapes)
    {
        var source = Union + """
            public abstract class TwoHandlers
            {
                public void OnPlaced(Order.Placed item) { }
                public ValueTask OnPlaced(Order.Placed item, CancellationToken cancellationToken) => default;
            }

            """ + Sink(bases, members + " public void OnDone(Order.Done item) { }");
        var run = TestCompilation.Run(source);

        Assert.Equal(2, run.GeneratorDiagnostics.Length);
        Assert.All(run.GeneratorDiagnostics, diagnostic =>
        {
            Assert.Equal("RXS1005", diagnostic.Id);
            Assert.Equal("OnPlaced", source.Substring(diagnostic.Location.SourceSpan.Start, diagnostic.Location.SourceSpan.Length));
            Assert.EndsWith(
                $"'{shapes.Split('.')[0].Trim('\'')}' has 2 handlers for the variant ({shapes}), and the generated call would run only one of them; keep one (a handler that takes a CancellationToken may ignore it)",
                diagnostic.GetMessage(CultureInfo.InvariantCulture),
                StringComparison.Ordinal);
        });
        Assert.Equal(2, run.GeneratorDiagnostics.Select(static d => d.Location.SourceSpan).Distinct().Count());
        Assert.DoesNotContain(run.Sources.Keys, static k => k.Contains("StreamSink", StringComparison.Ordinal));
        Assert.Empty(run.CompilationDiagnostics);
    }

    [Fact]
    public void Two_handlers_for_one_variant_in_two_files_are_reported_whatever_the_file_order()
    {
        var sink = Union + Sink(string.Empty, "public void OnDone(Order.Done item) { }");
        const string Plain = "#pragma warning disable CS1591\nnamespace Shop; public sealed partial class OrderSink { public void OnPlaced(Order.Placed item) { } }";
        const string WithToken = "#pragma warning disable CS1591\nnamespace Shop; public sealed partial class OrderSink { public System.Threading.Tasks.ValueTask OnPlaced(Order.Placed item, System.Threading.CancellationToken cancellationToken) => default; }";

        foreach (var sources in new[] { new[] { sink, Plain, WithToken }, new[] { sink, WithToken, Plain } })
        {
            var run = TestCompilation.Run(sources);

            Assert.Equal(new[] { "RXS1005", "RXS1005" }, run.GeneratorDiagnostics.Select(static d => d.Id));
            Assert.Equal(
                new[] { Array.IndexOf(sources, Plain), Array.IndexOf(sources, WithToken) }.Select(static i => $"Source{i}.cs").Order(StringComparer.Ordinal),
                run.GeneratorDiagnostics.Select(static d => d.Location.GetLineSpan().Path).Order(StringComparer.Ordinal));
            Assert.DoesNotContain(run.Sources.Keys, static k => k.Contains("StreamSink", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void A_public_handler_that_also_implements_the_interface_is_used()
    {
        Assert.Equal(
            "OrderSink.OnPlaced, completed",
            Dispatch(Union + Sink(": IPlacedHandler", "public void OnPlaced(Order.Placed item) => Log.Ran = \"OrderSink.OnPlaced\"; public void OnDone(Order.Done item) { }"), "new Order.Placed(\"p1\")"));
    }

    [Fact]
    public void Handlers_declared_in_other_parts_of_the_partial_class_in_other_files_are_used()
    {
        var parts = new[]
        {
            Union + Sink(string.Empty, "public void OnDone(Order.Done item) => Log.Ran = \"part 1 OnDone\";"),
            "#pragma warning disable CS1591\nnamespace Shop; public sealed partial class OrderSink { public System.Threading.Tasks.ValueTask OnPlaced(Order.Placed item) { Log.Ran = \"part 2 OnPlaced\"; return default; } }",
            "#pragma warning disable CS1591\nnamespace Shop; public sealed partial class OrderSink { public void OnUnknown(Order.Unknown item) => Log.Ran = \"part 3 OnUnknown\"; }",
        };

        Assert.Equal("part 2 OnPlaced, completed", Dispatch(parts, "new Order.Placed(\"p1\")"));
        Assert.Equal("part 1 OnDone, completed", Dispatch(parts, "new Order.Done()"));
        Assert.Equal("part 3 OnUnknown, completed", Dispatch(parts, "new Order.Unknown(\"shipped\", System.Text.Json.JsonDocument.Parse(\"{\\\"type\\\":\\\"shipped\\\"}\").RootElement)"));
    }

    private static string Sink(string bases, string members) => $$"""
        [StreamSink(typeof(Order))]
        [Backpressure(BackpressurePolicy.PauseUpstream, Capacity = 4)]
        public sealed partial class OrderSink {{bases}}
        {
            {{members}}
        }
        """;

    private static string Dispatch(string source, string item) => Dispatch(new[] { source }, item);

    /// <summary>Generates, compiles and loads <paramref name="sources"/>, dispatches <paramref name="item"/> and says which handler ran.</summary>
    private static string Dispatch(string[] sources, string item)
    {
        var run = TestCompilation.Run(sources.Append($$"""
            #pragma warning disable CS1591
            namespace Shop;
            public static class Probe
            {
                public static string Run()
                {
                    Log.Ran = "nothing";
                    var task = new OrderSink().DispatchAsync({{item}});
                    return Log.Ran + (task.IsCompleted ? ", completed" : ", pending");
                }
            }
            """).ToArray());
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilationDiagnostics);
        using var image = new MemoryStream();
        var result = run.Output.Emit(image);
        Assert.True(result.Success, string.Join("\n", result.Diagnostics));
        var context = new AssemblyLoadContext("SinkHandlerShapeAudit", isCollectible: true);
        try
        {
            image.Position = 0;
            var probe = context.LoadFromStream(image).GetType("Shop.Probe", throwOnError: true)!;
            return (string)probe.GetMethod("Run", BindingFlags.Public | BindingFlags.Static)!.Invoke(null, null)!;
        }
        finally
        {
            context.Unload();
        }
    }
}
