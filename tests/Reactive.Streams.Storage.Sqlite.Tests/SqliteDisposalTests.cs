using System.Text;
using Microsoft.Data.Sqlite;
using Reactive.Streams.Storage.Tests;

namespace Reactive.Streams.Storage.Sqlite.Tests;

/// <summary>
/// Disposal while writes are pending, and a second log instance on the same file: a write either happened entirely
/// (it returned) or not at all (it threw), and what the file holds says which.
/// </summary>
public sealed class SqliteDisposalTests : IDisposable
{
    // A failure guard against hangs; never a bound on how long correct code takes.
    private static readonly TimeSpan Guard = TimeSpan.FromMinutes(1);

    private readonly string _directory = Directory.CreateTempSubdirectory("rs-sqlite-dispose-").FullName;

    private string DatabasePath => Path.Combine(_directory, "log.db");

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private async Task<SqliteConnection> HoldWriteLockAsync()
    {
        var holder = new SqliteConnection($"Data Source={DatabasePath};Pooling=False");
        await holder.OpenAsync();
        using var begin = holder.CreateCommand();
        begin.CommandText = "BEGIN IMMEDIATE";
        await begin.ExecuteNonQueryAsync();
        return holder;
    }

    [Fact]
    public async Task Disposal_ends_a_write_waiting_for_another_connections_lock_and_the_queued_writes_all_having_written_nothing()
    {
        var clock = new TestClock();
        var busyClock = new TestClock();
        var log = await SqliteStreamLog.OpenAsync(DatabasePath, new SqliteStreamLogOptions
        {
            TimeProvider = clock, BusyTimeout = TimeSpan.FromSeconds(10), BusyTimeProvider = busyClock,
        });
        await log.AppendAsync("s", "a", AppendMode.Durable);
        await using var holder = await HoldWriteLockAsync();
        var waiting = log.AppendAsync("s", "waiting", AppendMode.Durable).AsTask();
        await busyClock.WaitForTimersAsync(1);
        var queued = log.AppendBatchAsync("s", [Encoding.UTF8.GetBytes("q1"), Encoding.UTF8.GetBytes("q2")], AppendMode.Durable).AsTask();
        var checkpoint = log.WriteCheckpointAsync("reader", new StreamId(1, 0)).AsTask();

        // Neither the other connection's lock nor the busy timeout holds disposal up.
        await log.DisposeAsync().AsTask().WaitAsync(Guard);

        // Each names the log as a call after the disposal does (ObjectDisposedException.ThrowIf: the type's full name).
        var name = typeof(SqliteStreamLog).FullName;
        Assert.Equal(name, (await Assert.ThrowsAsync<ObjectDisposedException>(() => waiting.WaitAsync(Guard))).ObjectName);
        Assert.Equal(name, (await Assert.ThrowsAsync<ObjectDisposedException>(() => queued.WaitAsync(Guard))).ObjectName);
        Assert.Equal(name, (await Assert.ThrowsAsync<ObjectDisposedException>(() => checkpoint.WaitAsync(Guard))).ObjectName);
        Assert.Equal(name, (await Assert.ThrowsAsync<ObjectDisposedException>(() => log.AppendAsync("s", "after", AppendMode.Durable).AsTask())).ObjectName);
        await holder.DisposeAsync();
        await using var reopened = await SqliteStreamLog.OpenAsync(DatabasePath, new SqliteStreamLogOptions { TimeProvider = clock });
        Assert.Equal(["a"], (await reopened.ReadAsync("s", StreamId.Min, StreamId.Max, 10)).Select(f => Encoding.UTF8.GetString(f.Payload.Span)));
        Assert.Null(await reopened.ReadCheckpointAsync("reader"));
        Assert.Equal(2, (await reopened.AppendAsync("s", "next", AppendMode.Durable)).FrameCount);
    }

