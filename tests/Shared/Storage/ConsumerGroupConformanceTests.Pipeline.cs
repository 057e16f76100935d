using System.Collections.Concurrent;
using Microsoft.Extensions.Time.Testing;

namespace Reactive.Streams.Storage.Tests;

/// <summary>
/// The at-least-once pipeline over a group, on every backend: group canal → <see cref="DeliveryDispatcher{T}"/> with
/// each frame's <see cref="ConsumerGroupCanal.AckTokenFor"/>, so a frame is acknowledged only once every sink committed
/// it, and what a crashed member did not get acknowledged comes back (to another member after the claim timeout, or to
/// the member restarted under its name at once).
/// </summary>
public abstract partial class ConsumerGroupConformanceTests
{
    [Fact]
    public async Task A_group_pipeline_acknowledges_only_what_every_sink_committed_and_a_crashed_member_s_rest_reaches_another_member()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(log, stream, 6);
        var good = new RecordingSink("good");
        var flaky = new RecordingSink("flaky") { Failing = "f3" };

        // Member a: the flaky sink fails f3 and waits for its retry on a clock nobody advances, so f3 (and f4, f5
        // behind it in that sink's queue) are committed by the good sink only and never acknowledged.
        var a = await ConsumerGroupCanal.OpenAsync(log, stream, "g", "a", CanalOptions());
        var acks = new AckCounter();
        var dispatcherA = Dispatcher(new FakeTimeProvider(), good, flaky);
        var batch = await a.PullBatchAsync(10, TimeSpan.Zero);
        Assert.Equal(ids, batch.Select(f => f.Id));
        foreach (var frame in batch)
        {
            await dispatcherA.DispatchAsync(Text(frame), acks.Wrap(a.AckTokenFor(frame)));
        }

        await acks.WaitForAsync(3).WaitAsync(Guard);
        await flaky.Failed.WaitAsync(Guard);
        // The good sink's queue runs on its own worker: the crash below comes only once it committed all six.
        await good.CommittedAsync(6).WaitAsync(Guard);
        await a.FlushAcknowledgementsAsync();
        Assert.Equal(ids[3..], (await log.ReadPendingAsync(stream, "g", null, 10)).Select(p => p.Id));
        Assert.Equal(3, a.Unacknowledged);

        // The member crashes: its dispatcher stops without draining, its canal closes without acknowledging the rest.
        await dispatcherA.DisposeAsync();
        await a.DisposeAsync();
        Assert.Equal(3, acks.Count);
        Assert.All(await log.ReadPendingAsync(stream, "g", null, 10), p => Assert.Equal(("a", 1L), (p.Consumer, p.DeliveryCount)));

        // Member b, on another log instance: nothing while a's claim is live, then a's rest with its delivery count raised.
        flaky.Failing = null;
        var b = await OpenCanalAsync(await CreateAsync(), stream, "b");
        Assert.True((await b.PullBatchAsync(10, TimeSpan.Zero)).IsEmpty);
        await PassAsync(ClaimTimeout);
        var again = await b.PullBatchAsync(10, TimeSpan.Zero);
        Assert.Equal(ids[3..], again.Select(f => f.Id));
        Assert.All(again, f => Assert.Equal(2, b.DeliveryCountOf(f)));

        await using (var dispatcherB = Dispatcher(TimeProvider.System, good, flaky))
        {
            foreach (var frame in again)
            {
                await dispatcherB.DispatchAsync(Text(frame), acks.Wrap(b.AckTokenFor(frame)));
            }

            Assert.True(await dispatcherB.ShutdownAsync(Guard));
        }

        await b.FlushAcknowledgementsAsync();
        Assert.Equal(6, acks.Count);
        Assert.Equal(0, b.Unacknowledged);
        Assert.Empty(await log.ReadPendingAsync(stream, "g", null, 10));
        Assert.Equal((ids[^1], 0L, 0L), await GroupStateAsync(log, stream));

