using System.Reactive.Concurrency;
using System.Reactive.Subjects;
using System.Threading.Channels;
using System.Threading.Tasks.Dataflow;
using Reactive.Streams.Testing;
using static Reactive.Streams.Tests.Conformance.ConformanceSupport;

namespace Reactive.Streams.Tests.Conformance;

/// <summary>
/// A slow consumer that moves on by one item while the producer goes on pushing: the burst table stops at the consumer
/// holding its first item, so what the consumer has taken after that (one item, not a batch read ahead of it) is held
/// here. At capacity C the consumer takes 0 and holds it; 1..C are pushed; the consumer finishes 0 and takes 1 (the
/// snapshot then must show C-1 items waiting, as a stream read one at a time shows); C+1.. are pushed; the stream
/// completes and the consumer goes on. Every surface delivers the same items, drops or degrades the same ones (and hands
/// the same evicted items to <c>OnDropped</c>, in order) and reports the same counters as the model below, which is a
/// <c>Channel.CreateBounded</c> read one item at a time (its <c>itemDropped</c> callback included). The Rx policy
/// operator's observer holds its item on the operator's own thread (an <see cref="EventLoopScheduler"/>): an observer
/// cannot wait on a virtual clock. At this capacity the operator reads one item at a time too (docs/engine.md, "One
/// drain").
/// </summary>
public sealed class SlowConsumerScriptTests
{
    private const int Capacity = 3;

    public static TheoryData<string, BackpressurePolicy> Rows()
    {
        var rows = new TheoryData<string, BackpressurePolicy>();
        foreach (var surface in new[] { "BoundedStream", "channel", "BackpressureBlock", "SubscribeAsync", "BackpressureObserver", "WithBackpressure", "Channel.CreateBounded (twin)" })
        {
            foreach (var policy in Enum.GetValues<BackpressurePolicy>())
            {
                if (surface.EndsWith("(twin)", StringComparison.Ordinal) && policy is not (BackpressurePolicy.DropOldest or BackpressurePolicy.PauseUpstream))
                {
                    continue;
                }

                rows.Add(surface, policy);
            }
        }

        return rows;
    }

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task Every_surface_keeps_the_same_items_behind_a_consumer_that_moved_on_by_one(string surface, BackpressurePolicy policy)
    {
        SynchronizationContext.SetSynchronizationContext(null);
        var dropped = new List<int>();
        var script = Open(surface, policy, item =>
        {
            lock (dropped)
            {
                dropped.Add(item);
            }
        });
        var overEnds = surface is "SubscribeAsync" or "BackpressureObserver" or "WithBackpressure";

        await script.StartAsync();
        for (var item = 1; item <= Capacity; item++)
        {
            Assert.Equal(PartyOutcome.Accepted, script.Push(item));
        }

        await script.TakeNextAsync();
        var afterTake = script.Metrics();

        // PauseUpstream fills the room the take made, and no more (the next push would wait); the others go far over.
        var last = policy == BackpressurePolicy.PauseUpstream ? Capacity + 1 : Capacity + 4;
        var outcomes = new List<PartyOutcome>();
        for (var item = Capacity + 1; item <= last; item++)
        {
            outcomes.Add(script.Push(item));
        }

        var atFull = script.Metrics();
        var (received, terminal) = await script.FinishAsync();
        var end = script.Metrics();

        var expected = Expect(policy, last, overEnds);
        var observed = (
            AfterTake: afterTake is { } t ? $"pushed={t.ItemsPushed} delivered={t.ItemsDelivered} depth={t.Depth}" : null,
            Outcomes: string.Join(",", outcomes),
            AtFullDepth: atFull?.Depth,
            Received: Observation.RenderItems(received),
            Terminal: terminal,
            End: end is { } m ? Render(m) : null,
            Evicted: Observation.RenderItems(Snapshot(dropped)));
        if (afterTake is null)
        {
            // The platform twin keeps no counters: it vouches for the items and the outcomes.
            expected = expected with { AfterTake = null, AtFullDepth = null, End = null };
        }

        Assert.True(expected == observed, $"{surface}, {policy}\nexpected: {expected}\nobserved: {observed}");
    }

