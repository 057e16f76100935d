namespace Reactive.Streams.Analyzers.Tests.Snippets;

/// <summary>
/// The fences whose comments say what they print, run as written (not a copy of them) with their output compared to
/// the comments: <see cref="SnippetTests"/> only compiles them. Everything here runs in virtual time.
/// </summary>
public sealed class SnippetOutputTests
{
    [Fact]
    public async Task The_first_testing_page_example_prints_the_notifications_and_the_subscription_its_comments_name()
    {
        // "OnNext(211, 3), OnNext(211, 4), OnNext(301, 5), OnCompleted(401); the source was subscribed from 200 to 400."
        var output = await SnippetRunner.RunAsync(SnippetRunner.Find("docs/testing.md", "source.DropOldest(capacity: 2, scheduler)"));

        Assert.Equal("OnNext(3)@211, OnNext(4)@211, OnNext(5)@301, OnCompleted()@401\n(200, 400)\n", output);
    }

    [Fact]
    public async Task The_testing_page_TimeProvider_example_gets_its_ack_in_virtual_time()
    {
        // The loop advances the scheduler until the retry after the backoff acknowledged the item: the run ends.
        var output = await SnippetRunner.RunAsync(SnippetRunner.Find("docs/testing.md", "options.AddSink(new FlakySink())"));

        Assert.Equal("", output);
    }

    [Fact]
    public async Task The_genuine_scheduler_example_prints_2_and_3_at_211_and_the_completion_at_401()
    {
        var output = await SnippetRunner.RunAsync(SnippetRunner.Find("docs/testing.md", "using Microsoft.Reactive.Testing;"));

        Assert.Equal("OnNext(2)@211, OnNext(3)@211, OnCompleted()@401\n", output);
    }

    [Fact]
    public async Task The_testing_package_readme_prints_one_second_past_the_start_of_the_virtual_clock()
    {
        // The clock is the scheduler's: it starts at DateTimeOffset.MinValue (docs/testing.md), printed in the current culture.
        var output = await SnippetRunner.RunAsync(SnippetRunner.Find("src/Reactive.Streams.Testing/README.md", "AsTimeProvider()"));

        Assert.Equal(DateTimeOffset.MinValue.AddSeconds(1).ToString() + "\n", output);
    }

    [Fact]
    public async Task The_canal_pulling_example_prints_1_then_2_from_one_pull()
    {
        var output = await SnippetRunner.RunAsync(SnippetRunner.Find("docs/canal.md", "Console.WriteLine(item); // 1, then 2"));

        Assert.Equal("1\n2\nMany of 2, last 2, skipped so far 0\n", output);
    }

    [Fact]
    public async Task The_canal_virtual_time_example_prints_True_once_the_fake_clock_passed_the_deadline()
    {
        var output = await SnippetRunner.RunAsync(SnippetRunner.Find("docs/canal.md", "(await pull).IsEmpty"));

        Assert.Equal("True\n", output);
    }

    [Fact]
    public async Task The_stream_log_virtual_time_example_prints_0_once_the_block_passed()
    {
        var output = await SnippetRunner.RunAsync(SnippetRunner.Find("docs/stream-log.md", "Console.WriteLine((await tail).Count);"));

        Assert.Equal("0\n", output);
    }

    [Fact]
    public async Task The_union_example_prints_the_kind_wire_name_and_shared_member_then_the_matched_text()
    {
        // "Acquired acquired exec-7: ...", the rest being what the Acquired arm of Match returns.
        var output = await SnippetRunner.RunAsync(SnippetRunner.Find("docs/unions.md", "Console.WriteLine($\"{e.Kind} {e.WireName} {e.ExecutionId}: {text}\");"));

        Assert.Equal("Acquired acquired exec-7: exec-7 took lease-1\n", output);
    }

    [Fact]
    public async Task The_sink_example_prints_the_lease_its_observer_handled_before_completing()
    {
        var output = await SnippetRunner.RunAsync(SnippetRunner.Find("docs/unions.md", "await using var observer = holders.CreateObserver();"));

        Assert.Equal("lease-1\n", output);
    }

    [Fact]
    public async Task The_readme_union_json_example_writes_what_its_comment_shows_and_reads_it_back()
    {
        // The fence prints nothing: two lines that print what its comment speaks of are added after its statements.
        var fence = SnippetRunner.Find("README.md", "ShopJsonContext.Default.Order);   // {\"type\":\"placed\"");
        const string Statements = "Order back = JsonSerializer.Deserialize(json, ShopJsonContext.Default.Order)!;\n";
        Assert.Contains(Statements, fence.Code, StringComparison.Ordinal);
        var printing = fence with { Code = fence.Code.Replace(Statements, Statements.TrimEnd('\n') + " Console.WriteLine(json); Console.WriteLine(back == order);\n", StringComparison.Ordinal) };

        var output = await SnippetRunner.RunAsync(printing);

        Assert.StartsWith("{\"type\":\"placed\",\"id\":\"o-1\",", output, StringComparison.Ordinal);
        Assert.EndsWith("\nTrue\n", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Output_is_captured_per_run_and_what_a_snippet_throws_fails_the_run()
    {
        var printing = new MarkdownSnippet("print.md", 3, "Console.WriteLine(1);\nConsole.WriteLine($\"{2}\");\nConsole.WriteLine();\n", []);
        var runs = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => SnippetRunner.RunAsync(printing))));
        Assert.All(runs, output => Assert.Equal("1\n2\n\n", output));

        var throwing = new MarkdownSnippet("throw.md", 7, "await Task.Yield();\nthrow new InvalidOperationException(\"boom\");\n", []);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => SnippetRunner.RunAsync(throwing));
        Assert.Equal("throw.md:6 threw", error.Message);
        Assert.Equal("boom", error.InnerException?.Message);
    }
}