        // Every frame reached every sink: the flaky one once each, the good one twice for what was redelivered.
        Assert.Equal(["f0", "f1", "f2", "f3", "f4", "f5"], flaky.Committed.Order(StringComparer.Ordinal));
        Assert.Equal(["f0", "f1", "f2", "f3", "f3", "f4", "f4", "f5", "f5"], good.Committed.Order(StringComparer.Ordinal));
        Assert.True((await b.PullBatchAsync(10, TimeSpan.Zero)).IsEmpty);
    }

    [Fact]
    public async Task A_member_that_crashed_between_its_sinks_commit_and_the_acknowledgement_gets_every_frame_again_when_restarted()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(log, stream, 4);
        var sink = new RecordingSink("sink");

        // Every sink committed every frame and every ack fired, but the process died before the acknowledgements
        // reached the log: the canal is neither flushed nor disposed (a crash runs no finally blocks).
        var crashed = await ConsumerGroupCanal.OpenAsync(log, stream, "g", "a", CanalOptions());
        var acks = new AckCounter();
        await using (var dispatcher = Dispatcher(TimeProvider.System, sink))
        {
            foreach (var frame in await crashed.PullBatchAsync(10, TimeSpan.Zero))
            {
                await dispatcher.DispatchAsync(Text(frame), acks.Wrap(crashed.AckTokenFor(frame)));
            }

            Assert.True(await dispatcher.ShutdownAsync(Guard));
        }

        Assert.Equal(4, acks.Count);
        Assert.Equal(ids, (await log.ReadPendingAsync(stream, "g", "a", 10)).Select(p => p.Id));

        // Restarted under its name, on another log instance, before the claim timeout: it takes them back at once.
        var restarted = await OpenCanalAsync(await CreateAsync(), stream, "a");
        var again = await restarted.PullBatchAsync(10, TimeSpan.Zero);
        Assert.Equal(ids, again.Select(f => f.Id));
        Assert.All(again, f => Assert.Equal(2, restarted.DeliveryCountOf(f)));
        await using (var dispatcher = Dispatcher(TimeProvider.System, sink))
        {
            foreach (var frame in again)
            {
                await dispatcher.DispatchAsync(Text(frame), acks.Wrap(restarted.AckTokenFor(frame)));
            }

            Assert.True(await dispatcher.ShutdownAsync(Guard));
        }

        Assert.True((await restarted.PullBatchAsync(10, TimeSpan.Zero)).IsEmpty); // sends the acknowledgements
        Assert.Empty(await log.ReadPendingAsync(stream, "g", null, 10));
        Assert.Equal((ids[^1], 0L, 0L), await GroupStateAsync(log, stream));
        Assert.Equal(["f0", "f0", "f1", "f1", "f2", "f2", "f3", "f3"], sink.Committed.Order(StringComparer.Ordinal));
    }

    private ConsumerGroupCanalOptions CanalOptions() => new() { ClaimTimeout = ClaimTimeout, TimeProvider = Clock };

    private static DeliveryDispatcher<string> Dispatcher(TimeProvider clock, params IDeliverySink<string>[] sinks)
    {
        var options = new DeliveryOptions<string>
        {
            MaxRetries = 100,
            BackoffBase = TimeSpan.FromMinutes(1),
            MaxBackoff = TimeSpan.FromMinutes(1),
            TimeProvider = clock,
        };
        foreach (var sink in sinks)
        {
            options.AddSink(sink);
        }

        return new DeliveryDispatcher<string>(options);
    }

    private static async Task<(StreamId LastDelivered, long Pending, long Lag)> GroupStateAsync(IConsumerGroupLog log, string stream)
    {
        var info = await log.ReadGroupAsync(stream, "g");
        return (info!.LastDeliveredId, info.PendingCount, info.Lag);
    }

    /// <summary>A sink that records what it committed and fails (transiently) the item named by <see cref="Failing"/>.</summary>
    private sealed class RecordingSink(string name) : IDeliverySink<string>
    {
        private readonly TaskCompletionSource _failed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _expected = int.MaxValue;

        public string Name => name;

        public string? Failing { get; set; }

        public ConcurrentQueue<string> Committed { get; } = new();

        /// <summary>Completes when the sink first failed an item.</summary>
        public Task Failed => _failed.Task;

        /// <summary>Completes once the sink committed <paramref name="count"/> items (one count per sink).</summary>
        public Task CommittedAsync(int count)
        {
            // Interlocked here and in the queue's enqueue: the writer or this call sees the other's write.
            Interlocked.Exchange(ref _expected, count);
            if (Committed.Count >= count)
            {
                _reached.TrySetResult();
            }

            return _reached.Task;
        }

        public ValueTask WriteAsync(string item, CancellationToken cancellationToken)
        {
            if (item == Failing)
            {
                _failed.TrySetResult();
                throw new IOException($"{name} cannot write {item} now");
            }

            Committed.Enqueue(item);
            if (Committed.Count >= Volatile.Read(ref _expected))
            {
                _reached.TrySetResult();
            }

            return ValueTask.CompletedTask;
        }
    }

    /// <summary>Counts the acknowledgements that fired (forwarding each to the canal's token).</summary>
    private sealed class AckCounter
    {
        private readonly Lock _gate = new();
        private readonly List<(int Count, TaskCompletionSource Done)> _waiters = [];
        private int _count;

        public int Count
        {
            get
            {
                lock (_gate)
                {
                    return _count;
                }
            }
        }

        public IAckToken Wrap(IAckToken inner) => new Token(this, inner);

        public Task WaitForAsync(int count)
        {
            lock (_gate)
            {
                if (_count >= count)
                {
                    return Task.CompletedTask;
                }

                var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiters.Add((count, done));
                return done.Task;
            }
        }

        private void Fired()
        {
            lock (_gate)
            {
                _count++;
                foreach (var waiter in _waiters.Where(w => w.Count <= _count).ToList())
                {
                    waiter.Done.TrySetResult();
                    _waiters.Remove(waiter);
                }
            }
        }

        private sealed class Token(AckCounter counter, IAckToken inner) : IAckToken
        {
            public void Acknowledge()
            {
                inner.Acknowledge();
                counter.Fired();
            }
        }
    }
}
