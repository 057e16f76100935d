using Reactive.Streams;

namespace EventFamilies.Signals;

/// <summary>A live view of signal effects: only the latest matter, so the oldest are dropped when it falls behind.</summary>
[StreamSink(typeof(SignalEffect))]
[Backpressure(BackpressurePolicy.DropOldest, Capacity = 16)]
public sealed partial class SignalDashboard
{
    public int Satisfied { get; private set; }

    public int Buffered { get; private set; }

    public int Deduped { get; private set; }

    public List<string> Others { get; } = new();

    public void OnSatisfied(SignalEffect.Satisfied item) => Satisfied++;

    public void OnBuffered(SignalEffect.Buffered item) => Buffered++;

    public void OnDeduped(SignalEffect.Deduped item) => Deduped++;

    public void OnOther(SignalEffect.Other item) => Others.Add(item.RawValue);
}
