using Reactive.Streams.Tests.Support;

namespace Reactive.Streams.Tests.Delivery;

/// <summary>
/// Code that a sink's write or an acknowledgement resumes synchronously, on the worker's own thread: the continuation of
/// a plain <see cref="TaskCompletionSource"/> (whose continuations run inline on the thread that completes it) runs in
/// its awaiter's execution context, not the worker's, yet the worker is on its stack. A synchronous
/// <see cref="DeliveryDispatcher{T}.Dispose"/> there must not wait for the worker it blocks.
/// </summary>
public class DeliveryInlineContinuationTests
{
    [Fact]
    public async Task A_synchronous_Dispose_resumed_inline_by_an_acknowledgement_does_not_deadlock_the_worker()
    {
        var time = new RecordingTimeProvider();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sink = new RecordingSink<int>("file", time, async (_, _, _) => await gate.Task);
        var dispatcher = new DeliveryDispatcher<int>(DeliveryDispatcherTests.Options(time, sink));

        // A plain TaskCompletionSource, as a user's ack token would hold: its continuations run inline.
        var acked = new TaskCompletionSource();
        var disposedInline = DisposeOnceAsync(acked.Task, dispatcher);

        // The sink holds the item until the dispatch returned, so the worker, not this thread, fires the acknowledgement.
        await dispatcher.DispatchAsync(1, new CallbackAck(() => acked.TrySetResult()));
        gate.SetResult();
        await disposedInline.WaitAsync(TestLimits.Hang);

        Assert.True(await dispatcher.ShutdownAsync(TimeSpan.Zero).WaitAsync(TestLimits.Hang));
        Assert.Equal([1], sink.Committed);
        Assert.Equal(1, dispatcher.AcknowledgedCount);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => dispatcher.DispatchAsync(2).AsTask());
    }

    [Fact]
    public async Task A_synchronous_Dispose_resumed_inline_by_a_sinks_write_does_not_deadlock_the_worker_and_the_write_commits()
    {
        var time = new RecordingTimeProvider();
        var written = new TaskCompletionSource();
        var sink = new RecordingSink<int>("file", time, (_, _, _) =>
        {
            written.TrySetResult(); // resumes the awaiting code inline, inside this write
            return default;
        });
        var dispatcher = new DeliveryDispatcher<int>(DeliveryDispatcherTests.Options(time, sink));
        var disposedInline = DisposeOnceAsync(written.Task, dispatcher);
        var ack = new CountingAck();

        await dispatcher.DispatchAsync(1, ack);
        await disposedInline.WaitAsync(TestLimits.Hang);

        // The write that disposed still commits, so its item is acknowledged; the shutdown completes once it returned.
        Assert.True(await dispatcher.ShutdownAsync(TimeSpan.Zero).WaitAsync(TestLimits.Hang));
        Assert.Equal([1], sink.Committed);
        Assert.Equal(1, ack.Count);
    }

    [Fact]
    public async Task A_synchronous_Dispose_resumed_inline_by_the_dead_letter_sink_does_not_deadlock_the_worker()
    {
        var time = new RecordingTimeProvider();
        var sink = new RecordingSink<int>("webhook", time, (_, _, _) => ValueTask.FromException(new PermanentDeliveryException("rejected")));
        var lettered = new TaskCompletionSource();
        var deadLetters = new RecordingSink<DeadLetter<int>>("dead", time, (_, _, _) =>
        {
            lettered.TrySetResult();
            return default;
        });
        var options = DeliveryDispatcherTests.Options(time, sink);
        options.DeadLetterSink = deadLetters;
        var dispatcher = new DeliveryDispatcher<int>(options);
        var disposedInline = DisposeOnceAsync(lettered.Task, dispatcher);
        var ack = new CountingAck();

        await dispatcher.DispatchAsync(1, ack);
        await disposedInline.WaitAsync(TestLimits.Hang);

        Assert.True(await dispatcher.ShutdownAsync(TimeSpan.Zero).WaitAsync(TestLimits.Hang));
        Assert.Single(deadLetters.Committed);
        Assert.Equal(1, ack.Count);
    }

    [Fact]
    public async Task DisposeAsync_awaited_in_code_an_acknowledgement_resumes_inline_still_waits_for_the_workers()
    {
        var time = new RecordingTimeProvider();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sink = new RecordingSink<int>("file", time, async (_, _, _) => await gate.Task);
        var dispatcher = new DeliveryDispatcher<int>(DeliveryDispatcherTests.Options(time, sink));
        var acked = new TaskCompletionSource();

        // An await does not hold the worker's thread, so this disposal can wait for the workers, and must: code after it
        // (disposing the canal behind the dispatcher) relies on every acknowledgement having fired.
        var stoppedWhenDisposed = DisposeAsyncOnceAsync(acked.Task, dispatcher);
        await dispatcher.DispatchAsync(1, new CallbackAck(() => acked.TrySetResult()));
        gate.SetResult();

        Assert.True(await stoppedWhenDisposed.WaitAsync(TestLimits.Hang), "DisposeAsync completed before the workers stopped.");
        Assert.Equal([1], sink.Committed);
        Assert.Equal(1, dispatcher.AcknowledgedCount);

        static async Task<bool> DisposeAsyncOnceAsync(Task signal, DeliveryDispatcher<int> dispatcher)
        {
            await signal.ConfigureAwait(false);
            await dispatcher.DisposeAsync();
            return dispatcher.ShutdownAsync(TimeSpan.Zero).IsCompleted;
        }
    }

    /// <summary>
    /// Awaits <paramref name="signal"/> (registered now, before the caller goes on) and disposes the dispatcher
    /// synchronously on whatever thread completes it: inline, since the signal's source runs continuations synchronously.
    /// </summary>
    private static async Task DisposeOnceAsync(Task signal, DeliveryDispatcher<int> dispatcher)
    {
        await signal.ConfigureAwait(false);
        dispatcher.Dispose();
    }

    private sealed class CallbackAck(Action callback) : IAckToken
    {
        public void Acknowledge() => callback();
    }
}
