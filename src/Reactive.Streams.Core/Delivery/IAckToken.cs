namespace Reactive.Streams;

/// <summary>
/// The acknowledgement attached to one dispatched item. <see cref="DeliveryDispatcher{T}"/> calls
/// <see cref="Acknowledge"/> exactly once per dispatch, and only after every sink that is not best-effort has committed
/// the item (delivered it, dead-lettered it, or dropped it under <see cref="OnFull.Drop"/>). It is never called for an
/// item that did not reach that point (a dispatch rejected by shutdown or cancelled, an item still queued or in flight
/// when <see cref="DeliveryDispatcher{T}.ShutdownAsync"/> gave up draining), so the source redelivers it.
/// </summary>
/// <remarks>
/// The call runs on the thread that released the item's last hold, never under a lock: a sink's worker, or the
/// dispatching thread, inside <see cref="DeliveryDispatcher{T}.DispatchAsync"/>, when every sink that holds
/// acknowledgements was done with the item before the fan-out finished (there is none, each dropped it under
/// <see cref="OnFull.Drop"/>, or a fast worker committed it first). It should be quick, and must not wait for
/// anything the dispatching caller holds. An exception it throws is logged and swallowed. Implementing this
/// interface on an object the caller already has per item (the item itself, a log position) costs no allocation;
/// <see cref="AckCompletionSource"/> is a ready-made token with a <see cref="Task"/>.
/// </remarks>
public interface IAckToken
{
    /// <summary>Called once, when the item is committed by every sink that holds acknowledgements.</summary>
    void Acknowledge();
}

/// <summary>An <see cref="IAckToken"/> whose <see cref="Task"/> completes when the item is acknowledged.</summary>
public sealed class AckCompletionSource : IAckToken
{
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the item is acknowledged; never faults. Stays incomplete if the item is never acknowledged.</summary>
    public Task Task => _completion.Task;

    /// <summary>Whether the item was acknowledged.</summary>
    public bool IsAcknowledged => _completion.Task.IsCompleted;

    /// <inheritdoc />
    public void Acknowledge() => _completion.TrySetResult();
}
