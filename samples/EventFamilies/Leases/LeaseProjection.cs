using Reactive.Streams;

namespace EventFamilies.Leases;

/// <summary>
/// Keeps who holds each execution's lease. History must not be lost, so a full buffer pauses the producer
/// instead of dropping anything.
/// </summary>
[StreamSink(typeof(LeaseHistoryEvent))]
[Backpressure(BackpressurePolicy.PauseUpstream, Capacity = 64)]
public sealed partial class LeaseProjection
{
    private readonly Dictionary<string, string> _holders = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, string> Holders => _holders;

    public int UnknownSeen { get; private set; }

    public void OnAcquired(LeaseHistoryEvent.Acquired item) => _holders[item.ExecutionId] = item.Holder;

    public void OnRenewed(LeaseHistoryEvent.Renewed item)
    {
    }

    public void OnExpired(LeaseHistoryEvent.Expired item) => _holders.Remove(item.ExecutionId);

    public void OnReclaimed(LeaseHistoryEvent.Reclaimed item) => _holders[item.ExecutionId] = item.NewHolder;

    public async ValueTask OnRevoked(LeaseHistoryEvent.Revoked item, CancellationToken cancellationToken)
    {
        // An asynchronous handler: the pump awaits it before the next event.
        await Task.Yield();
        _holders.Remove(item.ExecutionId);
    }

    /// <summary>A newer producer's variant: counted, not fatal.</summary>
    public void OnUnknown(LeaseHistoryEvent.Unknown item) => UnknownSeen++;
}
