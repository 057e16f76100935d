using Reactive.Streams.Generators.Tests.Fixtures;

namespace Reactive.Streams.Generators.Tests.Sinks;

/// <summary>
/// A lossy delivery sink disposed from inside one of its own handlers (a handler that decides the sink is done): the
/// disposal cannot wait for the buffer to drain, since the drain waits for that very handler. It completes the buffer
/// and returns; the items buffered before it are still handled once the handler has returned, and only then does
/// <c>Completion</c> complete, as the hand-written <c>SubscribeAsync</c> consumer does.
/// </summary>
public sealed class SinkSelfDisposalTests
{
    private static readonly TimeSpan s_guard = TimeSpan.FromMinutes(1);
    private static readonly DateTimeOffset s_at = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("DropOldest")]
    [InlineData("DegradeQuality")]
    public async Task A_lossy_delivery_sink_disposed_from_its_own_handler_returns_and_drains_what_was_buffered(string policy)
    {
        SelfDisposingLeaseSink sink;
        IAsyncDisposable disposable;
        Func<LeaseEvent, ValueTask> write;
        Func<Task> completion;
        if (policy == "DropOldest")
        {
            var dropping = new SelfDisposingDropOldestLeaseSink();
            var delivery = dropping.CreateDeliverySink();
            (sink, disposable, write, completion) = (dropping, delivery, item => delivery.WriteAsync(item, CancellationToken.None), () => delivery.Completion);
        }
        else
        {
            var degrading = new SelfDisposingDegradingLeaseSink();
            var delivery = degrading.CreateDeliverySink();
            (sink, disposable, write, completion) = (degrading, delivery, item => delivery.WriteAsync(item, CancellationToken.None), () => delivery.Completion);
        }

        sink.Self = disposable;
        await write(new LeaseEvent.Expired(new Cursor(1, 0), "stop", s_at));
        await write(new LeaseEvent.Acquired(new Cursor(2, 0), "queued", null, s_at));
        sink.Gate.SetResult();

        // Before the fix the disposal awaited the buffer's completion, which waits for the handler that awaits the disposal.
        await sink.DisposedFromHandler.Task.WaitAsync(s_guard);
        await completion().WaitAsync(s_guard);

        Assert.Equal(new[] { "expired:stop", "disposed-in:stop", "acquired:queued" }, sink.Handled);
        await Assert.ThrowsAsync<StreamClosedException>(async () => await write(new LeaseEvent.Acquired(new Cursor(3, 0), "late", null, s_at)));

        // Disposed again from outside: returns once drained, which it already is.
        await disposable.DisposeAsync().AsTask().WaitAsync(s_guard);
    }
}
