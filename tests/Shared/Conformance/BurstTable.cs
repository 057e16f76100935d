namespace Reactive.Streams.Tests.Conformance;

/// <summary>The degrader a burst's DegradeQuality stream is given.</summary>
public enum DegraderKind
{
    /// <summary>Maps x to -x, so a degraded item shows in what the consumer receives.</summary>
    Negate,

    /// <summary>Returns the item itself: an item of the same "weight", which must still count as degraded.</summary>
    Identity,

    /// <summary>Throws a <see cref="ConformanceDegraderException"/> for every item.</summary>
    Throws,

    /// <summary>No degrader at all: a DegradeQuality overflow is rejected with <see cref="MissingDegraderException"/>.</summary>
    Missing,
}

/// <summary>The exception the <see cref="DegraderKind.Throws"/> degrader throws.</summary>
public sealed class ConformanceDegraderException() : Exception("conformance degrader failed");

/// <summary>
/// One burst: at <paramref name="Capacity"/>, the consumer takes 0 and holds it; 1..<paramref name="Count"/> are pushed
/// one after another with nothing read; then <paramref name="End"/> happens and the consumer goes on.
/// </summary>
public readonly record struct Burst(BackpressurePolicy Policy, DegraderKind Degrader, int Capacity, int Count, StreamEvent End)
{
    public override string ToString() =>
        $"{Policy}{(Policy == BackpressurePolicy.DegradeQuality ? $"({Degrader})" : string.Empty)} × capacity {Capacity} × push 1..{Count} × {End}";

    /// <summary>The degrader every surface is given for this burst.</summary>
    public Func<int, int>? DegraderFunction => Degrader switch
    {
        DegraderKind.Negate => ConformanceTable.Degrade,
        DegraderKind.Identity => static x => x,
        DegraderKind.Missing => null,
        _ => static _ => throw new ConformanceDegraderException(),
    };
}

/// <summary>
/// The burst table: the same script of pushes into every surface, at capacity 1 and 3, exactly at capacity, over it by
/// one and by many, under every policy (DegradeQuality with a negating, an identity and a throwing degrader), ended by a
/// completion, a fault or (push surfaces) a disposal with items buffered. Every surface must deliver the same items in
/// the same order, reject and count the same pushes and end the same way, up to its <see cref="SurfaceTraits"/>.
/// </summary>
/// <remarks>
/// <para><see cref="Observation.AtStart"/> is the first push that was not accepted (or the last push when all were),
/// <see cref="Observation.AfterEvent"/> the last push. A PauseUpstream burst stays within the capacity (a push beyond
/// it waits, which the main table and the timeout table cover).</para>
/// <para>A surface whose push cannot report a rejection (<see cref="SurfaceTraits.OverflowEndsTheStream"/>) ends the
/// stream at the first rejected push, after the items buffered before it, and lets its source go: the later pushes are
/// not its to count (<see cref="PartyOutcome.Ignored"/>). A surface that faults itself on a degrader failure and drops
/// what it buffered on a fault (<see cref="SurfaceTraits.DiscardsBufferedOnFault"/>, the Dataflow block) drops the
/// buffered items there and declines the later pushes as closed.</para>
/// </remarks>
public static class BurstTable
{
    /// <summary>Every burst.</summary>
    public static TheoryData<BackpressurePolicy, DegraderKind, int, int, StreamEvent> Rows()
    {
        var rows = new TheoryData<BackpressurePolicy, DegraderKind, int, int, StreamEvent>();
        (BackpressurePolicy, DegraderKind)[] policies =
        [
            (BackpressurePolicy.DropOldest, DegraderKind.Negate),
            (BackpressurePolicy.DegradeQuality, DegraderKind.Negate),
            (BackpressurePolicy.DegradeQuality, DegraderKind.Identity),
            (BackpressurePolicy.DegradeQuality, DegraderKind.Throws),
            (BackpressurePolicy.DegradeQuality, DegraderKind.Missing),
            (BackpressurePolicy.PauseUpstream, DegraderKind.Negate),
            (BackpressurePolicy.Fail, DegraderKind.Negate),
        ];
        foreach (var (policy, degrader) in policies)
        {
            foreach (var capacity in new[] { 1, 3 })
            {
                foreach (var over in new[] { 0, 1, 5 })
                {
                    if (policy == BackpressurePolicy.PauseUpstream && over > 0)
                    {
                        continue;
                    }

                    foreach (var end in new[] { StreamEvent.Completion, StreamEvent.Fault, StreamEvent.Disposal })
                    {
                        // An observer surface reports a failed degrader only by ending the stream with its error, which a
                        // disposal keeps from the consumer: the push's outcome has nothing to show there.
                        if (end == StreamEvent.Disposal && degrader is DegraderKind.Throws or DegraderKind.Missing && over > 0)
                        {
                            continue;
                        }

                        rows.Add(policy, degrader, capacity, capacity + over, end);
                    }
                }
            }
        }

        return rows;
    }

