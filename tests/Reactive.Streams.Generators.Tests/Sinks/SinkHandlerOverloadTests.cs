using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Reactive.Streams.Generators.Tests.Infrastructure;

namespace Reactive.Streams.Generators.Tests.Sinks;

/// <summary>
/// A handler inherited from a base class (or overridden in the sink) next to another method of its name that a more
/// derived class declares: C# overload resolution drops the base class's methods as soon as a more derived class has an
/// applicable one (an override counts as a member of the class it overrides), so the generated call would compile and
/// run that other method. The generated code runs the handler the generator chose, or the sink gets RXS1005 and no code.
/// </summary>
public sealed class SinkHandlerOverloadTests
{
    private const string Header = """
        #pragma warning disable CS1591
        using System.Threading;
        using System.Threading.Tasks;
        using Reactive.Streams;
        namespace Shop;
        [EventUnion]
        public abstract partial record Order
        {
            public sealed record Placed(string Id) : Order;
        }

        public static class Log
        {
            public static string Ran = "nothing";
            public static TaskCompletionSource Pending = new();
        }

        public abstract class OrderHandlers
        {
            public virtual void OnPlaced(Order.Placed item) => Log.Ran = "OrderHandlers.OnPlaced(Placed)";
            public virtual void OnUnknown(Order.Unknown item) => Log.Ran = "OrderHandlers.OnUnknown(Unknown)";
        }

        """;

    [Theory]
    // A method of the sink's own that takes what the variant converts to.
    [InlineData("public void OnPlaced(Order item) => Log.Ran = \"OrderSink.OnPlaced(Order)\";", "OrderSink.OnPlaced(Order)")]
    [InlineData("public void OnPlaced(object item) => Log.Ran = \"OrderSink.OnPlaced(object)\";", "OrderSink.OnPlaced(object)")]
    // Or the variant with an optional parameter, a params array, a type parameter, or a static one.
    [InlineData("public void OnPlaced(Order.Placed item, int retries = 0) => Log.Ran = \"OrderSink.OnPlaced(Placed, int)\";", "OrderSink.OnPlaced(Order.Placed, int)")]
    [InlineData("public void OnPlaced(params Order.Placed[] items) => Log.Ran = \"OrderSink.OnPlaced(Placed[])\";", "OrderSink.OnPlaced(params Order.Placed[])")]
    [InlineData("public void OnPlaced<T>(T item) => Log.Ran = \"OrderSink.OnPlaced<T>(T)\";", "OrderSink.OnPlaced<T>(T)")]
    // A generic one whose constraints the variant breaks too: C# picks it before checking them, and the call fails (CS0453).
    [InlineData("public void OnPlaced<T>(T item) where T : struct => Log.Ran = \"OrderSink.OnPlaced<T>(T)\";", "OrderSink.OnPlaced<T>(T)")]
    [InlineData("public void OnPlaced<T>(T item) where T : System.IDisposable => Log.Ran = \"OrderSink.OnPlaced<T>(T)\";", "OrderSink.OnPlaced<T>(T)")]
    [InlineData("public static void OnPlaced(Order item) => Log.Ran = \"OrderSink.OnPlaced(Order) static\";", "OrderSink.OnPlaced(Order)")]
    // The sink overrides the base handler and declares such an overload too: the override is the base class's member.
    [InlineData("public override void OnPlaced(Order.Placed item) => Log.Ran = \"OrderSink.OnPlaced(Placed) override\";\n public void OnPlaced(Order item) => Log.Ran = \"OrderSink.OnPlaced(Order)\";", "OrderSink.OnPlaced(Order)")]
    public void An_overload_the_sink_declares_that_would_take_the_call_is_RXS1005_on_it_and_no_code_is_generated(string members, string interloper)
    {
        var outcome = Dispatch(Header + Sink("OrderHandlers", members), "new Order.Placed(\"p1\")");

        Assert.Equal(
            $"RXS1005: Handler 'OnPlaced' of stream sink 'OrderSink' must be an instance method 'void OnPlaced(Shop.Order.Placed item)' or 'ValueTask OnPlaced(Shop.Order.Placed item)', optionally with a trailing CancellationToken; the generated call 'OnPlaced(item)' would run '{interloper}' instead of 'OrderHandlers.OnPlaced', because C# prefers a method that accepts the call declared in a class deriving from 'OrderHandlers'; rename that method, or declare the handler in 'OrderSink' itself",
            outcome);
    }

