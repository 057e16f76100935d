using System.Collections.Concurrent;

namespace Reactive.Streams.Tests.Pipeline;

/// <summary>
/// The at-least-once pipeline composed as docs/canal.md and docs/delivery.md show it (a producer appends, a cursor canal
/// or a consumer-group canal pulls, each frame is dispatched with the canal's ack token to a dispatcher of several
/// sinks), on each backend: every sink sees every frame (or dead-letters it), the checkpoint never passes a frame a sink
/// that holds acknowledgements has not committed, and a crash at any step redelivers exactly what was not acknowledged.
/// Retries use a zero backoff, so nothing here waits on a clock.
/// </summary>
public abstract class ComposedPipelineTests
{
    private const string Stream = "events";
    private static readonly TimeSpan s_hang = TimeSpan.FromMinutes(2);

    /// <summary>Opens a log on the test's storage: the same storage on every call, as a restarted process would.</summary>
    protected abstract Task<IStreamLog> OpenLogAsync();

    /// <summary>Closes a log <see cref="OpenLogAsync"/> returned (a "process" ending); disposes it by default.</summary>
    protected virtual ValueTask CloseLogAsync(IStreamLog log) => log.DisposeAsync();

    private async Task<LogHandle> OpenAsync() => new(await OpenLogAsync(), this);

    private sealed class LogHandle(IStreamLog log, ComposedPipelineTests owner) : IAsyncDisposable
    {
        public IStreamLog Log => log;

        public ValueTask DisposeAsync() => owner.CloseLogAsync(log);
    }

    private static async Task<List<StreamId>> AppendAsync(IStreamLog log, int from, int count)
    {
        var ids = new List<StreamId>();
        for (var i = from; i < from + count; i++)
        {
            ids.Add((await log.AppendAsync(Stream, AtLeastOncePipeline.Encode(i), AppendMode.Durable)).Id);
        }

        return ids;
    }

    private static int Value(StreamFrame frame) => AtLeastOncePipeline.Decode(frame.Payload);

    /// <summary>Records what it committed, in order; fails as <see cref="Fail"/> says; may be held on an item.</summary>
    private sealed class Sink(string name) : IDeliverySink<int>
    {
        private readonly ConcurrentQueue<int> _committed = new();

        public string Name => name;

        public Func<int, int, Exception?>? Fail { get; init; }

        public Func<int, bool>? HoldOn { get; init; }

        /// <summary>Whether a held write ignores its cancellation (a hung sink).</summary>
        public bool IgnoresCancellation { get; init; }

        public TaskCompletionSource Held { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ConcurrentDictionary<int, int> Attempts { get; } = new();

        public IReadOnlyList<int> Committed => [.. _committed];

        public bool HasCommitted(int item) => _committed.Contains(item);

        public async ValueTask WriteAsync(int item, CancellationToken cancellationToken)
        {
            var attempt = Attempts.AddOrUpdate(item, 1, (_, n) => n + 1);
            if (Fail?.Invoke(item, attempt) is { } error)
            {
                throw error;
            }

            if (HoldOn?.Invoke(item) == true)
            {
                Held.TrySetResult();
                await Release.Task.WaitAsync(s_hang, IgnoresCancellation ? CancellationToken.None : cancellationToken);
            }
            else
            {
                await Task.Yield(); // a slow sink: its worker lets the others run ahead
            }

            _committed.Enqueue(item);
        }
    }

    /// <summary>
    /// Wraps a canal's ack tokens and counts those that have fired. The dispatcher counts an item as acknowledged just
    /// before it fires the item's token (so that code the token wakes sees the count): its AcknowledgedCount alone does
    /// not say that the canal has the acknowledgement yet, and a test that then flushes, disposes or reads the canal may
    /// find one missing.
    /// </summary>
    private sealed class FiredAcks
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public IAckToken For(IAckToken token) => new Token(token, this);

        private sealed class Token(IAckToken inner, FiredAcks acks) : IAckToken
        {
            public void Acknowledge()
            {
                inner.Acknowledge();
                Interlocked.Increment(ref acks._count);
            }
        }
    }

    private sealed class DeadLetters : IDeliverySink<DeadLetter<int>>
    {
        public ConcurrentQueue<DeadLetter<int>> Letters { get; } = new();

