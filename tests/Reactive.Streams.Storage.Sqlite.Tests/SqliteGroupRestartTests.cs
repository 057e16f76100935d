using System.Text;
using Reactive.Streams.Storage.Tests;

namespace Reactive.Streams.Storage.Sqlite.Tests;

/// <summary>
/// Consumer groups across restarts of the process (the file closed and opened again) and between two processes on one
/// file (two logs that neither wake nor are woken by each other), on the virtual clock.
/// </summary>
public sealed class SqliteGroupRestartTests : IAsyncLifetime
{
    private static readonly TimeSpan Guard = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan ClaimTimeout = TimeSpan.FromSeconds(10);
    private readonly string _directory = Directory.CreateTempSubdirectory("rs-sqlite-group-restart-").FullName;
    private readonly List<IAsyncDisposable> _opened = [];
    private readonly TestClock _clock = new();

    private string DatabasePath => Path.Combine(_directory, "log.db");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        for (var i = _opened.Count - 1; i >= 0; i--)
        {
            await _opened[i].DisposeAsync();
        }

        Directory.Delete(_directory, recursive: true);
    }

    private async Task<SqliteStreamLog> OpenAsync(bool asAnotherProcess = false)
    {
        var log = await SqliteStreamLog.OpenAsync(DatabasePath, new SqliteStreamLogOptions
        {
            TimeProvider = _clock,
            PollInterval = TimeSpan.FromMilliseconds(100),
            MaxPollInterval = TimeSpan.FromMilliseconds(100),
            IsolateFromProcess = asAnotherProcess,
        });
        _opened.Add(log);
        return log;
    }

    private async Task<ConsumerGroupCanal> OpenCanalAsync(IConsumerGroupLog log, string consumer, int maxDeliveries = 10)
    {
        var canal = await ConsumerGroupCanal.OpenAsync(log, "s", "g", consumer, new ConsumerGroupCanalOptions
        {
            ClaimTimeout = ClaimTimeout, MaxDeliveries = maxDeliveries, DeadLetterStream = "dl", TimeProvider = _clock,
        });
        _opened.Add(canal);
        return canal;
    }

    private static async Task<StreamId[]> AppendAsync(IStreamLog log, int count)
    {
        var ids = new StreamId[count];
        for (var i = 0; i < count; i++)
        {
            ids[i] = (await log.AppendAsync("s", Encoding.UTF8.GetBytes($"f{i}"), AppendMode.Durable)).Id;
        }

        return ids;
    }

    [Fact]
    public async Task Holders_delivery_counts_and_the_cursor_survive_reopening_and_a_restarted_member_parks_exactly_past_the_most_deliveries()
    {
        // First run: three frames handed out, one acknowledged, then the process ends.
        var first = await OpenAsync();
        var ids = await AppendAsync(first, 3);
        var canal = await OpenCanalAsync(first, "a", maxDeliveries: 2);
        var batch = await canal.PullBatchAsync(10, TimeSpan.Zero);
        await canal.CommitAsync(batch[0]);
        await canal.DisposeAsync();
        await first.DisposeAsync();

        // The file opened again: the group is as the first run left it, on the log's clock.
        var second = await OpenAsync();
        var info = await second.ReadGroupAsync("s", "g");
        Assert.Equal((ids[2], 2L, 0L), (info!.LastDeliveredId, info.PendingCount, info.Lag));
        Assert.Equal(new[] { ("a", 2L) }, info.Members.Select(m => (m.Name, m.PendingCount)));
        Assert.Equal(new[] { (ids[1], "a", 1L), (ids[2], "a", 1L) }, (await second.ReadPendingAsync("s", "g", null, 10)).Select(p => (p.Id, p.Consumer, p.DeliveryCount)));
        Assert.Empty((await second.ClaimAsync("s", "g", "b", 10, ClaimTimeout)).Frames);

        // Second run of "a": its frames back at once, delivery 2 (the most allowed); not acknowledged either.
        canal = await OpenCanalAsync(second, "a", maxDeliveries: 2);
        batch = await canal.PullBatchAsync(10, TimeSpan.Zero);
        Assert.Equal(ids[1..], batch.Select(f => f.Id));
        Assert.Equal(new[] { 2L, 2L }, batch.Select(canal.DeliveryCountOf));
        await canal.DisposeAsync();
        await second.DisposeAsync();

        // Third run: delivery 3 would pass the most deliveries, so both are parked, not returned.
        var third = await OpenAsync();
        canal = await OpenCanalAsync(third, "a", maxDeliveries: 2);
        Assert.True((await canal.PullBatchAsync(10, TimeSpan.Zero)).IsEmpty);
        var parked = await third.ReadAsync("dl", StreamId.Min, StreamId.Max, 10);
        Assert.Equal(new[] { "f1", "f2" }, parked.Select(f => Encoding.UTF8.GetString(f.Payload.Span)));
        Assert.All(parked, f => Assert.Equal("3", f.Headers[FrameHeaders.DeliveryCount]));
        Assert.Empty(await third.ReadPendingAsync("s", "g", null, 10));
    }

    [Fact]
    public async Task A_frame_held_when_the_process_ended_is_reclaimed_by_another_member_once_the_claim_timeout_passes_with_its_count_raised()
    {
        var first = await OpenAsync();
        var ids = await AppendAsync(first, 2);
        await first.CreateGroupAsync("s", "g", ConsumerGroupStart.Beginning);
        await first.ClaimAsync("s", "g", "a", 10, ClaimTimeout);
        await first.ClaimOwnPendingAsync("s", "g", "a", StreamId.Min, 10);
        await first.DisposeAsync();

        var second = await OpenAsync();
        _clock.Advance(ClaimTimeout - TimeSpan.FromMilliseconds(1));
        Assert.Empty((await second.ClaimAsync("s", "g", "b", 10, ClaimTimeout)).Frames);
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        var reclaimed = await second.ClaimAsync("s", "g", "b", 10, ClaimTimeout);

        Assert.Equal(ids, reclaimed.Frames.Select(f => f.Frame.Id));
        Assert.All(reclaimed.Frames, f => Assert.Equal(3, f.DeliveryCount));
        Assert.Equal(new[] { ("a", 0L), ("b", 2L) }, (await second.ReadGroupAsync("s", "g"))!.Members.Select(m => (m.Name, m.PendingCount)));
    }

    [Fact]
    public async Task Members_in_two_processes_share_one_file_a_parked_one_finds_the_other_s_appends_by_polling()
    {
        var here = await OpenAsync(asAnotherProcess: true);
        var there = await OpenAsync(asAnotherProcess: true);
        var a = await OpenCanalAsync(here, "a");
        var b = await OpenCanalAsync(there, "b");
        var timers = _clock.TimersCreated;

        var pull = a.PullBatchAsync(10, TimeSpan.FromMinutes(1)).AsTask();
        await Task.WhenAny(pull, _clock.WaitForTimersAsync(timers + 1));
        Assert.False(pull.IsCompleted);
        var ids = await AppendAsync(there, 1);
        for (var i = 0; i < 20 && !pull.IsCompleted; i++)
        {
            var before = _clock.TimersCreated;
            _clock.Advance(TimeSpan.FromMilliseconds(100));
            await Task.WhenAny(pull, _clock.WaitForTimersAsync(before + 1));
        }

        var batch = await pull.WaitAsync(Guard);
        Assert.Equal(ids, batch.Select(f => f.Id));
        Assert.True((await b.PullBatchAsync(10, TimeSpan.Zero)).IsEmpty);

        // The other process's member takes the frame over once a's claim runs out; a's late commit still counts.
        _clock.Advance(ClaimTimeout);
        var taken = await b.PullBatchAsync(10, TimeSpan.Zero);
        Assert.Equal(ids, taken.Select(f => f.Id));
        Assert.Equal(2, b.DeliveryCountOf(taken[0]));
        await a.CommitAsync(batch[0]);
        Assert.Empty(await there.ReadPendingAsync("s", "g", null, 10));
        await b.CommitAsync(taken[0]);
        Assert.Equal(0, b.Unacknowledged);
    }
}
