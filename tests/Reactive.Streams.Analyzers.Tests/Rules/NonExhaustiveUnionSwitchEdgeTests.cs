using Reactive.Streams.Analyzers.Rules;
using Reactive.Streams.Analyzers.Tests.Infrastructure;
using Verifier = Reactive.Streams.Analyzers.Tests.Infrastructure.Verify<Reactive.Streams.Analyzers.Rules.NonExhaustiveUnionSwitchAnalyzer>;

namespace Reactive.Streams.Analyzers.Tests.Rules;

/// <summary>RXS0006 on patterns over interfaces the variants implement, under configuration, and on broken code.</summary>
public sealed class NonExhaustiveUnionSwitchEdgeTests
{
    private const string UnionWithInterfaces = """

        public interface IHasId { string Id { get; } }

        public interface IRevocation { }

        [EventUnion]
        public abstract partial record Lease
        {
            public sealed partial record Acquired(string Id) : Lease, IHasId;
            public sealed partial record Revoked(string Id, string By) : Lease, IHasId, IRevocation;
            public sealed partial record Expired(string Id) : Lease, IHasId;
        }
        """;

    [Fact]
    public Task A_type_pattern_on_an_interface_covers_the_variants_that_implement_it() =>
        Verifier.AnalyzerAsync("""
            using Reactive.Streams;

            class C
            {
                string All(Lease e) => e switch
                {
                    IHasId h => h.Id,
                };

                string Some(Lease e) => e {|#0:switch|}
                {
                    Lease.Acquired => "a",
                    IRevocation => "r",
                };

                void Statement(Lease e)
                {
                    switch (e)
                    {
                        case Lease.Acquired:
                            break;
                        case IHasId { Id: var id }:
                            break;
                    }
                }
            }
            """ + UnionWithInterfaces,
            Verifier.Diagnostic(DiagnosticIds.NonExhaustiveUnionSwitch).WithLocation(0).WithArguments("Lease", "'Expired'"));

    [Fact]
    public Task Not_an_interface_does_not_cover_the_variants_that_implement_it() =>
        Verifier.AnalyzerAsync("""
            using Reactive.Streams;

            class C
            {
                // Revoked implements IRevocation: `not IRevocation` never matches it, and nothing else does.
                int M(Lease e) => e {|#0:switch|}
                {
                    not IRevocation => 1,
                };

                int Complete(Lease e) => e switch
                {
                    not IRevocation => 1,
                    IRevocation => 2,
                };
            }
            """ + UnionWithInterfaces,
            Verifier.Diagnostic(DiagnosticIds.NonExhaustiveUnionSwitch).WithLocation(0).WithArguments("Lease", "'Revoked'"));

    [Fact]
    public Task An_editorconfig_severity_of_none_silences_the_rule() =>
        Verifier.AnalyzerAsync(Missing, withLibrary: true, editorConfig: "dotnet_diagnostic.RXS0006.severity = none\n");

    [Fact]
    public async Task Broken_switches_over_a_union_do_not_crash_the_rule()
    {
        const string source = """
            using System;
            using Reactive.Streams;

            class C
            {
                Func<Lease, int> F = e => e switch { Lease.Acquired => , Lease.
                Func<Lease, int> G = e => e switch { Lease.Revoked r when => 1, IMissing => 2, Lease.Missing => 3 };
                int H(Lease e) => e switch { (var a, var b) => 1, [] => 2, > 3 => 3, Lease.Acquired(1, 2, 3) => 4 };
                void I(Lease e, Missing m)
                {
                    switch (e) { case : case Lease.Acquired { Nope: 1 }: case not : break; }
                    switch (m) { case Lease.Acquired: break; }
                    switch (e) { case Lease.Expired x when x.Nope: break;
                    _ = e switch { };
                }
            """ + NonExhaustiveUnionSwitchAnalyzerTests.Union;
        var diagnostics = await AnalyzerRunner.RunAsync(new NonExhaustiveUnionSwitchAnalyzer(), source);
        Assert.DoesNotContain(diagnostics, d => d.Id == "AD0001");
    }

    private const string Missing = """
        using Reactive.Streams;

        class C
        {
            int M(Lease e) => e switch { Lease.Acquired => 1 };
        }
        """ + NonExhaustiveUnionSwitchAnalyzerTests.Union;
}
