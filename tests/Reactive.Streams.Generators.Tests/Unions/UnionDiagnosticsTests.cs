using Microsoft.CodeAnalysis;
using Reactive.Streams.Generators.Tests.Infrastructure;

namespace Reactive.Streams.Generators.Tests.Unions;

public sealed class UnionDiagnosticsTests
{
    [Theory]
    [InlineData("public abstract record Event { public sealed record A(int X) : Event; }", "partial")]
    [InlineData("public partial record Event { public sealed record A(int X) : Event; }", "abstract")]
    [InlineData("public abstract partial class Event { public sealed class A : Event { } }", "a record class")]
    [InlineData("public abstract partial record Event<T> { public sealed record A(T X) : Event<T>; }", "non-generic")]
    [InlineData("public static class Holder { [EventUnion] public abstract partial record Inner { public sealed record A(int X) : Inner; } }", "'Holder' is not one")]
    [InlineData("file abstract partial record Event { public sealed record A(int X) : Event; }", "not file-local")]
    [InlineData("public abstract partial record Event(string Id) { public sealed record A(string Id, int X) : Event(Id); }", "constructible without arguments")]
    [InlineData("public abstract partial record Event { protected Event(int x) { } public sealed record A() : Event(1); }", "constructible without arguments")]
    [InlineData("file static partial class Holder { [EventUnion] public abstract partial record Inner { public sealed record A(int X) : Inner; } }", "not file-local ('Holder' is one)")]
    public void RXS1001_reports_a_union_of_the_wrong_shape_and_generates_nothing_for_it(string declaration, string reason)
    {
        var source = "using Reactive.Streams;\n" + (declaration.Contains("[EventUnion]", StringComparison.Ordinal) ? declaration : "[EventUnion]\n" + declaration);

        var run = TestCompilation.Run(source);

        var diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("RXS1001", diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Contains(reason, diagnostic.GetMessage(), StringComparison.Ordinal);
        Assert.Empty(run.Sources);
    }

    [Fact]
    public void RXS1002_reports_a_variant_that_is_not_sealed()
    {
        const string Source = """
            using Reactive.Streams;
            [EventUnion]
            public abstract partial record Event
            {
                public record Open(int X) : Event;
                public sealed record Closed(int X) : Event;
            }
            """;

        var run = TestCompilation.Run(Source);

        var diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("RXS1002", diagnostic.Id);
        Assert.Equal("Open", SourceAt(run, diagnostic));
        Assert.Contains("must be sealed", diagnostic.GetMessage(), StringComparison.Ordinal);
    }

    // A variant without positional parameters is created with new() by FromWire (payload-less unions) and by the converter:
    // one whose only constructors take arguments, or are private, was CS7036/CS0122 in generated code.
    [Theory]
    [InlineData("public sealed record Closed : Event { public Closed(string reason) { } }", true)]
    [InlineData("public sealed record Closed : Event { private Closed() { } public static readonly Closed Instance = new(); }", true)]
    [InlineData("public sealed record Closed : Event { protected Closed(int x) { } }", true)]
    [InlineData("public sealed record Closed : Event { internal Closed() { } }", false)]
    [InlineData("public sealed record Closed : Event { public Closed() { } public Closed(string reason) : this() { } }", false)]
    [InlineData("public sealed record Closed(int Code) : Event { public Closed() : this(0) { } }", false)]
    public void RXS1002_reports_a_variant_without_positional_parameters_that_cannot_be_created_without_arguments(string variant, bool reported)
    {
        foreach (var other in new[] { "public sealed record Open : Event;", "public sealed record Open(int X) : Event;" })
        {
            var run = TestCompilation.Run($$"""
                #pragma warning disable CS1591
                using Reactive.Streams;
                [EventUnion]
                public abstract partial record Event
                {
                    {{other}}
                    {{variant}}
                }
                """);

            UnionNameEdgeCaseTests.AssertCompilesOrDiagnosed(run);
            if (reported)
            {
                var diagnostic = Assert.Single(run.GeneratorDiagnostics);
                Assert.Equal("RXS1002", diagnostic.Id);
                Assert.Equal("Closed", SourceAt(run, diagnostic));
                Assert.Contains("constructor without parameters", diagnostic.GetMessage(), StringComparison.Ordinal);
                Assert.Empty(run.Sources);
            }
            else
            {
                Assert.Empty(run.GeneratorDiagnostics);
                Assert.Empty(run.CompilationDiagnostics);
            }
        }
    }

    // The generated Match and Switch are as accessible as the union and take every variant: a variant code seeing the
    // union cannot see was CS0051 in generated code (and CS0122 in the converter for a private one).
    [Theory]
    [InlineData("public", "internal", true)]
    [InlineData("public", "private", true)]
    [InlineData("public", "protected", true)]
    [InlineData("public", "private protected", true)]
    [InlineData("public", "protected internal", true)]
    [InlineData("internal", "private", true)]
    [InlineData("internal", "internal", false)]
    [InlineData("internal", "protected internal", false)]
    [InlineData("public", "public", false)]
    public void RXS1002_reports_a_variant_less_accessible_than_its_union(string unionAccess, string variantAccess, bool reported)
    {
        foreach (var payload in new[] { "(int X)", string.Empty })
        {
            var run = TestCompilation.Run($$"""
                #pragma warning disable CS1591
                using Reactive.Streams;
                [EventUnion]
                {{unionAccess}} abstract partial record Event
                {
                    public sealed record Open{{payload}} : Event;
                    {{variantAccess}} sealed record Hidden{{payload}} : Event;
                }
                """);

            if (reported)
            {
                var diagnostic = Assert.Single(run.GeneratorDiagnostics);
                Assert.Equal("RXS1002", diagnostic.Id);
                Assert.Equal("Hidden", SourceAt(run, diagnostic));
                Assert.Equal("Variant 'Hidden' of event union 'Event' is less accessible than its union, whose generated Match and Switch take every variant (CS0051); make it public", diagnostic.GetMessage());
                Assert.Empty(run.Sources);
            }
            else
            {
                Assert.Empty(run.GeneratorDiagnostics);
                Assert.NotEmpty(run.Sources);
            }

            Assert.Empty(run.CompilationDiagnostics);
        }
    }

    // The generated Unknown/Other cannot implement an abstract member of the union's (CS0534 in generated code).
    [Theory]
    [InlineData("public abstract string Describe();", "(int X)", "Describe", "Describe")]
    [InlineData("public abstract string Describe();", "", "Describe", "Describe")]
    [InlineData("public abstract int X { get; init; }", "(int X)", "X", "X")]
    [InlineData("public abstract event System.Action Changed;", "(int X)", "Changed", "Changed")]
    [InlineData("public abstract int this[int i] { get; }", "(int X)", "this", "this")]
    public void RXS1001_reports_a_union_with_an_abstract_member_at_that_member(string member, string payload, string name, string at)
    {
        var overrides = member switch
        {
            _ when member.Contains("Describe", StringComparison.Ordinal) => "public override string Describe() => \"\";",
            _ when member.Contains("event", StringComparison.Ordinal) => "public override event System.Action Changed { add { } remove { } }",
            _ when member.Contains("this", StringComparison.Ordinal) => "public override int this[int i] => i;",
            _ => string.Empty,
        };
        var run = TestCompilation.Run($$"""
            #pragma warning disable CS1591
            using Reactive.Streams;
            [EventUnion]
            public abstract partial record Event
            {
                {{member}}
                public sealed record A{{payload}} : Event { {{overrides}} }
                public sealed record B{{payload}} : Event { {{overrides}} }
            }
            """);

        var diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("RXS1001", diagnostic.Id);
        Assert.StartsWith($"'Event' must be without abstract members ('{name}' is one), which the generated fallback variant (Unknown or Other) cannot implement", diagnostic.GetMessage(), StringComparison.Ordinal);
        Assert.Equal(at, SourceAt(run, diagnostic));
        Assert.Empty(run.Sources);
        Assert.Empty(run.CompilationDiagnostics);
    }

    [Fact]
    public void RXS1001_reports_a_union_that_inherits_an_abstract_member_it_does_not_implement()
    {
        var run = TestCompilation.Run("""
            #pragma warning disable CS1591
            using Reactive.Streams;
            public abstract record Base
            {
                public abstract string Source { get; init; }
            }

            [EventUnion]
            public abstract partial record Event : Base
            {
                public sealed record A(string Source) : Event;
                public sealed record B(string Source) : Event;
            }
            """);

        var diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("RXS1001", diagnostic.Id);
        Assert.Contains("('Base.Source' is one)", diagnostic.GetMessage(), StringComparison.Ordinal);
        Assert.Equal("Event", SourceAt(run, diagnostic));
        Assert.Empty(run.Sources);
        Assert.Empty(run.CompilationDiagnostics);
    }

    // The variants' Source is the base's (or hides it): a lifted abstract Source hid it too (CS0108, CS0114 in generated code).
    [Theory]
    [InlineData("public virtual string Source { get; init; } = \"\";")]
    [InlineData("public string Source { get; init; } = \"\";")]
    public void A_property_every_variant_shares_with_a_base_of_the_union_is_not_lifted(string property)
    {
        var run = TestCompilation.Run($$"""
            #pragma warning disable CS1591
            using Reactive.Streams;
            public abstract record Base
            {
                [System.Text.Json.Serialization.JsonIgnore]
                {{property}}
            }

            [EventUnion]
            public abstract partial record Event : Base
            {
                public sealed record A(string Source, int Id) : Event;
                public sealed record B(string Source, int Id) : Event;

                public static int Shared(Event e) => e.Id;
            }
            """);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.NotEmpty(run.Sources);
        // The user's own code warns that the positional Source is unread (CS8907: the base's property is used); the
        // generated code must not add anything.
        Assert.All(run.CompilationDiagnostics, static d => Assert.Equal("CS8907", d.Id));
    }

    [Fact]
    public void A_union_deriving_from_a_record_whose_abstract_members_it_implements_compiles()
    {
        var run = TestCompilation.Run("""
            #pragma warning disable CS1591
            using Reactive.Streams;
            public abstract record Base
            {
                public abstract string Describe();
                public abstract override string ToString();
            }

            [EventUnion]
            public abstract partial record Event : Base
            {
                public override string Describe() => "event";
                public sealed record A(string Source) : Event;
                public sealed record B(string Source) : Event;
            }
            """);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.NotEmpty(run.Sources);
        Assert.Empty(run.CompilationDiagnostics);
    }

    // The generated Unknown/Other derives from the union through a constructor call without arguments (CS1729 otherwise).
    [Theory]
    [InlineData("public abstract partial record Event() { public sealed record A(int X) : Event; }")]
    [InlineData("public abstract partial record Event([property: System.Text.Json.Serialization.JsonIgnore] string Source = \"here\") { public sealed record A(int X) : Event; }")]
    [InlineData("public abstract partial record Event { protected Event(int x) { } protected Event() { } public sealed record A(int X) : Event(X); }")]
    [InlineData("public abstract partial record Event { protected Event(params int[] xs) { } public sealed record A(int X) : Event(X); }")]
    public void A_union_whose_constructor_needs_no_argument_compiles(string declaration)
    {
        var run = TestCompilation.Run("#pragma warning disable CS1591\nusing Reactive.Streams;\n[EventUnion]\n" + declaration);

        Assert.DoesNotContain(run.GeneratorDiagnostics, static d => d.Id == "RXS1001");
        Assert.NotEmpty(run.Sources);
        Assert.DoesNotContain(run.CompilationDiagnostics, static d => d.Location.SourceTree?.FilePath.EndsWith(".g.cs", StringComparison.Ordinal) == true);
    }

    [Fact]
    public void A_variant_of_a_union_seen_only_in_its_containing_type_may_be_internal()
    {
        var run = TestCompilation.Run("""
            #pragma warning disable CS1591
            using Reactive.Streams;
            public partial class Holder
            {
                [EventUnion]
                private abstract partial record Event
                {
                    internal sealed record Open(int X) : Event;
                    protected internal sealed record Closed(int X) : Event;
                }
            }
            """);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilationDiagnostics);
    }

