using Reactive.Streams.Analyzers.Rules;
using Verifier = Reactive.Streams.Analyzers.Tests.Infrastructure.Verify<Reactive.Streams.Analyzers.Rules.MissingBackpressureAttributeAnalyzer>;

namespace Reactive.Streams.Analyzers.Tests.Rules;

public sealed class MissingBackpressureAttributeAnalyzerTests
{
    private const string Union = """

        [EventUnion]
        public abstract partial record Ev
        {
            public sealed partial record A(int X) : Ev;
        }
        """;

    [Fact]
    public Task StreamSink_without_Backpressure_is_reported_on_the_class_name() =>
        Verifier.AnalyzerAsync("""
            using Reactive.Streams;

            [StreamSink(typeof(Ev))]
            public partial class {|#0:Sink|}
            {
            }
            """ + Union,
            Verifier.Diagnostic(DiagnosticIds.MissingBackpressureAttribute).WithLocation(0).WithArguments("Sink", "[StreamSink] class"));

    [Fact]
    public Task StreamSink_with_Backpressure_on_another_partial_part_is_not_reported() =>
        Verifier.AnalyzerAsync("""
            using Reactive.Streams;

            [StreamSink(typeof(Ev))]
            public partial class Sink
            {
            }

            [Backpressure(BackpressurePolicy.DropOldest)]
            public partial class Sink
            {
            }
            """ + Union);

    [Fact]
    public Task Class_without_StreamSink_needs_no_Backpressure() =>
        Verifier.AnalyzerAsync("""
            using Reactive.Streams;

            public partial class Plain
            {
            }
            """ + Union);

    [Fact]
    public Task Nothing_is_reported_when_the_library_is_not_referenced() =>
        Verifier.AnalyzerAsync(
            """
            [StreamSink]
            public partial class Sink
            {
            }

            public sealed class StreamSinkAttribute : System.Attribute
            {
            }
            """,
            withLibrary: false,
            editorConfig: null);
}
