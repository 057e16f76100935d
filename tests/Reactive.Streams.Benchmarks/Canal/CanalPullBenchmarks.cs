using System.Threading.Channels;
using BenchmarkDotNet.Attributes;

namespace Reactive.Streams.Benchmarks.Canal;

/// <summary>
/// Pull-batch consumption of 1,000,000 items produced on another thread (capacity 1024, producer waits for room):
/// <see cref="ICanal{T}.PullBatchAsync"/> on an in-memory canal against the hand-written batching loop over a bounded
/// <see cref="ChannelReader{T}"/> (WaitToReadAsync + TryRead up to max into a reused list), the baseline. Per item.
/// </summary>
[MemoryDiagnoser]
public class CanalPullBenchmarks
{
    private const int Items = 1_000_000;
    private const int Capacity = 1024;
    private const int Max = 64;

    [Benchmark(Baseline = true, OperationsPerInvoke = Items)]
    public async Task<long> HandWrittenChannelBatches()
    {
        var channel = Channel.CreateBounded<int>(new BoundedChannelOptions(Capacity) { FullMode = BoundedChannelFullMode.Wait });
        var producer = Task.Run(async () =>
        {
            for (var i = 0; i < Items; i++)
            {
                await channel.Writer.WriteAsync(i).ConfigureAwait(false);
            }

            channel.Writer.Complete();
        });

        long sum = 0;
        var batch = new List<int>(Max);
        var reader = channel.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < Max && reader.TryRead(out var item))
            {
                batch.Add(item);
            }

            foreach (var item in batch)
            {
                sum += item;
            }
        }

        await producer.ConfigureAwait(false);
        return sum;
    }

    [Benchmark(OperationsPerInvoke = Items)]
    public async Task<long> CanalPullBatch()
    {
        var stream = BoundedStream.PauseUpstream<int>(Capacity);
        await using var canal = LossySubscription.Create(stream);
        var producer = Task.Run(async () =>
        {
            for (var i = 0; i < Items; i++)
            {
                await stream.PushAsync(i).ConfigureAwait(false);
            }

            stream.Complete();
        });

        long sum = 0;
        try
        {
            while (true)
            {
                var batch = await canal.PullBatchAsync(Max, TimeSpan.FromSeconds(1)).ConfigureAwait(false);
                foreach (var item in batch)
                {
                    sum += item;
                }
            }
        }
        catch (CanalClosedException)
        {
            // The producer completed the stream and every item was pulled.
        }

        await producer.ConfigureAwait(false);
        return sum;
    }
}

/// <summary>
/// The Empty and One shapes of a pull against a channel TryRead loop: the lossy canal's allocate nothing; the cursor
/// canal's Empty allocates nothing and its One only the frame list the log's tail returns (one array of one frame),
/// since <see cref="IStreamLog.TailAsync"/> hands its frames over as a new list. The cursor pulls commit each frame,
/// as a consumer does, so the canal's bookkeeping stays bounded.
/// </summary>
[MemoryDiagnoser]
public class CanalPullShapeBenchmarks
{
    private const int Operations = 10_000;
    private static readonly ReadOnlyMemory<byte> Frame = new byte[16];
    private BoundedStream<int> _stream = null!;
    private LossySubscription<int> _canal = null!;
    private Channel<int> _channel = null!;
    private InMemoryStreamLog _log = null!;
    private CursorCanal _cursor = null!;

    [GlobalSetup]
    public void Setup()
    {
        _stream = BoundedStream.DropOldest<int>(16);
        _canal = LossySubscription.Create(_stream);
        _channel = Channel.CreateBounded<int>(16);
        _log = new InMemoryStreamLog();
        _cursor = CursorCanal.OpenAsync(_log, "shapes").AsTask().GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _canal.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _cursor.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _log.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(OperationsPerInvoke = Operations)]
    public int CursorPullEmpty()
    {
        var sum = 0;
        for (var i = 0; i < Operations; i++)
        {
            var pull = _cursor.PullBatchAsync(8, TimeSpan.Zero);
            sum += pull.Result.Count;
        }

        return sum;
    }

    /// <summary>The pull only; the appends that feed it happen in the iteration setup, outside the measurement.</summary>
    [IterationSetup(Target = nameof(CursorPullOne))]
    public void AppendOneFramePerPull()
    {
        for (var i = 0; i < Operations; i++)
        {
            _log.AppendAsync("shapes", Frame, AppendMode.Durable).AsTask().GetAwaiter().GetResult();
        }
    }

    [Benchmark(OperationsPerInvoke = Operations)]
    public int CursorPullOne()
    {
        var sum = 0;
        for (var i = 0; i < Operations; i++)
        {
            var pull = _cursor.PullBatchAsync(1, TimeSpan.FromSeconds(1));
            var batch = pull.Result;
            _cursor.CommitAsync(batch.Last).AsTask().GetAwaiter().GetResult();
            sum += batch.Count;
        }

        return sum;
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Operations)]
    public int ChannelTryReadOne()
    {
        var sum = 0;
        for (var i = 0; i < Operations; i++)
        {
            _channel.Writer.TryWrite(i);
            while (_channel.Reader.TryRead(out var item))
            {
                sum += item;
            }
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = Operations)]
    public int PullOne()
    {
        var sum = 0;
        for (var i = 0; i < Operations; i++)
        {
            _stream.TryPush(i);
            var pull = _canal.PullBatchAsync(8, TimeSpan.Zero);
            sum += pull.Result.Count;
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = Operations)]
    public int PullEmpty()
    {
        var sum = 0;
        for (var i = 0; i < Operations; i++)
        {
            var pull = _canal.PullBatchAsync(8, TimeSpan.Zero);
            sum += pull.Result.Count;
        }

        return sum;
    }
}