    [Fact]
    public void An_overload_a_class_between_the_sink_and_the_handler_declares_is_RXS1005()
    {
        var source = Header + """
            public abstract class Middle : OrderHandlers
            {
                public void OnPlaced(object item) => Log.Ran = "Middle.OnPlaced(object)";
            }

            """ + Sink("Middle", string.Empty);

        var outcome = Dispatch(source, "new Order.Placed(\"p1\")");

        Assert.StartsWith("RXS1005: ", outcome, StringComparison.Ordinal);
        Assert.Contains("would run 'Middle.OnPlaced(object)' instead of 'OrderHandlers.OnPlaced'", outcome, StringComparison.Ordinal);
    }

    [Theory]
    // A member of the name that is not a method hides every inherited method of it: the call would invoke the delegate.
    [InlineData("public new System.Action<Order.Placed> OnPlaced = static _ => Log.Ran = \"OrderSink.OnPlaced field\";", "OrderSink.OnPlaced")]
    [InlineData("public new System.Action<Order.Placed> OnPlaced => static _ => Log.Ran = \"OrderSink.OnPlaced property\";", "OrderSink.OnPlaced")]
    public void A_delegate_member_of_the_name_in_the_sink_is_RXS1005(string members, string interloper)
    {
        var outcome = Dispatch(Header + Sink("OrderHandlers", members), "new Order.Placed(\"p1\")");

        Assert.StartsWith("RXS1005: Handler 'OnPlaced'", outcome, StringComparison.Ordinal);
        Assert.Contains($"would run '{interloper}' instead of 'OrderHandlers.OnPlaced'", outcome, StringComparison.Ordinal);
    }

