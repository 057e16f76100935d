using Microsoft.CodeAnalysis;
using Reactive.Streams.Generators.Tests.Infrastructure;
using Reactive.Streams.Generators.Tests.Unions;

namespace Reactive.Streams.Generators.Tests.Sinks;

/// <summary>
/// Declarations a user of C# records writes around unions and sinks (block, nested, global and keyword namespaces; unions
/// of one name in two namespaces; private, inherited and abstract handlers; named attribute arguments; sink members named
/// like the adapters' own; C# 9 to 12 in a nullable-disabled file): the generated code compiles with no diagnostic.
/// </summary>
public sealed class SinkShapeTests
{
    [Theory]
    [InlineData("namespace @class.Shop;")]
    [InlineData("namespace Shop { namespace Inner {")]
    [InlineData("namespace Order;")]
    [InlineData("")]
    public void A_union_and_its_sink_compile_in_any_namespace_form(string ns)
    {
        var close = ns.Contains('{', StringComparison.Ordinal) ? "} }" : string.Empty;
        var run = TestCompilation.Run($$"""
            #pragma warning disable CS1591
            using Reactive.Streams;
            {{ns}}
            [EventUnion]
            public abstract partial record Order
            {
                public sealed record Placed(string Id) : Order;
                public sealed record Done(string Id) : Order;
            }
            [StreamSink(typeof(Order))]
            [Backpressure(BackpressurePolicy.Fail)]
            public partial class OrderSink
            {
                public void OnPlaced(Order.Placed item) { }
                public void OnDone(Order.Done item) { }
            }
            {{close}}
            """);
        UnionNameEdgeCaseTests.AssertCompilesOrDiagnosed(run);
        Assert.Empty(run.GeneratorDiagnostics);
    }

    [Fact]
    public void Unions_of_one_name_in_two_namespaces_and_two_sinks_of_one_union_compile()
    {
        var run = TestCompilation.Run("""
            #pragma warning disable CS1591
            using Reactive.Streams;
            namespace A { [EventUnion] public abstract partial record Order { public sealed record Placed(string Id) : Order; public sealed record Done : Order; }
              [StreamSink(typeof(Order))] [Backpressure(BackpressurePolicy.Fail)] public partial class Sink { public void OnPlaced(Order.Placed item) { } public void OnDone(Order.Done item) { } }
              [StreamSink(typeof(Order))] [Backpressure(BackpressurePolicy.DropOldest)] public partial class Sink2 { public void OnPlaced(Order.Placed item) { } public void OnDone(Order.Done item) { } public void OnUnknown(Order.Unknown item) { } } }
            namespace B { [EventUnion] public abstract partial record Order { public sealed record Placed : Order; public sealed record Done : Order; }
              [StreamSink(typeof(Order))] [Backpressure(BackpressurePolicy.Fail)] public partial class Sink { public void OnPlaced(Order.Placed item) { } public void OnDone(Order.Done item) { } public void OnOther(Order.Other item) { } } }
            [StreamSink(typeof(A.Order))] [Backpressure(BackpressurePolicy.PauseUpstream)] public partial class Sink { public void OnPlaced(A.Order.Placed item) { } public void OnDone(A.Order.Done item) { } }
            """);
        Assert.Empty(run.GeneratorDiagnostics);
        UnionNameEdgeCaseTests.AssertCompilesOrDiagnosed(run);
    }

