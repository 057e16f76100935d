using Reactive.Streams.Tests.Support;

namespace Reactive.Streams.Tests.Delivery;

/// <summary>
/// The dispatcher against what a user of a resilience pipeline (Polly's retry) and of a bounded channel expects: exact
/// attempt counts, cancellation and disposal at each await point, and nothing lost, duplicated or acknowledged early.
/// </summary>
public class DeliveryAuditTests
{
    private static readonly TimeSpan Ms100 = TimeSpan.FromMilliseconds(100);

    private static DeliveryOptions<int> Options(RecordingTimeProvider time, params IDeliverySink<int>[] sinks) =>
        DeliveryDispatcherTests.Options(time, sinks);

    [Fact]
    public async Task A_dispatch_after_DisposeAsync_throws_ObjectDisposedException_naming_the_dispatcher_and_is_never_acked()
    {
        var time = new RecordingTimeProvider();
        var sink = new RecordingSink<int>("file");
        var dispatcher = new DeliveryDispatcher<int>(Options(time, sink));
        await dispatcher.DisposeAsync().AsTask().WaitAsync(TestLimits.Hang);
        var ack = new CountingAck();

        // As SemaphoreSlim, CancellationTokenSource or a disposed Timer do: use after disposal is ObjectDisposedException
        // (an InvalidOperationException, so a catch written for the shut-down case still catches it).
        var pending = dispatcher.DispatchAsync(1, ack);
        var error = await Assert.ThrowsAsync<ObjectDisposedException>(() => pending.AsTask());

        Assert.Contains(dispatcher.Name, error.Message, StringComparison.Ordinal);
        Assert.Equal(typeof(DeliveryDispatcher<int>).FullName, error.ObjectName);
        Assert.Equal(0, ack.Count);
        Assert.Empty(sink.Committed);
    }

