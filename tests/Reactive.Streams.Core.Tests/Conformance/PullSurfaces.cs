using System.Threading.Channels;
using System.Threading.Tasks.Dataflow;
using Microsoft.Extensions.Time.Testing;
using static Reactive.Streams.Tests.Conformance.ConformanceSupport;

namespace Reactive.Streams.Tests.Conformance;

/// <summary>
/// A surface its consumer pulls from (a stream, a channel, a Dataflow block): the table's protocol written once over
/// the few operations each of them names differently (<see cref="Session"/>).
/// </summary>
internal abstract class PullSurface(string name, int capacity) : IConformanceSurface
{
    public string Name { get; } = name;

    public int Capacity { get; } = capacity;

    public virtual SurfaceTraits Traits => default;

    public virtual string? NoPauseTimeout => null;

    public virtual string? NotApplicable(Scenario scenario) =>
        scenario.Event == StreamEvent.Disposal ? $"{Name} has no Dispose: completing it is the end of its life" : null;

    /// <summary>
    /// A fresh surface for one row, of <paramref name="shape"/>'s capacity and degrader; <paramref name="clock"/> and
    /// <paramref name="timeout"/> set a PauseUpstream timeout.
    /// </summary>
    protected abstract Session Open(BackpressurePolicy policy, Exception fault, Shape shape, FakeTimeProvider? clock = null, TimeSpan? timeout = null);

    /// <summary>The options every pull surface is built from.</summary>
    protected static BoundedStreamOptions<int> Options(
        BackpressurePolicy policy, Shape shape, FakeTimeProvider? clock, TimeSpan? timeout, bool singleWriter = false, bool singleReader = false) =>
        new(policy, shape.Capacity)
        {
            Degrader = shape.Degrader,
            SingleWriter = singleWriter,
            SingleReader = singleReader,
            PauseTimeout = timeout,
            TimeProvider = clock ?? TimeProvider.System,
        };

    public async Task<Observation> RunAsync(Scenario scenario)
    {
        var fault = NewFault();
        var session = Open(scenario.Policy, fault, TableShape);
        using var cancellation = new CancellationTokenSource();

        // Step 1: 0 is pushed and taken; a full buffer holds 1..C behind it.
        Fill(session, scenario.State == BufferState.Full ? Capacity : 0);

        // Step 2: the party.
        var party = scenario.Party switch
        {
            Party.Reader => session.ReadAsync(cancellation.Token),
            Party.Writer => session.WriteAsync(Capacity + 1, cancellation.Token),
            _ when scenario.State == BufferState.Empty => session.WaitToReadAsync(cancellation.Token),
            _ => session.WaitToWriteAsync(cancellation.Token),
        };
        var atStart = await AtOnceAsync(party);

        // Steps 3 and 4: the event, then the party again.
        switch (scenario.Event)
        {
            case StreamEvent.Completion:
                session.Complete(null);
                break;
            case StreamEvent.Fault:
                session.Complete(fault);
                break;
            default:
                await cancellation.CancelAsync();
                break;
        }

        var afterEvent = await SettleAsync(party);

        // Step 5: the consumer reads what is left. Where a fault discards the buffer, it does so by the time the fault
        // shows on Completion (BufferBlock empties itself as it completes), so the consumer reads after that.
        if (scenario.Event == StreamEvent.Fault && Traits.DiscardsBufferedOnFault)
        {
            await SettleAsync(session.Completion);
        }

        var received = new List<int>();
        while (session.TryTake(out var item))
        {
            received.Add(item);
        }

        if (scenario.Event != StreamEvent.Cancellation)
        {
            await SettleAsync(session.Completion);
        }

        var (terminal, detail) = TerminalOf(session.Completion, fault, disposed: false);
        return new Observation(atStart, afterEvent, received, terminal, session.Metrics(), detail);
    }

    public async Task<Observation> RunPauseTimeoutAsync(TimeSpan timeout)
    {
        var fault = NewFault();
        var clock = new FakeTimeProvider();
        var session = Open(BackpressurePolicy.PauseUpstream, fault, TableShape, clock, timeout);
        Fill(session, Capacity);

        var party = session.WriteAsync(Capacity + 1, CancellationToken.None);
        if (timeout > TimeSpan.Zero)
        {
            clock.Advance(timeout - TimeSpan.FromTicks(1));
        }
        var beforeTimeout = await AtOnceAsync(party);
        clock.Advance(TimeSpan.FromTicks(1));
        var atTimeout = await SettleAsync(party);

        var received = new List<int>();
        while (session.TryTake(out var item))
        {
            received.Add(item);
        }

        var (terminal, detail) = TerminalOf(session.Completion, fault, disposed: false);
        return new Observation(beforeTimeout, atTimeout, received, terminal, session.Metrics(), detail);
    }

