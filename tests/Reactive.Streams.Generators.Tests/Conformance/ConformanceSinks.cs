using System.Collections.Concurrent;

namespace Reactive.Streams.Generators.Tests.Conformance;

/// <summary>The conformance table's items as a one-variant union, so a generated sink can carry them.</summary>
[EventUnion]
public abstract partial record TableEvent
{
    public sealed record Item(int Value) : TableEvent;
}

/// <summary>
/// The handler every policy's sink shares: it records each value and holds 0 until <see cref="Release"/>, so the
/// buffer behind it fills deterministically, as the table's protocol requires.
/// </summary>
public abstract class HoldingTableSink
{
    public ConcurrentQueue<int> Handled { get; } = new();

    public TaskCompletionSource Holding { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async ValueTask OnItem(TableEvent.Item item)
    {
        Handled.Enqueue(item.Value);
        if (item.Value == 0)
        {
            Holding.TrySetResult();
            await Release.Task; // ignores disposal on purpose: the row decides when 0 is done
        }
    }
}

[StreamSink(typeof(TableEvent))]
[Backpressure(BackpressurePolicy.DropOldest, Capacity = 2)]
public sealed partial class DropOldestTableSink : HoldingTableSink;

[StreamSink(typeof(TableEvent))]
[Backpressure(BackpressurePolicy.DegradeQuality, Capacity = 2, Degrader = nameof(Degrade))]
public sealed partial class DegradeQualityTableSink : HoldingTableSink
{
    private static TableEvent Degrade(TableEvent item) => item is TableEvent.Item value ? value with { Value = -value.Value } : item;
}

[StreamSink(typeof(TableEvent))]
[Backpressure(BackpressurePolicy.PauseUpstream, Capacity = 2)]
public sealed partial class PauseUpstreamTableSink : HoldingTableSink;

[StreamSink(typeof(TableEvent))]
[Backpressure(BackpressurePolicy.Fail, Capacity = 2)]
public sealed partial class FailTableSink : HoldingTableSink;
