using Reactive.Streams.Storage.Tests;

namespace Reactive.Streams.Tests.Storage;

/// <summary>The conformance suite on the in-memory log. "Another instance" is the same instance: memory is not shared.</summary>
public sealed class InMemoryStreamLogTests : StreamLogConformanceTests
{
    private InMemoryStreamLog? _log;

    protected override int AppendsPerWriter => 500;

    protected override ValueTask<IStreamLog> OpenLogAsync(StreamLogOptions options) =>
        new(_log ??= new InMemoryStreamLog(options));

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
}
