using System.Text;

namespace Reactive.Streams.Tests.Conformance;

/// <summary>What the buffer holds when the pending party starts.</summary>
public enum BufferState
{
    /// <summary>Nothing: the consumer has taken every item pushed so far.</summary>
    Empty,

    /// <summary>Exactly its capacity, behind a consumer that holds the item before them.</summary>
    Full,
}

/// <summary>What happens to the stream while the party is pending.</summary>
public enum StreamEvent
{
    /// <summary>The producer side completes normally (TryComplete, Complete, OnCompleted).</summary>
    Completion,

    /// <summary>The producer side completes with an error (TryComplete(error), Fault, OnError).</summary>
    Fault,

    /// <summary>The pending party's cancellation token is cancelled.</summary>
    Cancellation,

    /// <summary>The consumer side is disposed (a subscription, a generated observer).</summary>
    Disposal,
}

/// <summary>The party that is (or would be) pending when the event happens.</summary>
public enum Party
{
    /// <summary>A read of the next item (ReadAsync, ReceiveAsync).</summary>
    Reader,

    /// <summary>A push of a new item (PushAsync, WriteAsync, SendAsync, OnNext).</summary>
    Writer,

    /// <summary>A wait for the state to change: for an item when empty (WaitToReadAsync), for room when full (WaitToWriteAsync).</summary>
    Waiter,
}

/// <summary>How an operation of the party ended, in the vocabulary every surface maps its own results to.</summary>
public enum PartyOutcome
{
    /// <summary>Not completed.</summary>
    Pending,

    /// <summary>A read returned an item (<see cref="PartyResult.Item"/>).</summary>
    Item,

    /// <summary>A wait returned true.</summary>
    True,

    /// <summary>A wait returned false.</summary>
    False,

    /// <summary>A push was accepted (enqueued, or enqueued evicting the oldest, or degraded).</summary>
    Accepted,

    /// <summary>A push was rejected as an overflow (Fail).</summary>
    Overflow,

    /// <summary>A push was rejected because the stream is closed.</summary>
    Closed,

    /// <summary>A read found the stream completed and drained.</summary>
    Ended,

    /// <summary>A read or wait surfaced the completion error.</summary>
    Faulted,

    /// <summary>The operation was cancelled by its token.</summary>
    Cancelled,

    /// <summary>A push was rejected because the degrader threw (an <see cref="InvalidOperationException"/> with its error inside).</summary>
    DegraderFailed,

    /// <summary>A push was rejected because a DegradeQuality stream has no degrader (<see cref="MissingDegraderException"/>).</summary>
    MissingDegrader,

    /// <summary>A push the surface did not take up at all: its stream had ended and let its source go, so nothing counted it.</summary>
    Ignored,
}

/// <summary>How the stream ended, as its consumer sees it after draining.</summary>
public enum Terminal
{
    /// <summary>Not ended: the stream still accepts pushes.</summary>
    Open,

    /// <summary>Ended normally.</summary>
    Completed,

    /// <summary>Ended with the error the producer completed it with.</summary>
    Faulted,

    /// <summary>Ended with the overflow error of a rejected push (surfaces whose pushes cannot report a rejection).</summary>
    FaultedByOverflow,

    /// <summary>Ended with the degrader's error (an <see cref="InvalidOperationException"/> wrapping it) after a rejected push.</summary>
    FaultedByDegrader,

    /// <summary>Ended with the <see cref="MissingDegraderException"/> of a DegradeQuality push that had no degrader.</summary>
    FaultedByMissingDegrader,

    /// <summary>Delivery stopped by disposal: nothing is delivered afterwards, no error.</summary>
    Stopped,

    /// <summary>Ended some other way (an unexpected error); <see cref="Observation.Detail"/> says how.</summary>
    Other,
}

/// <summary>One row of the conformance table.</summary>
public readonly record struct Scenario(BackpressurePolicy Policy, BufferState State, StreamEvent Event, Party Party)
{
    public override string ToString() => $"{Policy} × {State} × {Event} × pending {Party}";
}

/// <summary>The result of the party's operation.</summary>
public readonly record struct PartyResult(PartyOutcome Outcome, int? Item = null)
{
    public static readonly PartyResult Pending = new(PartyOutcome.Pending);

    public override string ToString() => Item is { } item ? $"{Outcome}({item})" : Outcome.ToString();
}