    [Theory]
    // An overload a base class of another assembly keeps to itself is not a candidate of the generated call.
    [InlineData("internal", null)]
    [InlineData("private protected", null)]
    // One the sink can call is.
    [InlineData("protected", "RXS1005")]
    [InlineData("public", "RXS1005")]
    public void An_overload_in_a_base_class_of_another_assembly_counts_only_if_the_sink_can_call_it(string access, string? expected)
    {
        var library = TestCompilation.Create($$"""
            #pragma warning disable CS1591
            using Reactive.Streams;
            namespace Contracts;
            [EventUnion]
            public abstract partial record Order
            {
                public sealed record Placed(string Id) : Order;
            }

            public abstract class OrderHandlers
            {
                public void OnPlaced(Order.Placed item) { }
            }

            public abstract class Middle : OrderHandlers
            {
                {{access}} void OnPlaced(object item) { }
            }
            """).WithAssemblyName("Contracts");
        TestCompilation.CreateDriver().RunGeneratorsAndUpdateCompilation(library, out var generated, out _);
        using var image = new MemoryStream();
        var emitted = generated.Emit(image);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics));
        var consumer = TestCompilation.Create("""
            #pragma warning disable CS1591
            using Reactive.Streams;
            using Contracts;
            namespace Shop;
            [StreamSink(typeof(Order))]
            public sealed partial class OrderSink : Middle
            {
            }
            """).AddReferences(MetadataReference.CreateFromImage(image.ToArray()));

        TestCompilation.CreateDriver().RunGeneratorsAndUpdateCompilation(consumer, out var output, out var diagnostics);

        // The overload's own shape is reported too when the sink can see it.
        Assert.Equal(expected is null ? Array.Empty<string>() : new[] { expected, expected }, diagnostics.Select(static d => d.Id));
        Assert.Equal(expected is not null, diagnostics.Any(static d => d.GetMessage(System.Globalization.CultureInfo.InvariantCulture).Contains("would run 'Middle.OnPlaced(object)' instead of 'OrderHandlers.OnPlaced'", StringComparison.Ordinal)));
        Assert.Empty(output.GetDiagnostics().Where(static d => d.Severity >= DiagnosticSeverity.Warning));
    }

    [Fact]
    public void An_overload_of_the_fallback_handler_is_RXS1005_too()
    {
        var outcome = Dispatch(Header + Sink("OrderHandlers", "public void OnUnknown(Order item) => Log.Ran = \"OrderSink.OnUnknown(Order)\";"), "new Order.Placed(\"p1\")");

        Assert.StartsWith("RXS1005: Handler 'OnUnknown'", outcome, StringComparison.Ordinal);
        Assert.Contains("would run 'OrderSink.OnUnknown(Order)' instead of 'OrderHandlers.OnUnknown'", outcome, StringComparison.Ordinal);
    }

    [Fact]
    public void An_override_next_to_an_async_handler_of_the_sink_that_takes_the_call_runs_the_async_handler_and_returns_its_task()
    {
        // Before, the override was chosen and called as a void handler: the call ran the async overload and dropped its task.
        var members = """
            public override void OnPlaced(Order.Placed item) => Log.Ran = "OrderSink.OnPlaced(Placed) override";
            public ValueTask OnPlaced(Order.Placed item, CancellationToken cancellationToken = default)
            {
                Log.Ran = "OrderSink.OnPlaced(Placed, CancellationToken)";
                return new ValueTask(Log.Pending.Task);
            }
            """;

        var outcome = Dispatch(Header + Sink("OrderHandlers", members), "new Order.Placed(\"p1\")");

        Assert.Equal("ran OrderSink.OnPlaced(Placed, CancellationToken), pending", outcome);
    }

    [Theory]
    // Overloads the call does not fit leave the inherited (or overriding) handler in charge.
    [InlineData("public void OnPlaced(string item) => Log.Ran = \"OrderSink.OnPlaced(string)\";", "OrderHandlers.OnPlaced(Placed)")]
    [InlineData("public void OnPlaced(Order.Placed item, int retries) => Log.Ran = \"OrderSink.OnPlaced(Placed, int)\";", "OrderHandlers.OnPlaced(Placed)")]
    [InlineData("public void OnPlaced(ref Order.Placed item) => Log.Ran = \"OrderSink.OnPlaced(ref Placed)\";", "OrderHandlers.OnPlaced(Placed)")]
    [InlineData("public override void OnPlaced(Order.Placed item) => Log.Ran = \"OrderSink.OnPlaced(Placed) override\";", "OrderSink.OnPlaced(Placed) override")]
    // A handler the sink declares itself wins over its other overloads, as a hand-written call would bind.
    [InlineData("public new void OnPlaced(Order.Placed item) => Log.Ran = \"OrderSink.OnPlaced(Placed) new\";\n public void OnPlaced(Order item) => Log.Ran = \"OrderSink.OnPlaced(Order)\";", "OrderSink.OnPlaced(Placed) new")]
    public void An_overload_the_call_does_not_fit_is_no_obstacle(string members, string ran)
    {
        var outcome = Dispatch(Header + Sink("OrderHandlers", members), "new Order.Placed(\"p1\")");

        Assert.Equal($"ran {ran}, completed", outcome);
    }

    private static string Sink(string baseClass, string members) => $$"""
        [StreamSink(typeof(Order))]
        [Backpressure(BackpressurePolicy.PauseUpstream, Capacity = 4)]
        public sealed partial class OrderSink : {{baseClass}}
        {
        {{members}}
        }
        """;

    /// <summary>
    /// Runs the generator; on generator diagnostics returns one as "id: message"; else compiles, loads the assembly,
    /// dispatches <paramref name="item"/> and returns which method ran and whether the returned task is pending.
    /// </summary>
    private static string Dispatch(string source, string item)
    {
        var run = TestCompilation.Run(source + $$"""

            public static class Probe
            {
                public static string Run()
                {
                    var task = new OrderSink().DispatchAsync({{item}});
                    return "ran " + Log.Ran + (task.IsCompleted ? ", completed" : ", pending");
                }
            }
            """);
        // The overload itself may be reported too (its own shape is wrong): the one about the call is the one looked at.
        if (run.GeneratorDiagnostics.OrderBy(static d => d.GetMessage(System.Globalization.CultureInfo.InvariantCulture).Contains("generated call", StringComparison.Ordinal) ? 0 : 1).FirstOrDefault() is { } diagnostic)
        {
            Assert.DoesNotContain("Shop.OrderSink.StreamSink.g.cs", run.Sources.Keys);
            return diagnostic.Id + ": " + diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture);
        }

        using var image = new MemoryStream();
        var result = run.Output.Emit(image);
        Assert.True(result.Success, string.Join("\n", result.Diagnostics));
        var context = new AssemblyLoadContext("SinkHandlerOverload", isCollectible: true);
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
