using System.Collections.Concurrent;
using Microsoft.Extensions.Time.Testing;

namespace Reactive.Streams.Tests.Pipeline;

/// <summary>
/// A model-based test of the at-least-once promise of docs/canal.md and docs/delivery.md: a seeded random schedule of
/// appends, pulls (plain, already cancelled, cancelled while parked), dispatches to three holding sinks (a slow one, one
/// that fails and is retried, one that dead-letters what it refuses), checkpoint flushes, crashes (dispatcher and canal
/// disposed in either order without a drain), drained shutdowns and <see cref="CanalWorker"/> sessions that fail or are
/// stopped mid-batch, with the canal reopened on the same storage after each. Checked throughout: every checkpoint
/// write covers only frames every holding sink committed or dead-lettered, the checkpoint never moves backwards, each
/// session hands out the frames after its checkpoint in order without a gap, and at the end every frame is committed by
/// every sink or dead-lettered by the sink that refuses it, and by no other. Pulls never wait (a zero deadline, or a
/// parked pull ended by its token), so nothing depends on a clock; a failure names its seed.
/// </summary>
public abstract class ModelBasedPipelineTests
{
    private const string Stream = "model";
    private const string CheckpointId = "model";
    private static readonly TimeSpan s_hang = TimeSpan.FromMinutes(2);

    /// <summary>Opens a log on the test's storage: the same storage on every call, as a restarted process would.</summary>
    protected abstract Task<IStreamLog> OpenLogAsync();

    /// <summary>Closes a log <see cref="OpenLogAsync"/> returned; disposes it by default.</summary>
    protected virtual ValueTask CloseLogAsync(IStreamLog log) => log.DisposeAsync();

    /// <summary>How many random steps a schedule takes.</summary>
    protected virtual int Steps => 160;

    private const int MaxPull = 20;
    private const int QueueCapacity = 8;
    private const int MaxBatch = 4;

    private static bool Refused(int item) => item % 7 == 3;

    private sealed class Handled
    {
        public ConcurrentDictionary<(string Sink, int Item), int> Committed { get; } = new();

        public ConcurrentDictionary<(string Sink, int Item), int> DeadLettered { get; } = new();

        public bool Has(string sink, int item) => Committed.ContainsKey((sink, item)) || DeadLettered.ContainsKey((sink, item));
    }

    private sealed class Sink(string name, Handled handled, Func<int, int, Exception?> fail, bool slow) : IDeliverySink<int>
    {
        private readonly ConcurrentDictionary<int, int> _attempts = new();

        public string Name => name;

        public async ValueTask WriteAsync(int item, CancellationToken cancellationToken)
        {
            var attempt = _attempts.AddOrUpdate(item, 1, (_, n) => n + 1);
            if (fail(item, attempt) is { } error)
            {
                throw error;
            }

            if (slow)
            {
                await Task.Yield();
                await Task.Yield();
            }

            handled.Committed.AddOrUpdate((name, item), 1, (_, n) => n + 1);
        }
    }

    private sealed class DeadLetters(Handled handled) : IDeliverySink<DeadLetter<int>>
    {
        public string Name => "dead-letters";

        public ValueTask WriteAsync(DeadLetter<int> item, CancellationToken cancellationToken)
        {
            handled.DeadLettered.AddOrUpdate((item.SinkName, item.Item), 1, (_, n) => n + 1);
            return default;
        }
    }

    private sealed class GuardedCheckpoints(ICheckpointStore inner, Func<StreamId, string?> check) : ICheckpointStore
    {
        public ConcurrentQueue<string> Violations { get; } = new();

        public ValueTask<StreamId?> ReadCheckpointAsync(string checkpointId, CancellationToken cancellationToken = default) =>
            inner.ReadCheckpointAsync(checkpointId, cancellationToken);

        public ValueTask WriteCheckpointAsync(string checkpointId, StreamId position, CancellationToken cancellationToken = default)
        {
            if (check(position) is { } message)
            {
                Violations.Enqueue(message);
            }

            return inner.WriteCheckpointAsync(checkpointId, position, cancellationToken);
        }
    }

    private sealed class HandlerFailure(string message) : Exception(message);

    public static TheoryData<int> Seeds => [1, 2, 3, 5, 8, 13, 21, 34];

    [Theory]
    [MemberData(nameof(Seeds))]
    public async Task A_random_schedule_of_appends_pulls_acks_crashes_and_worker_restarts_keeps_the_at_least_once_promise(int seed)
    {
        try
        {
            await RunScheduleAsync(seed);
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            throw new Xunit.Sdk.XunitException($"Seed {seed} failed: {error}");
        }
    }

