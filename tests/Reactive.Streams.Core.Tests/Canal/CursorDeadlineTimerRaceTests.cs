using Reactive.Streams.Tests.Support;

namespace Reactive.Streams.Tests.Canal;

/// <summary>
/// Issue 18's lost deadline ("a timer that fires between arming and parking appears to be lost") tried on the durable
/// side: the in-memory log's tail and the cursor canal on top of it, on a clock whose every timer fires synchronously as
/// it is armed, before anything can park. A lost wake parks the call until a frame comes, which never happens.
/// </summary>
public sealed class CursorDeadlineTimerRaceTests
{
    // A failure guard against hangs; never a bound on how long correct code takes.
    private static readonly TimeSpan Guard = TimeSpan.FromMinutes(1);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_tail_whose_block_timer_fires_while_it_is_armed_still_returns_empty(bool cancellableToken)
    {
        var clock = new FiresOnArmingClock();
        await using var log = new InMemoryStreamLog(new StreamLogOptions { TimeProvider = clock });
        using var cancel = new CancellationTokenSource();
        var token = cancellableToken ? cancel.Token : CancellationToken.None;
        await log.AppendAsync("orders", "only", AppendMode.Durable);
        var last = (await log.ReadAsync("orders", StreamId.Min, StreamId.Max, 1))[0].Id;

        for (var i = 0; i < 100; i++)
        {
            var visibility = i % 2 == 0 ? TailVisibility.All : TailVisibility.ExcludeBestEffort;
            var frames = await log.TailAsync("orders", last, TimeSpan.FromMilliseconds(1 + i), 10, visibility, token).AsTask().WaitAsync(Guard);
            Assert.Empty(frames);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_cursor_pull_whose_deadline_timer_fires_while_it_is_armed_still_returns_Empty_and_loses_nothing(bool cancellableToken)
    {
        var clock = new FiresOnArmingClock();
        await using var log = new InMemoryStreamLog(new StreamLogOptions { TimeProvider = clock });
        await using var canal = await CursorCanal.OpenAsync(log, "orders", new CursorCanalOptions { CheckpointId = "race", TimeProvider = clock });
        using var cancel = new CancellationTokenSource();
        var token = cancellableToken ? cancel.Token : CancellationToken.None;

        for (var i = 0; i < 100; i++)
        {
            // With a linger too: its fill-time wait is another timer armed after the first frame was taken.
            var linger = i % 2 == 0 ? CanalLinger.None : new CanalLinger(5, TimeSpan.FromMilliseconds(1));
            var empty = await canal.PullBatchAsync(4, TimeSpan.FromMilliseconds(1 + i), linger, token).AsTask().WaitAsync(Guard);
            Assert.True(empty.IsEmpty);

            var appended = await log.AppendAsync("orders", $"f{i}", AppendMode.Durable);
            var one = await canal.PullBatchAsync(4, TimeSpan.FromMilliseconds(1 + i), linger, token).AsTask().WaitAsync(Guard);
            Assert.Equal(appended.Id, Assert.Single(one.ToArray()).Id);
            await canal.CommitAsync(one.Last, token);
        }

        Assert.Equal(100, (await log.ReadAsync("orders", StreamId.Min, StreamId.Max, 1000)).Count);
        Assert.Equal(canal.ReadPosition, await log.ReadCheckpointAsync("race"));
    }
}