    /// <summary>
    /// How far the push-driven consumers read ahead of a slow consumer: a batch of an eighth of the capacity, at most 128,
    /// and one item below a capacity of 16 (docs/engine.md, "One drain"). The consumer holds 0, the buffer is filled, the
    /// consumer moves on by one: what is left in the buffer is the capacity less the batch the consumer read.
    /// </summary>
    [Theory]
    [InlineData("SubscribeAsync", 3, 2)]
    [InlineData("SubscribeAsync", 15, 14)]
    [InlineData("SubscribeAsync", 32, 28)]
    [InlineData("SubscribeAsync", 1024, 896)]
    [InlineData("SubscribeAsync", 4096, 3968)]
    [InlineData("BackpressureObserver", 3, 2)]
    [InlineData("BackpressureObserver", 32, 28)]
    [InlineData("WithBackpressure", 3, 2)]
    [InlineData("WithBackpressure", 32, 28)]
    [InlineData("WithBackpressure", 1024, 896)]
    public async Task A_slow_consumer_reads_ahead_by_at_most_an_eighth_of_the_capacity(string surface, int capacity, int depthAfterTake)
    {
        SynchronizationContext.SetSynchronizationContext(null);
        var script = Open(surface, BackpressurePolicy.DropOldest, _ => { }, capacity);
        await script.StartAsync();
        for (var item = 1; item <= capacity; item++)
        {
            Assert.Equal(PartyOutcome.Accepted, script.Push(item));
        }

        await script.TakeNextAsync();
        Assert.Equal(depthAfterTake, script.Metrics()!.Value.Depth);
        var (received, terminal) = await script.FinishAsync();
        Assert.Equal(Terminal.Completed, terminal);
        Assert.Equal(Enumerable.Range(2, capacity - 1), received);
    }

    private static List<int> Snapshot(List<int> items)
    {
        lock (items)
        {
            return [.. items];
        }
    }

    /// <summary>The script's outcome on a buffer read one item at a time (the last item: what OnDropped was given).</summary>
    private static (string? AfterTake, string Outcomes, int? AtFullDepth, string Received, Terminal Terminal, string? End, string Evicted) Expect(
        BackpressurePolicy policy, int last, bool overflowEndsTheStream)
    {
        var buffer = Enumerable.Range(2, Capacity - 1).ToList();
        long pushed = Capacity + 1, dropOldest = 0, degraded = 0, overflows = 0;
        var outcomes = new List<PartyOutcome>();
        var evicted = new List<int>();
        var ended = false;
        for (var item = Capacity + 1; item <= last; item++)
        {
            if (ended)
            {
                outcomes.Add(PartyOutcome.Ignored);
                continue;
            }

            pushed++;
            if (buffer.Count < Capacity)
            {
                buffer.Add(item);
                outcomes.Add(PartyOutcome.Accepted);
                continue;
            }

            switch (policy)
            {
                case BackpressurePolicy.DropOldest:
                    evicted.Add(buffer[0]);
                    buffer.RemoveAt(0);
                    buffer.Add(item);
                    dropOldest++;
                    outcomes.Add(PartyOutcome.Accepted);
                    break;
                case BackpressurePolicy.DegradeQuality:
                    evicted.Add(buffer[0]);
                    buffer.RemoveAt(0);
                    buffer.Add(ConformanceTable.Degrade(item));
                    degraded++;
                    outcomes.Add(PartyOutcome.Accepted);
                    break;
                default:
                    overflows++;
                    outcomes.Add(PartyOutcome.Overflow);
                    ended = overflowEndsTheStream;
                    break;
            }
        }

        var depthAtFull = buffer.Count;
        var delivered = 2 + buffer.Count;
        var end = new StreamMetricsSnapshot(pushed, delivered, dropOldest, degraded, 0, overflows, 0, 0);
        return (
            $"pushed={Capacity + 1} delivered=2 depth={Capacity - 1}",
            string.Join(",", outcomes),
            depthAtFull,
            Observation.RenderItems(buffer),
            ended ? Terminal.FaultedByOverflow : Terminal.Completed,
            Render(end),
            Observation.RenderItems(evicted));
    }

    private static string Render(StreamMetricsSnapshot m) =>
        $"pushed={m.ItemsPushed} delivered={m.ItemsDelivered} drop_oldest={m.DropOldestHits} degraded={m.DegradeQualityHits} " +
        $"paused={m.PauseUpstreamBlocks} overflows={m.FailOverflows} rejected={m.ItemsRejected} depth={m.Depth} conserved={m.IsConserved}";

    private static Script Open(string surface, BackpressurePolicy policy, Action<int> onDropped, int capacity = Capacity)
    {
        var options = new BoundedStreamOptions<int>(policy, capacity) { Degrader = ConformanceTable.Degrade, OnDropped = onDropped };
        return surface switch
        {
            "BoundedStream" => new StreamScript(new BoundedStream<int>(options)),
            "channel" => new ChannelScript(BackpressureChannel.Create(options), metered: true),
            "Channel.CreateBounded (twin)" => new ChannelScript(
                Channel.CreateBounded<int>(new BoundedChannelOptions(Capacity)
                {
                    FullMode = policy == BackpressurePolicy.DropOldest ? BoundedChannelFullMode.DropOldest : BoundedChannelFullMode.Wait,
                },
                onDropped),
                metered: false),
            "BackpressureBlock" => new BlockScript(new BackpressureBlock<int>(options)),
            "WithBackpressure" => new OperatorScript(options),
            _ => new HandlerScript(options, asObserver: surface == "BackpressureObserver"),
        };
    }

