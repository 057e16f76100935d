using Reactive.Streams.Tests;

namespace Reactive.Streams.Generators.Tests;

/// <summary>
/// Runs samples/EventFamilies (the README's "four event families as generated unions and sinks") in its own process, as
/// <c>dotnet run</c> would, and checks what it promises in its comments: an unknown variant is read and written back
/// unchanged, unknown payload-less values are kept as Other, and every generated sink saw every item.
/// </summary>
public sealed class EventFamiliesSampleTests
{
    private static readonly TimeSpan s_hang = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task The_event_families_sample_runs_to_the_end_and_keeps_unknown_variants_as_they_were_written()
    {
        var sample = RepositoryFiles.Sample("EventFamilies");

        var (exitCode, output, error) = await RepositoryFiles.RunAsync(sample, Path.GetTempPath(), s_hang);

        Assert.True(exitCode == 0, $"exit code {exitCode}\n{output}\n{error}");
        Assert.Equal("", error);
        Assert.Contains(
            """unknown variant written back unchanged: {"type":"lease_transferred","cursor":{"Milliseconds":1700000000600,"Sequence":0},"execution_id":"exec-1","at":"2026-11-22T12:00:02+00:00","to":"worker-c"}""",
            output,
            StringComparison.Ordinal);
        Assert.Contains("unknown variant 'lease_transferred' (kept as is)", output, StringComparison.Ordinal);
        Assert.Contains("delivered and acknowledged 7 lease events", output, StringComparison.Ordinal);
        Assert.Contains("outcome JSON: \"timed_out\"", output, StringComparison.Ordinal);
        Assert.Contains("signals: satisfied=2 buffered=1 deduped=1 other=[expired_before_delivery]", output, StringComparison.Ordinal);
        Assert.Contains("tags: i-1/region=eu-west-1", output, StringComparison.Ordinal);
        Assert.DoesNotContain("i-1/owner=", output, StringComparison.Ordinal);
    }
}