    [Theory]
    [InlineData("public partial class Sinks { [StreamSink(typeof(Order))] [Backpressure(BackpressurePolicy.Fail)] private sealed partial class S { private void OnPlaced(Order.Placed item) { } private ValueTask OnDone(Order.Done item, CancellationToken token = default) => default; } }")]
    [InlineData("public abstract class SinkBase<T> { protected virtual void OnPlaced(Order.Placed item) { } } [StreamSink(typeof(Order))] [Backpressure(BackpressurePolicy.DropOldest)] public abstract partial class S : SinkBase<int> { public abstract void OnDone(Order.Done item); }")]
    [InlineData("[StreamSink(unionType: typeof(Order))] [Backpressure(policy: BackpressurePolicy.DegradeQuality, Degrader = \"Coarsen\", Capacity = 3)] public sealed partial class S { public void OnPlaced(Order.Placed item) { } public void OnDone(Order.Done item) { } public void OnUnknown(Order.Unknown item) { } static Order Coarsen(Order o) => o; }")]
    [InlineData("[StreamSink(typeof(Order))] [Backpressure(BackpressurePolicy.PauseUpstream)] public sealed partial class Observer2 { public void OnPlaced(Order.Placed item) { } public void OnDone(Order.Done item) { } public int Name => 1; public int Options => 2; public int Unroutable => 3; public int _sink => 4; public int Completion => 5; public int GetMetrics => 6; public int WriteAsync => 7; public int item => 8; public int cancellationToken => 9; public int timeProvider => 10; public int Degrader => 11; public int TimeProvider => 12; }")]
    [InlineData("[StreamSink(typeof(Order))] [Backpressure(BackpressurePolicy.Fail)] public sealed partial class S { public void OnPlaced(Order.Placed item) { } public void OnDone(Order.Done item) { } public class Reactive { } public class System { } }")]
    [InlineData("[StreamSink(typeof(Order))] [Backpressure(BackpressurePolicy.Fail)] public sealed partial class S { public void OnPlaced(Order.Placed item) { } public void OnDone(Order.Done item) { } public class Placed { } public class Done { } public class Unknown { } public class Shop { } }")]
    public void Sinks_of_any_shape_the_generator_accepts_compile(string sink)
    {
        var run = TestCompilation.Run($$"""
            #pragma warning disable CS1591, CS8981
            using System.Threading;
            using System.Threading.Tasks;
            using Reactive.Streams;
            namespace Shop;
            [EventUnion]
            public abstract partial record Order
            {
                public sealed record Placed(string Id) : Order;
                public sealed record Done(string Id) : Order;
            }
            {{sink}}
            """);
        Assert.Empty(run.GeneratorDiagnostics);
        UnionNameEdgeCaseTests.AssertCompilesOrDiagnosed(run);
    }

    [Theory]
    [InlineData(Microsoft.CodeAnalysis.CSharp.LanguageVersion.CSharp9)]
    [InlineData(Microsoft.CodeAnalysis.CSharp.LanguageVersion.CSharp10)]
    [InlineData(Microsoft.CodeAnalysis.CSharp.LanguageVersion.CSharp11)]
    [InlineData(Microsoft.CodeAnalysis.CSharp.LanguageVersion.CSharp12)]
    public void Nested_unions_and_sinks_of_every_policy_compile_in_a_nullable_disabled_file_from_CSharp_9(Microsoft.CodeAnalysis.CSharp.LanguageVersion version)
    {
        var options = TestCompilation.ParseOptions.WithLanguageVersion(version);
        var compilation = TestCompilation.Create("""
            #pragma warning disable CS1591
            #nullable disable
            using Reactive.Streams;
            namespace Shop
            {
                public partial class Holder
                {
                    [EventUnion]
                    internal abstract partial record Order
                    {
                        public sealed record Placed(string Id, int Qty = 3, string Note = null, System.DayOfWeek Day = System.DayOfWeek.Monday) : Order;
                        public sealed record Cancelled(string Id, int Qty) : Order;
                    }

                    [StreamSink(typeof(Order))]
                    [Backpressure(BackpressurePolicy.DegradeQuality, Capacity = 4, Degrader = nameof(Keep))]
                    internal partial class OrderSink
                    {
                        public void OnPlaced(Order.Placed item) { }
                        public System.Threading.Tasks.ValueTask OnCancelled(Order.Cancelled item, System.Threading.CancellationToken token) => default;
                        public void OnUnknown(Order.Unknown item) { }
                        private static Order Keep(Order o) => o;
                    }

                    [EventUnion]
                    private abstract partial record Status
                    {
                        public sealed record Open : Status;
                        public sealed record Closed : Status;
                    }

                    [StreamSink(typeof(Status))]
                    [Backpressure(BackpressurePolicy.DropOldest, Capacity = 4)]
                    private partial class StatusSink
                    {
                        public void OnOpen(Status.Open item) { }
                        public void OnClosed(Status.Closed item) { }
                        public void OnOther(Status.Other item) { }
                    }
                }
            }
            """);
        compilation = compilation.RemoveAllSyntaxTrees().AddSyntaxTrees(
            compilation.SyntaxTrees.Select(t => Microsoft.CodeAnalysis.CSharp.CSharpSyntaxTree.ParseText(t.GetText(), options, t.FilePath)));
        var driver = Microsoft.CodeAnalysis.CSharp.CSharpGeneratorDriver.Create([new EventUnionGenerator().AsSourceGenerator()], parseOptions: options);
        driver.RunGeneratorsAndUpdateCompilation(compilation, out var output, out var generatorDiagnostics);
        Assert.Empty(generatorDiagnostics);
        var errors = output.GetDiagnostics().Where(static d => d.Severity >= DiagnosticSeverity.Warning).Select(static d => d.ToString()).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors.Take(20)));
    }
}
