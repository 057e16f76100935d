using Reactive.Streams.Generators.Tests.Infrastructure;

namespace Reactive.Streams.Generators.Tests.Sinks;

/// <summary>
/// The Dataflow target is emitted only where <c>Reactive.Streams.BackpressureBlock&lt;T&gt;</c> exists. While the block is
/// not in Core, a stand-in with its public shape proves the emitted target compiles against it; once it is, the real
/// block is used here and <c>SinkTargetRuntimeTests</c> runs the target.
/// </summary>
public sealed class SinkTargetTests
{
    internal static readonly bool CoreHasBlock = typeof(EventUnionAttribute).Assembly.GetType("Reactive.Streams.BackpressureBlock`1") is not null;

    private const string BlockStandIn = """
        #pragma warning disable CS1591
        using System;
        using System.Threading.Tasks;
        using System.Threading.Tasks.Dataflow;

        namespace Reactive.Streams;

        public sealed class BackpressureBlock<T> : IPropagatorBlock<T, T>, IReceivableSourceBlock<T>
        {
            public BackpressureBlock(BoundedStreamOptions<T> options) => ArgumentNullException.ThrowIfNull(options);
            public Task Completion => Task.CompletedTask;
            public StreamMetricsSnapshot GetMetrics() => default;
            public DataflowMessageStatus OfferMessage(DataflowMessageHeader messageHeader, T messageValue, ISourceBlock<T>? source, bool consumeToAccept) => DataflowMessageStatus.Declined;
            public void Complete() { }
            void IDataflowBlock.Fault(Exception exception) { }
            public IDisposable LinkTo(ITargetBlock<T> target, DataflowLinkOptions linkOptions) => throw new NotSupportedException();
            public T? ConsumeMessage(DataflowMessageHeader messageHeader, ITargetBlock<T> target, out bool messageConsumed) => throw new NotSupportedException();
            public bool ReserveMessage(DataflowMessageHeader messageHeader, ITargetBlock<T> target) => false;
            public void ReleaseReservation(DataflowMessageHeader messageHeader, ITargetBlock<T> target) { }
            public bool TryReceive(Predicate<T>? filter, out T item) => throw new NotSupportedException();
            public bool TryReceiveAll([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out System.Collections.Generic.IList<T>? items) => throw new NotSupportedException();
        }
        """;

    [Fact]
    public void The_Dataflow_target_is_emitted_when_the_compilation_has_BackpressureBlock_and_compiles_warning_free()
    {
        var run = CoreHasBlock
            ? TestCompilation.Run(Sources.LeaseHistory, Sources.LeaseSink)
            : TestCompilation.Run(Sources.LeaseHistory, Sources.LeaseSink, BlockStandIn);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilationDiagnostics);
        var generated = run.Sources["Consumer.Leases.LeaseSink.StreamSink.g.cs"];
        Assert.Contains("public Target CreateTarget(", generated, StringComparison.Ordinal);
        Assert.Contains("new global::Reactive.Streams.BackpressureBlock<global::Consumer.Leases.LeaseHistoryEvent>(options)", generated, StringComparison.Ordinal);
    }

    [Fact]
    public void The_Dataflow_target_is_emitted_exactly_when_Core_has_BackpressureBlock()
    {
        var run = TestCompilation.Run(Sources.LeaseHistory, Sources.LeaseSink);

        Assert.Equal(CoreHasBlock, run.Sources["Consumer.Leases.LeaseSink.StreamSink.g.cs"].Contains("CreateTarget", StringComparison.Ordinal));
    }

    [Fact]
    public void The_Dataflow_target_is_emitted_when_another_reference_also_defines_a_BackpressureBlock()
    {
        // A test double or an embedded copy: Compilation.GetTypeByMetadataName answers null for a name two references
        // define, which left the sink without its Dataflow target.
        var copy = Microsoft.CodeAnalysis.CSharp.CSharpCompilation.Create(
            "Embedded",
            [Microsoft.CodeAnalysis.CSharp.CSharpSyntaxTree.ParseText("namespace Reactive.Streams { internal sealed class BackpressureBlock<T> { } }", TestCompilation.ParseOptions)],
            TestCompilation.References,
            new Microsoft.CodeAnalysis.CSharp.CSharpCompilationOptions(Microsoft.CodeAnalysis.OutputKind.DynamicallyLinkedLibrary));
        using var image = new MemoryStream();
        Assert.True(copy.Emit(image).Success);
        var compilation = TestCompilation.Create(Sources.LeaseHistory, Sources.LeaseSink)
            .AddReferences(Microsoft.CodeAnalysis.MetadataReference.CreateFromImage(image.ToArray()));
        Assert.Null(compilation.GetTypeByMetadataName("Reactive.Streams.BackpressureBlock`1"));

        TestCompilation.CreateDriver().RunGeneratorsAndUpdateCompilation(compilation, out var output, out var generatorDiagnostics);

        Assert.Empty(generatorDiagnostics);
        Assert.Empty(output.GetDiagnostics().Where(static d => d.Severity >= Microsoft.CodeAnalysis.DiagnosticSeverity.Warning));
        var generated = output.SyntaxTrees.Single(static t => t.FilePath.EndsWith("LeaseSink.StreamSink.g.cs", StringComparison.Ordinal)).ToString();
        Assert.Equal(CoreHasBlock, generated.Contains("public Target CreateTarget(", StringComparison.Ordinal));
    }
}
