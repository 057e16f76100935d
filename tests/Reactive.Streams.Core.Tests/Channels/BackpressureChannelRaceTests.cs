using System.Collections.Concurrent;
using System.Threading.Channels;
using Reactive.Streams.Internal;
using Reactive.Streams.Tests.Support;

namespace Reactive.Streams.Tests.Channels;

/// <summary>
/// Races on real threads through the channel face, in the shared mode (the default) and the locked mode: several
/// writers and readers, reads and writes cancelled while they wait (so some are cancelled at the moment an item arrives
/// or room appears), completion racing reads. The assertions hold on every interleaving: every accepted item leaves
/// exactly once (read, or evicted under DropOldest and DegradeQuality), a cancelled or rejected write leaves nothing, each
/// reader sees each writer's items in order, the counters add up with what the readers and the eviction callback saw, and
/// a reader told that the channel is over (WaitToReadAsync false, ReadAsync's ChannelClosedException, the end of
/// ReadAllAsync) finds <c>Completion</c> completed.
/// </summary>
public class BackpressureChannelRaceTests
{
    private const int Iterations = 100;
    private const int Writers = 3;
    private const int Readers = 3;
    private const int PerWriter = 150;
    private const long DegradedBit = 1L << 62;

    public static TheoryData<BackpressurePolicy, bool> Configurations()
    {
        var data = new TheoryData<BackpressurePolicy, bool>();
        foreach (var policy in Enum.GetValues<BackpressurePolicy>())
        {
            data.Add(policy, false);
            data.Add(policy, true);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public async Task Cancelled_reads_and_writes_lose_and_duplicate_nothing(BackpressurePolicy policy, bool locked)
    {
        var mode = locked ? BufferMode.Locked : BufferMode.SharedLane;
        for (var iteration = 0; iteration < Iterations; iteration++)
        {
            await RunOnce(policy, mode, iteration).WaitAsync(TestLimits.Hang);
        }
    }

    /// <summary>
    /// TryComplete of an empty channel completes <c>Completion</c> before it wakes the parked readers, as the runtime's
    /// bounded channel does, so a reader woken with the end finds the channel complete. The engine woke them first: a
    /// <c>ReadAllAsync</c> could end, or <c>WaitToReadAsync</c> return false, while <c>Completion</c> was still running.
    /// The continuation runs on a context that runs what is posted to it at once, so the test sees the order itself.
    /// </summary>
    [Theory]
    [InlineData("twin")]
    [InlineData("shared")]
    [InlineData("locked")]
    public void A_reader_woken_by_TryComplete_finds_Completion_complete(string kind)
    {
        var channel = kind switch
        {
            "twin" => Channel.CreateBounded<int>(1),
            "shared" => BackpressureChannel.Create(new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 1), BufferMode.SharedLane),
            _ => BackpressureChannel.Create(new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 1), BufferMode.Locked),
        };
        bool? completeWhenWoken = null;
        bool? more = null;
        var waiting = channel.Reader.WaitToReadAsync();
        Assert.False(waiting.IsCompleted);
        var previous = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(new InlineContext());
        try
        {
            var awaiter = waiting.GetAwaiter();
            awaiter.OnCompleted(() =>
            {
                completeWhenWoken = channel.Reader.Completion.IsCompleted;
                more = awaiter.GetResult();
            });
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previous);
        }

        Assert.True(channel.Writer.TryComplete());