    /// <summary>What a surface with <paramref name="traits"/> must do in <paramref name="burst"/>.</summary>
    public static Observation Expect(Burst burst, SurfaceTraits traits)
    {
        var buffer = new List<int>();
        long pushed = 1, delivered = 1, dropOldest = 0, degraded = 0, overflows = 0, rejected = 0;
        var degrade = burst.DegraderFunction;
        var outcomes = new List<PartyOutcome>();
        Terminal? endedBySelf = null;
        for (var item = 1; item <= burst.Count; item++)
        {
            if (endedBySelf is not null)
            {
                if (traits.OverflowEndsTheStream)
                {
                    outcomes.Add(PartyOutcome.Ignored);
                }
                else
                {
                    // Faulted and closed: the push is declined and counted as rejected, as a push after completion.
                    pushed++;
                    rejected++;
                    outcomes.Add(PartyOutcome.Closed);
                }

                continue;
            }

            pushed++;
            if (buffer.Count < burst.Capacity)
            {
                buffer.Add(item);
                outcomes.Add(PartyOutcome.Accepted);
                continue;
            }

            switch (burst.Policy, burst.Degrader)
            {
                case (BackpressurePolicy.DropOldest, _):
                    buffer.RemoveAt(0);
                    buffer.Add(item);
                    dropOldest++;
                    outcomes.Add(PartyOutcome.Accepted);
                    break;
                case (BackpressurePolicy.DegradeQuality, DegraderKind.Negate or DegraderKind.Identity):
                    buffer.RemoveAt(0);
                    buffer.Add(degrade!(item));
                    degraded++;
                    outcomes.Add(PartyOutcome.Accepted);
                    break;
                case (BackpressurePolicy.DegradeQuality, var kind):
                    // The degrader threw, or there is none: the item is rejected and nothing is evicted.
                    var missing = kind == DegraderKind.Missing;
                    rejected++;
                    outcomes.Add(missing ? PartyOutcome.MissingDegrader : PartyOutcome.DegraderFailed);
                    if (traits.OverflowEndsTheStream || traits.DiscardsBufferedOnFault)
                    {
                        endedBySelf = missing ? Terminal.FaultedByMissingDegrader : Terminal.FaultedByDegrader;
                    }

                    break;
                case (BackpressurePolicy.Fail, _):
                    // Counted as an overflow, not as a rejection: conservation adds both.
                    overflows++;
                    outcomes.Add(PartyOutcome.Overflow);
                    if (traits.OverflowEndsTheStream)
                    {
                        endedBySelf = Terminal.FaultedByOverflow;
                    }

                    break;
                default:
                    throw new InvalidOperationException($"{burst}: a PauseUpstream burst stays within the capacity");
            }
        }

        var atStart = new PartyResult(outcomes.FirstOrDefault(o => o != PartyOutcome.Accepted, outcomes[^1]));
        var last = new PartyResult(outcomes[^1]);
        IReadOnlyList<int> received = buffer;
        var depth = 0;
        Terminal terminal;
        if (burst.End == StreamEvent.Disposal)
        {
            (received, depth, terminal) = ([], buffer.Count, Terminal.Stopped);
        }
        else if (endedBySelf is { } ended)
        {
            if (!traits.OverflowEndsTheStream)
            {
                // The block faulted itself: what it buffered was dropped and counted as rejected.
                rejected += buffer.Count;
                received = [];
            }

            terminal = ended;
        }
        else if (burst.End == StreamEvent.Fault && traits.DiscardsBufferedOnFault)
        {
            rejected += buffer.Count;
            (received, terminal) = ([], Terminal.Faulted);
        }
        else
        {
            terminal = burst.End == StreamEvent.Fault ? Terminal.Faulted : Terminal.Completed;
        }

        delivered += received.Count;
        return new Observation(
            atStart,
            last,
            received,
            terminal,
            new StreamMetricsSnapshot(pushed, delivered, dropOldest, degraded, 0, overflows, rejected, depth));
    }
}

/// <summary>The burst table as tests, beside <see cref="ConformanceSuite"/>'s rows.</summary>
public abstract class BurstSuite
{
    /// <summary>The surface under test.</summary>
    protected abstract IConformanceSurface Surface { get; }

    [Theory]
    [MemberData(nameof(BurstTable.Rows), MemberType = typeof(BurstTable))]
    public async Task Burst(BackpressurePolicy policy, DegraderKind degrader, int capacity, int count, StreamEvent end)
    {
        var surface = Surface;
        var burst = new Burst(policy, degrader, capacity, count, end);
        if (surface.BurstNotApplicable(burst) is { } reason)
        {
            Assert.False(string.IsNullOrWhiteSpace(reason), $"{surface.Name} declines {burst} without saying why.");
            return;
        }

        var expected = BurstTable.Expect(burst, surface.Traits);
        var observed = await surface.RunBurstAsync(burst);
        if (observed.Metrics is null)
        {
            expected = expected with { Metrics = null };
        }

        var detail = observed.Detail is null ? string.Empty : $"\n({observed.Detail})";
        Assert.True(
            expected.Render() == observed.Render(),
            $"{surface.Name}, {burst}\nexpected:\n{expected.Render()}\nobserved:\n{observed.Render()}{detail}");
    }
}