    private async Task RunScheduleAsync(int seed)
    {
        var random = new Random(seed);
        var clock = new FakeTimeProvider();
        var handled = new Handled();
        var sinks = new[]
        {
            new Sink("slow", handled, (_, _) => null, slow: true),
            new Sink("flaky", handled, (item, attempt) => attempt <= item % 3 ? new IOException($"flaky on {item}") : null, slow: false),
            new Sink("dead", handled, (item, _) => Refused(item) ? new PermanentDeliveryException($"refuses {item}") : null, slow: false),
        };
        var names = sinks.Select(s => s.Name).ToArray();

        var appended = new List<(StreamId Id, int Item)>();
        var highestWritten = StreamId.Min;
        var writes = 0;
        string? Check(StreamId position)
        {
            lock (appended)
            {
                if (position < highestWritten)
                {
                    return $"checkpoint {position} written after {highestWritten}: it moved backwards";
                }

                highestWritten = position;
                writes++;
                foreach (var (id, item) in appended)
                {
                    if (id > position)
                    {
                        break;
                    }

                    foreach (var name in names)
                    {
                        if (!handled.Has(name, item))
                        {
                            return $"checkpoint {position} written before sink {name} handled event {item} ({id})";
                        }
                    }
                }

                return null;
            }
        }

        var log = await OpenLogAsync();
        try
        {
            var next = 0;
            async Task AppendAsync(int count)
            {
                for (var i = 0; i < count; i++)
                {
                    var item = next++;
                    var result = await log.AppendAsync(Stream, AtLeastOncePipeline.Encode(item), AppendMode.Durable);
                    lock (appended)
                    {
                        appended.Add((result.Id, item));
                    }
                }
            }

            var steps = 0;
            var sessions = 0;
            var lastStored = StreamId.Min;
            while (steps < Steps)
            {
                sessions++;
                if (random.Next(3) == 0)
                {
                    // A process restart: the log is closed and opened again on the same storage.
                    await CloseLogAsync(log);
                    log = await OpenLogAsync();
                }

                var guard = new GuardedCheckpoints((ICheckpointStore)log, Check);
                var canal = await CursorCanal.OpenAsync(log, Stream, new CursorCanalOptions { CheckpointId = CheckpointId, Checkpoints = guard, TimeProvider = clock });
                var stored = await ((ICheckpointStore)log).ReadCheckpointAsync(CheckpointId) ?? StreamId.Min;
                Assert.True(stored >= lastStored, $"session {sessions}: the stored checkpoint {stored} is behind {lastStored}");
                lastStored = stored;
                AssertCoveredFramesHandled(stored, $"session {sessions} opened");

                // The frames this session must hand out, in order, from just after the checkpoint.
                var expectedIndex = IndexAfter(stored);
                void Expect(StreamFrame frame, string where)
                {
                    lock (appended)
                    {
                        Assert.True(expectedIndex < appended.Count, $"{where}: handed out {frame.Id} past the last appended frame");
                        Assert.Equal(appended[expectedIndex].Id, frame.Id);
                        Assert.Equal(appended[expectedIndex].Item, AtLeastOncePipeline.Decode(frame.Payload));
                    }

                    expectedIndex++;
                }

                if (random.Next(4) == 0)
                {
                    // A worker session: the handler writes to every sink itself and the worker commits each batch.
                    await AppendAsync(random.Next(0, 20));
                    steps += await RunWorkerSessionAsync(canal, random, sinks, handled, Expect, () => expectedIndex = IndexAfter(canal.CommittedPosition));
                }
                else
                {
                    steps += await RunTokenSessionAsync(canal, random, sinks, handled, clock, AppendAsync, Expect);
                }

                Assert.Empty(guard.Violations);

                // The disposed canal's CommittedPosition is what it stored, and its Unacknowledged exactly what the next
                // session redelivers: the frames after the checkpoint up to its read position.
                Assert.Equal(canal.CommittedPosition, await ((ICheckpointStore)log).ReadCheckpointAsync(CheckpointId) ?? StreamId.Min);
                lock (appended)
                {
                    Assert.Equal(appended.Count(a => a.Id > canal.CommittedPosition && a.Id <= canal.ReadPosition), canal.Unacknowledged);
                }
            }

            // The last run: append a little more, and drain everything.
            await AppendAsync(5);
            {
                var guard = new GuardedCheckpoints((ICheckpointStore)log, Check);
                var canal = await CursorCanal.OpenAsync(log, Stream, new CursorCanalOptions { CheckpointId = CheckpointId, Checkpoints = guard, TimeProvider = clock });
                Assert.True(canal.CommittedPosition >= lastStored);
                var expectedIndex = IndexAfter(canal.CommittedPosition);
                await using var dispatcher = NewDispatcher(sinks, handled);
                while (true)
                {
                    var batch = await canal.PullBatchAsync(random.Next(1, 40), TimeSpan.Zero);
                    if (batch.IsEmpty)
                    {
                        break;
                    }

                    foreach (var frame in batch)
                    {
                        Assert.Equal(appended[expectedIndex++].Id, frame.Id);
                        await dispatcher.DispatchAsync(AtLeastOncePipeline.Decode(frame.Payload), canal.AckTokenFor(frame)).AsTask().WaitAsync(s_hang);
                    }
                }

                Assert.Equal(appended.Count, expectedIndex);
                Assert.True(await dispatcher.ShutdownAsync(Timeout.InfiniteTimeSpan).WaitAsync(s_hang));
                await canal.FlushCheckpointAsync();
                Assert.Equal(appended[^1].Id, canal.CommittedPosition);
                Assert.Equal(0, canal.Unacknowledged);
                await canal.DisposeAsync();
                Assert.Empty(guard.Violations);
            }

            Assert.Equal(appended[^1].Id, await ((ICheckpointStore)log).ReadCheckpointAsync(CheckpointId));
            Assert.True(writes > 0);
            foreach (var (_, item) in appended)
            {
                Assert.True(handled.Committed.ContainsKey(("slow", item)), $"slow never committed {item}");
                Assert.True(handled.Committed.ContainsKey(("flaky", item)), $"flaky never committed {item}");
                Assert.Equal(Refused(item), handled.DeadLettered.ContainsKey(("dead", item)));
                Assert.Equal(!Refused(item), handled.Committed.ContainsKey(("dead", item)));
            }

            // Only the refusing sink dead-letters, and only what it refuses; retried transient failures never do.
            Assert.All(handled.DeadLettered.Keys, key => Assert.True(key.Sink == "dead" && Refused(key.Item), $"dead-lettered {key}"));
        }
        finally
        {
            await CloseLogAsync(log);
        }

        int IndexAfter(StreamId position)
        {
            lock (appended)
            {
                var index = appended.FindIndex(a => a.Id > position);
                return index < 0 ? appended.Count : index;
            }
        }

        void AssertCoveredFramesHandled(StreamId position, string where)
        {
            lock (appended)
            {
                foreach (var (id, item) in appended.Where(a => a.Id <= position))
                {
                    foreach (var name in names)
                    {
                        Assert.True(handled.Has(name, item), $"{where}: the checkpoint {position} covers event {item}, which {name} never handled");
                    }
                }
            }
        }
    }

