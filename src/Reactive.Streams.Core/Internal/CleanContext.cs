namespace Reactive.Streams.Internal;

/// <summary>
/// Starts a long-lived worker loop on the thread pool without the creator's execution context. <c>Task.Run</c> flows it,
/// so every <see cref="AsyncLocal{T}"/> value set where the worker was created (a logging scope, a request's context,
/// another owner's "inside its worker" marker) would hold in the worker, and in the user code it calls, for its whole
/// life: a canal worker started from a dispatcher's sink write would pass for that dispatcher's worker, and a dispatcher
/// created in a canal handler would have workers that pass for that handler.
/// </summary>
internal static class CleanContext
{
    /// <summary>Runs <paramref name="loop"/> on the thread pool in the default execution context.</summary>
    /// <param name="loop">The worker's loop.</param>
    /// <returns>The task <c>Task.Run</c> returns.</returns>
    public static Task Run(Func<Task> loop)
    {
        if (ExecutionContext.IsFlowSuppressed())
        {
            // Already suppressed by the caller (SuppressFlow would throw): nothing flows.
            return Task.Run(loop, CancellationToken.None);
        }

        using (ExecutionContext.SuppressFlow())
        {
            return Task.Run(loop, CancellationToken.None);
        }
    }
}