    /// <summary>One surface under the script.</summary>
    private abstract class Script
    {
        /// <summary>Pushes 0 and lets the consumer take it (and hold it).</summary>
        public abstract Task StartAsync();

        /// <summary>Pushes <paramref name="item"/> without waiting.</summary>
        public abstract PartyOutcome Push(int item);

        /// <summary>The consumer is done with the item it holds and takes the next one, which it holds.</summary>
        public abstract Task TakeNextAsync();

        /// <summary>The surface's snapshot, or null for a twin.</summary>
        public abstract StreamMetricsSnapshot? Metrics();

        /// <summary>Completes the stream and lets the consumer go on: what it took after the held item, and how it ended.</summary>
        public abstract Task<(List<int> Received, Terminal Terminal)> FinishAsync();
    }

    private sealed class StreamScript(BoundedStream<int> stream) : Script
    {
        public override async Task StartAsync()
        {
            stream.TryPush(0);
            Assert.Equal(0, await stream.ReadAsync());
        }

        public override PartyOutcome Push(int item) => stream.TryPush(item) switch
        {
            { Status: PushStatus.Overflow } => PartyOutcome.Overflow,
            { IsAccepted: true } => PartyOutcome.Accepted,
            var other => throw new InvalidOperationException($"Unexpected push result {other}"),
        };

        public override async Task TakeNextAsync() => Assert.Equal(1, await stream.ReadAsync());

        public override StreamMetricsSnapshot? Metrics() => stream.GetMetrics();

        public override async Task<(List<int>, Terminal)> FinishAsync()
        {
            stream.Complete();
            var received = new List<int>();
            await foreach (var item in stream.ReadAllAsync())
            {
                received.Add(item);
            }

            return (received, Terminal.Completed);
        }
    }

    private sealed class ChannelScript(Channel<int> channel, bool metered) : Script
    {
        public override async Task StartAsync()
        {
            Assert.True(channel.Writer.TryWrite(0));
            Assert.Equal(0, await channel.Reader.ReadAsync());
        }

        public override PartyOutcome Push(int item)
        {
            try
            {
                return channel.Writer.TryWrite(item) ? PartyOutcome.Accepted : PartyOutcome.Overflow;
            }
            catch (StreamOverflowException)
            {
                return PartyOutcome.Overflow;
            }
        }

        public override async Task TakeNextAsync() => Assert.Equal(1, await channel.Reader.ReadAsync());

        public override StreamMetricsSnapshot? Metrics() => metered ? channel.GetMetrics() : null;

        public override async Task<(List<int>, Terminal)> FinishAsync()
        {
            channel.Writer.Complete();
            var received = new List<int>();
            await foreach (var item in channel.Reader.ReadAllAsync())
            {
                received.Add(item);
            }

            return (received, Terminal.Completed);
        }
    }

    private sealed class BlockScript(BackpressureBlock<int> block) : Script
    {
        public override async Task StartAsync()
        {
            Assert.True(block.Post(0));
            Assert.Equal(0, await block.ReceiveAsync());
        }

        public override PartyOutcome Push(int item)
        {
            var metrics = block.GetMetrics();
            var posted = block.Post(item);
            return posted ? PartyOutcome.Accepted
                : block.GetMetrics().FailOverflows > metrics.FailOverflows ? PartyOutcome.Overflow
                : PartyOutcome.Closed;
        }

        public override async Task TakeNextAsync() => Assert.Equal(1, await block.ReceiveAsync());

        public override StreamMetricsSnapshot? Metrics() => block.GetMetrics();

        public override async Task<(List<int>, Terminal)> FinishAsync()
        {
            block.Complete();
            var received = new List<int>();
            while (await block.OutputAvailableAsync())
            {
                while (block.TryReceive(out var item))
                {
                    received.Add(item);
                }
            }

            await block.Completion.WaitAsync(Guard);
            return (received, Terminal.Completed);
        }
    }

    /// <summary>
    /// The Rx policy operator on an <see cref="EventLoopScheduler"/>, whose observer blocks its thread on 0 and then 1
    /// until the script lets it go on.
    /// </summary>
    private sealed class OperatorScript : Script
    {
        private readonly Subject<int> _subject = new();
        private readonly EventLoopScheduler _scheduler = new();
        private readonly SemaphoreSlim[] _entered = [new(0), new(0)];
        private readonly ManualResetEventSlim[] _holds = [new(), new()];
        private readonly List<int> _handled = [];
        private readonly TaskCompletionSource _end = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly IDisposable _subscription;

