using System.Threading.Channels;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Reactive.Streams;
using Reactive.Streams.Internal;

namespace Reactive.Streams.Benchmarks.Engine;

/// <summary>
/// One producer to one consumer on two threads, 1,000,000 items, capacity 1024: the engine (through
/// <see cref="BoundedStream{T}"/>) and its channel face against <see cref="Channel.CreateBounded{T}(BoundedChannelOptions)"/>
/// with the matching full mode, which is each category's baseline. Results are per item. The DropOldest and PauseUpstream
/// categories also run the stream on the engine's locked mode, and the <c>Single</c> categories run the lock-free mode,
/// so one run compares the three modes (docs/engine.md: a mode is kept only where it pays for itself).
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class EngineThroughputBenchmarks
{
    private const int Items = 1_000_000;
    private const int Capacity = 1024;

    // ---- DropOldest: TryPush against DropOldest TryWrite -------------------------------------------------------

    [Benchmark(Baseline = true, OperationsPerInvoke = Items)]
    [BenchmarkCategory("DropOldest")]
    public Task DropOldest_BoundedChannel() => RunChannel(NewChannel(BoundedChannelFullMode.DropOldest), wait: false);

    [Benchmark(OperationsPerInvoke = Items)]
    [BenchmarkCategory("DropOldest")]
    public Task DropOldest_BoundedStream() => RunStream(BoundedStream.DropOldest<int>(Capacity), wait: false);

    [Benchmark(OperationsPerInvoke = Items)]
    [BenchmarkCategory("DropOldest")]
    public Task DropOldest_PolicyChannel() => RunChannel(BackpressureChannel.Create<int>(BackpressurePolicy.DropOldest, Capacity), wait: false);

    // The engine's locked mode on the same surface: what the default (shared) mode is measured against to show it pays.
    [Benchmark(OperationsPerInvoke = Items)]
    [BenchmarkCategory("DropOldest")]
    public Task DropOldest_LockedModeStream() => RunStream(new BoundedStream<int>(new BoundedStreamOptions<int>(BackpressurePolicy.DropOldest, Capacity), BufferMode.Locked), wait: false);

    // ---- DegradeQuality against DropOldest ---------------------------------------------------------------------

    [Benchmark(Baseline = true, OperationsPerInvoke = Items)]
    [BenchmarkCategory("DegradeQuality")]
    public Task DegradeQuality_BoundedChannelDropOldest() => RunChannel(NewChannel(BoundedChannelFullMode.DropOldest), wait: false);

    [Benchmark(OperationsPerInvoke = Items)]
    [BenchmarkCategory("DegradeQuality")]
    public Task DegradeQuality_BoundedStream() => RunStream(BoundedStream.DegradeQuality<int>(Capacity, static x => x >> 1), wait: false);

    [Benchmark(OperationsPerInvoke = Items)]
    [BenchmarkCategory("DegradeQuality")]
    public Task DegradeQuality_PolicyChannel() => RunChannel(BackpressureChannel.Create<int>(BackpressurePolicy.DegradeQuality, Capacity, static x => x >> 1), wait: false);

    // ---- PauseUpstream: PushAsync against Wait with WriteAsync -------------------------------------------------

    [Benchmark(Baseline = true, OperationsPerInvoke = Items)]
    [BenchmarkCategory("PauseUpstream")]
    public Task PauseUpstream_BoundedChannelWait() => RunChannel(NewChannel(BoundedChannelFullMode.Wait), wait: true);

    [Benchmark(OperationsPerInvoke = Items)]
    [BenchmarkCategory("PauseUpstream")]
    public Task PauseUpstream_BoundedStream() => RunStream(BoundedStream.PauseUpstream<int>(Capacity), wait: true);

    [Benchmark(OperationsPerInvoke = Items)]
    [BenchmarkCategory("PauseUpstream")]
    public Task PauseUpstream_PolicyChannel() => RunChannel(BackpressureChannel.Create<int>(BackpressurePolicy.PauseUpstream, Capacity), wait: true);

    [Benchmark(OperationsPerInvoke = Items)]
    [BenchmarkCategory("PauseUpstream")]
    public Task PauseUpstream_LockedModeStream() => RunStream(new BoundedStream<int>(new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, Capacity), BufferMode.Locked), wait: true);

    // ---- Fail: TryPush against Wait with TryWrite --------------------------------------------------------------

    [Benchmark(Baseline = true, OperationsPerInvoke = Items)]
    [BenchmarkCategory("Fail")]
    public Task Fail_BoundedChannelWaitTryWrite() => RunChannel(NewChannel(BoundedChannelFullMode.Wait), wait: false);

    [Benchmark(OperationsPerInvoke = Items)]
    [BenchmarkCategory("Fail")]
    public Task Fail_BoundedStream() => RunStream(BoundedStream.Fail<int>(Capacity), wait: false);

    [Benchmark(OperationsPerInvoke = Items)]
    [BenchmarkCategory("Fail")]
    public Task Fail_PolicyChannel() => RunChannel(BackpressureChannel.Create<int>(BackpressurePolicy.Fail, Capacity), wait: false);

    // ---- One writer and one reader promised on both sides (SingleWriter/SingleReader) -----------------------------
    // The runtime's bounded channel has no single-reader or single-writer implementation (it takes its lock either way),
    // and neither has ours since 2026-12-04 (the shared mode; LaneModeBenchmarks compares the lock-free mode in its place).

    [Benchmark(Baseline = true, OperationsPerInvoke = Items)]
    [BenchmarkCategory("DropOldestSingle")]
    public Task DropOldestSingle_BoundedChannel() => RunChannel(NewChannel(BoundedChannelFullMode.DropOldest, single: true), wait: false);

    [Benchmark(OperationsPerInvoke = Items)]
    [BenchmarkCategory("DropOldestSingle")]
    public Task DropOldestSingle_BoundedStream() => RunStream(BoundedStream.Create(Single<int>(BackpressurePolicy.DropOldest)), wait: false);

    [Benchmark(OperationsPerInvoke = Items)]
    [BenchmarkCategory("DropOldestSingle")]
    public Task DropOldestSingle_PolicyChannel() => RunChannel(BackpressureChannel.Create(Single<int>(BackpressurePolicy.DropOldest)), wait: false);

    [Benchmark(Baseline = true, OperationsPerInvoke = Items)]
    [BenchmarkCategory("PauseUpstreamSingle")]
    public Task PauseUpstreamSingle_BoundedChannelWait() => RunChannel(NewChannel(BoundedChannelFullMode.Wait, single: true), wait: true);

    [Benchmark(OperationsPerInvoke = Items)]
    [BenchmarkCategory("PauseUpstreamSingle")]
    public Task PauseUpstreamSingle_BoundedStream() => RunStream(BoundedStream.Create(Single<int>(BackpressurePolicy.PauseUpstream)), wait: true);

    [Benchmark(OperationsPerInvoke = Items)]
    [BenchmarkCategory("PauseUpstreamSingle")]
    public Task PauseUpstreamSingle_PolicyChannel() => RunChannel(BackpressureChannel.Create(Single<int>(BackpressurePolicy.PauseUpstream)), wait: true);

    private static BoundedStreamOptions<T> Single<T>(BackpressurePolicy policy) =>
        new(policy, Capacity) { SingleWriter = true, SingleReader = true };

    private static Channel<int> NewChannel(BoundedChannelFullMode mode, bool single = false) =>
        Channel.CreateBounded<int>(new BoundedChannelOptions(Capacity) { FullMode = mode, SingleReader = single, SingleWriter = single });

    private static async Task RunChannel(Channel<int> channel, bool wait)
    {
        var consumer = Task.Run(async () =>
        {
            var reader = channel.Reader;
            long sum = 0;
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                while (reader.TryRead(out var item))
                {
                    sum += item;
                }
            }

            return sum;
        });

        var writer = channel.Writer;
        if (wait)
        {
            for (var i = 0; i < Items; i++)
            {
                var pending = writer.WriteAsync(i);
                if (!pending.IsCompletedSuccessfully)
                {
                    await pending.ConfigureAwait(false);
                }
            }
        }
        else
        {
            for (var i = 0; i < Items; i++)
            {
                writer.TryWrite(i);
            }
        }

        writer.Complete();
        await consumer.ConfigureAwait(false);
    }

    private static async Task RunStream(BoundedStream<int> stream, bool wait)
    {
        var consumer = Task.Run(async () =>
        {
            long sum = 0;
            while (await stream.WaitToReadAsync().ConfigureAwait(false))
            {
                while (stream.TryRead(out var item))
                {
                    sum += item;
                }
            }

            return sum;
        });

        if (wait)
        {
            for (var i = 0; i < Items; i++)
            {
                var pending = stream.PushAsync(i);
                if (!pending.IsCompletedSuccessfully)
                {
                    await pending.ConfigureAwait(false);
                }
            }
        }
        else
        {
            for (var i = 0; i < Items; i++)
            {
                stream.TryPush(i);
            }
        }

        stream.Complete();
        await consumer.ConfigureAwait(false);
    }
}