        public string Name => "dead-letters";

        public ValueTask WriteAsync(DeadLetter<int> item, CancellationToken cancellationToken)
        {
            Letters.Enqueue(item);
            return default;
        }
    }

    /// <summary>
    /// Checks every checkpoint write: each frame up to the written position was committed (or dead-lettered) by every
    /// sink that holds acknowledgements.
    /// </summary>
    private sealed class GuardedCheckpoints(ICheckpointStore inner, Func<StreamId, string?> violation) : ICheckpointStore
    {
        public ConcurrentQueue<string> Violations { get; } = new();

        public ValueTask<StreamId?> ReadCheckpointAsync(string checkpointId, CancellationToken cancellationToken = default) =>
            inner.ReadCheckpointAsync(checkpointId, cancellationToken);

        public ValueTask WriteCheckpointAsync(string checkpointId, StreamId position, CancellationToken cancellationToken = default)
        {
            if (violation(position) is { } message)
            {
                Violations.Enqueue(message);
            }

            return inner.WriteCheckpointAsync(checkpointId, position, cancellationToken);
        }
    }

    [Fact]
    public async Task Every_sink_sees_every_frame_and_the_checkpoint_never_passes_a_frame_a_holding_sink_has_not_committed()
    {
        const int Events = 120;
        await using var handle = await OpenAsync();
        var log = handle.Log;
        var ids = await AppendAsync(log, 0, Events);
        var idOf = ids.Select((id, i) => (id, i)).ToDictionary(p => p.id, p => p.i);

        var slow = new Sink("slow");
        var flaky = new Sink("flaky") { Fail = (item, attempt) => attempt <= item % 3 ? new IOException($"flaky on {item}") : null };
        var poisoned = new Sink("poisoned") { Fail = (item, _) => item % 10 == 7 ? new PermanentDeliveryException($"refuses {item}") : null };
        var preview = new Sink("preview");
        var deadLetters = new DeadLetters();
        var holding = new[] { slow, flaky, poisoned };
        string? Violation(StreamId position)
        {
            foreach (var (id, item) in idOf)
            {
                if (id > position)
                {
                    continue;
                }

                foreach (var sink in holding)
                {
                    var dead = deadLetters.Letters.Any(l => l.Item == item && l.SinkName == sink.Name);
                    if (!sink.HasCommitted(item) && !dead)
                    {
                        return $"checkpoint {position} written before {sink.Name} committed event {item}";
                    }
                }
            }

            return null;
        }

        var checkpoints = new GuardedCheckpoints((ICheckpointStore)log, Violation);
        var canal = await CursorCanal.OpenAsync(log, Stream, new CursorCanalOptions { CheckpointId = "composed", Checkpoints = checkpoints });
        var options = new DeliveryOptions<int>
        {
            Name = "composed",
            QueueCapacity = 8,
            MaxRetries = 3,
            BackoffBase = TimeSpan.Zero,
            MaxBackoff = TimeSpan.Zero,
            DeadLetterSink = deadLetters,
        };
        options.AddSink(slow).AddSink(flaky).AddSink(poisoned)
            .AddSink(preview, new DeliverySinkOptions { BestEffort = true, OnFull = OnFull.Drop, QueueCapacity = 1 });
        var dispatcher = new DeliveryDispatcher<int>(options);

        var dispatched = 0;
        while (true)
        {
            var batch = await canal.PullBatchAsync(16, TimeSpan.Zero);
            if (batch.IsEmpty)
            {
                break;
            }

            foreach (var frame in batch)
            {
                await dispatcher.DispatchAsync(Value(frame), canal.AckTokenFor(frame)).AsTask().WaitAsync(s_hang);
                dispatched++;
            }
        }

        Assert.True(await dispatcher.ShutdownAsync(Timeout.InfiniteTimeSpan).WaitAsync(s_hang));
        await canal.FlushCheckpointAsync();

        Assert.Equal(Events, dispatched);
        Assert.Equal(Events, dispatcher.AcknowledgedCount);
        Assert.Equal(ids[^1], canal.CommittedPosition);
        Assert.Equal(0, canal.Unacknowledged);
        Assert.Equal(ids[^1], await ((ICheckpointStore)log).ReadCheckpointAsync("composed"));
        Assert.Empty(checkpoints.Violations);

        // Every sink saw every frame once, in dispatch order (the poisoned one dead-lettered its refusals).
        var all = Enumerable.Range(0, Events).ToList();
        Assert.Equal(all, slow.Committed);
        Assert.Equal(all, flaky.Committed);
        Assert.Equal(all.Where(i => i % 10 != 7), poisoned.Committed);
        Assert.Equal(all.Where(i => i % 10 == 7), deadLetters.Letters.Select(l => l.Item).Order());
        Assert.All(deadLetters.Letters, l => Assert.Equal(("poisoned", 1), (l.SinkName, l.Attempts)));
        Assert.Equal(preview.Committed.Order(), preview.Committed);

        // The counters add up: dispatched = delivered + dead-lettered + discarded + dropped (+ queued, none after a drain).
        foreach (var sink in new[] { slow, flaky, poisoned, preview })
        {
            var metrics = dispatcher.GetSinkMetrics(sink.Name);
            Assert.Equal(Events, metrics.Delivered + metrics.DeadLettered + metrics.Discarded + metrics.Dropped + metrics.QueueDepth);
            Assert.Equal(sink.Committed.Count, metrics.Delivered);
        }

        Assert.Equal(all.Sum(i => i % 3), dispatcher.GetSinkMetrics("flaky").Retries);
        Assert.Equal(Events / 10, dispatcher.GetSinkMetrics("poisoned").DeadLettered);
        Assert.Equal(0, dispatcher.GetSinkMetrics("poisoned").Retries);
        await canal.DisposeAsync();
    }

