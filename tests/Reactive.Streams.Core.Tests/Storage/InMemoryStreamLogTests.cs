using System.Text;
using Reactive.Streams.Storage.Tests;

namespace Reactive.Streams.Tests.Storage;

/// <summary>The conformance suite on the in-memory log. "Another instance" is the same instance: memory is not shared.</summary>
public sealed class InMemoryStreamLogTests : StreamLogConformanceTests
{
    private InMemoryStreamLog? _log;

    protected override int AppendsPerWriter => 500;

    // The same instance while it is open; a test that disposed it (memory is then gone) gets a new, empty one.
    protected override ValueTask<IStreamLog> OpenLogAsync(StreamLogOptions options) =>
        new(_log = _log is null || IsDisposed(_log) ? new InMemoryStreamLog(options) : _log);

    private static bool IsDisposed(InMemoryStreamLog log)
    {
        try
        {
            _ = log.ReadSummaryAsync("probe");
            return false;
        }
        catch (ObjectDisposedException)
        {
            return true;
        }
    }

    [Fact]
    public async Task Disposing_the_log_ends_parked_tails_with_ObjectDisposedException()
    {
        var log = await CreateAsync();
        var tail = log.TailAsync("s", StreamId.Min, Timeout.InfiniteTimeSpan, 10).AsTask();

        await log.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => tail.WaitAsync(TimeSpan.FromMinutes(1)));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => log.AppendAsync("s", "x", AppendMode.Durable).AsTask());
    }

    [Fact]
    public async Task Cancelling_a_parked_tail_throws_OperationCanceledException()
    {
        var log = await CreateAsync();
        using var cts = new CancellationTokenSource();
        var tail = log.TailAsync("s", StreamId.Min, Timeout.InfiniteTimeSpan, 10, TailVisibility.All, cts.Token).AsTask();

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => tail.WaitAsync(TimeSpan.FromMinutes(1)));
    }

    [Fact]
    public async Task A_text_payload_with_an_unpaired_surrogate_is_refused_naming_it_and_nothing_is_written()
    {
        // Encoding.UTF8 would store U+FFFD in its place: text other than the caller's (stream names and header values
        // are refused for the same reason).
        var log = await CreateAsync();
        var stream = NewStream();
        var cases = new[] { ("a" + (char)0xD800 + "b", "U+D800 at index 1"), ((char)0xDC00 + "", "U+DC00 at index 0"), ("ab" + (char)0xD83D, "U+D83D at index 2") };

        foreach (var (text, named) in cases)
        {
            var plain = await Assert.ThrowsAsync<ArgumentException>(() => log.AppendAsync(stream, text, AppendMode.Durable).AsTask());
            var withHeaders = await Assert.ThrowsAsync<ArgumentException>(
                () => log.AppendAsync(stream, text, AppendMode.Durable, new Dictionary<string, string> { ["k"] = "v" }).AsTask());
            foreach (var error in new[] { plain, withHeaders })
            {
                Assert.Equal("text", error.ParamName);
                Assert.Contains(named, error.Message, StringComparison.Ordinal);
            }
        }

        Assert.Empty(await log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10));

        // A surrogate pair is well formed and goes in as it is.
        await log.AppendAsync(stream, "a\U0001F600b", AppendMode.Durable);
        var stored = Assert.Single(await log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10));
        Assert.Equal("a\U0001F600b", Encoding.UTF8.GetString(stored.Payload.Span));
    }
}
