using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Reactive.Streams.Analyzers.Rules;
using Reactive.Streams.Analyzers.Tests.Infrastructure;
using Reactive.Streams.Generators;

namespace Reactive.Streams.Analyzers.Tests.Rules;

/// <summary>
/// RXSP0001 suppresses the compiler's CS8509 on a switch expression over an <c>[EventUnion]</c> type exactly when it
/// handles every declared variant and the generated fallback, and the union's hierarchy is closed. The compiler is the
/// oracle: each case is compiled with the generator (as a user's project is), every analyzer of the package and the
/// suppressor running, and reads which CS8509s remain and which are suppressed.
/// </summary>
public sealed class ExhaustiveUnionSwitchSuppressorTests
{
    private static readonly CSharpParseOptions s_parse = CSharpParseOptions.Default.WithLanguageVersion(LanguageVersion.Latest);

    // Also the configuration tests' union.
    internal const string Lease = """
        using Reactive.Streams;

        [EventUnion]
        public abstract partial record Lease
        {
            public sealed record Acquired(string Id) : Lease;
            public sealed record Revoked(string Id, string By) : Lease;
        }

        """;

    private static readonly Lazy<MetadataReference> s_contracts = new(() => TestReferences.CompiledUnionLibrary(
        "Contoso.Contracts",
        """
                using Reactive.Streams;

                namespace Contoso;

                [EventUnion]
                public abstract partial record Shipment
                {
                    public sealed record Sent(string Id) : Shipment;
                    public sealed record Lost(string Id) : Shipment;
                }
                """,
        s_parse));

    [Fact]
    public async Task Every_variant_and_Unknown_handled_suppresses_CS8509()
    {
        var found = await FindingsAsync(Lease + """
            class C
            {
                int Describe(Lease e) => e switch
                {
                    Lease.Acquired => 1,
                    Lease.Revoked(_, var by) => by.Length,
                    Lease.Unknown u => u.RawWireName.Length,
                };
            }
            """);

        Assert.Equal(["CS8509@11 suppressed"], found);
    }

    [Fact]
    public async Task Unknown_not_handled_keeps_CS8509_because_a_newer_producer_s_variant_throws()
    {
        var found = await FindingsAsync(Lease + """
            class C
            {
                int Describe(Lease e) => e switch
                {
                    Lease.Acquired => 1,
                    Lease.Revoked => 2,
                };
            }
            """);

        Assert.Equal(["CS8509@11"], found);
    }

    [Fact]
    public async Task A_missing_variant_keeps_CS8509_beside_RXS0006()
    {
        var found = await FindingsAsync(Lease + """
            class C
            {
                int Describe(Lease e) => e switch
                {
                    Lease.Acquired => 1,
                    Lease.Unknown => 3,
                };
            }
            """);

        Assert.Equal(["CS8509@11", "RXS0006@11"], found);
    }

    [Fact]
    public async Task Combined_patterns_count_as_RXS0006_counts_them()
    {
        var found = await FindingsAsync(Lease + """
            class C
            {
                int Or(Lease e) => e switch
                {
                    Lease.Acquired or Lease.Unknown => 1,
                    Lease.Revoked { By: var by } => by.Length,
                };

                int Not(Lease e) => e switch
                {
                    Lease.Acquired => 1,
                    not Lease.Acquired => 2,
                };

                // A property pattern on a reference member does not match null: Revoked is not handled.
                int Partial(Lease e) => e switch
                {
                    Lease.Acquired => 1,
                    Lease.Revoked { By: { } } => 2,
                    Lease.Unknown => 3,
                };
            }
            """);

        // `not Lease.Acquired` covers everything but Acquired: the compiler itself sees that one as exhaustive.
        Assert.Equal(["CS8509@11 suppressed", "CS8509@24", "RXS0006@24"], found);
    }

