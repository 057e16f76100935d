namespace Reactive.Streams.Tests.Support;

/// <summary>What a completed task ended with, for tests that compare two implementations' tasks.</summary>
internal static class TaskOutcome
{
    /// <summary>The exception <paramref name="task"/> throws when awaited (unwrapped, as <c>await</c> sees it), or null if it succeeded.</summary>
    public static Exception? ExceptionOf(Task task)
    {
        try
        {
            task.GetAwaiter().GetResult();
            return null;
        }
        catch (Exception error)
        {
            return error;
        }
    }
}
