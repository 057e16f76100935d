using System.Buffers.Binary;

namespace Reactive.Streams.Tests.Pipeline;

/// <summary>
/// The product's main job as a test harness: a cursor canal over the durable log feeds a delivery dispatcher, and the
/// canal's checkpoint advances only as the dispatcher's acks fire. Shared by the in-process (cancellation) and the
/// child-process (kill) end-to-end tests.
/// </summary>
public static class AtLeastOncePipeline
{
    public const string EventStream = "events";
    public const string CheckpointId = "pipeline";
    public const int PullMax = 32;
    public const int QueueCapacity = 64;

    /// <summary>
    /// The most events a stop can leave delivered but not checkpointed: one pulled batch, plus what the dispatcher's
    /// queues hold, plus one batch being written by a sink. A restart redelivers at most this many.
    /// </summary>
    public const int UnackedWindow = PullMax + QueueCapacity + DeliveryOptions<int>.DefaultMaxBatch + 1;

    public static byte[] Encode(int value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, value);
        return bytes;
    }

    public static int Decode(ReadOnlyMemory<byte> payload) => BinaryPrimitives.ReadInt32LittleEndian(payload.Span);

    public static async Task SeedAsync(IStreamLog log, int events)
    {
        for (var start = 0; start < events; start += 500)
        {
            var frames = Enumerable.Range(start, Math.Min(500, events - start)).Select(i => (ReadOnlyMemory<byte>)Encode(i)).ToList();
            await log.AppendBatchAsync(EventStream, frames, AppendMode.Durable);
        }
    }

    /// <summary>
    /// Runs until every event is delivered and checkpointed (returns true) or <paramref name="stop"/> fires (returns
    /// false). On a stop, whatever was not acknowledged stays uncommitted, so the next run redelivers it.
    /// </summary>
    public static async Task<bool> RunAsync(IStreamLog log, IReadOnlyList<IDeliverySink<int>> sinks, CancellationToken stop, ICheckpointStore? checkpoints = null)
    {
        var canal = await CursorCanal.OpenAsync(log, EventStream, new CursorCanalOptions { CheckpointId = CheckpointId, Checkpoints = checkpoints });
        var options = new DeliveryOptions<int>
        {
            Name = "pipeline",
            QueueCapacity = QueueCapacity,
            MaxRetries = 1_000,
            BackoffBase = TimeSpan.Zero,
            MaxBackoff = TimeSpan.Zero,
        };
        foreach (var sink in sinks)
        {
            options.AddSink(sink);
        }

        var dispatcher = new DeliveryDispatcher<int>(options);
        var finished = false;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var batch = await canal.PullBatchAsync(PullMax, TimeSpan.Zero, stop);
                if (batch.IsEmpty)
                {
                    // Caught up with the log: drain the sinks and let the last acks reach the checkpoint.
                    if (await dispatcher.ShutdownAsync(TimeSpan.FromSeconds(30)))
                    {
                        await canal.FlushCheckpointAsync(CancellationToken.None);
                        finished = canal.CommittedPosition == (await LastEventIdAsync(log));
                    }

                    return finished;
                }

                foreach (var frame in batch)
                {
                    await dispatcher.DispatchAsync(Decode(frame.Payload), canal.AckTokenFor(frame), stop);
                }
            }

            return false;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return false;
        }
        catch (InvalidOperationException) when (stop.IsCancellationRequested)
        {
            // A dispatch waiting for room when the stop shut the dispatcher down.
            return false;
        }
        finally
        {
            // A stop is a crash as far as delivery goes: no drain; only acks that already fired reach the checkpoint.
            await dispatcher.DisposeAsync();
            await canal.DisposeAsync();
        }
    }

    public static async Task<StreamId> LastEventIdAsync(IStreamLog log)
    {
        var last = StreamId.Min;
        var from = StreamId.Min;
        while (true)
        {
            var page = await log.ReadAsync(EventStream, from, StreamId.Max, 5_000);
            if (page.Count == 0)
            {
                return last;
            }

            last = page[^1].Id;
            from = last.Successor();
        }
    }
}

/// <summary>A sink that fails transiently at random and records what it committed.</summary>
public sealed class FlakyRecordingSink(string name, double failureRate, int seed) : IDeliverySink<int>
{
    private readonly Random _random = new(seed);
    private readonly List<int> _committed = [];
    private readonly HashSet<int> _distinct = [];

    public string Name => name;

    /// <summary>Called after each commit with the number of items committed so far.</summary>
    public Action<int>? OnCommit { get; set; }

    public bool HasCommitted(int item)
    {
        lock (_committed)
        {
            return _distinct.Contains(item);
        }
    }

    public IReadOnlyList<int> Committed
    {
        get
        {
            lock (_committed)
            {
                return [.. _committed];
            }
        }
    }

    public ValueTask WriteAsync(int item, CancellationToken cancellationToken)
    {
        if (_random.NextDouble() < failureRate)
        {
            throw new IOException($"{name}: transient failure on {item}");
        }

        int count;
        lock (_committed)
        {
            _committed.Add(item);
            _distinct.Add(item);
            count = _committed.Count;
        }

        OnCommit?.Invoke(count);
        return default;
    }
}
