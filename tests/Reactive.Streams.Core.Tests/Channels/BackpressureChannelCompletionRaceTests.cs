using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;
using Reactive.Streams.Internal;
using Reactive.Streams.Tests.Support;

namespace Reactive.Streams.Tests.Channels;

/// <summary>
/// Races on real threads that <see cref="BackpressureChannelRaceTests"/> leaves out: a completion that lands while writes
/// are parked and readers take items, and PauseUpstream timeouts that fire (on a virtual clock advanced by a thread of its
/// own) while readers let parked writes in. On every interleaving a write that completed has its item read exactly once,
/// a write that threw never has it read, and the counters say the same.
/// </summary>
public sealed class BackpressureChannelCompletionRaceTests
{
    private const int Rounds = 60;
    private const int Writers = 3;
    private const int Readers = 2;
    private const int PerWriter = 60;

    /// <summary>Every policy, in the shared and the locked mode (as <see cref="BackpressureChannelRaceTests"/> runs them).</summary>
    public static TheoryData<BackpressurePolicy, bool> Configurations() => BackpressureChannelRaceTests.Configurations();

    /// <summary>
    /// A write to a full PauseUpstream channel whose token is cancelled while the write parks: whichever side wins, the
    /// write's task is cancelled, never faulted with the OperationCanceledException, as the runtime's bounded channel (the
    /// twin, run the same way) gives. The shared mode returned a faulted task when the token fired between the write's
    /// first look at it and the moment it parked.
    /// </summary>
    [Theory]
    [InlineData("runtime")]
    [InlineData("shared")]
    [InlineData("locked")]
    public void A_write_whose_token_is_cancelled_while_it_parks_is_cancelled_never_faulted(string kind)
    {
        const int Attempts = 20_000;
        var options = new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 1);
        var channel = kind switch
        {
            "runtime" => Channel.CreateBounded<int>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.Wait }),
            "shared" => BackpressureChannel.Create(options, BufferMode.SharedLane),
            _ => BackpressureChannel.Create(options, BufferMode.Locked),
        };
        Assert.True(channel.Writer.TryWrite(0));
        using var barrier = new Barrier(2);
        var sources = new CancellationTokenSource[Attempts];
        for (var i = 0; i < Attempts; i++)
        {
            sources[i] = new CancellationTokenSource();
        }

        var canceller = new Thread(() =>
        {
            foreach (var source in sources)
            {
                barrier.SignalAndWait(TestLimits.Hang);
                source.Cancel();
            }
        });
        canceller.Start();
        var faulted = new List<string>();
        for (var i = 0; i < Attempts; i++)
        {
            barrier.SignalAndWait(TestLimits.Hang);
            var write = channel.Writer.WriteAsync(i + 1, sources[i].Token).AsTask();
            Assert.True(SpinWait.SpinUntil(() => write.IsCompleted, TestLimits.Hang), $"attempt {i}: the write did not end after its token was cancelled");
            if (!write.IsCanceled)
            {
                faulted.Add($"attempt {i}: {write.Status} {write.Exception?.InnerException?.GetType().Name}");
            }
        }

        Assert.True(canceller.Join(TestLimits.Hang));
        Array.ForEach(sources, s => s.Dispose());
        Assert.Empty(faulted);
        Assert.True(channel.Reader.TryRead(out var only));
        Assert.Equal(0, only);
        Assert.False(channel.Reader.TryRead(out _));
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public async Task A_completion_racing_parked_writes_and_reads_loses_and_duplicates_nothing(BackpressurePolicy policy, bool locked)
    {
        for (var round = 0; round < Rounds; round++)
        {
            var dropped = new ConcurrentQueue<long>();
            var options = new BoundedStreamOptions<long>(policy, 1 + (round % 3)) { Degrader = static x => x, OnDropped = dropped.Enqueue };
            var channel = BackpressureChannel.Create(options, locked ? BufferMode.Locked : BufferMode.SharedLane);
            var written = new ConcurrentQueue<long>();
            var closedWrites = 0;
            var overflows = 0;
            var startedWriting = new CountdownEvent(Writers);
            var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
            {
                startedWriting.Signal();
                for (long i = 0; i < PerWriter; i++)
                {
                    var item = ((long)w << 32) | i;
                    try
                    {
                        await channel.Writer.WriteAsync(item);
                        written.Enqueue(item);
                    }
                    catch (ChannelClosedException)
                    {
                        Interlocked.Increment(ref closedWrites);
                        return;
                    }
                    catch (StreamOverflowException)
                    {
                        Interlocked.Increment(ref overflows);
                    }
                }
            })).ToArray();
            var reads = new ConcurrentQueue<long>();
            var readers = Enumerable.Range(0, Readers).Select(r => Task.Run(async () =>
            {
                if (r == 0)
                {
                    await foreach (var item in channel.Reader.ReadAllAsync())
                    {
                        reads.Enqueue(item);
                    }

                    return;
                }

                while (true)
                {
                    try
                    {
                        reads.Enqueue(await channel.Reader.ReadAsync());
                    }
                    catch (ChannelClosedException)
                    {
                        return;
                    }
                }
            })).ToArray();

            // Complete while the writers are at it (after a few items, at a point that moves from round to round).
            Assert.True(startedWriting.Wait(TestLimits.Hang));
            SpinWait.SpinUntil(() => written.Count >= round % 20 || writers.All(t => t.IsCompleted), TestLimits.Hang);
            Assert.True(channel.Writer.TryComplete());

            await Task.WhenAll(writers).WaitAsync(TestLimits.Hang);
            await Task.WhenAll(readers).WaitAsync(TestLimits.Hang);
            await channel.Reader.Completion.WaitAsync(TestLimits.Hang);

            var cameOut = reads.Concat(dropped).Order().ToList();
            Assert.Equal(written.Order(), cameOut); // each completed write came out once; no refused write did
            var metrics = channel.GetMetrics();
            Assert.True(metrics.IsConserved, metrics.ToString());
            Assert.Equal(reads.Count, metrics.ItemsDelivered);
            Assert.Equal(dropped.Count, metrics.ItemsEvicted);
            Assert.Equal(closedWrites, metrics.ItemsRejected);
            Assert.Equal(overflows, metrics.FailOverflows);
            Assert.Equal(0, metrics.Depth);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Timeouts_racing_the_reads_that_let_parked_writes_in_lose_and_duplicate_nothing(bool locked)
    {
        for (var round = 0; round < Rounds; round++)
        {
            var clock = new FakeTimeProvider();
            var options = new BoundedStreamOptions<long>(BackpressurePolicy.PauseUpstream, 1 + (round % 2))
            {
                PauseTimeout = TimeSpan.FromSeconds(1),
                TimeProvider = clock,
            };
            var channel = BackpressureChannel.Create(options, locked ? BufferMode.Locked : BufferMode.SharedLane);
            var written = new ConcurrentQueue<long>();
            var timedOut = 0;
            var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
            {
                for (long i = 0; i < PerWriter; i++)
                {
                    var item = ((long)w << 32) | i;
                    try
                    {
                        await channel.Writer.WriteAsync(item);
                        written.Enqueue(item);
                    }
                    catch (StreamOverflowException)
                    {
                        Interlocked.Increment(ref timedOut);
                    }
                }
            })).ToArray();
            var writing = Task.WhenAll(writers);
            var ticker = Task.Run(() =>
            {
                while (!writing.IsCompleted)
                {
                    clock.Advance(TimeSpan.FromSeconds(1));
                    Thread.Yield();
                }
            });
            var reads = new ConcurrentQueue<long>();
            var readers = Enumerable.Range(0, Readers).Select(_ => Task.Run(async () =>
            {
                await foreach (var item in channel.Reader.ReadAllAsync())
                {
                    reads.Enqueue(item);
                }
            })).ToArray();

            await writing.WaitAsync(TestLimits.Hang);
            await ticker.WaitAsync(TestLimits.Hang);
            channel.Writer.Complete();
            await Task.WhenAll(readers).WaitAsync(TestLimits.Hang);

            Assert.Equal(written.Order(), reads.Order()); // a write that timed out never came out, one that returned came out once
            var metrics = channel.GetMetrics();
            Assert.True(metrics.IsConserved, metrics.ToString());
            Assert.Equal(Writers * PerWriter, metrics.ItemsPushed);
            Assert.Equal(timedOut, metrics.ItemsRejected);
            Assert.Equal(written.Count, metrics.ItemsDelivered);
        }
    }
}
