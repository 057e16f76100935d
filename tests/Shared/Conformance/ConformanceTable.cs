namespace Reactive.Streams.Tests.Conformance;

/// <summary>
/// The one table of outcomes every surface must produce: policy × buffer state × event × pending party.
/// </summary>
/// <remarks>
/// <para>The protocol every adapter follows, at capacity C, with items as plain integers:</para>
/// <list type="number">
/// <item>Push 0 and let the consumer take it (a pull surface reads it; a push surface's observer or handler receives it
/// and, for handlers, keeps holding it until step 5). Then, for <see cref="BufferState.Full"/>, push 1..C.</item>
/// <item>Start the party: the reader reads; the writer pushes C+1 (the degrader maps x to -x); the waiter waits for
/// an item when the buffer is empty, for room when it is full. Record its result, or that it is pending.</item>
/// <item>Apply the event: complete, fault with a fresh error, cancel the party's token, or dispose the consumer side.</item>
/// <item>Record the party's result again (a pending party must be resolved by every event but disposal of a pull).</item>
/// <item>Let the consumer go on (a pull surface reads until nothing is left; a push surface's clock or held handler is
/// released), record what it received and how the stream ended, and take the metrics snapshot.</item>
/// </list>
/// <para>
/// The outcomes are the platform twins' (<c>Channel.CreateBounded</c>, <c>BufferBlock</c>) wherever the policy does
/// not change them, and the policy's where it does. A pending push that an event resolves is counted as pushed and
/// rejected (closed, or cancelled), so the counters conserve in every row.
/// </para>
/// </remarks>
public static class ConformanceTable
{
    /// <summary>The value the degrader maps an item to.</summary>
    public static int Degrade(int item) => -item;

    /// <summary>Every row: 4 policies × 2 states × 4 events × 3 parties.</summary>
    public static TheoryData<BackpressurePolicy, BufferState, StreamEvent, Party> Rows()
    {
        var rows = new TheoryData<BackpressurePolicy, BufferState, StreamEvent, Party>();
        foreach (var policy in Enum.GetValues<BackpressurePolicy>())
        {
            foreach (var state in Enum.GetValues<BufferState>())
            {
                foreach (var @event in Enum.GetValues<StreamEvent>())
                {
                    foreach (var party in Enum.GetValues<Party>())
                    {
                        rows.Add(policy, state, @event, party);
                    }
                }
            }
        }

        return rows;
    }

    /// <summary>What a surface with <paramref name="traits"/> at <paramref name="capacity"/> must do in <paramref name="row"/>.</summary>
    public static Observation Expect(Scenario row, int capacity, SurfaceTraits traits)
    {
        var buffer = row.State == BufferState.Full ? Enumerable.Range(1, capacity).ToList() : [];
        long pushed = 1 + buffer.Count, delivered = 1, dropOldest = 0, degraded = 0, paused = 0, overflows = 0, rejected = 0;
        var endedByOverflow = false;

        // Step 2: the party starts.
        PartyResult atStart;
        switch (row.Party)
        {
            case Party.Reader when buffer.Count > 0:
                atStart = new PartyResult(PartyOutcome.Item, buffer[0]);
                buffer.RemoveAt(0);
                delivered++;
                break;
            case Party.Reader:
                atStart = PartyResult.Pending;
                break;
            case Party.Writer when buffer.Count < capacity:
                buffer.Add(capacity + 1);
                pushed++;
                atStart = new PartyResult(PartyOutcome.Accepted);
                break;
            case Party.Writer:
                switch (row.Policy)
                {
                    case BackpressurePolicy.DropOldest:
                        buffer.RemoveAt(0);
                        buffer.Add(capacity + 1);
                        pushed++;
                        dropOldest++;
                        atStart = new PartyResult(PartyOutcome.Accepted);
                        break;
                    case BackpressurePolicy.DegradeQuality:
                        buffer.RemoveAt(0);
                        buffer.Add(Degrade(capacity + 1));
                        pushed++;
                        degraded++;
                        atStart = new PartyResult(PartyOutcome.Accepted);
                        break;
                    case BackpressurePolicy.PauseUpstream:
                        paused++;
                        atStart = PartyResult.Pending;
                        break;
                    default:
                        pushed++;
                        overflows++;
                        endedByOverflow = traits.OverflowEndsTheStream;
                        atStart = new PartyResult(PartyOutcome.Overflow);
                        break;
                }

                break;
            default:
                // The waiter: for an item when empty (pending), for room when full (at once unless the policy waits).
                atStart = row.State == BufferState.Full &&
                          row.Policy is BackpressurePolicy.DropOldest or BackpressurePolicy.DegradeQuality
                    ? new PartyResult(PartyOutcome.True)
                    : PartyResult.Pending;
                break;
        }

        // Steps 3 and 4: the event resolves a pending party.
        var afterEvent = atStart;
        if (atStart.Outcome == PartyOutcome.Pending)
        {
            afterEvent = new PartyResult((row.Event, row.Party) switch
            {
                (StreamEvent.Completion, Party.Reader) => PartyOutcome.Ended,
                (StreamEvent.Completion, Party.Waiter) => PartyOutcome.False,
                (StreamEvent.Fault, Party.Reader or Party.Waiter) => PartyOutcome.Faulted,
                (StreamEvent.Cancellation, _) => PartyOutcome.Cancelled,
                (_, Party.Writer) => PartyOutcome.Closed,
                _ => PartyOutcome.Ended,
            });
            if (row.Party == Party.Writer)
            {
                pushed++;
                rejected++;
            }
        }

        // Step 5: the consumer goes on: it receives what is left, unless disposal stopped it or a fault discarded it.
        IReadOnlyList<int> received = buffer;
        var depth = 0;
        Terminal terminal;
        if (row.Event == StreamEvent.Disposal)
        {
            (received, depth, terminal) = ([], buffer.Count, Terminal.Stopped);
        }
        else if (endedByOverflow)
        {
            terminal = Terminal.FaultedByOverflow;
        }
        else if (row.Event == StreamEvent.Fault && traits.DiscardsBufferedOnFault)
        {
            rejected += buffer.Count;
            (received, terminal) = ([], Terminal.Faulted);
        }
        else
        {
            terminal = row.Event switch
            {
                StreamEvent.Completion => Terminal.Completed,
                StreamEvent.Fault => Terminal.Faulted,
                _ => Terminal.Open,
            };
        }

        delivered += received.Count;
        return new Observation(
            atStart,
            afterEvent,
            received,
            terminal,
            new StreamMetricsSnapshot(pushed, delivered, dropOldest, degraded, paused, overflows, rejected, depth));
    }
}

