namespace Reactive.Streams.Storage.Tests;

/// <summary>
/// The <see cref="ObjectDisposedException"/> of a call the disposal ended while it waited names the log as the one of a
/// call made after the disposal does (and as <c>ObjectDisposedException.ThrowIf</c> names any object): by its type's
/// full name. Code that tells its own log's disposal from another object's by <see cref="ObjectDisposedException.ObjectName"/>
/// (as <c>CanalWorker</c> tells its canal's) must not see two names for one log depending on when the disposal came.
/// </summary>
public abstract partial class StreamLogConformanceTests
{
    [Fact]
    public async Task A_tail_ended_by_disposal_names_the_log_as_a_call_after_disposal_does()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var first = await log.AppendAsync(stream, "a", AppendMode.Durable);
        var timers = Clock.TimersCreated;
        var tail = log.TailAsync(stream, first.Id, TimeSpan.FromMinutes(10), 10).AsTask();
        await Clock.WaitForTimersAsync(timers + 1);
        var forever = log.TailAllAsync(stream, first.Id).GetAsyncEnumerator();
        var next = forever.MoveNextAsync().AsTask();

        await log.DisposeAsync().AsTask().WaitAsync(Guard);

        var name = log.GetType().FullName;
        var after = await Assert.ThrowsAsync<ObjectDisposedException>(() => log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10).AsTask());
        Assert.Equal(name, after.ObjectName);
        Assert.Equal(name, (await Assert.ThrowsAsync<ObjectDisposedException>(() => tail.WaitAsync(Guard))).ObjectName);
        Assert.Equal(name, (await Assert.ThrowsAsync<ObjectDisposedException>(() => next.WaitAsync(Guard))).ObjectName);
        await forever.DisposeAsync();
    }
}
