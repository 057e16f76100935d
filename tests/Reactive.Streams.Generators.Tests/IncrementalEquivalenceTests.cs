using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Reactive.Streams.Generators.Tests.Infrastructure;

namespace Reactive.Streams.Generators.Tests;

/// <summary>
/// After each edit of a sequence, the driver that ran every earlier step generates exactly what a fresh driver generates
/// for the edited sources (same files, same text, same diagnostics): a sink follows the edits to its union in another
/// file, a union follows a new type that takes its kind enum's name, and a stray variant added elsewhere is reported.
/// </summary>
public sealed class IncrementalEquivalenceTests
{
    private const string Union = """
        #pragma warning disable CS1591
        using Reactive.Streams;
        namespace Shop;
        [EventUnion]
        public abstract partial record Order
        {
            public sealed record Placed(string Id) : Order;
            public sealed record Done : Order;
        }
        """;

    private const string Sink = """
        #pragma warning disable CS1591
        using Reactive.Streams;
        namespace Shop;
        [StreamSink(typeof(Order))]
        [Backpressure(BackpressurePolicy.DropOldest, Capacity = 4)]
        public sealed partial class OrderSink
        {
            public void OnPlaced(Order.Placed item) { }
            public void OnDone(Order.Done item) { }
        }
        """;

    private const string Other = "#pragma warning disable CS1591\nnamespace Shop.Other\n{\n    public static class Helper { public static int Twice(int value) => value * 2; }\n}\n";

    public static TheoryData<string, string[][]> Sequences => new()
    {
        {
            "a variant added to the union, then its handler to the sink",
            new[]
            {
                new[] { Union, Sink, Other },
                new[] { Union.Replace("public sealed record Done : Order;", "public sealed record Done : Order;\n    public sealed record Shipped(string Id) : Order;", StringComparison.Ordinal), Sink, Other },
                new[] { Union.Replace("public sealed record Done : Order;", "public sealed record Done : Order;\n    public sealed record Shipped(string Id) : Order;", StringComparison.Ordinal), Sink.Replace("public void OnDone", "public void OnShipped(Order.Shipped item) { }\n    public void OnDone", StringComparison.Ordinal), Other },
            }
        },
        {
            "the union refused (a keyword variant), then fixed; the sink goes and comes back",
            new[]
            {
                new[] { Union, Sink, Other },
                new[] { Union.Replace("Done : Order", "@class : Order", StringComparison.Ordinal), Sink.Replace("OnDone(Order.Done", "Onclass(Order.@class", StringComparison.Ordinal), Other },
                new[] { Union, Sink, Other },
            }
        },
        {
            "a type named like the kind enum added and removed in another file",
            new[]
            {
                new[] { Union, Sink, Other },
                new[] { Union, Sink, Other + "namespace Shop { public enum OrderKind { A } }\n" },
                new[] { Union, Sink, Other },
            }
        },
        {
            "a stray variant added in another file, then the union's payloads removed",
            new[]
            {
                new[] { Union, Sink, Other },
                new[] { Union, Sink, Other + "namespace Shop { public sealed record Stray(int X) : Order; }\n" },
                new[] { Union.Replace("Placed(string Id)", "Placed", StringComparison.Ordinal), Sink.Replace("public void OnDone", "public void OnOther(Order.Other item) { }\n    public void OnDone", StringComparison.Ordinal), Other },
            }
        },
        {
            "the sink's policy changed, then the sink made generic",
            new[]
            {
                new[] { Union, Sink, Other },
                new[] { Union, Sink.Replace("DropOldest, Capacity = 4", "PauseUpstream, Capacity = 9", StringComparison.Ordinal), Other },
                new[] { Union, Sink.Replace("class OrderSink", "class OrderSink<T>", StringComparison.Ordinal), Other },
            }
        },
    };

    [Theory]
    [MemberData(nameof(Sequences))]
    public void Each_edit_generates_what_a_fresh_run_generates(string what, string[][] steps)
    {
        var compilation = TestCompilation.Create(steps[0]);
        var driver = TestCompilation.CreateDriver(trackSteps: true).RunGenerators(compilation);
        var previous = Describe(driver);
        for (var i = 1; i < steps.Length; i++)
        {
            foreach (var (tree, text) in compilation.SyntaxTrees.ToList().Zip(steps[i]))
            {
                compilation = compilation.ReplaceSyntaxTree(tree, CSharpSyntaxTree.ParseText(text, TestCompilation.ParseOptions, tree.FilePath));
            }

            driver = driver.RunGenerators(compilation);
            var fresh = TestCompilation.CreateDriver().RunGenerators(compilation);

            Assert.True(Describe(fresh) == Describe(driver), $"{what}, step {i}:\nfresh:\n{Describe(fresh)}\nincremental:\n{Describe(driver)}");

            // Every edit of a sequence changes what is generated or reported, so an output left stale would show above.
            Assert.NotEqual(previous, Describe(driver));
            previous = Describe(driver);
        }
    }

    private static string Describe(GeneratorDriver driver)
    {
        var result = driver.GetRunResult().Results.Single();
        Assert.Null(result.Exception);
        var sources = result.GeneratedSources.OrderBy(static s => s.HintName, StringComparer.Ordinal).Select(static s => s.HintName + "\n" + s.SourceText);
        var diagnostics = result.Diagnostics.Select(static d => d.ToString()).Order(StringComparer.Ordinal);
        return string.Join("\n", sources.Concat(diagnostics));
    }
}
