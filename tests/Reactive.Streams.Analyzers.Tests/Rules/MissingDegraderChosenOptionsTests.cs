using Verifier = Reactive.Streams.Analyzers.Tests.Infrastructure.Verify<Reactive.Streams.Analyzers.Rules.MissingDegraderAnalyzer>;

namespace Reactive.Streams.Analyzers.Tests.Rules;

/// <summary>
/// RXS0003 on options stored in a local through a choice (a ternary, <c>??</c>, <c>??=</c>) and given a degrader by a
/// later statement: the stored object is the one the statement configures, whichever branch made it.
/// </summary>
public sealed class MissingDegraderChosenOptionsTests
{
    [Fact]
    public Task Options_chosen_by_a_ternary_or_coalescing_and_given_a_degrader_later_are_not_reported() =>
        Verifier.AnalyzerAsync("""
            using Reactive.Streams;

            class C
            {
                void Ternary(bool coarse)
                {
                    var options = coarse
                        ? new BoundedStreamOptions<int>(BackpressurePolicy.DegradeQuality, 16)
                        : new BoundedStreamOptions<int>(BackpressurePolicy.DropOldest, 16);
                    options.Degrader = static x => x / 2;
                }

                void Coalesce(BoundedStreamOptions<int>? given)
                {
                    var options = given ?? new BoundedStreamOptions<int>(BackpressurePolicy.DegradeQuality, 16);
                    options.Degrader ??= static x => x / 2;
                }

                void CoalesceAssignment(BoundedStreamOptions<int>? options)
                {
                    options ??= new BoundedStreamOptions<int>(BackpressurePolicy.DegradeQuality, 16);
                    options.Degrader = static x => x / 2;
                }

                void Parenthesized(bool coarse)
                {
                    BoundedStreamOptions<int> options;
                    options = (coarse ? new(BackpressurePolicy.DegradeQuality, 16) : new(BackpressurePolicy.DegradeQuality, 8));
                    options.Degrader = static x => x / 2;
                }
            }
            """);

    [Fact]
    public Task Options_chosen_by_a_ternary_or_coalescing_and_never_given_a_degrader_are_reported() =>
        Verifier.AnalyzerAsync("""
            using Reactive.Streams;

            class C
            {
                void Ternary(bool coarse)
                {
                    var options = coarse
                        ? new BoundedStreamOptions<int>({|#0:BackpressurePolicy.DegradeQuality|}, 16)
                        : new BoundedStreamOptions<int>(BackpressurePolicy.DropOldest, 16);
                    options.Degrader = null;
                }

                void CoalesceAssignment(BoundedStreamOptions<int>? options, BoundedStreamOptions<int> other)
                {
                    options ??= new BoundedStreamOptions<int>({|#1:BackpressurePolicy.DegradeQuality|}, 16);
                    other.Degrader = static x => x / 2;
                }
            }
            """,
            Verifier.Diagnostic(DiagnosticIds.MissingDegrader).WithLocation(0).WithArguments("'new BoundedStreamOptions'"),
            Verifier.Diagnostic(DiagnosticIds.MissingDegrader).WithLocation(1).WithArguments("'new BoundedStreamOptions'"));

    [Fact]
    public Task Options_in_a_field_assigned_with_coalescing_and_given_a_degrader_in_the_type_are_not_reported() =>
        Verifier.AnalyzerAsync("""
            using Reactive.Streams;

            class Pipeline
            {
                private BoundedStreamOptions<int>? _options;

                public BoundedStreamOptions<int> Options => _options ??= new(BackpressurePolicy.DegradeQuality, 16);

                public Pipeline(bool coarse)
                {
                    _options = coarse ? new(BackpressurePolicy.DegradeQuality, 8) : null;
                    Options.Degrader = static x => x / 2;
                    _options!.Degrader = static x => x / 2;
                }
            }
            """);
}