        Assert.False(more);
        Assert.True(completeWhenWoken);
    }

    /// <summary>Runs what is posted to it on the posting thread, at once.</summary>
    private sealed class InlineContext : SynchronizationContext
    {
        public override void Post(SendOrPostCallback d, object? state) => d(state);
    }

    private static async Task RunOnce(BackpressurePolicy policy, BufferMode mode, int seed)
    {
        var dropped = new ConcurrentQueue<long>();
        var channel = BackpressureChannel.Create(
            new BoundedStreamOptions<long>(policy, 1 + (seed % 3))
            {
                Degrader = static x => x | DegradedBit,
                OnDropped = dropped.Enqueue,
            },
            mode);

        // The operations in flight, cancelled at random by a canceller thread.
        var pending = new CancellationTokenSource?[Writers + Readers];
        var accepted = new ConcurrentQueue<long>();
        long failedWrites = 0;
        var done = 0;
        var canceller = Task.Run(() =>
        {
            var random = new Random(seed);
            while (Volatile.Read(ref done) == 0)
            {
                var slot = random.Next(pending.Length);
                try
                {
                    Volatile.Read(ref pending[slot])?.Cancel();
                }
                catch (ObjectDisposedException)
                {
                }

                Thread.Yield();
            }
        });

        var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            var random = new Random(seed * 31 + w);
            for (long i = 0; i < PerWriter; i++)
            {
                var item = ((long)w << 32) | i;
                if (policy != BackpressurePolicy.PauseUpstream && random.Next(3) == 0)
                {
                    if (channel.Writer.TryWrite(item))
                    {
                        accepted.Enqueue(item);
                    }
                    else
                    {
                        Interlocked.Increment(ref failedWrites);
                    }

                    continue;
                }

                using var cts = new CancellationTokenSource();
                Volatile.Write(ref pending[w], cts);
                try
                {
                    if (random.Next(3) == 0)
                    {
                        // WaitToWriteAsync beside the other writers, then TryWrite: under PauseUpstream a write that lost
                        // the room waits again; under Fail it overflows.
                        var written = false;
                        while (!written && await channel.Writer.WaitToWriteAsync(cts.Token))
                        {
                            written = channel.Writer.TryWrite(item);
                            if (!written && policy != BackpressurePolicy.PauseUpstream)
                            {
                                break;
                            }
                        }

                        if (!written)
                        {
                            Interlocked.Increment(ref failedWrites);
                            continue;
                        }
                    }
                    else
                    {
                        await channel.Writer.WriteAsync(item, cts.Token);
                    }

                    accepted.Enqueue(item);
                }
                catch (Exception error) when (error is OperationCanceledException or StreamOverflowException)
                {
                    Interlocked.Increment(ref failedWrites);
                }
                finally
                {
                    Volatile.Write(ref pending[w], null);
                }
            }
        })).ToArray();

        var reads = new List<long>[Readers];
        var readers = Enumerable.Range(0, Readers).Select(r => Task.Run(async () =>
        {
            var mine = reads[r] = [];
            var random = new Random(seed * 17 + r);
            while (true)
            {
                switch (random.Next(4))
                {
                    case 3:
                    {
                        // ReadAllAsync, cancellable, for a few items: it ends only when the channel is completed and drained.
                        using var cts = new CancellationTokenSource();
                        Volatile.Write(ref pending[Writers + r], cts);
                        var wanted = random.Next(1, 5);
                        try
                        {
                            await foreach (var item in channel.Reader.ReadAllAsync(cts.Token))
                            {
                                mine.Add(item);
                                if (--wanted == 0)
                                {
                                    break;
                                }
                            }

                            if (wanted > 0)
                            {
                                Assert.True(channel.Reader.Completion.IsCompleted, "ReadAllAsync ended before the channel completed");
                                return;
                            }
                        }
                        catch (OperationCanceledException)
                        {
                        }
                        finally
                        {
                            Volatile.Write(ref pending[Writers + r], null);
                        }

                        break;
                    }

                    case 0:
                        if (channel.Reader.TryRead(out var tried))
                        {
                            mine.Add(tried);
                        }
                        else if (channel.Reader.Completion.IsCompleted)
                        {
                            return;
                        }

                        break;

                    case 1:
                    {
                        using var cts = new CancellationTokenSource();
                        Volatile.Write(ref pending[Writers + r], cts);
                        try
                        {
                            mine.Add(await channel.Reader.ReadAsync(cts.Token));
                        }
                        catch (OperationCanceledException)
                        {
                        }
                        catch (ChannelClosedException)
                        {
                            Assert.True(channel.Reader.Completion.IsCompleted, "ReadAsync threw ChannelClosedException before the channel completed");
                            return;
                        }
                        finally
                        {
                            Volatile.Write(ref pending[Writers + r], null);
                        }

                        break;
                    }

                    default:
                    {
                        using var cts = new CancellationTokenSource();
                        Volatile.Write(ref pending[Writers + r], cts);
                        try
                        {
                            if (!await channel.Reader.WaitToReadAsync(cts.Token))
                            {
                                Assert.True(channel.Reader.Completion.IsCompleted, "WaitToReadAsync returned false before the channel completed");
                                return;
                            }
                        }
                        catch (OperationCanceledException)
                        {
                        }
                        finally
                        {
                            Volatile.Write(ref pending[Writers + r], null);
                        }

                        if (channel.Reader.TryRead(out var waited))
                        {
                            mine.Add(waited);
                        }

                        break;
                    }
                }
            }
        })).ToArray();

        await Task.WhenAll(writers);
        Assert.True(channel.Writer.TryComplete());
        await Task.WhenAll(readers);
        Volatile.Write(ref done, 1);
        await canceller;
        await channel.Reader.Completion;

        // Every accepted item left exactly once: read, or evicted (possibly degraded first); nothing else came out.
        var outcomes = new Dictionary<long, int>();
        foreach (var item in reads.SelectMany(r => r).Concat(dropped))
        {
            var key = item & ~DegradedBit;
            outcomes[key] = outcomes.GetValueOrDefault(key) + 1;
        }

        var acceptedSet = accepted.ToHashSet();
        Assert.Equal(acceptedSet.Count, accepted.Count);
        Assert.All(outcomes, pair => Assert.True(pair.Value == 1 && acceptedSet.Contains(pair.Key), $"seed {seed}: {pair.Key:X} came out {pair.Value} times, accepted: {acceptedSet.Contains(pair.Key)}"));
        Assert.True(outcomes.Count == acceptedSet.Count, $"seed {seed}: {acceptedSet.Count} accepted, {outcomes.Count} came out");

        // Each reader saw each writer's items in the order written.
        foreach (var mine in reads)
        {
            var last = new long[Writers];
            Array.Fill(last, -1);
            foreach (var raw in mine)
            {
                var item = raw & ~DegradedBit;
                var writer = (int)(item >> 32);
                Assert.True((item & 0xFFFFFFFF) > last[writer], $"seed {seed}: writer {writer}'s {item & 0xFFFFFFFF} after {last[writer]}");
                last[writer] = item & 0xFFFFFFFF;
            }
        }

        var metrics = channel.GetMetrics();
        Assert.True(metrics.IsConserved, $"seed {seed}: {metrics}");
        Assert.Equal(0, metrics.Depth);
        Assert.Equal(reads.Sum(r => r.Count), metrics.ItemsDelivered);
        Assert.Equal(dropped.Count, metrics.ItemsEvicted);
        Assert.Equal(accepted.Count, metrics.ItemsDelivered + metrics.ItemsEvicted);
        Assert.True(metrics.ItemsFailed <= Interlocked.Read(ref failedWrites), $"seed {seed}: {metrics}, {failedWrites} failed writes");
    }
}
