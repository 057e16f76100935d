namespace Reactive.Streams;

/// <summary>
/// One dispatched item as it sits in every sink's queue: the item, its acknowledgement and the join that fires the
/// acknowledgement when the last holder releases it. This is the one allocation per dispatched item.
/// </summary>
/// <remarks>
/// The join counts one hold per sink that is not best-effort, plus one for the dispatch itself, released when the
/// item is in every queue. The dispatch's hold means an acknowledgement never fires before the fan-out finished, and
/// a dispatch that failed half-way (shutdown, cancellation) keeps its hold, so its item is never acknowledged.
/// </remarks>
internal class DeliveryEnvelope<T>
{
    private int _holds;

    public DeliveryEnvelope(T item, IAckToken? ack, int holds, long? dispatchedAt)
    {
        Item = item;
        Ack = ack;
        _holds = holds;
        IsTimed = dispatchedAt.HasValue;
        DispatchedAt = dispatchedAt.GetValueOrDefault();
    }

    public T Item { get; }

    public IAckToken? Ack { get; }

    /// <summary>The dispatcher's <see cref="TimeProvider.GetTimestamp"/> at dispatch, for ack latency; meaningful only when <see cref="IsTimed"/>.</summary>
    public long DispatchedAt { get; }

    /// <summary>
    /// Whether the dispatch read the clock (someone listened to the ack duration then). A flag, not a sentinel timestamp:
    /// 0 is a valid timestamp (a virtual clock that starts at 0).
    /// </summary>
    public bool IsTimed { get; }

    /// <summary>Releases one hold; true for the caller that released the last one, which fires the acknowledgement.</summary>
    public bool Release() => Interlocked.Decrement(ref _holds) == 0;
}

/// <summary>
/// An envelope dispatched while tracing: it carries the dispatch span, whose context parents each sink's write span.
/// A subclass, so envelopes dispatched with nobody listening carry nothing more.
/// </summary>
internal sealed class TracedDeliveryEnvelope<T>(T item, IAckToken? ack, int holds, long? dispatchedAt, System.Diagnostics.Activity dispatch)
    : DeliveryEnvelope<T>(item, ack, holds, dispatchedAt)
{
    public System.Diagnostics.Activity Dispatch { get; } = dispatch;
}