    [Fact]
    public async Task A_write_cancelled_while_waiting_for_the_lock_writes_nothing_and_the_next_write_goes_through()
    {
        var clock = new TestClock();
        var busyClock = new TestClock();
        await using var log = await SqliteStreamLog.OpenAsync(DatabasePath, new SqliteStreamLogOptions
        {
            TimeProvider = clock, BusyTimeout = TimeSpan.FromSeconds(10), BusyTimeProvider = busyClock,
        });
        await log.AppendAsync("s", """{"n":1}""", AppendMode.DurableSummary);
        await log.CreateGroupAsync("s", "g", ConsumerGroupStart.Beginning);
        var holder = await HoldWriteLockAsync();
        using var cancel = new CancellationTokenSource();
        var writes = new List<Task>
        {
            log.AppendAsync("s", "d", AppendMode.Durable, cancel.Token).AsTask(),
            log.AppendAsync("s", """{"n":2}""", AppendMode.DurableSummary, cancel.Token).AsTask(),
            log.AppendBatchAsync("s", [Encoding.UTF8.GetBytes("b")], AppendMode.BestEffortLive, cancel.Token).AsTask(),
            log.WriteCheckpointAsync("reader", new StreamId(1, 0), cancel.Token).AsTask(),
            log.ClaimAsync("s", "g", "a", 10, TimeSpan.FromSeconds(10), cancel.Token).AsTask(),
            log.CreateGroupAsync("s", "h", ConsumerGroupStart.Beginning, cancel.Token).AsTask(),
        };
        await busyClock.WaitForTimersAsync(1);

        await cancel.CancelAsync();

        foreach (var write in writes)
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => write.WaitAsync(Guard));
        }

        await holder.DisposeAsync();
        var next = await log.AppendAsync("s", "after", AppendMode.Durable).AsTask().WaitAsync(Guard);
        Assert.Equal(2, next.FrameCount);
        Assert.Equal(1, next.SummaryVersion);
        Assert.Null(await log.ReadCheckpointAsync("reader"));
        Assert.Empty(await log.ReadPendingAsync("s", "g", null, 10));
        Assert.Null(await log.ReadGroupAsync("s", "h"));
    }

    [Fact]
    public async Task Opening_a_file_that_is_not_a_database_fails_with_sqlite_s_error_and_leaves_the_file_as_it_was()
    {
        var garbage = Enumerable.Range(0, 8192).Select(i => (byte)(i * 7)).ToArray();
        await File.WriteAllBytesAsync(DatabasePath, garbage);

        var e = await Assert.ThrowsAsync<SqliteException>(() => SqliteStreamLog.OpenAsync(DatabasePath).AsTask().WaitAsync(Guard));

        Assert.Equal(26, e.SqliteErrorCode); // SQLITE_NOTADB
        Assert.Equal(garbage, await File.ReadAllBytesAsync(DatabasePath));
        Assert.False(File.Exists(DatabasePath + "-wal"));
    }

    [Fact]
    public async Task Logs_opened_at_once_on_a_new_file_all_open_and_share_it()
    {
        // Threads are the subject: several openers (as several processes would) create and migrate one new file at once.
        for (var round = 0; round < 10; round++)
        {
            var path = Path.Combine(_directory, $"new-{round}.db");
            using var start = new ManualResetEventSlim();
            var opens = Enumerable.Range(0, 6).Select(_ => Task.Run(async () =>
            {
                start.Wait();
                return await SqliteStreamLog.OpenAsync(path);
            })).ToArray();
            start.Set();
            var logs = await Task.WhenAll(opens).WaitAsync(Guard);
            try
            {
                for (var i = 0; i < logs.Length; i++)
                {
                    Assert.Equal(i + 1, (await logs[i].AppendAsync("s", $"from {i}", AppendMode.Durable)).FrameCount);
                }
            }
            finally
            {
                foreach (var log in logs)
                {
                    await log.DisposeAsync();
                }
            }
        }
    }

    [Fact]
    public async Task Group_reads_run_alongside_another_connection_s_write_even_as_a_log_s_first_group_call()
    {
        await using (var creator = await SqliteStreamLog.OpenAsync(DatabasePath))
        {
            await creator.AppendAsync("s", "a", AppendMode.Durable);
            await creator.CreateGroupAsync("s", "g", ConsumerGroupStart.Beginning);
            await creator.ClaimAsync("s", "g", "m", 10, TimeSpan.FromSeconds(30));
        }

        // A log that has made no group call yet, while another connection (another process) holds the write lock.
        await using var log = await SqliteStreamLog.OpenAsync(DatabasePath, new SqliteStreamLogOptions { BusyTimeout = TimeSpan.Zero });
        await using var holder = await HoldWriteLockAsync();

        var info = await log.ReadGroupAsync("s", "g").AsTask().WaitAsync(Guard);
        var pending = await log.ReadPendingAsync("s", "g", null, 10).AsTask().WaitAsync(Guard);

        Assert.Equal(1, info!.PendingCount);
        Assert.Equal("m", Assert.Single(pending).Consumer);
        Assert.Null(await log.ReadGroupAsync("s", "other").AsTask().WaitAsync(Guard));
        await Assert.ThrowsAsync<ConsumerGroupNotFoundException>(() => log.ReadPendingAsync("s", "other", null, 10).AsTask().WaitAsync(Guard));
    }

    [Fact]
    public async Task Frame_summary_and_checkpoint_reads_run_alongside_another_connection_s_write()
    {
        await using var log = await SqliteStreamLog.OpenAsync(DatabasePath, new SqliteStreamLogOptions { BusyTimeout = TimeSpan.Zero });
        var first = await log.AppendAsync("s", """{"n":1}""", AppendMode.DurableSummary);
        await log.WriteCheckpointAsync("reader", first.Id);
        await using var holder = await HoldWriteLockAsync();

        Assert.Single(await log.ReadAsync("s", StreamId.Min, StreamId.Max, 10).AsTask().WaitAsync(Guard));
        Assert.Single(await log.TailAsync("s", StreamId.Min, TimeSpan.Zero, 10).AsTask().WaitAsync(Guard));
        Assert.Equal(1, (await log.ReadSummaryAsync("s").AsTask().WaitAsync(Guard))!.Version);
        Assert.Equal(first.Id, await log.ReadCheckpointAsync("reader").AsTask().WaitAsync(Guard));
    }
}
