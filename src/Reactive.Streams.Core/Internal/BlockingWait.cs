using System.Runtime.CompilerServices;

namespace Reactive.Streams.Internal;

/// <summary>
/// The engine's one synchronous adapter over its asynchronous waits: a synchronous producer (an observer's
/// <c>OnNext</c> under PauseUpstream) blocks on the same wait an async push awaits, with the same timeout, cancellation
/// and counting. The waiter it blocks on continues inline (<see cref="AsyncWaiter{T}.ContinueInline"/>), so the reader
/// that makes room wakes the producer directly, with no thread-pool hop.
/// </summary>
internal static class BlockingWait
{
    [ThreadStatic]
    private static Blocker? t_blocker;

    /// <summary>Blocks until <paramref name="pending"/> completes, then returns or throws its error.</summary>
    public static void Wait(ValueTask pending)
    {
        if (!pending.IsCompleted)
        {
            Block(pending.ConfigureAwait(false).GetAwaiter());
        }

        pending.GetAwaiter().GetResult();
    }

    /// <summary>Blocks until <paramref name="pending"/> completes, then returns its result or throws its error.</summary>
    public static bool Wait(ValueTask<bool> pending)
    {
        if (!pending.IsCompleted)
        {
            Block(pending.ConfigureAwait(false).GetAwaiter());
        }

        return pending.GetAwaiter().GetResult();
    }

    // ConfigureAwait(false): no scheduling context is captured, so the continuation runs on the completing thread even
    // when this thread has a synchronization context (which it is about to block).
    private static void Block<TAwaiter>(TAwaiter awaiter)
        where TAwaiter : ICriticalNotifyCompletion
    {
        var blocker = t_blocker ??= new Blocker();
        blocker.Event.Reset();
        awaiter.UnsafeOnCompleted(blocker.Set);
        blocker.Event.Wait();
    }

    /// <summary>One per thread: a thread blocks on one wait at a time.</summary>
    private sealed class Blocker
    {
        public Blocker()
        {
            Set = Event.Set;
        }

        public ManualResetEventSlim Event { get; } = new(false);

        public Action Set { get; }
    }
}
