using Reactive.Streams;

namespace EventFamilies.Signals;

/// <summary>What delivering a signal did: satisfied a waiter, was buffered for later, or was a duplicate.</summary>
[EventUnion]
public abstract partial record SignalEffect
{
    public sealed record Satisfied : SignalEffect;

    public sealed record Buffered : SignalEffect;

    public sealed record Deduped : SignalEffect;
}