    public async Task<Observation> RunBurstAsync(Burst burst)
    {
        var fault = NewFault();
        var session = Open(burst.Policy, fault, new Shape(burst.Capacity, burst.DegraderFunction));
        Fill(session, 0);

        // The throwing push of each surface (PushAsync, WriteAsync, SendAsync): it reports every rejection. Nothing in a
        // burst waits (a PauseUpstream burst stays within the capacity), so each push has ended when it returns.
        var outcomes = new List<PartyResult>();
        for (var item = 1; item <= burst.Count; item++)
        {
            var push = session.WriteAsync(item, CancellationToken.None);
            outcomes.Add(await AtOnceAsync(push));
        }

        if (burst.End != StreamEvent.Disposal && !session.Completion.IsCompleted)
        {
            session.Complete(burst.End == StreamEvent.Fault ? fault : null);
        }

        if (burst.End == StreamEvent.Fault && Traits.DiscardsBufferedOnFault)
        {
            await SettleAsync(session.Completion);
        }

        var received = new List<int>();
        while (session.TryTake(out var item))
        {
            received.Add(item);
        }

        await SettleAsync(session.Completion);
        var (terminal, detail) = TerminalOf(session.Completion, fault, disposed: false);
        var atStart = outcomes.FirstOrDefault(o => o.Outcome != PartyOutcome.Accepted, outcomes[^1]);
        return new Observation(atStart, outcomes[^1], received, terminal, session.Metrics(), detail);
    }

    /// <summary>The main table's capacity and degrader.</summary>
    private Shape TableShape => new(Capacity, ConformanceTable.Degrade);

    private static void Fill(Session session, int count)
    {
        Assert.True(session.TryPush(0));
        Assert.True(session.TryTake(out var first) && first == 0);
        for (var i = 1; i <= count; i++)
        {
            Assert.True(session.TryPush(i));
        }
    }

    /// <summary>The capacity and degrader a session is opened with.</summary>
    internal readonly record struct Shape(int Capacity, Func<int, int>? Degrader);

    /// <summary>One surface instance, its operations mapped to the table's outcomes.</summary>
    internal abstract class Session
    {
        public abstract bool TryPush(int item);

        public abstract bool TryTake(out int item);

        public abstract Task<PartyResult> ReadAsync(CancellationToken cancellationToken);

        public abstract Task<PartyResult> WriteAsync(int item, CancellationToken cancellationToken);

        public abstract Task<PartyResult> WaitToReadAsync(CancellationToken cancellationToken);

        public abstract Task<PartyResult> WaitToWriteAsync(CancellationToken cancellationToken);

        public abstract void Complete(Exception? error);

        public abstract Task Completion { get; }

        public abstract StreamMetricsSnapshot? Metrics();
    }
}

/// <summary><see cref="BoundedStream{T}"/>: push and read, no wait for room.</summary>
internal sealed class BoundedStreamSurface() : PullSurface("BoundedStream", 2)
{
    public override string? NotApplicable(Scenario scenario) =>
        scenario is { Party: Party.Waiter, State: BufferState.Full }
            ? "BoundedStream has no wait for room (a WaitToWriteAsync): PushAsync itself is the wait"
            : base.NotApplicable(scenario);

    protected override Session Open(BackpressurePolicy policy, Exception fault, Shape shape, FakeTimeProvider? clock = null, TimeSpan? timeout = null) =>
        new StreamSession(BoundedStream.Create(Options(policy, shape, clock, timeout)), fault);

    private sealed class StreamSession(BoundedStream<int> stream, Exception fault) : Session
    {
        public override Task Completion => stream.Completion;

        public override bool TryPush(int item) => stream.TryPush(item).IsAccepted;

        public override bool TryTake(out int item) => stream.TryRead(out item);

        public override async Task<PartyResult> ReadAsync(CancellationToken cancellationToken)
        {
            try
            {
                return new PartyResult(PartyOutcome.Item, await stream.ReadAsync(cancellationToken));
            }
            catch (Exception error)
            {
                return ReadFailed(error, fault);
            }
        }

        public override async Task<PartyResult> WriteAsync(int item, CancellationToken cancellationToken)
        {
            try
            {
                await stream.PushAsync(item, cancellationToken);
                return new PartyResult(PartyOutcome.Accepted);
            }
            catch (Exception error)
            {
                return WriteFailed(error);
            }
        }

        public override async Task<PartyResult> WaitToReadAsync(CancellationToken cancellationToken)
        {
            try
            {
                return new PartyResult(await stream.WaitToReadAsync(cancellationToken) ? PartyOutcome.True : PartyOutcome.False);
            }
            catch (Exception error)
            {
                return ReadFailed(error, fault);
            }
        }

        public override Task<PartyResult> WaitToWriteAsync(CancellationToken cancellationToken) => throw new NotSupportedException();

