using System.Collections.Concurrent;
using System.Threading.Tasks.Dataflow;

namespace Reactive.Streams.Generators.Tests.Sinks;

[EventUnion]
public abstract partial record PushedEvent
{
    public sealed record Tick(int Producer, int Sequence) : PushedEvent;

    public sealed record Tock(int Producer, int Sequence) : PushedEvent;
}

/// <summary>Counts how many of its handlers run at once; an async handler stays inside across an await.</summary>
public abstract class OverlapCountingSink
{
    private int _inside;

    public int Overlaps;

    public ConcurrentQueue<(int Producer, int Sequence)> Seen { get; } = new();

    public void OnTick(PushedEvent.Tick item)
    {
        Enter(item.Producer, item.Sequence);
        Exit();
    }

    public async ValueTask OnTock(PushedEvent.Tock item, CancellationToken cancellationToken)
    {
        Enter(item.Producer, item.Sequence);
        await Task.Yield();
        Exit();
    }

    private void Enter(int producer, int sequence)
    {
        if (Interlocked.Increment(ref _inside) != 1)
        {
            Interlocked.Increment(ref Overlaps);
        }

        Seen.Enqueue((producer, sequence));
    }

    private void Exit() => Interlocked.Decrement(ref _inside);
}

[StreamSink(typeof(PushedEvent))]
[Backpressure(BackpressurePolicy.PauseUpstream, Capacity = 8)]
public sealed partial class PausingPushedSink : OverlapCountingSink;

/// <summary>
/// docs/unions.md: the observer's single loop and the Dataflow target's handler block hand items to the handlers one at a
/// time, in order. The sink's adapters are subscribed to several sources (a merged feed, two linked blocks), so pushes come
/// from two threads at once: the handlers still never overlap, nothing is lost under PauseUpstream, and each producer's
/// items are handled in the order it pushed them.
/// </summary>
public sealed class SinkConcurrencyTests
{
    private const int PerProducer = 2_000;
    private static readonly TimeSpan s_guard = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task OnNext_from_two_threads_runs_the_handlers_one_at_a_time_and_loses_nothing()
    {
        var sink = new PausingPushedSink();
        await using var observer = sink.CreateObserver();

        using var start = new Barrier(2);
        var producers = Enumerable.Range(0, 2).Select(producer => Task.Factory.StartNew(
            () =>
            {
                start.SignalAndWait();
                for (var i = 0; i < PerProducer; i++)
                {
                    observer.OnNext(i % 2 == 0 ? new PushedEvent.Tick(producer, i) : new PushedEvent.Tock(producer, i));
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default)).ToArray();
        await Task.WhenAll(producers).WaitAsync(s_guard);
        observer.OnCompleted();
        await observer.Completion.WaitAsync(s_guard);

        AssertSerialAndComplete(sink);
    }

    [Fact]
    public async Task SendAsync_from_two_threads_to_the_target_runs_the_handlers_one_at_a_time_and_loses_nothing()
    {
        var sink = new PausingPushedSink();
        var target = sink.CreateTarget();

        using var start = new Barrier(2);
        var producers = Enumerable.Range(0, 2).Select(producer => Task.Factory.StartNew(
            async () =>
            {
                start.SignalAndWait();
                for (var i = 0; i < PerProducer; i++)
                {
                    Assert.True(await target.SendAsync<PushedEvent>(i % 2 == 0 ? new PushedEvent.Tick(producer, i) : new PushedEvent.Tock(producer, i)));
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default).Unwrap()).ToArray();
        await Task.WhenAll(producers).WaitAsync(s_guard);
        target.Complete();
        await target.Completion.WaitAsync(s_guard);

        AssertSerialAndComplete(sink);
    }

    private static void AssertSerialAndComplete(OverlapCountingSink sink)
    {
        Assert.Equal(0, Volatile.Read(ref sink.Overlaps));
        var seen = sink.Seen.ToList();
        Assert.Equal(2 * PerProducer, seen.Count);
        foreach (var producer in new[] { 0, 1 })
        {
            Assert.Equal(Enumerable.Range(0, PerProducer), seen.Where(s => s.Producer == producer).Select(static s => s.Sequence));
        }
    }
}
