using System.Reactive.Concurrency;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using BenchmarkDotNet.Attributes;
using Reactive.Streams.Internal;

namespace Reactive.Streams.Benchmarks.Operators;

/// <summary>
/// Whether the engine's lock-free single-lane mode pays for itself where it is used: the Rx policy operators and
/// <c>SubscribeAsync</c> (fast consumer, 1,000,000 items from a hot <see cref="Subject{T}"/>, capacity 1024), and a
/// single-writer, single-reader <see cref="BoundedStream{T}"/> and channel face, which ask for the lock-free mode here
/// through the internal constructors (their public routing takes the shared mode since 2026-12-04, on these figures). <see cref="SingleLane"/> false sets the internal
/// <c>Reactive.Streams.Engine.NoSingleLane</c> switch in the benchmark's process, so the same surfaces run on the
/// shared mode. Compare each method's two rows.
/// </summary>
[MemoryDiagnoser]
public class LaneModeBenchmarks
{
    private const int Items = 1_000_000;
    private const int Capacity = 1024;
    private EventLoopScheduler _loop = null!;

    /// <summary>True: as shipped (the lock-free mode); false: the shared mode in its place.</summary>
    [Params(true, false)]
    public bool SingleLane { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        if (!SingleLane)
        {
            AppContext.SetSwitch("Reactive.Streams.Engine.NoSingleLane", true);
        }

        // Each parameter runs in its own process; a switch set too late would measure the wrong mode.
        if (BoundedBuffer.NoSingleLane == SingleLane)
        {
            throw new InvalidOperationException($"NoSingleLane is {BoundedBuffer.NoSingleLane} with SingleLane={SingleLane}.");
        }

        _loop = new EventLoopScheduler();
    }

    [GlobalCleanup]
    public void Cleanup() => _loop.Dispose();

    [Benchmark(OperationsPerInvoke = Items)]
    public long PauseUpstream_EventLoop() => Run(source => source.PauseUpstream(Capacity, _loop));

    [Benchmark(OperationsPerInvoke = Items)]
    public long DropOldest_EventLoop() => Run(source => source.DropOldest(Capacity, _loop));

    [Benchmark(OperationsPerInvoke = Items)]
    public long PauseUpstream_TaskPool() => Run(source => source.PauseUpstream(Capacity, TaskPoolScheduler.Default));

    [Benchmark(OperationsPerInvoke = Items)]
    public async Task<long> SubscribeAsync_PauseUpstream()
    {
        using var subject = new Subject<int>();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        long sum = 0;
        using var subscription = subject.SubscribeAsync(
            (item, _) =>
            {
                sum += item;
                if (item == Items - 1)
                {
                    done.TrySetResult();
                }

                return ValueTask.CompletedTask;
            },
            BackpressurePolicy.PauseUpstream,
            Capacity);
        for (var i = 0; i < Items; i++)
        {
            subject.OnNext(i);
        }

        await done.Task;
        return sum;
    }

    [Benchmark(OperationsPerInvoke = Items)]
    public async Task<long> Stream_PauseUpstream()
    {
        var stream = new BoundedStream<int>(Single(BackpressurePolicy.PauseUpstream), BufferMode.SingleLane);
        var consumer = Task.Run(async () =>
        {
            long sum = 0;
            await foreach (var item in stream.ReadAllAsync())
            {
                sum += item;
            }

            return sum;
        });
        for (var i = 0; i < Items; i++)
        {
            await stream.PushAsync(i);
        }

        stream.Complete();
        return await consumer;
    }

    [Benchmark(OperationsPerInvoke = Items)]
    public async Task<long> Stream_DropOldest()
    {
        var stream = new BoundedStream<int>(Single(BackpressurePolicy.DropOldest), BufferMode.SingleLane);
        var consumer = Task.Run(async () =>
        {
            long sum = 0;
            while (await stream.WaitToReadAsync())
            {
                while (stream.TryRead(out var item))
                {
                    sum += item;
                }
            }

            return sum;
        });
        for (var i = 0; i < Items; i++)
        {
            stream.TryPush(i);
        }

        stream.Complete();
        return await consumer;
    }

    [Benchmark(OperationsPerInvoke = Items)]
    public Task<long> Channel_PauseUpstream() => RunChannel(BackpressurePolicy.PauseUpstream);

    [Benchmark(OperationsPerInvoke = Items)]
    public Task<long> Channel_DropOldest() => RunChannel(BackpressurePolicy.DropOldest);

    private static BoundedStreamOptions<int> Single(BackpressurePolicy policy) =>
        new(policy, Capacity) { SingleWriter = true, SingleReader = true };

    /// <summary>A single-writer, single-reader channel face: awaited writes for PauseUpstream, <c>TryWrite</c> otherwise.</summary>
    private static async Task<long> RunChannel(BackpressurePolicy policy)
    {
        var channel = BackpressureChannel.Create(Single(policy), BufferMode.SingleLane);
        var consumer = Task.Run(async () =>
        {
            long sum = 0;
            while (await channel.Reader.WaitToReadAsync())
            {
                while (channel.Reader.TryRead(out var item))
                {
                    sum += item;
                }
            }

            return sum;
        });
        for (var i = 0; i < Items; i++)
        {
            if (policy == BackpressurePolicy.PauseUpstream)
            {
                await channel.Writer.WriteAsync(i);
            }
            else
            {
                channel.Writer.TryWrite(i);
            }
        }

        channel.Writer.Complete();
        return await consumer;
    }

    private static long Run(Func<IObservable<int>, IObservable<int>> pipeline)
    {
        using var subject = new Subject<int>();
        using var done = new ManualResetEventSlim();
        long sum = 0;
        using (pipeline(subject).Subscribe(item =>
        {
            sum += item;
            if (item == Items - 1)
            {
                done.Set();
            }
        }))
        {
            for (var i = 0; i < Items; i++)
            {
                subject.OnNext(i);
            }

            done.Wait();
        }

        return sum;
    }
}
