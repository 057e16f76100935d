using Reactive.Streams;

namespace EventFamilies.Completion;

/// <summary>Counts outcomes. A tally that cannot keep up is a bug, so overflow fails loudly.</summary>
[StreamSink(typeof(CompletionOutcome))]
[Backpressure(BackpressurePolicy.Fail, Capacity = 128)]
public sealed partial class OutcomeTally
{
    private readonly Dictionary<string, int> _counts = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, int> Counts => _counts;

    public void OnSuccess(CompletionOutcome.Success item) => Count(item);

    public void OnFailure(CompletionOutcome.Failure item) => Count(item);

    public void OnCancelled(CompletionOutcome.Cancelled item) => Count(item);

    public void OnOther(CompletionOutcome.Other item) => Count(item);

    private void Count(CompletionOutcome outcome) => _counts[outcome.ToWire()] = _counts.GetValueOrDefault(outcome.ToWire()) + 1;
}
