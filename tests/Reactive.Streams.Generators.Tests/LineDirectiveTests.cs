using System.Globalization;
using Microsoft.CodeAnalysis;
using Reactive.Streams.Generators.Tests.Infrastructure;

namespace Reactive.Streams.Generators.Tests;

/// <summary>
/// A file whose lines come from elsewhere says so with <c>#line</c> (a template's output, a page's code, the docs'
/// snippets): the compiler reports its own errors at the line the directive maps to, and the generator's diagnostics
/// point where the compiler's do, not at the raw line of the generated text.
/// </summary>
public sealed class LineDirectiveTests
{
    private const string Source = """
        #pragma warning disable CS1591
        using Reactive.Streams;
        namespace Shop;
        #line 40 "Templates/Order.tt"
        [EventUnion]
        public abstract record Order
        {
            public sealed record Placed(string Id) : Order;
        }
        #line 70 "Templates/OrderSink.tt"
        [StreamSink(typeof(Order))]
        [Backpressure(BackpressurePolicy.Fail)]
        public sealed partial class OrderSink
        {
        }
        #line default
        [EventUnion]
        public abstract partial record Status
        {
            public sealed record Open : Status;
            public record Closed : Status;
        }
        """;

    [Fact]
    public void A_generator_diagnostic_in_a_file_with_line_directives_is_reported_at_the_mapped_line()
    {
        var run = TestCompilation.Run(Source);

        var reported = run.GeneratorDiagnostics
            .Select(static d => (d.Id, Span: d.Location.GetMappedLineSpan(), Message: d.GetMessage(CultureInfo.InvariantCulture)))
            .OrderBy(static d => d.Span.Path, StringComparer.Ordinal)
            .ThenBy(static d => d.Span.StartLinePosition.Line)
            .Select(static d => $"{d.Id} {d.Span.Path}:{d.Span.StartLinePosition.Line + 1}:{d.Span.StartLinePosition.Character + 1}")
            .ToList();

        // RXS1001 at the union's name on the template's line 41; RXS1004 at the sink's name on line 72; RXS1002 at the
        // variant that is not sealed, after '#line default', on its own line of the file.
        Assert.Equal(
            new[]
            {
                "RXS1002 Source0.cs:21:19",
                "RXS1001 Templates/Order.tt:41:24",
                "RXS1004 Templates/OrderSink.tt:72:29",
            },
            reported);

        // The raw position is kept: the diagnostic still belongs to the file the compiler read.
        Assert.All(run.GeneratorDiagnostics, static d => Assert.Equal("Source0.cs", d.Location.GetLineSpan().Path));
    }
}