    [Fact]
    public async Task Acknowledgements_out_of_order_hold_the_checkpoint_at_the_oldest_unacknowledged_frame_across_a_restart()
    {
        List<StreamId> ids;
        await using (var handle = await OpenAsync())
        {
            var log = handle.Log;
            ids = await AppendAsync(log, 0, 6);
            var canal = await CursorCanal.OpenAsync(log, Stream, new CursorCanalOptions { CheckpointId = "ooo" });
            var batch = await canal.PullBatchAsync(10, TimeSpan.Zero);
            Assert.Equal(6, batch.Count);
            var tokens = batch.ToList().Select(canal.AckTokenFor).ToList();

            tokens[5].Acknowledge();   // frame 5 before frame 3
            tokens[0].Acknowledge();
            tokens[1].Acknowledge();
            tokens[4].Acknowledge();
            await canal.FlushCheckpointAsync();
            Assert.Equal(ids[1], canal.CommittedPosition);
            Assert.Equal(4, canal.Unacknowledged);
            await canal.DisposeAsync(); // crash with frames 2 and 3 unacknowledged
        }

        // A new process on the same storage: the frames after the checkpoint come again, acknowledged ones included
        // (documented extras: the checkpoint is a position, not a set), and nothing before it.
        await using (var handle = await OpenAsync())
        {
            var log = handle.Log;
            Assert.Equal(ids[1], await ((ICheckpointStore)log).ReadCheckpointAsync("ooo"));
            var canal = await CursorCanal.OpenAsync(log, Stream, new CursorCanalOptions { CheckpointId = "ooo" });
            var batch = await canal.PullBatchAsync(10, TimeSpan.Zero);
            Assert.Equal(new[] { 2, 3, 4, 5 }, batch.ToList().Select(Value));
            var tokens = batch.ToList().Select(canal.AckTokenFor).ToList();
            tokens[3].Acknowledge();
            tokens[1].Acknowledge();
            tokens[1].Acknowledge(); // twice: harmless
            await canal.FlushCheckpointAsync();
            Assert.Equal(ids[1], canal.CommittedPosition);
            tokens[0].Acknowledge();
            await canal.FlushCheckpointAsync();
            Assert.Equal(ids[3], canal.CommittedPosition);
            tokens[2].Acknowledge();
            await canal.DisposeAsync(); // disposal writes the acknowledged prefix
            Assert.Equal(ids[5], await ((ICheckpointStore)log).ReadCheckpointAsync("ooo"));
            Assert.Throws<ObjectDisposedException>(() => tokens[2].Acknowledge());
        }
    }

