using System.Collections.Immutable;
using System.Globalization;
using Microsoft.CodeAnalysis.Diagnostics;
using Reactive.Streams.Analyzers.Rules;
using Reactive.Streams.Analyzers.Tests.Infrastructure;

namespace Reactive.Streams.Analyzers.Tests.Rules.Purity;

/// <summary>Every case of <see cref="PurityCorpus"/>: the verdict, the message (call path, effect and line), and no crash.</summary>
public sealed class PurityCorpusTests
{
    public static TheoryData<PurityCase> Cases
    {
        get
        {
            var data = new TheoryData<PurityCase>();
            foreach (var @case in PurityCorpus.All)
            {
                data.Add(@case);
            }

            return data;
        }
    }

    [Fact]
    public void The_corpus_has_at_least_150_cases_with_unique_names()
    {
        Assert.True(PurityCorpus.All.Count >= 150, "cases: " + PurityCorpus.All.Count.ToString(CultureInfo.InvariantCulture));
        Assert.Equal(PurityCorpus.All.Count, PurityCorpus.All.Select(c => c.Name).Distinct(StringComparer.Ordinal).Count());
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task The_prover_reaches_the_expected_verdict_and_message(PurityCase @case)
    {
        var (errors, diagnostics) = await AnalyzerRunner.RunWithErrorsAsync([new ImpureDegraderAnalyzer()], withLibrary: true, @case.Source);

        Assert.Empty(errors);
        Assert.DoesNotContain(diagnostics, d => d.Id == "AD0001");
        var messages = string.Join("\n", diagnostics.Select(d => d.GetMessage(CultureInfo.InvariantCulture)));
        if (@case.Why is null)
        {
            Assert.True(messages.Length == 0, "expected pure, got: " + messages);
        }
        else
        {
            var name = @case.Why.Split(" \u2192 ")[0];
            var expected = "Degrader '" + name + "' is not pure: " + @case.Why + " (Test0.cs:" + @case.EffectLine.ToString(CultureInfo.InvariantCulture) + ")";
            Assert.True(expected == messages, "expected: " + expected + "\nactual:   " + messages);
        }
    }
}
