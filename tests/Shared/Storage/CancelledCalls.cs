namespace Reactive.Streams.Storage.Tests;

/// <summary>The check the cancelled-token conformance cases share.</summary>
internal static class CancelledCalls
{
    /// <summary>
    /// Each call, made with a token already cancelled, returns a task (it does not throw at the call) that ends
    /// cancelled, as <c>ChannelReader.ReadAsync</c> and <c>Stream.ReadAsync</c> do.
    /// </summary>
    public static async Task AssertEachIsCancelledAsync(IEnumerable<(string Name, Func<Task> Call)> calls, TimeSpan guard)
    {
        foreach (var (name, call) in calls)
        {
            Task? task = null;
            var atCall = Record.Exception(() => { task = call(); });
            Assert.True(atCall is null, $"{name} threw at the call: {atCall}");
            var e = await Record.ExceptionAsync(() => task!.WaitAsync(guard));
            Assert.True(e is OperationCanceledException, $"{name}: {e?.ToString() ?? "no exception"}");
            Assert.True(task!.IsCanceled, $"{name}: the task is {task.Status}, not Canceled");
        }
    }
}
