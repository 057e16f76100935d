using Microsoft.Extensions.Time.Testing;
using Reactive.Streams.Tests.Conformance;
using static Reactive.Streams.Tests.Conformance.ConformanceSupport;

namespace Reactive.Streams.Generators.Tests.Conformance;

/// <summary>The conformance table (tests/Shared/Conformance) against the observer a [StreamSink] class gets generated.</summary>
public sealed class GeneratedSinkConformanceTests : ConformanceSuite
{
    protected override IConformanceSurface Surface { get; } = new GeneratedSinkSurface();
}

/// <summary>
/// A generated sink's observer: its pump runs on the thread pool, so "the consumer holds 0" is the handler holding
/// 0 until released (<see cref="HoldingTableSink"/>), and the waits are on state under the table's guard. It is a
/// <c>BackpressureObserver</c>, SubscribeAsync's consumer: its <c>OnNext</c> cannot report a rejection, so an overflow
/// ends the stream, as on the Rx operators.
/// </summary>
internal sealed class GeneratedSinkSurface : IConformanceSurface
{
    public string Name => "generated [StreamSink] observer";

    public int Capacity => 2;

    public SurfaceTraits Traits => new(OverflowEndsTheStream: true);

    public string? NotApplicable(Scenario scenario) => scenario switch
    {
        { Party: not Party.Writer } => $"{Name} pushes to its handlers: there is no pending read or wait",
        { Event: StreamEvent.Cancellation } => $"{Name}: OnNext takes no cancellation token; disposal is how a subscriber cancels",
        { Policy: BackpressurePolicy.PauseUpstream, State: BufferState.Full, Event: StreamEvent.Completion or StreamEvent.Fault } =>
            $"{Name}: the Rx grammar forbids the source's OnCompleted/OnError while its own OnNext is blocked",
        _ => null,
    };

    public string? BurstNotApplicable(Burst burst) =>
        $"{Name}: its capacity and degrader are fixed by its sink's attributes; the burst table runs on the engine surface it is built on";

    public Task<Observation> RunBurstAsync(Burst burst) => throw new NotSupportedException(BurstNotApplicable(burst));

    public async Task<Observation> RunAsync(Scenario scenario)
    {
        var fault = NewFault();
        var sink = Open(scenario.Policy);

        sink.Observer.OnNext(new TableEvent.Item(0));
        await SettleAsync(sink.Sink.Holding.Task);
        Assert.True(sink.Sink.Holding.Task.IsCompleted, "the handler never received 0");
        if (scenario.State == BufferState.Full)
        {
            for (var i = 1; i <= Capacity; i++)
            {
                sink.Observer.OnNext(new TableEvent.Item(i));
            }
        }

        var party = StartPush(
            () => sink.Observer.OnNext(new TableEvent.Item(Capacity + 1)),
            sink.Metrics,
            mayBlock: scenario is { Policy: BackpressurePolicy.PauseUpstream, State: BufferState.Full });
        var atStart = await AtOnceAsync(party);

        var disposal = Task.CompletedTask;
        switch (scenario.Event)
        {
            case StreamEvent.Completion:
                sink.Observer.OnCompleted();
                break;
            case StreamEvent.Fault:
                sink.Observer.OnError(fault);
                break;
            default:
                disposal = sink.Disposable.DisposeAsync().AsTask();
                break;
        }

        var afterEvent = await SettleAsync(party);
        sink.Sink.Release.SetResult();
        await SettleAsync(disposal);
        await SettleAsync(sink.Completion());

        var (terminal, detail) = TerminalOf(sink.Completion(), fault, scenario.Event == StreamEvent.Disposal);
        var metrics = sink.Metrics();
        if (scenario.Event != StreamEvent.Disposal)
        {
            await SettleAsync(sink.Disposable.DisposeAsync().AsTask());
        }

        return new Observation(atStart, afterEvent, sink.Sink.Handled.Skip(1).ToList(), terminal, metrics, detail);
    }

    public async Task<Observation> RunPauseTimeoutAsync(TimeSpan timeout)
    {
        var time = new FakeTimeProvider();
        var sink = Open(BackpressurePolicy.PauseUpstream, time, timeout);
        sink.Observer.OnNext(new TableEvent.Item(0));
        await SettleAsync(sink.Sink.Holding.Task);
        Assert.True(sink.Sink.Holding.Task.IsCompleted, "the handler never received 0");
        for (var i = 1; i <= Capacity; i++)
        {
            sink.Observer.OnNext(new TableEvent.Item(i));
        }

        var party = StartPush(() => sink.Observer.OnNext(new TableEvent.Item(Capacity + 1)), sink.Metrics, mayBlock: true);
        if (timeout > TimeSpan.Zero)
        {
            time.Advance(timeout - TimeSpan.FromTicks(1));
        }

        // A zero timeout rejects the push without the clock; the push runs on a thread of its own, so it is waited for.
        var beforeTimeout = timeout > TimeSpan.Zero ? await AtOnceAsync(party) : await SettleAsync(party);
        time.Advance(TimeSpan.FromTicks(1));
        var atTimeout = await SettleAsync(party);

        // The timeout ended the stream: the consumer takes what is buffered, then Completion faults with the overflow.
        sink.Sink.Release.SetResult();
        await SettleAsync(sink.Completion());
        var (terminal, detail) = TerminalOf(sink.Completion(), NewFault(), disposed: false);
        var metrics = sink.Metrics();
        await SettleAsync(sink.Disposable.DisposeAsync().AsTask());
        return new Observation(ReportedByTheEnd(beforeTimeout, terminal), ReportedByTheEnd(atTimeout, terminal), sink.Sink.Handled.Skip(1).ToList(), terminal, metrics, detail);
    }

    private static OpenSink Open(BackpressurePolicy policy, TimeProvider? time = null, TimeSpan? timeout = null) => policy switch
    {
        BackpressurePolicy.DropOldest => OpenSink.Of(new DropOldestTableSink(), s => s.CreateObserver(time, timeout), static o => o.Completion, static o => o.GetMetrics()),
        BackpressurePolicy.DegradeQuality => OpenSink.Of(new DegradeQualityTableSink(), s => s.CreateObserver(time, timeout), static o => o.Completion, static o => o.GetMetrics()),
        BackpressurePolicy.PauseUpstream => OpenSink.Of(new PauseUpstreamTableSink(), s => s.CreateObserver(time, timeout), static o => o.Completion, static o => o.GetMetrics()),
        _ => OpenSink.Of(new FailTableSink(), s => s.CreateObserver(time, timeout), static o => o.Completion, static o => o.GetMetrics()),
    };

    /// <summary>A sink and its generated observer, whose type is nested in each sink class.</summary>
    private sealed record OpenSink(
        HoldingTableSink Sink,
        IObserver<TableEvent> Observer,
        IAsyncDisposable Disposable,
        Func<Task> Completion,
        Func<StreamMetricsSnapshot> Metrics)
    {
        public static OpenSink Of<TSink, TObserver>(
            TSink sink, Func<TSink, TObserver> create, Func<TObserver, Task> completion, Func<TObserver, StreamMetricsSnapshot> metrics)
            where TSink : HoldingTableSink
            where TObserver : IObserver<TableEvent>, IAsyncDisposable
        {
            var observer = create(sink);
            return new OpenSink(sink, observer, observer, () => completion(observer), () => metrics(observer));
        }
    }
}