    [Fact]
    public void RXS1002_reports_a_variant_declared_outside_its_union_in_another_file()
    {
        const string Union = """
            using Reactive.Streams;
            [EventUnion]
            public abstract partial record Event
            {
                public sealed record Inside(int X) : Event;
            }
            """;
        const string Stray = "public sealed record Outside(int X) : Event;";

        var run = TestCompilation.Run(Union, Stray);

        var diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("RXS1002", diagnostic.Id);
        Assert.Equal("Outside", SourceAt(run, diagnostic));
        Assert.Contains("must be declared inside the union", diagnostic.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void RXS1002_reports_a_variant_that_takes_the_name_of_the_generated_fallback()
    {
        const string Source = """
            using Reactive.Streams;
            [EventUnion]
            public abstract partial record Event
            {
                public sealed record Unknown(int X) : Event;
                public sealed record Known(int X) : Event;
            }
            """;

        var run = TestCompilation.Run(Source);

        Assert.Equal("RXS1002", Assert.Single(run.GeneratorDiagnostics).Id);
    }

    [Fact]
    public void RXS1003_reports_two_variants_with_the_same_wire_name()
    {
        const string Source = """
            using Reactive.Streams;
            [EventUnion]
            public abstract partial record Event
            {
                public sealed record LeaseLost(int X) : Event;
                [WireName("lease_lost")]
                public sealed record Lost(int X) : Event;
            }
            """;

        var run = TestCompilation.Run(Source);

        var diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("RXS1003", diagnostic.Id);
        Assert.Equal("Lost", SourceAt(run, diagnostic));
        Assert.Equal("Variants 'LeaseLost' and 'Lost' of event union 'Event' share the wire name 'lease_lost'", diagnostic.GetMessage());
    }

    [Fact]
    public void Every_descriptor_links_to_its_docs_page_and_the_page_exists()
    {
        var ids = new[] { "RXS1001", "RXS1002", "RXS1003", "RXS1004", "RXS1005", "RXS1006", "RXS1007", "RXS1008" };
        var root = RepositoryRoot();

        foreach (var id in ids)
        {
            var descriptor = Diagnostics.ById(id);
            Assert.EndsWith($"docs/rules/{id}.md", descriptor.HelpLinkUri, StringComparison.Ordinal);
            var page = Path.Combine(root, "docs", "rules", id + ".md");
            Assert.True(File.Exists(page), $"Missing {page}");
            var text = File.ReadAllText(page);
            Assert.Contains("## Configure", text, StringComparison.Ordinal);
            Assert.Contains($"dotnet_diagnostic.{id}.severity", text, StringComparison.Ordinal);
        }
    }

    /// <summary>The source text a diagnostic points at (its location is plain data: a path and a span).</summary>
    internal static string SourceAt(GeneratorRun run, Diagnostic diagnostic)
    {
        var path = diagnostic.Location.GetLineSpan().Path;
        var tree = run.Output.SyntaxTrees.Single(t => t.FilePath == path);
        return tree.GetText().ToString(diagnostic.Location.SourceSpan);
    }

    private static string RepositoryRoot([System.Runtime.CompilerServices.CallerFilePath] string path = "")
    {
        for (var directory = Path.GetDirectoryName(path); directory is not null; directory = Path.GetDirectoryName(directory))
        {
            if (File.Exists(Path.Combine(directory, "Reactive.Streams.sln")))
            {
                return directory;
            }
        }

        throw new InvalidOperationException("No repository root above " + path);
    }
}
