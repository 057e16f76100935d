using Verifier = Reactive.Streams.Analyzers.Tests.Infrastructure.Verify<Reactive.Streams.Analyzers.Rules.MissingDegraderAnalyzer>;

namespace Reactive.Streams.Analyzers.Tests.Rules;

/// <summary>RXS0003 on options a type holds in a field or property and gives their degrader in a constructor.</summary>
public sealed class MissingDegraderHeldOptionsTests
{
    [Fact]
    public Task Options_held_in_a_field_or_property_and_given_a_degrader_in_the_constructor_are_not_reported() =>
        Verifier.AnalyzerAsync("""
            using Reactive.Streams;

            class Pipeline
            {
                private readonly BoundedStreamOptions<int> _options = new(BackpressurePolicy.DegradeQuality, 16);
                private readonly BoundedStreamOptions<int> _assigned;
                private readonly BoundedStreamOptions<int> _missing = new({|#0:BackpressurePolicy.DegradeQuality|}, 16);

                public BoundedStreamOptions<int> Options { get; } = new(BackpressurePolicy.DegradeQuality, 16);

                public Pipeline()
                {
                    _options.Degrader = static x => x / 2;
                    this.Options.Degrader = static x => x / 2;
                    _assigned = new BoundedStreamOptions<int>(BackpressurePolicy.DegradeQuality, 16);
                    _assigned.Degrader = static x => x / 2;
                    _missing.Degrader = null;
                }
            }
            """,
            Verifier.Diagnostic(DiagnosticIds.MissingDegrader).WithLocation(0).WithArguments("'new BoundedStreamOptions'"));
}