    [Fact]
    public async Task An_ack_token_for_a_frame_the_canal_did_not_hand_out_is_refused_and_moves_nothing()
    {
        await using var handle = await OpenAsync();
        var log = handle.Log;
        var ids = await AppendAsync(log, 0, 4);
        var canal = await CursorCanal.OpenAsync(log, Stream, new CursorCanalOptions { CheckpointId = "foreign" });
        var other = await CursorCanal.OpenAsync(log, Stream);
        var batch = await canal.PullBatchAsync(2, TimeSpan.Zero);
        var ahead = await other.PullBatchAsync(10, TimeSpan.Zero);

        // Frame 3 was handed out by the other canal only, and frame 2 was read from the log directly.
        var error = Assert.Throws<ArgumentException>(() => canal.AckTokenFor(ahead[3]));
        Assert.Equal("frame", error.ParamName);
        var direct = (await log.ReadAsync(Stream, ids[2], StreamId.Max, 1))[0];
        Assert.Equal("frame", Assert.Throws<ArgumentException>(() => canal.AckTokenFor(direct)).ParamName);
        Assert.Equal("handled", (await Assert.ThrowsAsync<ArgumentException>(() => canal.CommitAsync(ahead[3]).AsTask())).ParamName);

        canal.AckTokenFor(batch[1]).Acknowledge();
        await canal.FlushCheckpointAsync();
        Assert.Equal(StreamId.Min, canal.CommittedPosition); // frame 0 still holds it
        canal.AckTokenFor(batch[0]).Acknowledge();
        await canal.DisposeAsync();
        await other.DisposeAsync();
        Assert.Equal(ids[1], await ((ICheckpointStore)log).ReadCheckpointAsync("foreign"));
        Assert.Throws<ObjectDisposedException>(() => canal.AckTokenFor(batch[0]));
    }