    [Fact]
    public async Task A_when_guard_handles_nothing_but_an_unguarded_arm_beside_it_does()
    {
        var found = await FindingsAsync(Lease + """
            class C
            {
                int Guarded(Lease e) => e switch
                {
                    Lease.Acquired a when a.Id.Length > 0 => 1,
                    Lease.Revoked => 2,
                    Lease.Unknown => 3,
                };

                int GuardedThenPlain(Lease e) => e switch
                {
                    Lease.Acquired a when a.Id.Length > 0 => 1,
                    Lease.Acquired => 0,
                    Lease.Revoked => 2,
                    Lease.Unknown => 3,
                };
            }
            """);

        Assert.Equal(["CS8509@11", "RXS0006@11", "CS8509@18 suppressed"], found);
    }

    [Fact]
    public async Task Nested_switch_expressions_are_judged_each_on_its_own_arms()
    {
        var found = await FindingsAsync(Lease + """
            class C
            {
                int Outer(Lease e, Lease f) => e switch
                {
                    Lease.Acquired => f switch
                    {
                        Lease.Acquired => 1,
                        Lease.Revoked => 2,
                    },
                    Lease.Revoked => 3,
                    Lease.Unknown => f switch
                    {
                        Lease.Acquired => 1,
                        Lease.Revoked => 2,
                        Lease.Unknown => 3,
                    },
                };
            }
            """);

        Assert.Equal(["CS8509@11 suppressed", "CS8509@13", "CS8509@19 suppressed"], found);
    }

    [Fact]
    public async Task A_union_without_payloads_needs_its_Other()
    {
        var found = await FindingsAsync("""
            using Reactive.Streams;

            [EventUnion]
            public abstract partial record Signal
            {
                public sealed record Start : Signal;
                public sealed record Stop : Signal;
            }

            class C
            {
                int All(Signal s) => s switch
                {
                    Signal.Start => 1,
                    Signal.Stop => 2,
                    Signal.Other o => o.WireName.Length,
                };

                int WithoutOther(Signal s) => s switch
                {
                    Signal.Start => 1,
                    Signal.Stop => 2,
                };
            }
            """);

        Assert.Equal(["CS8509@12 suppressed", "CS8509@19"], found);
    }

    [Fact]
    public async Task An_input_that_is_not_the_union_keeps_CS8509()
    {
        var found = await FindingsAsync("""
            using Reactive.Streams;

            public interface IHasId { string Id { get; } }

            [EventUnion]
            public abstract partial record Lease
            {
                public sealed record Acquired(string Id) : Lease, IHasId;
                public sealed record Revoked(string Id) : Lease, IHasId;
            }

            class C
            {
                int OfObject(object e) => e switch
                {
                    Lease.Acquired => 1,
                    Lease.Revoked => 2,
                    Lease.Unknown => 3,
                };

                int OfInterface(IHasId e) => e switch
                {
                    Lease.Acquired => 1,
                    Lease.Revoked => 2,
                };
            }
            """);

        Assert.Equal(["CS8509@14", "CS8509@21"], found);
    }

    [Fact]
    public async Task A_type_parameter_constrained_to_the_union_is_judged_as_the_union()
    {
        // T's values are the union's values: its variants, the only types that derive from it. So the switch is judged as
        // one over the union (as RXS0006 judges it), through a chain of type parameters too; a missing fallback, a
        // missing variant or a null the switch does not take keeps CS8509, as over the union itself.
        var found = await FindingsAsync(Lease + """
            #nullable enable
            class C
            {
                int All<T>(T e) where T : Lease => e switch
                {
                    Lease.Acquired => 1,
                    Lease.Revoked => 2,
                    Lease.Unknown => 3,
                };

                int Through<T, U>(U e) where T : Lease where U : T => e switch
                {
                    Lease.Acquired => 1,
                    Lease.Revoked => 2,
                    Lease.Unknown => 3,
                };

                int WithoutUnknown<T>(T e) where T : Lease => e switch
                {
                    Lease.Acquired => 1,
                    Lease.Revoked => 2,
                };

                int MaybeNull<T>(T e) where T : Lease? => e switch
                {
                    Lease.Acquired => 1,
                    Lease.Revoked => 2,
                    Lease.Unknown => 3,
                };
            }
            """);

        Assert.Equal(["CS8509@12 suppressed", "CS8509@19 suppressed", "CS8509@26", "CS8509@32"], found);
    }

