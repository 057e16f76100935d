using System.Reactive.Subjects;
using static Reactive.Streams.Tests.Conformance.ConformanceSupport;

namespace Reactive.Streams.Tests.Conformance;

/// <summary>
/// The burst table (<see cref="BurstTable"/>) through <c>ToBoundedStream</c>, the bridge from an observable to a stream
/// its consumer reads: an <c>OnNext</c> that cannot report a rejection, as on the Rx operator, in front of a stream read
/// as any other. A bridge has no disposal (a token or the reading side's completion stops it), so only the bursts
/// ended by a completion or a fault run.
/// </summary>
public sealed class BridgeBurstTests
{
    public static TheoryData<BackpressurePolicy, DegraderKind, int, int, StreamEvent> Rows()
    {
        var rows = new TheoryData<BackpressurePolicy, DegraderKind, int, int, StreamEvent>();
        foreach (var row in BurstTable.Rows())
        {
            if ((StreamEvent)row[4] != StreamEvent.Disposal)
            {
                rows.Add((BackpressurePolicy)row[0], (DegraderKind)row[1], (int)row[2], (int)row[3], (StreamEvent)row[4]);
            }
        }

        return rows;
    }

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task ToBoundedStream_burst(BackpressurePolicy policy, DegraderKind degrader, int capacity, int count, StreamEvent end)
    {
        var burst = new Burst(policy, degrader, capacity, count, end);
        var fault = NewFault();
        var subject = new Subject<int>();
        var stream = subject.ToBoundedStream(new BoundedStreamOptions<int>(policy, capacity) { Degrader = burst.DegraderFunction });

        subject.OnNext(0);
        Assert.True(stream.TryRead(out var first) && first == 0);
        var outcomes = new List<PartyResult>();
        for (var item = 1; item <= count; item++)
        {
            outcomes.Add(Push(() => subject.OnNext(item), stream.GetMetrics));
        }

        if (end == StreamEvent.Fault)
        {
            subject.OnError(fault);
        }
        else
        {
            subject.OnCompleted();
        }

        var received = new List<int>();
        while (stream.TryRead(out var item))
        {
            received.Add(item);
        }

        await SettleAsync(stream.Completion);
        var (terminal, detail) = TerminalOf(stream.Completion, fault, disposed: false);
        var atStart = outcomes.FirstOrDefault(o => o.Outcome != PartyOutcome.Accepted, outcomes[^1]);
        var observed = new Observation(
            ReportedByTheEnd(atStart, terminal), ReportedByTheEnd(outcomes[^1], terminal), received, terminal, stream.GetMetrics(), detail);
        var expected = BurstTable.Expect(burst, new SurfaceTraits(OverflowEndsTheStream: true));

        Assert.True(
            expected.Render() == observed.Render(),
            $"ToBoundedStream, {burst}\nexpected:\n{expected.Render()}\nobserved:\n{observed.Render()}{(detail is null ? string.Empty : $"\n({detail})")}");
    }
}