        public override void Complete(Exception? error) => Assert.True(stream.TryComplete(error));

        public override StreamMetricsSnapshot? Metrics() => stream.GetMetrics();
    }
}

/// <summary>The channel face, in one of the modes its public options select.</summary>
internal sealed class ChannelSurface(string mode, int capacity, bool singleWriter, bool singleReader, bool pauseTimeout)
    : PullSurface($"BackpressureChannel ({mode})", capacity)
{
    protected override Session Open(BackpressurePolicy policy, Exception fault, Shape shape, FakeTimeProvider? clock = null, TimeSpan? timeout = null)
    {
        if (pauseTimeout && timeout is null)
        {
            // The mode a timeout selects, with a timeout never reached: the clock is virtual and never advanced.
            (clock, timeout) = (new FakeTimeProvider(), TimeSpan.FromHours(1));
        }

        var channel = BackpressureChannel.Create(Options(policy, shape, clock, timeout, singleWriter, singleReader));
        return new ChannelSession(channel, fault, () => channel.GetMetrics());
    }
}

/// <summary>
/// The runtime's <c>Channel.CreateBounded</c>, run through the table where it is a twin (Wait for PauseUpstream,
/// DropOldest for DropOldest) to prove the table's outcomes are the platform's; it keeps no counters.
/// </summary>
internal sealed class RuntimeChannelTwinSurface() : PullSurface("Channel.CreateBounded (twin)", 2)
{
    public override string? NoPauseTimeout => "Channels has no write timeout";

    public override string? NotApplicable(Scenario scenario) =>
        scenario.Policy is BackpressurePolicy.DegradeQuality or BackpressurePolicy.Fail
            ? $"Channels has no {scenario.Policy} full mode"
            : base.NotApplicable(scenario);

    protected override Session Open(BackpressurePolicy policy, Exception fault, Shape shape, FakeTimeProvider? clock = null, TimeSpan? timeout = null) =>
        new ChannelSession(
            Channel.CreateBounded<int>(new BoundedChannelOptions(shape.Capacity)
            {
                FullMode = policy == BackpressurePolicy.DropOldest ? BoundedChannelFullMode.DropOldest : BoundedChannelFullMode.Wait,
            }),
            fault,
            static () => null);
}

/// <summary>A channel's operations mapped to the table's outcomes.</summary>
internal sealed class ChannelSession(Channel<int> channel, Exception fault, Func<StreamMetricsSnapshot?> metrics) : PullSurface.Session
{
    public override Task Completion => channel.Reader.Completion;

    public override bool TryPush(int item) => channel.Writer.TryWrite(item);

    public override bool TryTake(out int item) => channel.Reader.TryRead(out item);

    public override async Task<PartyResult> ReadAsync(CancellationToken cancellationToken)
    {
        try
        {
            return new PartyResult(PartyOutcome.Item, await channel.Reader.ReadAsync(cancellationToken));
        }
        catch (Exception error)
        {
            return ReadFailed(error, fault);
        }
    }

    public override async Task<PartyResult> WriteAsync(int item, CancellationToken cancellationToken)
    {
        try
        {
            await channel.Writer.WriteAsync(item, cancellationToken);
            return new PartyResult(PartyOutcome.Accepted);
        }
        catch (Exception error)
        {
            return WriteFailed(error);
        }
    }

    public override async Task<PartyResult> WaitToReadAsync(CancellationToken cancellationToken)
    {
        try
        {
            return new PartyResult(await channel.Reader.WaitToReadAsync(cancellationToken) ? PartyOutcome.True : PartyOutcome.False);
        }
        catch (Exception error)
        {
            return ReadFailed(error, fault);
        }
    }

    public override async Task<PartyResult> WaitToWriteAsync(CancellationToken cancellationToken)
    {
        try
        {
            return new PartyResult(await channel.Writer.WaitToWriteAsync(cancellationToken) ? PartyOutcome.True : PartyOutcome.False);
        }
        catch (Exception error)
        {
            return ReadFailed(error, fault);
        }
    }

    public override void Complete(Exception? error) => Assert.True(channel.Writer.TryComplete(error));

    public override StreamMetricsSnapshot? Metrics() => metrics();
}

/// <summary>
/// The Dataflow block, used as a Dataflow user would: <c>SendAsync</c>, <c>ReceiveAsync</c>,
/// <c>OutputAvailableAsync</c>, <c>TryReceive</c>, <c>Complete</c>, <c>Fault</c>. Dataflow reports how a source ended
/// only on its <c>Completion</c>: a <c>ReceiveAsync</c> that fails or an <c>OutputAvailableAsync</c> that returns false
/// on a block this row faulted is the table's Faulted; a <c>SendAsync</c> that returns false is Closed once the row
/// completed or faulted the block, and Overflow before.
/// </summary>
internal sealed class BackpressureBlockSurface() : PullSurface("BackpressureBlock", 2)
{
    public override SurfaceTraits Traits => new(DiscardsBufferedOnFault: true);