    [Fact]
    public async Task A_record_deriving_from_the_union_outside_it_opens_the_hierarchy()
    {
        // RXS1002 (the generator's): Stray is not a variant, and a switch over Lease cannot be known to handle it.
        var found = await FindingsAsync(Lease + """
            public sealed record Stray(string Id) : Lease;

            class C
            {
                int Describe(Lease e) => e switch
                {
                    Lease.Acquired => 1,
                    Lease.Revoked => 2,
                    Lease.Unknown => 3,
                };
            }
            """, allowGeneratorErrors: true);

        Assert.Equal(["CS8509@13"], found);
    }

    [Fact]
    public async Task A_variant_that_is_not_sealed_opens_the_hierarchy()
    {
        var found = await FindingsAsync("""
            using Reactive.Streams;

            [EventUnion]
            public abstract partial record Lease
            {
                public sealed record Acquired(string Id) : Lease;
                public record Revoked(string Id) : Lease;
            }

            class C
            {
                int Describe(Lease e) => e switch
                {
                    Lease.Acquired => 1,
                    Lease.Revoked => 2,
                    Lease.Unknown => 3,
                };
            }
            """, allowGeneratorErrors: true);

        // RXS1002: Revoked is not sealed, so it is no variant (RXS0006 does not count it) and the set of variants is not
        // closed. The generator still adds Unknown, so the closure check alone keeps CS8509 here.
        Assert.Equal(["CS8509@12"], found);
    }

    [Fact]
    public async Task A_union_the_generator_refuses_has_no_fallback_and_keeps_CS8509()
    {
        // RXS1001: not partial, so nothing is generated; an `Unknown` written by hand is RXS1002 and not the fallback.
        var found = await FindingsAsync("""
            using Reactive.Streams;

            [EventUnion]
            public abstract record Lease
            {
                public sealed record Acquired(string Id) : Lease;
                public sealed record Unknown(string Name) : Lease;
            }

            class C
            {
                int Describe(Lease e) => e switch
                {
                    Lease.Acquired => 1,
                    Lease.Unknown => 2,
                };
            }
            """, allowGeneratorErrors: true);

        Assert.Equal(["CS8509@12"], found);
    }

    [Fact]
    public async Task A_union_of_another_assembly_is_judged_on_its_metadata()
    {
        var found = await FindingsAsync("""
            using Contoso;

            class C
            {
                int All(Shipment s) => s switch
                {
                    Shipment.Sent => 1,
                    Shipment.Lost => 2,
                    Shipment.Unknown => 3,
                };

                int WithoutUnknown(Shipment s) => s switch
                {
                    Shipment.Sent => 1,
                    Shipment.Lost => 2,
                };
            }
            """);

        Assert.Equal(["CS8509@5 suppressed", "CS8509@12"], found);
    }

    [Fact]
    public async Task A_record_of_this_assembly_deriving_from_a_union_of_another_opens_it()
    {
        var found = await FindingsAsync("""
            using Contoso;

            public sealed record Stolen(string Id) : Shipment;

            class C
            {
                int All(Shipment s) => s switch
                {
                    Shipment.Sent => 1,
                    Shipment.Lost => 2,
                    Shipment.Unknown => 3,
                };
            }
            """);

        Assert.Equal(["CS8509@7"], found);
    }

    [Fact]
    public async Task A_pragma_already_there_stays_the_suppression_and_nothing_fails()
    {
        var found = await FindingsAsync(Lease + """
            class C
            {
            #pragma warning disable CS8509
                int Describe(Lease e) => e switch
                {
                    Lease.Acquired => 1,
                    Lease.Revoked => 2,
                    Lease.Unknown => 3,
                };
            #pragma warning restore CS8509
            }
            """);

        Assert.Equal(["CS8509@12 suppressed"], found);
    }

