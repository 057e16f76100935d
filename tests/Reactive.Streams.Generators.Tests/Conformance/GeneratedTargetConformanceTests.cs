using System.Threading.Tasks.Dataflow;
using Reactive.Streams.Tests.Conformance;
using static Reactive.Streams.Tests.Conformance.ConformanceSupport;

namespace Reactive.Streams.Generators.Tests.Conformance;

/// <summary>The conformance table against the Dataflow target a [StreamSink] class gets generated.</summary>
public sealed class GeneratedTargetConformanceTests : ConformanceSuite
{
    protected override IConformanceSurface Surface { get; } = new GeneratedTargetSurface();
}

/// <summary>
/// A generated sink's Dataflow target, used as a Dataflow producer would: <c>Post</c>, <c>SendAsync</c> with a token,
/// <c>Complete</c>, <c>Fault</c>. The handler holds 0 until released, so 1..C wait in the target's buffer. As a Dataflow
/// block, a fault discards what is buffered (as <c>BufferBlock</c>'s), and a <c>SendAsync</c> that returns false is
/// Closed once the row completed or faulted the target, and Overflow before.
/// </summary>
internal sealed class GeneratedTargetSurface : IConformanceSurface
{
    public string Name => "generated [StreamSink] Dataflow target";

    public int Capacity => 2;

    public SurfaceTraits Traits => new(DiscardsBufferedOnFault: true);

    public string? NoPauseTimeout => "CreateTarget takes no PauseUpstream timeout";

    public string? NotApplicable(Scenario scenario) => scenario switch
    {
        { Party: not Party.Writer } => $"{Name} is a target only: there is no read, and Dataflow has no wait for room (SendAsync is the wait)",
        { Event: StreamEvent.Disposal } => $"{Name} has no Dispose: completing it is the end of its life",
        _ => null,
    };

    public string? BurstNotApplicable(Burst burst) =>
        $"{Name}: its capacity and degrader are fixed by its sink's attributes; the burst table runs on the engine surface it is built on";

    public Task<Observation> RunBurstAsync(Burst burst) => throw new NotSupportedException(BurstNotApplicable(burst));

    public async Task<Observation> RunAsync(Scenario scenario)
    {
        var fault = NewFault();
        var (sink, target, metrics) = Open(scenario.Policy);
        using var cancellation = new CancellationTokenSource();

        Assert.True(target.Post(new TableEvent.Item(0)));
        await SettleAsync(sink.Holding.Task);
        Assert.True(sink.Holding.Task.IsCompleted, "the handler never received 0");
        if (scenario.State == BufferState.Full)
        {
            for (var i = 1; i <= Capacity; i++)
            {
                Assert.True(target.Post(new TableEvent.Item(i)));
            }
        }

        var ended = false;
        var party = Send();
        var atStart = await AtOnceAsync(party);

        switch (scenario.Event)
        {
            case StreamEvent.Completion:
                ended = true;
                target.Complete();
                break;
            case StreamEvent.Fault:
                ended = true;
                target.Fault(fault);
                break;
            default:
                await cancellation.CancelAsync();
                break;
        }

        var afterEvent = await SettleAsync(party);

        // The target's Completion is its handler's, which cannot end while the handler holds 0: release it first.
        sink.Release.SetResult();
        if (scenario.Event == StreamEvent.Cancellation)
        {
            // Nothing ends the target: the consumer is done once every item it took was handled. A postponed send that was
            // cancelled (PauseUpstream, full) is found withdrawn when the block next consumes postponed offers, on a work
            // item of its own once the handler made room, and counted then.
            var withdrawn = scenario.Policy == BackpressurePolicy.PauseUpstream && scenario.State == BufferState.Full;
            SpinWait.SpinUntil(
                () => metrics() is { Depth: 0 } m && sink.Handled.Count == m.ItemsDelivered && (!withdrawn || m.ItemsRejected > 0),
                Guard);
        }
        else
        {
            await SettleAsync(target.Completion);
        }

        var (terminal, detail) = TerminalOf(target.Completion, fault, disposed: false);
        return new Observation(atStart, afterEvent, sink.Handled.Skip(1).ToList(), terminal, metrics(), detail);

        async Task<PartyResult> Send()
        {
            try
            {
                return await target.SendAsync(new TableEvent.Item(Capacity + 1), cancellation.Token)
                    ? new PartyResult(PartyOutcome.Accepted)
                    : new PartyResult(ended ? PartyOutcome.Closed : PartyOutcome.Overflow);
            }
            catch (OperationCanceledException)
            {
                return new PartyResult(PartyOutcome.Cancelled);
            }
        }
    }

    public Task<Observation> RunPauseTimeoutAsync(TimeSpan timeout) => throw new NotSupportedException(NoPauseTimeout);

    private static (HoldingTableSink Sink, ITargetBlock<TableEvent> Target, Func<StreamMetricsSnapshot> Metrics) Open(BackpressurePolicy policy)
    {
        switch (policy)
        {
            case BackpressurePolicy.DropOldest:
            {
                var sink = new DropOldestTableSink();
                var target = sink.CreateTarget();
                return (sink, target, target.GetMetrics);
            }

            case BackpressurePolicy.DegradeQuality:
            {
                var sink = new DegradeQualityTableSink();
                var target = sink.CreateTarget();
                return (sink, target, target.GetMetrics);
            }

            case BackpressurePolicy.PauseUpstream:
            {
                var sink = new PauseUpstreamTableSink();
                var target = sink.CreateTarget();
                return (sink, target, target.GetMetrics);
            }

            default:
            {
                var sink = new FailTableSink();
                var target = sink.CreateTarget();
                return (sink, target, target.GetMetrics);
            }
        }
    }
}