/// <summary>
/// The PauseUpstream timeout, in virtual time: a push parked on a full buffer is still pending one tick before its
/// timeout and is rejected as an overflow at it (counted as pushed and rejected, as every wait a stream gives up).
/// </summary>
public static class PauseTimeoutTable
{
    /// <summary>The timeout every surface is configured with; only a virtual clock ever reaches it.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// What a surface must do: <see cref="Observation.AtStart"/> is the push one tick before the timeout,
    /// <see cref="Observation.AfterEvent"/> at it; then the consumer takes 1..C.
    /// </summary>
    public static Observation Expect(int capacity, SurfaceTraits traits) => new(
        PartyResult.Pending,
        new PartyResult(PartyOutcome.Overflow),
        Enumerable.Range(1, capacity).ToList(),
        traits.OverflowEndsTheStream ? Terminal.FaultedByOverflow : Terminal.Open,
        new StreamMetricsSnapshot(ItemsPushed: capacity + 2, ItemsDelivered: capacity + 1, 0, 0, PauseUpstreamBlocks: 1, 0, ItemsRejected: 1, Depth: 0));
}

/// <summary>
/// The table as tests: a surface's test class derives from this and names its adapter. A row the surface cannot
/// express is asserted as not applicable, with the adapter's reason, never skipped.
/// </summary>
public abstract class ConformanceSuite
{
    /// <summary>The surface under test.</summary>
    protected abstract IConformanceSurface Surface { get; }

    [Theory]
    [MemberData(nameof(ConformanceTable.Rows), MemberType = typeof(ConformanceTable))]
    public async Task Row(BackpressurePolicy policy, BufferState state, StreamEvent @event, Party party)
    {
        var surface = Surface;
        var scenario = new Scenario(policy, state, @event, party);
        if (surface.NotApplicable(scenario) is { } reason)
        {
            Assert.False(string.IsNullOrWhiteSpace(reason), $"{surface.Name} declines {scenario} without saying why.");
            return;
        }

        var expected = ConformanceTable.Expect(scenario, surface.Capacity, surface.Traits);
        var observed = await surface.RunAsync(scenario);
        if (observed.Metrics is null)
        {
            // A platform twin, run to prove the outcomes are its own: it keeps no counters.
            expected = expected with { Metrics = null };
        }

        AssertMatches(surface, scenario.ToString(), expected, observed);
    }

    [Fact]
    public async Task PauseUpstream_timeout_in_virtual_time()
    {
        var surface = Surface;
        if (surface.NoPauseTimeout is { } reason)
        {
            Assert.False(string.IsNullOrWhiteSpace(reason), $"{surface.Name} declines the timeout without saying why.");
            return;
        }

        var expected = PauseTimeoutTable.Expect(surface.Capacity, surface.Traits);
        var observed = await surface.RunPauseTimeoutAsync(PauseTimeoutTable.Timeout);

        AssertMatches(surface, "PauseUpstream × Full × timeout × pending Writer", expected, observed);
    }

    [Fact]
    public async Task PauseUpstream_zero_timeout_rejects_the_push_into_a_full_buffer_at_once()
    {
        var surface = Surface;
        if (surface.NoPauseTimeout is { } reason)
        {
            Assert.False(string.IsNullOrWhiteSpace(reason), $"{surface.Name} declines the timeout without saying why.");
            return;
        }

        // A zero timeout is a wait that ends as it starts: the same counts and end as a timeout that expired, at once.
        var expected = PauseTimeoutTable.Expect(surface.Capacity, surface.Traits) with { AtStart = new PartyResult(PartyOutcome.Overflow) };
        var observed = await surface.RunPauseTimeoutAsync(TimeSpan.Zero);

        AssertMatches(surface, "PauseUpstream × Full × zero timeout × Writer", expected, observed);
    }

    private static void AssertMatches(IConformanceSurface surface, string row, Observation expected, Observation observed)
    {
        var detail = observed.Detail is null ? string.Empty : $"\n({observed.Detail})";
        Assert.True(
            expected.Render() == observed.Render(),
            $"{surface.Name}, {row}\nexpected:\n{expected.Render()}\nobserved:\n{observed.Render()}{detail}");
    }
}