    [Fact]
    public async Task A_switch_that_is_not_over_a_union_in_the_same_file_keeps_CS8509()
    {
        var found = await FindingsAsync(Lease + """
            class C
            {
                int Describe(Lease e) => e switch
                {
                    Lease.Acquired => 1,
                    Lease.Revoked => 2,
                    Lease.Unknown => 3,
                };

                int Digit(int i) => i switch
                {
                    0 => 0,
                    1 => 1,
                };

                int Nested(Lease e, string s) => e switch
                {
                    Lease.Acquired => s switch { "a" => 1 },
                    Lease.Revoked => 2,
                    Lease.Unknown => 3,
                };
            }
            """);

        Assert.Equal(["CS8509@11 suppressed", "CS8509@18", "CS8509@24 suppressed", "CS8509@26"], found);
    }

    [Fact]
    public async Task A_maybe_null_input_without_a_null_arm_keeps_CS8509_which_stands_for_the_compiler_s_CS8655()
    {
        // CS8509 is about the values that are not null, but the compiler reports CS8655 (a null input is not handled)
        // only when it has not reported CS8509 on the same switch: suppressing CS8509 there would hide the null. Where
        // the input may be null and no arm takes null, CS8509 stays; where null is handled, or the flow state says the
        // input is not null, it goes. Without a nullable context the compiler reports a missing null arm on no switch.
        var found = await FindingsAsync(Lease + """
            class C
            {
                int Nullable(Lease? e) => e switch
                {
                    Lease.Acquired => 1,
                    Lease.Revoked => 2,
                    Lease.Unknown => 3,
                };

                int WithNull(Lease? e) => e switch
                {
                    null => 0,
                    Lease.Acquired => 1,
                    Lease.Revoked => 2,
                    Lease.Unknown => 3,
                };

                int Checked(Lease? e)
                {
                    if (e is null)
                    {
                        return 0;
                    }

                    return e switch
                    {
                        Lease.Acquired or Lease.Revoked => 1,
                        Lease.Unknown => 3,
                    };
                }

                int NotAcquired(Lease? e) => e switch
                {
                    Lease.Acquired => 1,
                    not Lease.Acquired => 2,
                };

            #nullable disable
                int Oblivious(Lease e) => e switch
                {
                    Lease.Acquired => 1,
                    Lease.Revoked => 2,
                    Lease.Unknown => 3,
                };
            #nullable restore
            }
            """);

        Assert.Equal(["CS8509@11", "CS8509@18 suppressed", "CS8509@33 suppressed", "CS8509@47 suppressed"], found);
    }

    [Fact]
    public async Task The_compiler_reports_CS8655_on_a_maybe_null_union_input_only_once_the_union_arms_are_complete()
    {
        // The oracle for the decision above: with an arm for every other non-null value, the missing null is CS8655.
        var found = await FindingsAsync(Lease + """
            class C
            {
                int Nullable(Lease? e) => e switch
                {
                    Lease.Acquired => 1,
                    Lease x => 2,
                };
            }
            """);

        Assert.Equal(["CS8655@11"], found);
    }

    [Fact]
    public async Task NoWarn_RXSP0001_turns_the_suppressor_off()
    {
        var source = Lease + """
            class C
            {
                int Describe(Lease e) => e switch
                {
                    Lease.Acquired => 1,
                    Lease.Revoked => 2,
                    Lease.Unknown => 3,
                };
            }
            """;
        var diagnostics = await AllDiagnosticsAsync(source, allowErrors: false, noWarn: ExhaustiveUnionSwitchSuppressor.SuppressionId);

        var warning = Assert.Single(diagnostics, static d => d.Id == "CS8509");
        Assert.False(warning.IsSuppressed);
    }

