using System.Collections.Concurrent;

namespace Reactive.Streams;

/// <summary>
/// Wakes parked tails. A tail takes the stream's signal before it queries and waits on it after an empty result,
/// so an append that commits between the query and the wait still wakes it (no lost wake-up). A signal is a
/// one-shot task replaced on every append; entries exist only while someone has taken a signal that has not fired.
/// </summary>
internal sealed class TailNotifier
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _signals = new(StringComparer.Ordinal);

    public Task GetSignal(string stream) =>
        _signals.GetOrAdd(stream, static _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    public void Signal(string stream)
    {
        if (_signals.TryRemove(stream, out var signal))
        {
            signal.TrySetResult();
        }
    }

    public void SignalAll()
    {
        foreach (var stream in _signals.Keys)
        {
            Signal(stream);
        }
    }

    public int PendingSignals => _signals.Count;
}
