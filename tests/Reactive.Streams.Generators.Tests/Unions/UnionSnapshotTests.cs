using Reactive.Streams.Generators.Tests.Infrastructure;

namespace Reactive.Streams.Generators.Tests.Unions;

public sealed class UnionSnapshotTests
{
    [Theory]
    [InlineData("LeaseHistory", "Consumer.Leases.LeaseHistoryEvent.EventUnion.g.cs")]
    [InlineData("Completion", "Consumer.Completion.CompletionOutcome.EventUnion.g.cs")]
    [InlineData("NestedInternal", "Outer.InstanceTag.EventUnion.g.cs")]
    public void Emitted_union_source_matches_the_snapshot_and_compiles_warning_free(string sourceName, string hintName)
    {
        var source = (string)typeof(Sources).GetField(sourceName, System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.Public)!.GetValue(null)!;

        var run = TestCompilation.Run(source);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilationDiagnostics);
        Assert.Equal(new[] { hintName }, run.Sources.Keys);
        Snapshot.Match(hintName, run.Sources[hintName]);
    }

    [Fact]
    public void Emitted_sink_source_matches_the_snapshot_and_compiles_warning_free()
    {
        var run = TestCompilation.Run(Sources.LeaseHistory, Sources.LeaseSink);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilationDiagnostics);
        // Core has BackpressureBlock, so the sink also gets its Dataflow target (emitted only then: SinkTargetTests).
        Assert.True(Sinks.SinkTargetTests.CoreHasBlock);
        Snapshot.Match("Consumer.Leases.LeaseSink.StreamSink.WithDataflow.g.cs", run.Sources["Consumer.Leases.LeaseSink.StreamSink.g.cs"]);
    }
}
