namespace Reactive.Streams.Internal;

/// <summary>
/// The thread running an owner's call into user code (a handler, a sink's write, an acknowledgement), recorded from just
/// before the call until it returns (its synchronous part). Code that call resumes synchronously, the continuation of a
/// task completed without <see cref="TaskCreationOptions.RunContinuationsAsynchronously"/>, runs in its awaiter's
/// execution context, where the owner's <see cref="AsyncLocal{T}"/> "inside" marker is not set, yet on this thread, above
/// the owner's loop on its stack: a disposal (or a producer) there must not block waiting for that loop.
/// </summary>
/// <remarks>
/// Kept in a field of the owner (never copied). One loop calls out at a time, so plain writes suffice; only the calling
/// thread itself can match its own id, so a stale read never answers true for another thread.
/// </remarks>
internal struct CallOutThread
{
    private int _threadId;

    /// <summary>Marks the calling thread as calling out; call <see cref="Exit"/> in a <c>finally</c>.</summary>
    public void Enter() => _threadId = Environment.CurrentManagedThreadId;

    /// <summary>Marks the end of the call out.</summary>
    public void Exit() => _threadId = 0;

    /// <summary>Whether the calling thread is the one calling out (so the owner's loop is below it on its stack).</summary>
    public bool IsCurrentThread => Volatile.Read(ref _threadId) == Environment.CurrentManagedThreadId;
}