    [Fact]
    public async Task A_dispatcher_shut_down_with_a_hung_sink_leaves_exactly_the_unacknowledged_frames_for_the_restart()
    {
        List<StreamId> ids;
        var hung = new Sink("hung") { HoldOn = item => item == 5 };
        var fine = new Sink("fine");
        await using (var handle = await OpenAsync())
        {
            var log = handle.Log;
            ids = await AppendAsync(log, 0, 12);
            var canal = await CursorCanal.OpenAsync(log, Stream, new CursorCanalOptions { CheckpointId = "crash" });
            var options = new DeliveryOptions<int> { Name = "crash", QueueCapacity = 64 };
            options.AddSink(fine).AddSink(hung);
            var dispatcher = new DeliveryDispatcher<int>(options);
            var batch = await canal.PullBatchAsync(12, TimeSpan.Zero);
            foreach (var frame in batch)
            {
                await dispatcher.DispatchAsync(Value(frame), canal.AckTokenFor(frame));
            }

            await hung.Held.Task.WaitAsync(s_hang);
            await WaitUntilAsync(() => fine.Committed.Count == 12 && dispatcher.AcknowledgedCount == 5);
            // Zero drain time: "a crash as far as delivery goes". The hung write sees its token cancelled and ends.
            Assert.False(await dispatcher.ShutdownAsync(TimeSpan.Zero).WaitAsync(s_hang));
            Assert.Equal(5, dispatcher.AcknowledgedCount);
            await Assert.ThrowsAsync<InvalidOperationException>(() => dispatcher.DispatchAsync(99).AsTask());
            await canal.DisposeAsync();
            Assert.Equal(ids[4], await ((ICheckpointStore)log).ReadCheckpointAsync("crash"));
        }

        await using (var handle = await OpenAsync())
        {
            var log = handle.Log;
            var canal = await CursorCanal.OpenAsync(log, Stream, new CursorCanalOptions { CheckpointId = "crash" });
            Assert.Equal(ids[4], canal.CommittedPosition);
            var again = await canal.PullBatchAsync(100, TimeSpan.Zero);
            Assert.Equal(Enumerable.Range(5, 7), again.ToList().Select(Value));
            await canal.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_drain_cut_short_only_by_a_best_effort_sink_reports_drained_and_the_restart_redelivers_nothing()
    {
        List<StreamId> ids;
        var preview = new Sink("preview") { HoldOn = item => item == 3 };
        var fine = new Sink("fine");
        var acks = new FiredAcks();
        await using (var handle = await OpenAsync())
        {
            var log = handle.Log;
            ids = await AppendAsync(log, 0, 8);
            var canal = await CursorCanal.OpenAsync(log, Stream, new CursorCanalOptions { CheckpointId = "preview" });
            var options = new DeliveryOptions<int> { Name = "preview", QueueCapacity = 64 };
            options.AddSink(fine).AddSink(preview, new DeliverySinkOptions { BestEffort = true });
            var dispatcher = new DeliveryDispatcher<int>(options);
            foreach (var frame in await canal.PullBatchAsync(8, TimeSpan.Zero))
            {
                await dispatcher.DispatchAsync(Value(frame), acks.For(canal.AckTokenFor(frame)));
            }

            await preview.Held.Task.WaitAsync(s_hang);
            await WaitUntilAsync(() => acks.Count == 8);

            // The preview never got items 3 to 7, but every item is acknowledged: the shutdown says so, and the
            // checkpoint passes them all, so the restart below redelivers nothing (the preview's loss is final).
            Assert.True(await dispatcher.ShutdownAsync(TimeSpan.Zero).WaitAsync(s_hang));
            Assert.Equal([0, 1, 2], preview.Committed);
            await canal.DisposeAsync();
            Assert.Equal(ids[^1], await ((ICheckpointStore)log).ReadCheckpointAsync("preview"));
        }

        await using (var handle = await OpenAsync())
        {
            var canal = await CursorCanal.OpenAsync(handle.Log, Stream, new CursorCanalOptions { CheckpointId = "preview" });
            Assert.True((await canal.PullBatchAsync(100, TimeSpan.Zero)).IsEmpty);
            await canal.DisposeAsync();
        }
    }

    [Fact]
    public async Task Disposing_the_canal_mid_batch_refuses_later_acknowledgements_and_the_restart_redelivers_them()
    {
        List<StreamId> ids;
        var held = new Sink("held") { HoldOn = item => item == 2 };
        var logger = new CountingLogger();
        await using (var handle = await OpenAsync())
        {
            var log = handle.Log;
            ids = await AppendAsync(log, 0, 5);
            var canal = await CursorCanal.OpenAsync(log, Stream, new CursorCanalOptions { CheckpointId = "mid" });
            var options = new DeliveryOptions<int> { Name = "mid", Logger = logger };
            options.AddSink(held);
            var dispatcher = new DeliveryDispatcher<int>(options);
            var fired = new FiredAcks();
            var batch = await canal.PullBatchAsync(10, TimeSpan.Zero);
            foreach (var frame in batch)
            {
                await dispatcher.DispatchAsync(Value(frame), fired.For(canal.AckTokenFor(frame)));
            }

            await held.Held.Task.WaitAsync(s_hang);
            await WaitUntilAsync(() => fired.Count == 2);
            await canal.DisposeAsync();   // the wrong order: the canal goes first
            Assert.Equal(ids[1], await ((ICheckpointStore)log).ReadCheckpointAsync("mid"));
            held.Release.TrySetResult();  // frames 2..4 commit now; their acknowledgements are refused (event 6003)
            Assert.True(await dispatcher.ShutdownAsync(Timeout.InfiniteTimeSpan).WaitAsync(s_hang));
            Assert.Equal(new[] { 0, 1, 2, 3, 4 }, held.Committed);
            Assert.Equal(3, logger.Count(6003));
            Assert.Equal(ids[1], await ((ICheckpointStore)log).ReadCheckpointAsync("mid"));
        }

        await using (var handle = await OpenAsync())
        {
            var log = handle.Log;
            var canal = await CursorCanal.OpenAsync(log, Stream, new CursorCanalOptions { CheckpointId = "mid" });
            Assert.Equal(new[] { 2, 3, 4 }, (await canal.PullBatchAsync(10, TimeSpan.Zero)).ToList().Select(Value));
            await canal.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_group_member_sends_per_frame_acknowledgements_out_of_order_and_a_restarted_member_gets_exactly_the_rest()
    {
        List<StreamId> ids;
        await using (var handle = await OpenAsync())
        {
            var log = handle.Log;
            ids = await AppendAsync(log, 0, 6);
            var groups = (IConsumerGroupLog)log;
            var member = await ConsumerGroupCanal.OpenAsync(groups, Stream, "billing", "m1");
            var poisoned = new Sink("poisoned") { Fail = (item, _) => item == 4 ? new PermanentDeliveryException("no") : null };
            var deadLetters = new DeadLetters();
            var held = new Sink("held") { HoldOn = item => item == 3 };
            var options = new DeliveryOptions<int> { Name = "group", DeadLetterSink = deadLetters, MaxBatch = 1 };
            options.AddSink(poisoned).AddSink(held, new DeliverySinkOptions { OnFull = OnFull.Drop, QueueCapacity = 1 });
            var dispatcher = new DeliveryDispatcher<int>(options);
            var fired = new FiredAcks();
            var batch = await member.PullBatchAsync(10, TimeSpan.Zero);
            Assert.Equal(6, batch.Count);
            foreach (var frame in batch)
            {
                await dispatcher.DispatchAsync(Value(frame), fired.For(member.AckTokenFor(frame)));
                if (Value(frame) < 3)
                {
                    var acknowledged = Value(frame) + 1;
                    await WaitUntilAsync(() => dispatcher.AcknowledgedCount == acknowledged); // the Drop queue is empty again
                }
                else if (Value(frame) == 3)
                {
                    await held.Held.Task.WaitAsync(s_hang);
                }
            }

            // Frame 3 is held in the Drop sink, whose queue (one item) then took frame 4 and dropped 5: frames 0-2 and
            // 5 are acknowledged (the drop counts as committed), 3 and 4 are not.
            await WaitUntilAsync(() => fired.Count == 4);
            Assert.Equal(4, dispatcher.AcknowledgedCount);
            await member.FlushAcknowledgementsAsync();
            var pending = await groups.ReadPendingAsync(Stream, "billing", null, 10);
            Assert.Equal(new[] { ids[3], ids[4] }, pending.Select(p => p.Id));
            Assert.Equal(2, member.Unacknowledged);

            await dispatcher.DisposeAsync();  // crash: 3 and 4 stay pending on m1
            await member.DisposeAsync();
        }

        await using (var handle = await OpenAsync())
        {
            var log = handle.Log;
            var groups = (IConsumerGroupLog)log;
            var member = await ConsumerGroupCanal.OpenAsync(groups, Stream, "billing", "m1");
            var batch = await member.PullBatchAsync(10, TimeSpan.Zero);
            Assert.Equal(new[] { 3, 4 }, batch.ToList().Select(Value));
            Assert.Equal(2, member.DeliveryCountOf(batch[0]));
            member.AckTokenFor(batch[1]).Acknowledge();
            member.AckTokenFor(batch[0]).Acknowledge();
            await member.DisposeAsync(); // sends them
            var info = await groups.ReadGroupAsync(Stream, "billing");
            Assert.NotNull(info);
            Assert.Equal(0, info.PendingCount);
            Assert.Equal(ids[^1], info.LastDeliveredId);
        }
    }

    [Fact]
    public async Task A_frame_acknowledged_ahead_of_an_older_one_waits_for_it_before_the_checkpoint_passes_it()
    {
        await using var handle = await OpenAsync();
        var log = handle.Log;
        var ids = await AppendAsync(log, 0, 6);
        var canal = await CursorCanal.OpenAsync(log, Stream, new CursorCanalOptions { CheckpointId = "ahead" });
        var audit = new Sink("audit");
        var held = new Sink("held") { HoldOn = item => item == 3 };
        var options = new DeliveryOptions<int> { Name = "ahead", MaxBatch = 1 };
        options.AddSink(audit).AddSink(held, new DeliverySinkOptions { OnFull = OnFull.Drop, QueueCapacity = 1 });
        var dispatcher = new DeliveryDispatcher<int>(options);
        var fired = new FiredAcks();
        var batch = await canal.PullBatchAsync(10, TimeSpan.Zero);
        foreach (var frame in batch)
        {
            await dispatcher.DispatchAsync(Value(frame), fired.For(canal.AckTokenFor(frame)));
            if (Value(frame) < 3)
            {
                var acknowledged = Value(frame) + 1;
                await WaitUntilAsync(() => dispatcher.AcknowledgedCount == acknowledged);
            }
            else if (Value(frame) == 3)
            {
                await held.Held.Task.WaitAsync(s_hang);
            }
        }

        // 3 is being written by the held Drop sink, 4 waits in its queue, 5 was dropped there (committed for it): 5 is
        // acknowledged before 3 and 4, and the checkpoint stays behind 3.
        await WaitUntilAsync(() => fired.Count == 4 && audit.Committed.Count == 6);
        Assert.Equal(4, dispatcher.AcknowledgedCount);
        await canal.FlushCheckpointAsync();
        Assert.Equal(ids[2], canal.CommittedPosition);
        Assert.Equal(3, canal.Unacknowledged);
        Assert.Equal(1, dispatcher.GetSinkMetrics("held").Dropped);

        held.Release.TrySetResult();
        Assert.True(await dispatcher.ShutdownAsync(Timeout.InfiniteTimeSpan).WaitAsync(s_hang));
        await canal.FlushCheckpointAsync();
        Assert.Equal(ids[5], canal.CommittedPosition);
        Assert.Equal(0, canal.Unacknowledged);
        Assert.Equal(new[] { 0, 1, 2, 3, 4 }, held.Committed); // 5 was dropped for it, and never written
        await canal.DisposeAsync();
        Assert.Equal(ids[5], await ((ICheckpointStore)log).ReadCheckpointAsync("ahead"));
    }

    /// <summary>Takes one virtual second per item, on the given clock.</summary>
    private sealed class PacedSink(TimeProvider clock) : IDeliverySink<int>
    {
        public ConcurrentQueue<int> Committed { get; } = new();

        public string Name => "paced";

        public async ValueTask WriteAsync(int item, CancellationToken cancellationToken)
        {
            await Task.Delay(TimeSpan.FromSeconds(1), clock, cancellationToken);
            Committed.Enqueue(item);
        }
    }

    [Fact]
    public async Task A_drain_timeout_in_virtual_time_leaves_exactly_the_unacknowledged_frames_for_the_restart()
    {
        var clock = new Reactive.Streams.Storage.Tests.TestClock();
        List<StreamId> ids;
        int acknowledged;
        var sink = new PacedSink(clock);
        await using (var handle = await OpenAsync())
        {
            var log = handle.Log;
            ids = await AppendAsync(log, 0, 10);
            var canal = await CursorCanal.OpenAsync(log, Stream, new CursorCanalOptions { CheckpointId = "paced" });
            var options = new DeliveryOptions<int> { Name = "paced", TimeProvider = clock, MaxBatch = 1 };
            options.AddSink(sink);
            var dispatcher = new DeliveryDispatcher<int>(options);
            foreach (var frame in await canal.PullBatchAsync(10, TimeSpan.Zero))
            {
                await dispatcher.DispatchAsync(Value(frame), canal.AckTokenFor(frame));
            }

            // The drain has 3.5 virtual seconds for ten one-second writes; virtual time moves only here.
            // Each step of one virtual second lets the write under way commit; the next write then arms its timer.
            var shutdown = dispatcher.ShutdownAsync(TimeSpan.FromSeconds(3.5));
            await clock.WaitForTimersAsync(2); // the first write's and the drain's
            for (var step = 0; step < 20 && !shutdown.IsCompleted; step++)
            {
                var timers = clock.TimersCreated;
                clock.Advance(TimeSpan.FromSeconds(1));
                await Task.WhenAny(shutdown, clock.WaitForTimersAsync(timers + 1));
            }

            Assert.False(await shutdown.WaitAsync(s_hang));
            acknowledged = (int)dispatcher.AcknowledgedCount;
            Assert.InRange(acknowledged, 3, 4); // the fourth write's second ends at 4 s, after the drain's 3.5 s: it may commit
            Assert.Equal(Enumerable.Range(0, acknowledged), sink.Committed);
            await canal.DisposeAsync();
            Assert.Equal(ids[acknowledged - 1], await ((ICheckpointStore)log).ReadCheckpointAsync("paced"));
        }

        await using (var handle = await OpenAsync())
        {
            var canal = await CursorCanal.OpenAsync(handle.Log, Stream, new CursorCanalOptions { CheckpointId = "paced" });
            var again = await canal.PullBatchAsync(100, TimeSpan.Zero);
            Assert.Equal(Enumerable.Range(acknowledged, 10 - acknowledged), again.ToList().Select(Value));
            await canal.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_dispatch_its_caller_cancels_while_parked_reaches_the_sinks_that_took_it_but_the_restart_redelivers_it()
    {
        // docs/canal.md's pull loop: the stop token cancels the dispatch parked on a full Block queue. The frame already
        // sits in the other sink's queue and is written there, yet is never acknowledged, so the checkpoint stops before
        // it and the next run gets it again (the sink that wrote it sees it twice: at least once, not exactly once).
        List<StreamId> ids;
        var wide = new Sink("wide");
        var narrow = new Sink("narrow") { HoldOn = item => item == 2 };
        var fired = new FiredAcks();
        await using (var handle = await OpenAsync())
        {
            var log = handle.Log;
            ids = await AppendAsync(log, 0, 6);
            var canal = await CursorCanal.OpenAsync(log, Stream, new CursorCanalOptions { CheckpointId = "parked" });
            var options = new DeliveryOptions<int> { Name = "parked", MaxBatch = 1 };
            options.AddSink(wide).AddSink(narrow, new DeliverySinkOptions { QueueCapacity = 1 });
            var dispatcher = new DeliveryDispatcher<int>(options);
            using var stop = new CancellationTokenSource();
            var batch = (await canal.PullBatchAsync(6, TimeSpan.Zero)).ToList();
            Assert.Equal(6, batch.Count);
            for (var i = 0; i < 3; i++)
            {
                await dispatcher.DispatchAsync(Value(batch[i]), fired.For(canal.AckTokenFor(batch[i])), stop.Token);
            }

            await narrow.Held.Task.WaitAsync(s_hang); // narrow writes 2 and holds it; its queue of one is empty
            await dispatcher.DispatchAsync(Value(batch[3]), fired.For(canal.AckTokenFor(batch[3])), stop.Token);
            var parked = dispatcher.DispatchAsync(Value(batch[4]), fired.For(canal.AckTokenFor(batch[4])), stop.Token).AsTask();
            Assert.False(parked.IsCompleted);
            await stop.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => parked).WaitAsync(s_hang);

            narrow.Release.TrySetResult();
            Assert.True(await dispatcher.ShutdownAsync(Timeout.InfiniteTimeSpan).WaitAsync(s_hang));
            await WaitUntilAsync(() => fired.Count == 4);
            Assert.Equal([0, 1, 2, 3, 4], wide.Committed);
            Assert.Equal([0, 1, 2, 3], narrow.Committed);
            Assert.Equal(4, dispatcher.AcknowledgedCount);
            Assert.Equal(5, dispatcher.GetSinkMetrics("wide").Delivered);
            Assert.Equal(4, dispatcher.GetSinkMetrics("narrow").Delivered);
            await canal.DisposeAsync();
            Assert.Equal(ids[3], await ((ICheckpointStore)log).ReadCheckpointAsync("parked"));
        }

        await using (var handle = await OpenAsync())
        {
            var canal = await CursorCanal.OpenAsync(handle.Log, Stream, new CursorCanalOptions { CheckpointId = "parked" });
            Assert.Equal(ids[3], canal.CommittedPosition);
            var again = await canal.PullBatchAsync(100, TimeSpan.Zero);
            Assert.Equal([4, 5], again.ToList().Select(Value));
            await canal.DisposeAsync();
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var watchdog = Task.Delay(s_hang);
        while (!condition())
        {
            Assert.False(watchdog.IsCompleted, "the condition never held");
            await Task.Yield();
        }
    }

    private sealed class CountingLogger : Microsoft.Extensions.Logging.ILogger
    {
        private readonly ConcurrentDictionary<int, int> _counts = new();

        public int Count(int eventId) => _counts.GetValueOrDefault(eventId);

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            _counts.AddOrUpdate(eventId.Id, 1, (_, n) => n + 1);
    }
}