    [Fact]
    public async Task A_dispatch_after_a_synchronous_Dispose_throws_ObjectDisposedException()
    {
        var time = new RecordingTimeProvider();
        var dispatcher = new DeliveryDispatcher<int>(Options(time, new RecordingSink<int>("file")));
        dispatcher.Dispose();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => dispatcher.DispatchAsync(1).AsTask());
    }

    [Fact]
    public async Task A_dispatch_after_ShutdownAsync_and_then_DisposeAsync_throws_ObjectDisposedException()
    {
        var time = new RecordingTimeProvider();
        var dispatcher = new DeliveryDispatcher<int>(Options(time, new RecordingSink<int>("file")));
        Assert.True(await dispatcher.ShutdownAsync(Timeout.InfiniteTimeSpan).WaitAsync(TestLimits.Hang));
        var shutDown = await Assert.ThrowsAsync<InvalidOperationException>(() => dispatcher.DispatchAsync(1).AsTask());
        await dispatcher.DisposeAsync().AsTask().WaitAsync(TestLimits.Hang);

        // Shut down only, it said so; disposed, it says that (the type a caller's using-after-dispose check expects).
        Assert.IsNotType<ObjectDisposedException>(shutDown);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => dispatcher.DispatchAsync(2).AsTask());
    }

    [Fact]
    public async Task A_dispatch_with_a_cancelled_token_after_disposal_still_reports_the_cancellation()
    {
        var time = new RecordingTimeProvider();
        var dispatcher = new DeliveryDispatcher<int>(Options(time, new RecordingSink<int>("file")));
        await dispatcher.DisposeAsync().AsTask().WaitAsync(TestLimits.Hang);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => dispatcher.DispatchAsync(1, cancellationToken: new CancellationToken(true)).AsTask());
    }

    [Fact]
    public async Task A_dispatch_after_ShutdownAsync_is_still_an_InvalidOperationException_naming_the_dispatcher()
    {
        var time = new RecordingTimeProvider();
        await using var dispatcher = new DeliveryDispatcher<int>(Options(time, new RecordingSink<int>("file")));
        Assert.True(await dispatcher.ShutdownAsync(Timeout.InfiniteTimeSpan).WaitAsync(TestLimits.Hang));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => dispatcher.DispatchAsync(1).AsTask());

        Assert.Contains(dispatcher.Name, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Disposing_twice_and_disposing_both_ways_is_harmless()
    {
        var time = new RecordingTimeProvider();
        var sink = new RecordingSink<int>("file");
        var dispatcher = new DeliveryDispatcher<int>(Options(time, sink));
        var ack = new CountingAck();
        await dispatcher.DispatchAsync(1, ack);
        Assert.True(await dispatcher.ShutdownAsync(Timeout.InfiniteTimeSpan).WaitAsync(TestLimits.Hang));

        await dispatcher.DisposeAsync().AsTask().WaitAsync(TestLimits.Hang);
        await dispatcher.DisposeAsync().AsTask().WaitAsync(TestLimits.Hang);
        dispatcher.Dispose();

        Assert.True(await dispatcher.ShutdownAsync(TimeSpan.Zero));
        Assert.Equal(1, ack.Count);
        Assert.Equal([1], sink.Committed);
        Assert.Equal(1, dispatcher.GetSinkMetrics("file").Delivered);
    }

    [Fact]
    public async Task A_sink_that_disposes_the_dispatcher_inside_its_write_does_not_wait_for_itself()
    {
        // As an Rx subscription may be disposed from inside OnNext: the disposal cannot wait for the worker it runs on.
        var time = new RecordingTimeProvider();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var disposed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        DeliveryDispatcher<int>? dispatcher = null;
        var sink = new RecordingSink<int>("file", time, async (item, _, _) =>
        {
            if (item == 0)
            {
                await gate.Task;
                await dispatcher!.DisposeAsync();
                disposed.SetResult();
            }
        });
        var options = Options(time, sink);
        options.MaxBatch = 1;
        dispatcher = new DeliveryDispatcher<int>(options);
        var acks = Enumerable.Range(0, 3).Select(_ => new CountingAck()).ToArray();
        for (var i = 0; i < acks.Length; i++)
        {
            await dispatcher.DispatchAsync(i, acks[i]);
        }

        gate.SetResult();
        await disposed.Task.WaitAsync(TestLimits.Hang);

        Assert.False(await dispatcher.ShutdownAsync(TimeSpan.Zero).WaitAsync(TestLimits.Hang));
        Assert.Equal([0], sink.Committed);
        Assert.Equal([1, 0, 0], acks.Select(a => a.Count));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => dispatcher.DispatchAsync(3).AsTask());
        await dispatcher.DisposeAsync().AsTask().WaitAsync(TestLimits.Hang);
    }

    [Fact]
    public async Task An_ack_callback_that_disposes_the_dispatcher_synchronously_does_not_deadlock_the_worker_it_runs_on()
    {
        var time = new RecordingTimeProvider();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var disposed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sink = new RecordingSink<int>("file", time, async (_, _, _) => await gate.Task);
        var dispatcher = new DeliveryDispatcher<int>(Options(time, sink));
        var later = new CountingAck();

        // The sink holds the item, so its worker, not this thread, fires the acknowledgement.
        await dispatcher.DispatchAsync(1, new CallbackAck(() =>
        {
            dispatcher.Dispose();
            disposed.SetResult();
        }));
        gate.SetResult();
        await disposed.Task.WaitAsync(TestLimits.Hang);

        Assert.True(await dispatcher.ShutdownAsync(TimeSpan.Zero).WaitAsync(TestLimits.Hang));
        Assert.Equal([1], sink.Committed);
        Assert.Equal(1, dispatcher.AcknowledgedCount);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => dispatcher.DispatchAsync(2, later).AsTask());
        Assert.Equal(0, later.Count);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(4)]
    public async Task A_sink_that_always_fails_is_tried_exactly_one_plus_MaxRetries_times(int maxRetries)
    {
        var time = new RecordingTimeProvider();
        var sink = new RecordingSink<int>("webhook", time, (_, attempt, _) => ValueTask.FromException(new IOException($"attempt {attempt}")));
        var deadLetters = new RecordingSink<DeadLetter<int>>("dead");
        var options = Options(time, sink);
        options.MaxRetries = maxRetries;
        options.BackoffBase = TimeSpan.Zero;
        options.DeadLetterSink = deadLetters;
        await using var dispatcher = new DeliveryDispatcher<int>(options);
        var ack = new CountingAck();

        await dispatcher.DispatchAsync(5, ack);
        await ack.First;

        Assert.Equal(1 + maxRetries, sink.Attempts);
        var letter = Assert.Single(deadLetters.Committed);
        Assert.Equal(1 + maxRetries, letter.Attempts);
        Assert.Equal($"attempt {1 + maxRetries}", letter.Error.Message);
        Assert.Empty(time.AllTimers);
        Assert.Equal(new DeliverySinkMetrics("webhook", 0, 0, maxRetries, 1, 0, 0), dispatcher.GetSinkMetrics("webhook"));
        Assert.Equal(1, ack.Count);
    }

    [Fact]
    public async Task The_delays_between_attempts_double_from_the_base_and_stop_at_the_ceiling()
    {
        var time = new RecordingTimeProvider();
        var start = time.GetUtcNow();
        var sink = new RecordingSink<int>("webhook", time, (_, _, _) => ValueTask.FromException(new TimeoutException()));
        var options = Options(time, sink);
        options.MaxRetries = 6;
        options.BackoffBase = Ms100;
        options.MaxBackoff = TimeSpan.FromMilliseconds(500);
        options.DeadLetterSink = new RecordingSink<DeadLetter<int>>("dead");
        await using var dispatcher = new DeliveryDispatcher<int>(options);
        var ack = new CountingAck();

        await dispatcher.DispatchAsync(1, ack);
        for (var retry = 0; retry < 6; retry++)
        {
            var due = await time.NextTimerAsync();
            Assert.Equal(0, ack.Count);
            time.Advance(due - TimeSpan.FromTicks(1));
            Assert.Equal(retry + 1, sink.Attempts);
            time.Advance(TimeSpan.FromTicks(1));
        }

        await ack.First;

        long[] expected = [0, 100, 300, 700, 1200, 1700, 2200];
        Assert.Equal(expected, sink.AttemptTimes.Select(t => (long)(t - start).TotalMilliseconds));
    }

    [Fact]
    public async Task A_jittered_retry_never_comes_before_half_the_delay_nor_after_the_delay()
    {
        for (var round = 0; round < 20; round++)
        {
            var time = new RecordingTimeProvider();
            var start = time.GetUtcNow();
            var sink = new RecordingSink<int>("webhook", time, (_, attempt, _) => attempt == 1 ? ValueTask.FromException(new IOException()) : ValueTask.CompletedTask);
            var options = Options(time, sink);
            options.BackoffBase = TimeSpan.FromSeconds(1);
            options.BackoffJitter = true;
            await using var dispatcher = new DeliveryDispatcher<int>(options);
            var ack = new CountingAck();

            await dispatcher.DispatchAsync(1, ack);
            var due = await time.NextTimerAsync();
            Assert.InRange(due, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(1));
            time.Advance(TimeSpan.FromSeconds(1));
            await ack.First;

            Assert.Equal(2, sink.Attempts);
            Assert.InRange(sink.AttemptTimes[1] - start, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(1));
        }
    }

    [Fact]
    public async Task A_retried_item_is_retried_before_the_next_item_is_written_and_acked_first()
    {
        var time = new RecordingTimeProvider();
        var order = new System.Collections.Concurrent.ConcurrentQueue<int>();
        var sink = new RecordingSink<int>("webhook", time, (item, attempt, _) =>
        {
            order.Enqueue(item);
            return item == 1 && attempt <= 2 ? ValueTask.FromException(new IOException()) : ValueTask.CompletedTask;
        });
        await using var dispatcher = new DeliveryDispatcher<int>(Options(time, sink));
        var acks = Enumerable.Range(0, 3).Select(_ => new CountingAck()).ToArray();
        for (var i = 0; i < acks.Length; i++)
        {
            await dispatcher.DispatchAsync(i + 1, acks[i]);
        }

        time.Advance(await time.NextTimerAsync());
        Assert.Equal(0, acks[1].Count + acks[2].Count);
        time.Advance(await time.NextTimerAsync());
        await Task.WhenAll(acks.Select(a => a.First));

        Assert.Equal([1, 1, 1, 2, 3], order);
        Assert.Equal([1, 2, 3], sink.Committed);
        Assert.All(acks, a => Assert.Equal(1, a.Count));
    }

    [Fact]
    public async Task DisposeAsync_during_a_backoff_ends_it_without_the_clock_moving_and_neither_acks_nor_dead_letters()
    {
        var time = new RecordingTimeProvider();
        var sink = new RecordingSink<int>("webhook", time, (_, _, _) => ValueTask.FromException(new IOException()));
        var deadLetters = new RecordingSink<DeadLetter<int>>("dead");
        var options = Options(time, sink);
        options.DeadLetterSink = deadLetters;
        var dispatcher = new DeliveryDispatcher<int>(options);
        var ack = new CountingAck();
        await dispatcher.DispatchAsync(1, ack);
        Assert.Equal(Ms100, await time.NextTimerAsync());

        await dispatcher.DisposeAsync().AsTask().WaitAsync(TestLimits.Hang);
        time.Advance(TimeSpan.FromSeconds(10));

        Assert.False(await dispatcher.ShutdownAsync(TimeSpan.Zero));
        Assert.Equal(1, sink.Attempts);
        Assert.Empty(deadLetters.Committed);
        Assert.Equal(0, ack.Count);
        Assert.Equal(0, dispatcher.AcknowledgedCount);
    }

    [Fact]
    public async Task A_drain_waits_out_a_backoff_and_acks_the_retried_item()
    {
        var time = new RecordingTimeProvider();
        var sink = new RecordingSink<int>("webhook", time, (_, attempt, _) => attempt == 1 ? ValueTask.FromException(new IOException()) : ValueTask.CompletedTask);
        await using var dispatcher = new DeliveryDispatcher<int>(Options(time, sink));
        var ack = new CountingAck();
        await dispatcher.DispatchAsync(1, ack);
        Assert.Equal(Ms100, await time.NextTimerAsync());

        var shutdown = dispatcher.ShutdownAsync(Timeout.InfiniteTimeSpan);
        Assert.False(shutdown.IsCompleted);
        time.Advance(Ms100);

        Assert.True(await shutdown.WaitAsync(TestLimits.Hang));
        Assert.Equal(1, ack.Count);
        Assert.Equal([1], sink.Committed);
    }

    [Fact]
    public async Task DisposeAsync_while_the_dead_letter_sink_is_retrying_leaves_the_item_unacked()
    {
        var time = new RecordingTimeProvider();
        var sink = new RecordingSink<int>("webhook", time, (_, _, _) => ValueTask.FromException(new PermanentDeliveryException()));
        var deadLetters = new RecordingSink<DeadLetter<int>>("dead", time, (_, _, _) => ValueTask.FromException(new IOException("dead-letter store down")));
        var options = Options(time, sink);
        options.DeadLetterSink = deadLetters;
        var dispatcher = new DeliveryDispatcher<int>(options);
        var ack = new CountingAck();
        await dispatcher.DispatchAsync(1, ack);
        Assert.Equal(Ms100, await time.NextTimerAsync());

        await dispatcher.DisposeAsync().AsTask().WaitAsync(TestLimits.Hang);

        Assert.Equal(0, ack.Count);
        Assert.Equal(1, deadLetters.Attempts);
        Assert.Equal(new DeliverySinkMetrics("webhook", 0, 0, 0, 0, 0, 0), dispatcher.GetSinkMetrics("webhook"));
    }

    [Fact]
    public async Task A_cancellation_the_sink_raises_on_its_own_is_a_transient_failure_not_a_stop()
    {
        // Only the dispatcher's token (a shutdown that gave up) stops a write; a sink's own timeout (HttpClient's
        // TaskCanceledException) is retried like any transient failure, then dead-lettered.
        var time = new RecordingTimeProvider();
        var flaky = new RecordingSink<int>("flaky", time, (_, attempt, _) => attempt == 1 ? ValueTask.FromException(new TaskCanceledException("timeout")) : ValueTask.CompletedTask);
        var hopeless = new RecordingSink<int>("hopeless", time, (_, _, _) => throw new OperationCanceledException(new CancellationToken(true)));
        var deadLetters = new RecordingSink<DeadLetter<int>>("dead");
        var options = Options(time, flaky, hopeless);
        options.BackoffBase = TimeSpan.Zero;
        options.MaxRetries = 2;
        options.DeadLetterSink = deadLetters;
        await using var dispatcher = new DeliveryDispatcher<int>(options);
        var ack = new CountingAck();

        await dispatcher.DispatchAsync(1, ack);
        await ack.First;

        Assert.Equal([1], flaky.Committed);
        Assert.Equal(2, flaky.Attempts);
        Assert.Equal(3, hopeless.Attempts);
        var letter = Assert.Single(deadLetters.Committed);
        Assert.Equal(("hopeless", 3), (letter.SinkName, letter.Attempts));
        Assert.IsType<OperationCanceledException>(letter.Error);
        Assert.Equal(1, ack.Count);
    }

    [Fact]
    public async Task A_dispatch_with_a_cancelled_token_queues_nothing_and_the_dispatcher_goes_on()
    {
        var time = new RecordingTimeProvider();
        var sink = new RecordingSink<int>("file");
        await using var dispatcher = new DeliveryDispatcher<int>(Options(time, sink));
        var ack = new CountingAck();

        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => dispatcher.DispatchAsync(1, ack, new CancellationToken(true)).AsTask());
        Assert.True(error.CancellationToken.IsCancellationRequested);
        await dispatcher.DispatchAsync(2);

        Assert.True(await dispatcher.ShutdownAsync(Timeout.InfiniteTimeSpan).WaitAsync(TestLimits.Hang));
        Assert.Equal([2], sink.Committed);
        Assert.Equal(0, ack.Count);
    }

    [Fact]
    public async Task A_dispatch_cancelled_while_waiting_for_room_reports_the_callers_token()
    {
        var time = new RecordingTimeProvider();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var slow = new RecordingSink<int>("slow", time, async (_, _, ct) => await gate.Task.WaitAsync(ct));
        var options = Options(time, slow);
        options.QueueCapacity = 1;
        options.MaxBatch = 1;
        await using var dispatcher = new DeliveryDispatcher<int>(options);
        await dispatcher.DispatchAsync(0);
        await WaitUntil(() => slow.Attempts == 1);
        await dispatcher.DispatchAsync(1);
        using var cts = new CancellationTokenSource();

        var blocked = dispatcher.DispatchAsync(2, null, cts.Token).AsTask();
        Assert.False(blocked.IsCompleted);
        await cts.CancelAsync();

        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => blocked.WaitAsync(TestLimits.Hang));
        Assert.Equal(cts.Token, error.CancellationToken);
        gate.SetResult();
        Assert.True(await dispatcher.ShutdownAsync(Timeout.InfiniteTimeSpan).WaitAsync(TestLimits.Hang));
        Assert.Equal([0, 1], slow.Committed);
    }

    [Fact]
    public async Task A_stalled_sink_under_Drop_does_not_hold_up_the_other_sink()
    {
        var time = new RecordingTimeProvider();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stalled = new RecordingSink<int>("stalled", time, async (_, _, ct) => await gate.Task.WaitAsync(ct));
        var fast = new RecordingSink<int>("fast");
        var options = new DeliveryOptions<int> { TimeProvider = time, MaxBatch = 1 };
        options.AddSink(fast).AddSink(stalled, new DeliverySinkOptions { QueueCapacity = 2, OnFull = OnFull.Drop, BestEffort = true });
        await using var dispatcher = new DeliveryDispatcher<int>(options);
        var acks = Enumerable.Range(0, 50).Select(_ => new CountingAck()).ToArray();

        await dispatcher.DispatchAsync(0, acks[0]);
        await WaitUntil(() => stalled.Attempts == 1);
        for (var i = 1; i < acks.Length; i++)
        {
            var dispatch = dispatcher.DispatchAsync(i, acks[i]);
            Assert.True(dispatch.IsCompleted);
            await dispatch;
        }

        await fast.WhenCommitted(50);
        await Task.WhenAll(acks.Select(a => a.First));

        Assert.All(acks, a => Assert.Equal(1, a.Count));
        Assert.Equal(Enumerable.Range(0, 50), fast.Committed);
        var metrics = dispatcher.GetSinkMetrics("stalled");
        Assert.Equal(47, metrics.Dropped);
        Assert.Equal(2, metrics.QueueDepth);
        gate.SetResult();
        Assert.True(await dispatcher.ShutdownAsync(Timeout.InfiniteTimeSpan).WaitAsync(TestLimits.Hang));
        Assert.Equal([0, 1, 2], stalled.Committed);
    }

    [Fact]
    public async Task The_ack_waits_for_every_sink_not_just_the_first_to_commit()
    {
        var time = new RecordingTimeProvider();
        var gates = new[] { new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
        var a = new RecordingSink<int>("a", time, async (_, _, _) => await gates[0].Task);
        var b = new RecordingSink<int>("b", time, async (_, _, _) => await gates[1].Task);
        var c = new RecordingSink<int>("c");
        await using var dispatcher = new DeliveryDispatcher<int>(Options(time, a, b, c));
        var ack = new CountingAck();

        await dispatcher.DispatchAsync(1, ack);
        await c.WhenCommitted(1);
        gates[1].SetResult();
        await b.WhenCommitted(1);
        Assert.Equal(0, ack.Count);
        gates[0].SetResult();
        await ack.First;

        Assert.True(await dispatcher.ShutdownAsync(Timeout.InfiniteTimeSpan).WaitAsync(TestLimits.Hang));
        Assert.Equal(1, ack.Count);
        Assert.Equal(1, dispatcher.AcknowledgedCount);
    }

    [Fact]
    public async Task A_dispatch_from_inside_an_ack_callback_is_delivered_and_acked_in_turn()
    {
        var time = new RecordingTimeProvider();
        var sink = new RecordingSink<int>("file");
        await using var dispatcher = new DeliveryDispatcher<int>(Options(time, sink));
        var second = new CountingAck();
        var chained = new ChainAck(() => dispatcher.DispatchAsync(2, second).AsTask());

        await dispatcher.DispatchAsync(1, chained);
        await second.First;
        await chained.Dispatched!.WaitAsync(TestLimits.Hang);

        Assert.Equal([1, 2], sink.Committed);
        Assert.Equal(1, second.Count);
    }

    [Fact]
    public async Task A_per_sink_classifier_overrides_the_dispatcher_wide_one()
    {
        var time = new RecordingTimeProvider();
        var strict = new RecordingSink<int>("strict", time, (_, _, _) => ValueTask.FromException(new IOException()));
        var lenient = new RecordingSink<int>("lenient", time, (_, attempt, _) => attempt == 1 ? ValueTask.FromException(new IOException()) : ValueTask.CompletedTask);
        var deadLetters = new RecordingSink<DeadLetter<int>>("dead");
        var options = new DeliveryOptions<int> { TimeProvider = time, BackoffBase = TimeSpan.Zero, IsTransient = _ => false, DeadLetterSink = deadLetters };
        options.AddSink(strict).AddSink(lenient, new DeliverySinkOptions { IsTransient = e => e is IOException });
        await using var dispatcher = new DeliveryDispatcher<int>(options);
        var ack = new CountingAck();

        await dispatcher.DispatchAsync(1, ack);
        await ack.First;

        Assert.Equal(1, strict.Attempts);
        Assert.Equal(2, lenient.Attempts);
        Assert.Equal("strict", Assert.Single(deadLetters.Committed).SinkName);
    }

    [Fact]
    public void GetSinkMetrics_refuses_a_null_name()
    {
        using var dispatcher = new DeliveryDispatcher<int>(new DeliveryOptions<int>().AddSink(new RecordingSink<int>("file")));

        Assert.Equal("sinkName", Assert.Throws<ArgumentNullException>(() => dispatcher.GetSinkMetrics(null!)).ParamName);
    }

    public static TheoryData<Action<DeliveryOptions<int>>, string> MoreBadOptions => new()
    {
        { o => o.Name = "", "Name" },
        { o => o.Name = null!, "Name" },
        { o => o.TimeProvider = null!, "TimeProvider" },
        { o => o.MaxBackoff = TimeSpan.FromMilliseconds(-1), "MaxBackoff" },
        { o => o.MaxBackoff = TimeSpan.FromDays(100), "MaxBackoff" },
        { o => o.BatchFlush = TimeSpan.FromDays(100), "BatchFlush" },
        { o => o.AddSink(new RecordingSink<int>("other"), new DeliverySinkOptions { OnFull = (OnFull)9 }), "OnFull" },
        { o => o.AddSink(new RecordingSink<int>("other"), new DeliverySinkOptions { BatchFlush = TimeSpan.FromTicks(-1) }), "BatchFlush" },
        { o => o.AddSink(new RecordingSink<int>("other"), new DeliverySinkOptions { BackoffBase = TimeSpan.FromTicks(-1) }), "BackoffBase" },
        { o => o.AddSink(new RecordingSink<int>("other"), new DeliverySinkOptions { MaxBackoff = TimeSpan.FromTicks(-1) }), "MaxBackoff" },
    };

    [Theory]
    [MemberData(nameof(MoreBadOptions))]
    public void More_bad_options_throw_an_ArgumentException_naming_the_option_and_start_nothing(Action<DeliveryOptions<int>> configure, string option)
    {
        var sink = new RecordingSink<int>("file");
        var options = new DeliveryOptions<int>().AddSink(sink);
        configure(options);

        var error = Assert.ThrowsAny<ArgumentException>(() => new DeliveryDispatcher<int>(options));

        Assert.Equal(option, error.ParamName);
        Assert.Equal(0, sink.Attempts);
    }

    [Fact]
    public async Task Options_changed_after_the_dispatcher_was_created_do_not_affect_it()
    {
        var time = new RecordingTimeProvider();
        var sink = new RecordingSink<int>("webhook", time, (_, _, _) => ValueTask.FromException(new IOException()));
        var late = new RecordingSink<int>("late");
        var sinkOptions = new DeliverySinkOptions { MaxRetries = 1 };
        var options = new DeliveryOptions<int> { TimeProvider = time, BackoffBase = TimeSpan.Zero };
        options.AddSink(sink, sinkOptions);
        await using var dispatcher = new DeliveryDispatcher<int>(options);
        sinkOptions.MaxRetries = 5;
        options.MaxRetries = 7;
        options.AddSink(late);
        var ack = new CountingAck();

        await dispatcher.DispatchAsync(1, ack);
        await ack.First;

        Assert.Equal(2, sink.Attempts);
        Assert.Equal(["webhook"], dispatcher.SinkNames);
        Assert.Equal(0, late.Attempts);
    }

    [Fact]
    public async Task The_ack_duration_is_measured_on_the_options_clock_per_dispatcher()
    {
        var time = new RecordingTimeProvider();
        var name = $"timed-{Guid.NewGuid():N}";
        var durations = new List<double>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == StreamMeter.MeterName && instrument.Name == "reactive_streams.delivery.ack.duration")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "reactive_streams.dispatcher.name" && (string?)tag.Value == name)
                {
                    lock (durations)
                    {
                        durations.Add(value);
                    }
                }
            }
        });
        listener.Start();
        var sink = new RecordingSink<int>("webhook", time, (_, attempt, _) => attempt == 1 ? ValueTask.FromException(new IOException()) : ValueTask.CompletedTask);
        var options = Options(time, sink);
        options.Name = name;
        options.BackoffBase = TimeSpan.FromMilliseconds(1500);
        options.MaxBackoff = TimeSpan.FromSeconds(2);
        await using var dispatcher = new DeliveryDispatcher<int>(options);
        var ack = new CountingAck();

        await dispatcher.DispatchAsync(1, ack);
        time.Advance(await time.NextTimerAsync());
        await ack.First;

        lock (durations)
        {
            Assert.Equal(1.5, Assert.Single(durations), 6);
        }
    }

    /// <summary>Waits for a condition another thread makes true, yielding between checks (bounded in real time).</summary>
    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = Environment.TickCount64 + (long)TestLimits.Hang.TotalMilliseconds;
        while (!condition())
        {
            Assert.True(Environment.TickCount64 < deadline, "The condition never became true.");
            await Task.Yield();
        }
    }

    private sealed class CallbackAck(Action callback) : IAckToken
    {
        public void Acknowledge() => callback();
    }

    private sealed class ChainAck(Func<Task> next) : IAckToken
    {
        public Task? Dispatched { get; private set; }

        public void Acknowledge() => Dispatched = next();
    }
}