        public OperatorScript(BoundedStreamOptions<int> options)
        {
            _subscription = _subject.WithBackpressure(options, _scheduler).Subscribe(
                item =>
                {
                    lock (_handled)
                    {
                        _handled.Add(item);
                    }

                    if (item is 0 or 1)
                    {
                        _entered[item].Release();
                        _holds[item].Wait(Guard);
                    }
                },
                error => _end.TrySetException(error),
                () => _end.TrySetResult());
        }

        public override async Task StartAsync()
        {
            _subject.OnNext(0);
            Assert.True(await _entered[0].WaitAsync(Guard));
        }

        public override PartyOutcome Push(int item) => ConformanceSupport.Push(() => _subject.OnNext(item), Snapshot).Outcome;

        public override async Task TakeNextAsync()
        {
            _holds[0].Set();
            Assert.True(await _entered[1].WaitAsync(Guard));
        }

        public override StreamMetricsSnapshot? Metrics() => Snapshot();

        private StreamMetricsSnapshot Snapshot() => ((IMeteredStream)_subscription).GetMetrics();

        public override async Task<(List<int>, Terminal)> FinishAsync()
        {
            _subject.OnCompleted();
            _holds[1].Set();
            await SettleAsync(_end.Task);
            var (terminal, _) = TerminalOf(_end.Task, NewFault(), disposed: false);
            _subscription.Dispose();
            _scheduler.Dispose();
            lock (_handled)
            {
                return (_handled.Skip(2).ToList(), terminal);
            }
        }
    }

    /// <summary>
    /// <c>SubscribeAsync</c> (or the same consumer as a <see cref="BackpressureObserver{T}"/>) on a <see cref="TestScheduler"/>,
    /// whose handler holds 0 and then 1 until the script lets it go on.
    /// </summary>
    private sealed class HandlerScript : Script
    {
        private readonly Subject<int> _subject = new();
        private readonly TestScheduler _scheduler = new();
        private readonly TaskCompletionSource[] _holds = [new(), new()];
        private readonly List<int> _handled = [];
        private readonly Task _completion;
        private readonly Func<StreamMetricsSnapshot> _metrics;

        public HandlerScript(BoundedStreamOptions<int> options, bool asObserver)
        {
            async ValueTask Handle(int item, CancellationToken cancellationToken)
            {
                lock (_handled)
                {
                    _handled.Add(item);
                }

                if (item is 0 or 1)
                {
                    await _holds[item].Task;
                }
            }

            if (asObserver)
            {
                var observer = new BackpressureObserver<int>(Handle, options, _scheduler);
                _subject.Subscribe(observer);
                (_completion, _metrics) = (observer.Completion, observer.GetMetrics);
            }
            else
            {
                var subscription = _subject.SubscribeAsync(Handle, options, _scheduler);
                (_completion, _metrics) = (subscription.Completion, subscription.GetMetrics);
            }
        }

        public override async Task StartAsync()
        {
            _subject.OnNext(0);
            await HandledAsync(1);
        }

        public override PartyOutcome Push(int item) => ConformanceSupport.Push(() => _subject.OnNext(item), _metrics).Outcome;

        public override async Task TakeNextAsync()
        {
            _holds[0].SetResult();
            await HandledAsync(2);
        }

        public override StreamMetricsSnapshot? Metrics() => _metrics();

        public override async Task<(List<int>, Terminal)> FinishAsync()
        {
            _subject.OnCompleted();
            _holds[1].SetResult();
            for (var polls = Guard / TimeSpan.FromMilliseconds(10); !_completion.IsCompleted && polls > 0; polls--)
            {
                _scheduler.AdvanceBy(1);
                await Task.Delay(10);
            }

            var (terminal, _) = TerminalOf(_completion, NewFault(), disposed: false);
            lock (_handled)
            {
                return (_handled.Skip(2).ToList(), terminal);
            }
        }

        /// <summary>Runs the clock until the handler has been called <paramref name="count"/> times (within the guard).</summary>
        private async Task HandledAsync(int count)
        {
            for (var polls = Guard / TimeSpan.FromMilliseconds(10); polls > 0; polls--)
            {
                _scheduler.AdvanceBy(1);
                lock (_handled)
                {
                    if (_handled.Count >= count)
                    {
                        return;
                    }
                }

                await Task.Delay(10);
            }

            Assert.Fail($"The handler was called {_handled.Count} times, not {count}.");
        }
    }
}