/// <summary>
/// What a surface did in one row: the party's result before the event and after it, the items the consumer received
/// after the event, how the stream ended and the metrics snapshot at the end.
/// </summary>
public sealed record Observation(
    PartyResult AtStart,
    PartyResult AfterEvent,
    IReadOnlyList<int> Received,
    Terminal Terminal,
    StreamMetricsSnapshot? Metrics,
    string? Detail = null)
{
    /// <summary>The facts the table asserts, on one line each, so a failing row shows every difference at once.</summary>
    public string Render() => new StringBuilder()
        .AppendLine($"party at start:  {AtStart}")
        .AppendLine($"party after:     {AfterEvent}")
        .AppendLine($"received after:  [{RenderItems(Received)}]")
        .Append($"terminal:        {Terminal}")
        .Append(Metrics is not { } m ? string.Empty :
            $"\nitems_pushed={m.ItemsPushed} items_delivered={m.ItemsDelivered} drop_oldest_hits={m.DropOldestHits} " +
            $"degrade_quality_hits={m.DegradeQualityHits} pause_upstream_blocks={m.PauseUpstreamBlocks} " +
            $"fail_overflows={m.FailOverflows} items_rejected={m.ItemsRejected} depth={m.Depth}\nconserved:       {m.IsConserved}")
        .ToString();

    /// <summary>Items with runs of consecutive values collapsed (<c>1..65537</c>), so large capacities stay readable.</summary>
    public static string RenderItems(IReadOnlyList<int> items)
    {
        var text = new StringBuilder();
        for (var i = 0; i < items.Count;)
        {
            var j = i;
            while (j + 1 < items.Count && items[j + 1] == items[j] + 1)
            {
                j++;
            }

            text.Append(text.Length == 0 ? string.Empty : ",").Append(j - i >= 2 ? $"{items[i]}..{items[j]}" : string.Join(",", items.Skip(i).Take(j - i + 1)));
            i = j + 1;
        }

        return text.ToString();
    }
}

/// <summary>
/// The two facts about a surface that its platform twin or its protocol fixes, and that the table takes as inputs
/// instead of as exceptions.
/// </summary>
/// <param name="DiscardsBufferedOnFault">
/// A fault drops what is buffered (Dataflow: <c>BufferBlock.Fault</c> does), instead of letting the consumer drain
/// it first (Channels, Rx). The dropped items are counted as rejected, so the counters still conserve.
/// </param>
/// <param name="OverflowEndsTheStream">
/// The push cannot report a rejection to its caller (an Rx <c>OnNext</c> returns nothing), so a Fail overflow ends the
/// stream with the overflow error after the items buffered before it, as <c>FailOnOverflow</c> documents.
/// </param>
public readonly record struct SurfaceTraits(bool DiscardsBufferedOnFault = false, bool OverflowEndsTheStream = false);

/// <summary>A surface under the conformance table.</summary>
public interface IConformanceSurface
{
    /// <summary>The surface and mode, for messages.</summary>
    string Name { get; }

    /// <summary>The capacity the surface runs the table at.</summary>
    int Capacity { get; }

    /// <summary>What its twin or protocol fixes (<see cref="SurfaceTraits"/>).</summary>
    SurfaceTraits Traits { get; }

    /// <summary>Why the surface cannot express <paramref name="scenario"/>, or null when it can.</summary>
    string? NotApplicable(Scenario scenario);

    /// <summary>Runs the row: see <see cref="ConformanceTable"/> for the protocol every adapter follows.</summary>
    Task<Observation> RunAsync(Scenario scenario);

    /// <summary>Why the surface has no PauseUpstream timeout (a platform twin), or null when it has one.</summary>
    string? NoPauseTimeout => null;

    /// <summary>
    /// Runs <see cref="PauseTimeoutTable"/>: PauseUpstream with <paramref name="timeout"/> on a virtual clock, the buffer
    /// full behind a consumer holding 0, the writer pushing C+1; the clock advances to one tick before the timeout (not
    /// at all for a zero timeout), then to it; then the consumer goes on.
    /// </summary>
    Task<Observation> RunPauseTimeoutAsync(TimeSpan timeout);

    /// <summary>Why the surface cannot run <paramref name="burst"/>, or null when it can (by default, as the main table's row of the same policy and event).</summary>
    string? BurstNotApplicable(Burst burst) => NotApplicable(new Scenario(burst.Policy, BufferState.Empty, burst.End, Party.Writer));

    /// <summary>Runs <see cref="BurstTable"/>'s <paramref name="burst"/>.</summary>
    Task<Observation> RunBurstAsync(Burst burst);
}