    [Fact]
    public void The_suppression_is_documented_on_its_page_and_in_the_readme()
    {
        // CS8846 is CS8509 beside a guarded arm: one id turns both off.
        Assert.Equal(
            [("RXSP0001", "CS8509"), ("RXSP0001", "CS8846")],
            new ExhaustiveUnionSwitchSuppressor().SupportedSuppressions.Select(static d => (d.Id, d.SuppressedDiagnosticId)));
        var page = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "rules", "RXSP0001.md"));
        Assert.StartsWith("# RXSP0001: ", page[0], StringComparison.Ordinal);
        Assert.Contains(page, static l => l.StartsWith("| Suppresses | CS8509 ", StringComparison.Ordinal) && l.Contains("CS8846", StringComparison.Ordinal));
        Assert.Contains(page, static l => l.Contains("<NoWarn>$(NoWarn);RXSP0001</NoWarn>", StringComparison.Ordinal));
        var readme = File.ReadAllText(Path.Combine(Snippets.MarkdownSnippets.Root, "README.md"));
        Assert.Contains("| [RXSP0001](docs/rules/RXSP0001.md) | suppressor |", readme, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Lease.Acquired => ,")]
    [InlineData("Lease.Acquired => 1, Lease.")]
    [InlineData("Lease.Acquired")]
    [InlineData("Lease.Acquired => 1, Lease.Revoked => 2, Lease.Unknown => 3, Lease.Missing => 4")]
    [InlineData("")]
    public async Task Incomplete_code_does_not_fail_the_suppressor(string arms)
    {
        var source = Lease + "class C { int Describe(Lease e) => e switch { " + arms + " }; int Open(Lease e) => e switch { Lease.Acquired => 1, Lease.Revoked => 2, Lease.Unknown => 3 }";
        var diagnostics = await AllDiagnosticsAsync(source, allowErrors: true);

        Assert.DoesNotContain(diagnostics, static d => d.Id == "AD0001");
    }

    private static async Task<string[]> FindingsAsync(string source, bool allowGeneratorErrors = false, bool allowErrors = false)
    {
        var diagnostics = await AllDiagnosticsAsync(source, allowErrors, allowGeneratorErrors);
        Assert.DoesNotContain(diagnostics, static d => d.Id == "AD0001");
        return diagnostics
            .Where(static d => d.Id is "CS8509" or "CS8655" or "RXS0006" && d.Location.IsInSource && d.Location.SourceTree!.FilePath == "App.cs")
            .OrderBy(static d => d.Location.SourceSpan.Start).ThenBy(static d => d.Id, StringComparer.Ordinal)
            .Select(static d => d.Id + "@" + (d.Location.GetLineSpan().StartLinePosition.Line + 1) + (d.IsSuppressed ? " suppressed" : string.Empty))
            .ToArray();
    }

    private static async Task<ImmutableArray<Diagnostic>> AllDiagnosticsAsync(string source, bool allowErrors, bool allowGeneratorErrors = false, string? noWarn = null)
    {
        var compilation = CSharpCompilation.Create(
            "App",
            [CSharpSyntaxTree.ParseText(source, s_parse, path: "App.cs")],
            TestReferences.Runtime.AddRange(TestReferences.Library).Add(s_contracts.Value),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable)
                .WithSpecificDiagnosticOptions(noWarn is null ? [] : [new(noWarn, ReportDiagnostic.Suppress)]));
        CSharpGeneratorDriver.Create([new EventUnionGenerator().AsSourceGenerator()], parseOptions: s_parse)
            .RunGeneratorsAndUpdateCompilation(compilation, out var generated, out var generatorDiagnostics);
        if (!allowGeneratorErrors)
        {
            Assert.Empty(generatorDiagnostics.Select(static d => d.ToString()));
        }

        if (!allowErrors)
        {
            Assert.Empty(generated.GetDiagnostics().Where(static d => d.Severity == DiagnosticSeverity.Error).Select(static d => d.ToString()));
        }

        var analyzers = typeof(DiagnosticIds).Assembly.GetTypes()
            .Where(static t => typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && !t.IsAbstract)
            .Select(static t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!)
            .ToImmutableArray();
        Assert.Contains(analyzers, static a => a is ExhaustiveUnionSwitchSuppressor);
        var options = new CompilationWithAnalyzersOptions(
            new AnalyzerOptions([]), onAnalyzerException: null, concurrentAnalysis: true, logAnalyzerExecutionTime: false, reportSuppressedDiagnostics: true);
        return await generated.WithAnalyzers(analyzers, options).GetAllDiagnosticsAsync();
    }
}
