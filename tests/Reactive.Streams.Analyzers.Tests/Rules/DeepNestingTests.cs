using Reactive.Streams.Analyzers.Rules;
using Reactive.Streams.Analyzers.Tests.Infrastructure;

namespace Reactive.Streams.Analyzers.Tests.Rules;

public sealed class DeepNestingTests
{
    [Fact]
    public async Task A_degrader_nested_deeper_than_the_stack_allows_is_reported_not_crashed_on()
    {
        // A 30,000-term sum: the compiler binds it iteratively, but its operation tree is 30,000 levels deep.
        var sum = string.Join(" + ", Enumerable.Repeat("x", 30_000));
        var source = "using Reactive.Streams;\nclass C { int M() => StubFactory.DegradeQuality<int>(4, static x => " + sum + "); }";

        var diagnostics = await AnalyzerRunner.RunAsync(new ImpureDegraderAnalyzer(), source);

        Assert.DoesNotContain(diagnostics, d => d.Id == "AD0001");
        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal("Degrader 'lambda' is not pure: lambda \u2192 is nested too deeply to prove (Test0.cs:2)", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
    }
}