    private DeliveryDispatcher<int> NewDispatcher(Sink[] sinks, Handled handled)
    {
        var options = new DeliveryOptions<int>
        {
            Name = "model",
            QueueCapacity = QueueCapacity,
            MaxBatch = MaxBatch,
            MaxRetries = 3,
            BackoffBase = TimeSpan.Zero,
            MaxBackoff = TimeSpan.Zero,
            DeadLetterSink = new DeadLetters(handled),
        };
        foreach (var sink in sinks)
        {
            options.AddSink(sink);
        }

        return new DeliveryDispatcher<int>(options);
    }

    /// <summary>Runs a pull loop that dispatches with ack tokens; returns the steps it took. Ends in a crash or a drain.</summary>
    private async Task<int> RunTokenSessionAsync(CursorCanal canal, Random random, Sink[] sinks, Handled handled, FakeTimeProvider clock, Func<int, Task> appendAsync, Action<StreamFrame, string> expect)
    {
        var dispatcher = NewDispatcher(sinks, handled);
        var steps = 0;
        var length = random.Next(3, 30);
        try
        {
            for (; steps < length; steps++)
            {
                switch (random.Next(10))
                {
                    case 0 or 1 or 2:
                        await appendAsync(random.Next(1, 12));
                        break;
                    case 3:
                    {
                        // A pull cancelled before the call takes nothing.
                        var read = canal.ReadPosition;
                        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => canal.PullBatchAsync(8, TimeSpan.Zero, new CancellationToken(true)).AsTask());
                        Assert.Equal(read, canal.ReadPosition);
                        break;
                    }

                    case 4:
                    {
                        // A pull parked on a caught-up canal, ended by its token: the read position stays.
                        var read = canal.ReadPosition;
                        using var cancel = new CancellationTokenSource();
                        var batch = await canal.PullBatchAsync(1, TimeSpan.Zero);
                        if (!batch.IsEmpty)
                        {
                            // Not caught up: this frame is handed out, so it must be dispatched.
                            expect(batch[0], "pull");
                            await dispatcher.DispatchAsync(AtLeastOncePipeline.Decode(batch[0].Payload), canal.AckTokenFor(batch[0])).AsTask().WaitAsync(s_hang);
                            break;
                        }

                        var parked = canal.PullBatchAsync(8, TimeSpan.FromHours(1), cancel.Token).AsTask();
                        await cancel.CancelAsync();
                        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => parked.WaitAsync(s_hang));
                        Assert.Equal(read, canal.ReadPosition);
                        break;
                    }

                    case 5:
                        await canal.FlushCheckpointAsync().AsTask().WaitAsync(s_hang);
                        break;
                    default:
                    {
                        var batch = await canal.PullBatchAsync(random.Next(1, MaxPull + 1), TimeSpan.Zero).AsTask().WaitAsync(s_hang);
                        foreach (var frame in batch)
                        {
                            expect(frame, "pull");
                            await dispatcher.DispatchAsync(AtLeastOncePipeline.Decode(frame.Payload), canal.AckTokenFor(frame)).AsTask().WaitAsync(s_hang);
                        }

                        break;
                    }
                }
            }
        }
        finally
        {
            switch (random.Next(3))
            {
                case 0:
                    // A graceful stop: drain, then the canal's disposal writes the acknowledged prefix.
                    Assert.True(await dispatcher.ShutdownAsync(Timeout.InfiniteTimeSpan).WaitAsync(s_hang));
                    await dispatcher.DisposeAsync();
                    await canal.DisposeAsync();
                    Assert.Equal(canal.ReadPosition, canal.CommittedPosition);
                    break;
                case 1:
                    // A crash of the delivery side first: no drain.
                    await dispatcher.DisposeAsync();
                    await canal.DisposeAsync();
                    break;
                default:
                    // The canal is disposed under the dispatcher: later acks are refused, and redelivered next session.
                    await canal.DisposeAsync();
                    await dispatcher.DisposeAsync();
                    break;
            }

            // delivery.md: after a shutdown that gives up, a restart sees again at most one pulled batch, what the
            // queues held and one batch per sink in flight.
            var bound = MaxPull + (sinks.Length * QueueCapacity) + (sinks.Length * MaxBatch);
            Assert.True(canal.Unacknowledged <= bound, $"the restart redelivers {canal.Unacknowledged} frames, more than {bound}");
        }

        return steps + 1;
    }

    /// <summary>
    /// Runs one or more <see cref="CanalWorker"/>s on the canal; each handler writes every frame to every sink (retrying
    /// transient failures, dead-lettering refusals) and fails or stops at a random point. Returns the steps it took.
    /// </summary>
    private static async Task<int> RunWorkerSessionAsync(CursorCanal canal, Random random, Sink[] sinks, Handled handled, Action<StreamFrame, string> expect, Action resetExpectation)
    {
        var workers = random.Next(1, 4);
        for (var w = 0; w < workers; w++)
        {
            // A later worker on the same canal gets what the failed one did not commit, first.
            resetExpectation();
            var failAfter = random.Next(0, 5);
            var failAt = random.Next(0, 8);
            var batches = 0;
            var worker = CanalWorker.Start<StreamFrame>(canal, async (batch, cancellationToken) =>
            {
                if (batch.IsEmpty)
                {
                    throw new HandlerFailure("caught up");
                }

                var index = 0;
                foreach (var frame in batch)
                {
                    expect(frame, "worker");
                    if (batches == failAfter && index == failAt)
                    {
                        throw new HandlerFailure("mid-batch");
                    }

                    var item = AtLeastOncePipeline.Decode(frame.Payload);
                    foreach (var sink in sinks)
                    {
                        for (var attempt = 1; ; attempt++)
                        {
                            try
                            {
                                await sink.WriteAsync(item, cancellationToken);
                                break;
                            }
                            catch (PermanentDeliveryException)
                            {
                                handled.DeadLettered.AddOrUpdate((sink.Name, item), 1, (_, n) => n + 1);
                                break;
                            }
                            catch (IOException) when (attempt < 4)
                            {
                            }
                        }
                    }

                    index++;
                }

                batches++;
            }, new CanalWorkerOptions { MaxBatch = random.Next(1, 16), Deadline = TimeSpan.Zero, DeliverEmptyBatches = true });

            var error = await Assert.ThrowsAsync<HandlerFailure>(() => worker.JoinAsync().WaitAsync(s_hang));
            Assert.Equal(canal.ReadPosition, canal.CommittedPosition);
            Assert.Equal(0, canal.Unacknowledged);
            if (error.Message == "caught up")
            {
                break;
            }
        }

        await canal.DisposeAsync();
        return workers;
    }
}