    public override string? NotApplicable(Scenario scenario) =>
        scenario is { Party: Party.Waiter, State: BufferState.Full }
            ? "Dataflow has no wait for room on a target: SendAsync itself is the wait"
            : base.NotApplicable(scenario);

    protected override Session Open(BackpressurePolicy policy, Exception fault, Shape shape, FakeTimeProvider? clock = null, TimeSpan? timeout = null)
    {
        var block = new BackpressureBlock<int>(Options(policy, shape, clock, timeout));
        return new BlockSession(block, block, fault, () => block.GetMetrics());
    }
}

/// <summary>
/// <c>BufferBlock</c> with <c>BoundedCapacity</c>, run through the table where it is a twin (PauseUpstream: a full block
/// postpones) to prove the table's Dataflow outcomes are the platform's; it keeps no counters.
/// </summary>
internal sealed class BufferBlockTwinSurface() : PullSurface("BufferBlock (twin)", 2)
{
    public override SurfaceTraits Traits => new(DiscardsBufferedOnFault: true);

    public override string? NoPauseTimeout => "Dataflow has no postponement timeout";

    public override string? NotApplicable(Scenario scenario) => scenario switch
    {
        { Policy: not BackpressurePolicy.PauseUpstream } => $"BufferBlock has no {scenario.Policy}: a full bounded block postpones",
        { Party: Party.Waiter, State: BufferState.Full } => "Dataflow has no wait for room on a target: SendAsync itself is the wait",
        _ => base.NotApplicable(scenario),
    };

    protected override Session Open(BackpressurePolicy policy, Exception fault, Shape shape, FakeTimeProvider? clock = null, TimeSpan? timeout = null)
    {
        var block = new BufferBlock<int>(new DataflowBlockOptions { BoundedCapacity = shape.Capacity });
        return new BlockSession(block, block, fault, static () => null);
    }
}

/// <summary>A Dataflow block's operations mapped to the table's outcomes (see <see cref="BackpressureBlockSurface"/>).</summary>
internal sealed class BlockSession(ITargetBlock<int> target, IReceivableSourceBlock<int> source, Exception fault, Func<StreamMetricsSnapshot?> metrics)
: PullSurface.Session
{
    private volatile bool _ended;
    private volatile bool _faulted;

    public override Task Completion => source.Completion;

    public override bool TryPush(int item) => target.Post(item);

    public override bool TryTake(out int item) => source.TryReceive(out item);

    public override async Task<PartyResult> ReadAsync(CancellationToken cancellationToken)
    {
        try
        {
            return new PartyResult(PartyOutcome.Item, await source.ReceiveAsync(cancellationToken));
        }
        catch (OperationCanceledException)
        {
            return new PartyResult(PartyOutcome.Cancelled);
        }
        catch (InvalidOperationException)
        {
            return new PartyResult(_faulted ? PartyOutcome.Faulted : PartyOutcome.Ended);
        }
    }

    public override async Task<PartyResult> WriteAsync(int item, CancellationToken cancellationToken)
    {
        try
        {
            if (await target.SendAsync(item, cancellationToken))
            {
                return new PartyResult(PartyOutcome.Accepted);
            }

            // A failed or missing degrader faults the block (Dataflow reports it only there): the offer that failed is
            // the table's DegraderFailed or MissingDegrader, and every later one is declined by a block that has ended.
            switch (_ended ? null : source.Completion.Exception?.InnerException)
            {
                case InvalidOperationException { InnerException: ConformanceDegraderException }:
                    _ended = true;
                    return new PartyResult(PartyOutcome.DegraderFailed);
                case MissingDegraderException:
                    _ended = true;
                    return new PartyResult(PartyOutcome.MissingDegrader);
            }

            return new PartyResult(_ended ? PartyOutcome.Closed : PartyOutcome.Overflow);
        }
        catch (OperationCanceledException)
        {
            return new PartyResult(PartyOutcome.Cancelled);
        }
    }

    public override async Task<PartyResult> WaitToReadAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await source.OutputAvailableAsync(cancellationToken)
                ? new PartyResult(PartyOutcome.True)
                : new PartyResult(_faulted ? PartyOutcome.Faulted : PartyOutcome.False);
        }
        catch (Exception error)
        {
            return ReadFailed(error, fault);
        }
    }

    public override Task<PartyResult> WaitToWriteAsync(CancellationToken cancellationToken) => throw new NotSupportedException();

    public override void Complete(Exception? error)
    {
        _ended = true;
        if (error is null)
        {
            target.Complete();
        }
        else
        {
            _faulted = true;
            target.Fault(error);
        }
    }

    public override StreamMetricsSnapshot? Metrics() => metrics();
}
