using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Reactive.Streams.Storage.Tests;

namespace Reactive.Streams.Storage.Sqlite.Tests;

/// <summary>The conformance suite on SQLite, plus what only SQLite has: files, polling, pragmas, crash safety.</summary>
public sealed class SqliteStreamLogTests : PersistentStreamLogConformanceTests
{
    // A failure guard against hangs; never a bound on how long correct code takes.
    private static readonly TimeSpan Guard = TimeSpan.FromMinutes(1);

    private readonly string _directory = Directory.CreateTempSubdirectory("rs-sqlite-").FullName;

    private string DatabasePath => Path.Combine(_directory, "log.db");

    protected override async ValueTask<IStreamLog> OpenLogAsync(StreamLogOptions options) =>
        await SqliteStreamLog.OpenAsync(DatabasePath, new SqliteStreamLogOptions(options));

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    private async Task<SqliteStreamLog> OpenAsync(SqliteStreamLogOptions options)
    {
        var log = await SqliteStreamLog.OpenAsync(DatabasePath, options);
        Track(log);
        return log;
    }

    [Fact]
    public async Task Frames_summaries_and_the_id_sequence_survive_reopening()
    {
        var first = await SqliteStreamLog.OpenAsync(DatabasePath, new SqliteStreamLogOptions { TimeProvider = Clock });
        await first.AppendAsync("s", "a", AppendMode.Durable);
        var summary = await first.AppendAsync("s", """{"k":1}""", AppendMode.DurableSummary);
        await first.DisposeAsync();

        Clock.MoveWallClock(TimeSpan.FromMinutes(-5));
        var second = await OpenAsync(new SqliteStreamLogOptions { TimeProvider = Clock });
        var next = await second.AppendAsync("s", "b", AppendMode.Durable);

        Assert.True(next.Id > summary.Id);
        Assert.Equal(3, next.FrameCount);
        Assert.Equal(1, next.SummaryVersion);
        Assert.Equal(["a", """{"k":1}""", "b"], (await second.ReadAsync("s", StreamId.Min, StreamId.Max, 10)).Select(Text));
        AssertJson("""{"k":1}""", (await second.ReadSummaryAsync("s"))!.Document);
    }

    [Fact]
    public async Task Parked_tails_hold_no_connection_to_the_file()
    {
        // Counts this process's descriptors open on the database file (Linux's /proc). Two things keep a descriptor
        // without a parked tail holding a connection: idle pooled connections (the pools are cleared before counting)
        // and SQLite itself, which keeps a closed connection's descriptor for reuse while another connection in the
        // process holds locks on the file. Neither grows with the number of tails; a connection per parked tail would.
        const int Tails = 200;
        var log = await OpenAsync(new SqliteStreamLogOptions { TimeProvider = Clock });
        var streams = Enumerable.Range(0, Tails).Select(_ => NewStream()).ToArray();
        var before = DescriptorsOnTheFile();
        var timers = Clock.TimersCreated;

        var tails = streams.Select(s => log.TailAsync(s, StreamId.Min, TimeSpan.FromMinutes(5), 10).AsTask()).ToArray();
        await Clock.WaitForTimersAsync(timers + Tails);
        // A tail sets its timer before its last look at the stream (so an append racing it is not missed): that read
        // may still be running. Once the reads end the count must fall back; a held connection never would.
        var open = int.MaxValue;
        var guard = Stopwatch.StartNew();
        while (guard.Elapsed < Guard)
        {
            SqliteConnection.ClearAllPools();
            if ((open = DescriptorsOnTheFile()) <= before + 4)
            {
                break;
            }

            await Task.Delay(10);
        }

        Assert.True(before > 0, "the log's writer connection has the file open");
        Assert.True(open <= before + 4, $"{open} descriptors on the file with {Tails} tails parked, {before} before");
        Assert.DoesNotContain(tails, t => t.IsCompleted);
        foreach (var s in streams)
        {
            await log.AppendAsync(s, s, AppendMode.Durable);
        }

        var results = await Task.WhenAll(tails).WaitAsync(Guard);
        Assert.Equal(streams, results.Select(r => Text(Assert.Single(r))));
    }

    private int DescriptorsOnTheFile() =>
        new DirectoryInfo("/proc/self/fd").EnumerateFileSystemInfos().Count(fd =>
        {
            try
            {
                return fd.LinkTarget == DatabasePath;
            }
            catch (IOException)
            {
                return false; // closed between listing and reading
            }
        });

    [Fact]
    public async Task Opening_the_same_file_again_runs_the_idempotent_migration_and_uses_WAL()
    {
        var a = await OpenAsync(new SqliteStreamLogOptions { TimeProvider = Clock });
        var b = await OpenAsync(new SqliteStreamLogOptions { TimeProvider = Clock });
        await a.AppendAsync("s", "x", AppendMode.Durable);

        Assert.Equal(2, (await b.AppendAsync("s", "y", AppendMode.Durable)).FrameCount);
        await using var raw = new SqliteConnection($"Data Source={DatabasePath}");
        await raw.OpenAsync();
        using var command = raw.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", (string?)await command.ExecuteScalarAsync());
    }

    [Theory]
    [InlineData(SqliteSynchronous.Off, 0L)]
    [InlineData(SqliteSynchronous.Normal, 1L)]
    [InlineData(SqliteSynchronous.Full, 2L)]
    public async Task The_synchronous_level_is_configurable(SqliteSynchronous level, long pragma)
    {
        var log = await OpenAsync(new SqliteStreamLogOptions { TimeProvider = Clock, Synchronous = level });

        Assert.Equal(pragma, log.WriterPragma("synchronous"));
    }

    [Fact]
    public async Task The_default_synchronous_level_is_normal()
    {
        var log = await OpenAsync(new SqliteStreamLogOptions { TimeProvider = Clock });

        Assert.Equal(1L, log.WriterPragma("synchronous"));
    }

    [Fact]
    public async Task A_tail_finds_appends_from_another_process_by_polling_with_backoff()
    {
        var options = new SqliteStreamLogOptions
        {
            TimeProvider = Clock, PollInterval = TimeSpan.FromMilliseconds(100), MaxPollInterval = TimeSpan.FromMilliseconds(400), IsolateFromProcess = true,
        };
        var log = await OpenAsync(options);
        var otherProcess = await OpenAsync(options);
        var timers = Clock.TimersCreated;

        var tail = log.TailAsync("s", StreamId.Min, TimeSpan.FromMinutes(1), 10).AsTask();
        // Empty checks back off: 100 ms, 200 ms, 400 ms, 400 ms.
        await Clock.WaitForTimersAsync(timers + 1);
        Clock.Advance(TimeSpan.FromMilliseconds(100));
        await Clock.WaitForTimersAsync(timers + 2);
        Clock.Advance(TimeSpan.FromMilliseconds(200));
        await Clock.WaitForTimersAsync(timers + 3);
        await otherProcess.AppendAsync("s", "from elsewhere", AppendMode.Durable);
        Clock.Advance(TimeSpan.FromMilliseconds(399));
        await Task.Yield();
        Assert.False(tail.IsCompleted);
        Clock.Advance(TimeSpan.FromMilliseconds(1));

        Assert.Equal(["from elsewhere"], (await tail.WaitAsync(Guard)).Select(Text));
    }

    [Fact]
    public async Task A_wake_that_brings_nothing_visible_starts_the_poll_backoff_again_from_the_poll_interval()
    {
        // docs/stream-log.md: a parked tail re-checks after PollInterval, doubling after each empty check up to
        // MaxPollInterval, "and starts from PollInterval again after a wake".
        var options = new SqliteStreamLogOptions
        {
            TimeProvider = Clock, PollInterval = TimeSpan.FromMilliseconds(100), MaxPollInterval = TimeSpan.FromMilliseconds(400), IsolateFromProcess = true,
        };
        var log = await OpenAsync(options);
        var otherProcess = await OpenAsync(options);
        var timers = Clock.TimersCreated;

        var tail = log.TailAsync("s", StreamId.Min, TimeSpan.FromMinutes(1), 10, TailVisibility.ExcludeBestEffort).AsTask();
        // Backed off to 400 ms: 100, 200, then 400.
        await Clock.WaitForTimersAsync(timers + 1);
        Clock.Advance(TimeSpan.FromMilliseconds(100));
        await Clock.WaitForTimersAsync(timers + 2);
        Clock.Advance(TimeSpan.FromMilliseconds(200));
        await Clock.WaitForTimersAsync(timers + 3);

        // A wake through this log with nothing the tail may return: it keeps waiting, from 100 ms again.
        await log.AppendAsync("s", "live", AppendMode.BestEffortLive);
        await Clock.WaitForTimersAsync(timers + 4);
        Assert.False(tail.IsCompleted);
        await otherProcess.AppendAsync("s", "from elsewhere", AppendMode.Durable);
        Clock.Advance(TimeSpan.FromMilliseconds(99));
        await Task.Yield();
        Assert.False(tail.IsCompleted);
        Clock.Advance(TimeSpan.FromMilliseconds(1));

        Assert.Equal(["from elsewhere"], (await tail.WaitAsync(Guard)).Select(Text));
    }

    [Fact]
    public async Task A_tail_keeps_polling_at_its_longest_interval_however_many_checks_found_nothing()
    {
        // The backoff doubles the interval per empty check up to MaxPollInterval: with an interval of an hour, the
        // doubling passes TimeSpan.MaxValue after 28 checks, which must not end the tail.
        var options = new SqliteStreamLogOptions
        {
            TimeProvider = Clock, PollInterval = TimeSpan.FromHours(1), MaxPollInterval = TimeSpan.FromHours(1), IsolateFromProcess = true,
        };
        var log = await OpenAsync(options);
        var otherProcess = await OpenAsync(options);
        var timers = Clock.TimersCreated;

        var tail = log.TailAsync("s", StreamId.Min, Timeout.InfiniteTimeSpan, 10).AsTask();
        for (var check = 1; check <= 40; check++)
        {
            await Task.WhenAny(tail, Clock.WaitForTimersAsync(timers + check));
            Assert.False(tail.IsCompleted, $"The tail ended after {check} checks: {tail.Exception?.InnerException?.GetType().Name}");
            Clock.Advance(TimeSpan.FromHours(1));
        }

        await Task.WhenAny(tail, Clock.WaitForTimersAsync(timers + 41));
        await otherProcess.AppendAsync("s", "at last", AppendMode.Durable);
        Clock.Advance(TimeSpan.FromHours(1));

        Assert.Equal(["at last"], (await tail.WaitAsync(Guard)).Select(Text));
    }

    [Theory]
    [InlineData(60 * 24 * 60)] // 60 days: beyond the longest timer (about 49.7 days)
    [InlineData(-1)] // TimeSpan.MaxValue
    public async Task A_tail_waiting_forever_with_a_poll_interval_beyond_the_longest_timer_polls_in_steps(int pollMinutes)
    {
        // A poll interval (valid: positive) longer than one timer can measure parks in steps, as a long block does; the
        // tail used to fail with ArgumentOutOfRangeException from the timer instead of waiting.
        var poll = pollMinutes < 0 ? TimeSpan.MaxValue : TimeSpan.FromMinutes(pollMinutes);
        var options = new SqliteStreamLogOptions { TimeProvider = Clock, PollInterval = poll, MaxPollInterval = poll, IsolateFromProcess = true };
        var log = await OpenAsync(options);
        var otherProcess = await OpenAsync(options);
        var timers = Clock.TimersCreated;

        var tail = log.TailAsync("s", StreamId.Min, Timeout.InfiniteTimeSpan, 10).AsTask();
        var forever = log.TailAllAsync("s", StreamId.Min).GetAsyncEnumerator();
        var next = forever.MoveNextAsync().AsTask();
        await Task.WhenAny(Task.WhenAny(tail, next), Clock.WaitForTimersAsync(timers + 2));
        Assert.False(tail.IsCompleted, $"The tail ended: {tail.Exception?.InnerException}");
        Assert.False(next.IsCompleted, $"The endless tail ended: {next.Exception?.InnerException}");
        await otherProcess.AppendAsync("s", "found by polling", AppendMode.Durable);
        Clock.Advance(TimeSpan.FromMilliseconds(uint.MaxValue - 1));

        Assert.Equal(["found by polling"], (await tail.WaitAsync(Guard)).Select(Text));
        Assert.True(await next.WaitAsync(Guard));
        Assert.Equal("found by polling", Text(forever.Current));
        await forever.DisposeAsync();
    }

    [Fact]
    public async Task Appends_through_two_logs_on_one_file_interleave_with_increasing_ids_and_exact_counts()
    {
        var behind = new TestClock();
        behind.MoveWallClock(TimeSpan.FromMinutes(-1));
        var a = await OpenAsync(new SqliteStreamLogOptions { TimeProvider = Clock });
        var b = await OpenAsync(new SqliteStreamLogOptions { TimeProvider = behind });

        var ids = new List<StreamId>
        {
            (await a.AppendAsync("s", "a1", AppendMode.Durable)).Id,
            (await b.AppendAsync("s", "b1", AppendMode.Durable)).Id,
            (await a.AppendAsync("s", "a2", AppendMode.Durable)).Id,
            (await b.AppendAsync("s", """{"v":1}""", AppendMode.DurableSummary)).Id,
            (await a.AppendAsync("s", "a3", AppendMode.Durable)).Id,
        };
        var last = await b.AppendAsync("s", "b2", AppendMode.Durable);
        ids.Add(last.Id);

        Assert.True(ids.Zip(ids.Skip(1)).All(p => p.First < p.Second), string.Join(", ", ids));
        Assert.Equal(6, last.FrameCount);
        Assert.Equal(1, last.SummaryVersion);
        Assert.Equal(1, (await a.AppendAsync("s", "a4", AppendMode.Durable)).SummaryVersion);
        Assert.Equal(["a1", "b1", "a2", """{"v":1}""", "a3", "b2", "a4"], (await a.ReadAsync("s", StreamId.Min, StreamId.Max, 10)).Select(Text));
    }

    [Fact]
    public async Task Concurrent_appenders_on_two_logs_on_one_file_get_unique_increasing_ids()
    {
        var a = await OpenAsync(new SqliteStreamLogOptions { TimeProvider = Clock });
        var b = await OpenAsync(new SqliteStreamLogOptions { TimeProvider = Clock });
        const int PerWriter = 100;

        var writers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            var log = w % 2 == 0 ? a : b;
            for (var i = 0; i < PerWriter; i++)
            {
                // Every tenth append takes the transactional path, so the cached tips of both logs go stale.
                await (i % 10 == 0
                    ? log.AppendAsync("s", $$"""{"w{{w}}":{{i}}}""", AppendMode.DurableSummary)
                    : log.AppendAsync("s", $"{w}:{i}", AppendMode.Durable));
            }
        }));
        await Task.WhenAll(writers).WaitAsync(Guard);

        var frames = await a.ReadAsync("s", StreamId.Min, StreamId.Max, 10_000);
        Assert.Equal(8 * PerWriter, frames.Count);
        Assert.Equal(8 * PerWriter, frames.Select(Text).Distinct().Count());
        Assert.True(frames.Zip(frames.Skip(1)).All(p => p.First.Id < p.Second.Id));
        var last = await b.AppendAsync("s", "last", AppendMode.Durable);
        Assert.Equal(8 * PerWriter + 1, last.FrameCount);
        Assert.Equal(8 * PerWriter / 10, last.SummaryVersion);
    }

    [Fact]
    public async Task A_file_created_before_frames_had_headers_gains_the_column_and_keeps_its_frames()
    {
        // rs_frames as the schema created it before headers existed (schema version 1), with one frame in it.
        await using (var raw = new SqliteConnection($"Data Source={DatabasePath};Pooling=false"))
        {
            await raw.OpenAsync();
            using var command = raw.CreateCommand();
            command.CommandText = """
                CREATE TABLE rs_frames (
                    stream TEXT NOT NULL, ms INTEGER NOT NULL, seq INTEGER NOT NULL, ordinal INTEGER NOT NULL,
                    kind INTEGER NOT NULL, payload BLOB NOT NULL, PRIMARY KEY (stream, ms, seq));
                INSERT INTO rs_frames VALUES ('s', 1000, 0, 1, 0, x'6f6c64');
                PRAGMA user_version = 1;
                """;
            await command.ExecuteNonQueryAsync();
        }

        var headers = new Dictionary<string, string> { ["traceparent"] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" };
        var log = await OpenAsync(new SqliteStreamLogOptions { TimeProvider = Clock });
        await log.AppendAsync("s", "new", AppendMode.Durable, headers);
        await log.AppendBatchAsync("s", [Utf8("b1"), Utf8("b2")], AppendMode.Durable, [null, headers]);
        await log.DisposeAsync();
        var reopened = await OpenAsync(new SqliteStreamLogOptions { TimeProvider = Clock });

        var frames = await reopened.ReadAsync("s", StreamId.Min, StreamId.Max, 10);
        Assert.Equal(["old", "new", "b1", "b2"], frames.Select(Text));
        Assert.Equal(new StreamId(1000, 0), frames[0].Id);
        Assert.Equal([0, 1, 0, 1], frames.Select(f => f.Headers.Count));
        Assert.Equal(headers, frames[3].Headers.ToDictionary());
    }

    [Fact]
    public async Task A_file_with_a_newer_schema_version_is_refused()
    {
        await using (var raw = new SqliteConnection($"Data Source={DatabasePath};Pooling=false"))
        {
            await raw.OpenAsync();
            using var command = raw.CreateCommand();
            command.CommandText = "PRAGMA user_version = 99";
            await command.ExecuteNonQueryAsync();
        }

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => SqliteStreamLog.OpenAsync(DatabasePath).AsTask());

        Assert.Contains("schema version 99", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, 1000, "PollInterval")]
    [InlineData(100, 50, "MaxPollInterval")]
    public async Task Invalid_polling_options_are_rejected_by_name(int pollMs, int maxPollMs, string name)
    {
        var options = new SqliteStreamLogOptions { PollInterval = TimeSpan.FromMilliseconds(pollMs), MaxPollInterval = TimeSpan.FromMilliseconds(maxPollMs) };

        var e = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => SqliteStreamLog.OpenAsync(DatabasePath, options).AsTask());

        Assert.Equal(name, e.ParamName);
    }

    [Fact]
    public async Task A_killed_writer_leaves_no_torn_frame_and_loses_no_append_that_returned()
    {
        var confirmed = new List<(StreamId First, StreamId Last)>();
        using var writer = Process.Start(new ProcessStartInfo
        {
            FileName = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet",
            ArgumentList = { "exec", typeof(Program).Assembly.Location, "crash-writer", DatabasePath },
            RedirectStandardOutput = true,
            UseShellExecute = false,
        })!;
        try
        {
            while (confirmed.Count < 400 && await writer.StandardOutput.ReadLineAsync().WaitAsync(Guard) is { } line)
            {
                confirmed.Add(ParseLine(line));
            }
        }
        finally
        {
            writer.Kill(entireProcessTree: true);
        }

        // Lines already in the pipe were printed after their appends returned: they count too.
        while (await writer.StandardOutput.ReadLineAsync() is { } line)
        {
            if (line.Split(' ').Length == 2 && StreamId.TryParse(line.Split(' ')[1], out _))
            {
                confirmed.Add(ParseLine(line));
            }
        }

        await writer.WaitForExitAsync();
        Assert.True(confirmed.Count >= 400, $"the writer confirmed only {confirmed.Count} appends");

        var log = await OpenAsync(new SqliteStreamLogOptions());
        var frames = await log.ReadAsync(Program.CrashStream, StreamId.Min, StreamId.Max, 10_000);
        var ids = frames.Select(f => f.Id).ToHashSet();
        Assert.All(frames, f => Assert.True(Program.IsIntact(f.Payload.Span), $"frame {f.Id} is torn"));
        Assert.True(frames.Zip(frames.Skip(1)).All(p => p.First.Id < p.Second.Id));
        foreach (var (first, last) in confirmed)
        {
            Assert.Contains(first, ids);
            Assert.Contains(last, ids);
        }

        var after = await log.AppendAsync(Program.CrashStream, Program.Payload(999_999), AppendMode.Durable);
        Assert.True(after.Id > frames[^1].Id);
        Assert.Equal(frames.Count + 1, after.FrameCount);
    }

    /// <summary>Another connection (as another process would) that holds the file's write lock until disposed.</summary>
    private async Task<SqliteConnection> HoldWriteLockAsync()
    {
        var holder = new SqliteConnection($"Data Source={DatabasePath};Pooling=False");
        await holder.OpenAsync();
        using var begin = holder.CreateCommand();
        begin.CommandText = "BEGIN IMMEDIATE";
        await begin.ExecuteNonQueryAsync();
        return holder;
    }

    public enum BusyWrite
    {
        DurableAppend,
        SummaryAppend,
        Batch,
        Checkpoint,
    }

    private static Task Write(SqliteStreamLog log, BusyWrite write) => write switch
    {
        BusyWrite.DurableAppend => log.AppendAsync("s", "a", AppendMode.Durable).AsTask(),
        BusyWrite.SummaryAppend => log.AppendAsync("s", """{"a":1}""", AppendMode.DurableSummary).AsTask(),
        BusyWrite.Batch => log.AppendBatchAsync("s", [Utf8("b1"), Utf8("b2")], AppendMode.Durable).AsTask(),
        _ => log.WriteCheckpointAsync("reader", new StreamId(1, 0)).AsTask(),
    };

    [Theory]
    [InlineData(BusyWrite.DurableAppend)]
    [InlineData(BusyWrite.SummaryAppend)]
    [InlineData(BusyWrite.Batch)]
    [InlineData(BusyWrite.Checkpoint)]
    public async Task A_zero_busy_timeout_fails_at_once_while_another_connection_holds_the_write_lock(BusyWrite write)
    {
        var log = await OpenAsync(new SqliteStreamLogOptions { BusyTimeout = TimeSpan.Zero });
        var holder = await HoldWriteLockAsync();

        // On another thread, so a write that waits forever fails the guard instead of hanging the test.
        var (completedWhenReturned, attempt) = await Task.Run(() =>
        {
            var task = Write(log, write);
            return (task.IsCompleted, task);
        }).WaitAsync(Guard);

        Assert.True(completedWhenReturned, "a zero busy timeout waited for the lock");
        var e = await Assert.ThrowsAsync<SqliteException>(() => attempt);
        Assert.Equal(5, e.SqliteErrorCode);
        await holder.DisposeAsync();
        await Write(log, write);
        var frames = await log.ReadAsync("s", StreamId.Min, StreamId.Max, 10);
        Assert.Equal(write switch { BusyWrite.Checkpoint => 0, BusyWrite.Batch => 2, _ => 1 }, frames.Count);
    }

    [Fact]
    public async Task A_fractional_busy_timeout_is_waited_exactly_and_asynchronously()
    {
        var busyClock = new TestClock();
        var log = await OpenAsync(new SqliteStreamLogOptions { BusyTimeout = TimeSpan.FromMilliseconds(300), BusyTimeProvider = busyClock });
        await using var holder = await HoldWriteLockAsync();

        var (completedWhenReturned, append) = await Task.Run(() =>
        {
            var task = log.AppendAsync("s", "a", AppendMode.Durable).AsTask();
            return (task.IsCompleted, task);
        }).WaitAsync(Guard);
        Assert.False(completedWhenReturned, "the caller's thread waited for the lock before the append returned its task");

        // Each step lets the retry loop park on its delay (at most 50 ms), then moves virtual time 50 ms.
        var waited = TimeSpan.Zero;
        for (var timers = 1; !append.IsCompleted; timers++)
        {
            await Task.WhenAny(busyClock.WaitForTimersAsync(timers), append);
            if (append.IsCompleted)
            {
                break;
            }

            Assert.True(waited < TimeSpan.FromMilliseconds(300), $"still waiting after {waited.TotalMilliseconds} ms of a 300 ms busy timeout");
            busyClock.Advance(TimeSpan.FromMilliseconds(50));
            waited += TimeSpan.FromMilliseconds(50);
        }

        var e = await Assert.ThrowsAsync<SqliteException>(() => append);
        Assert.Equal(5, e.SqliteErrorCode);
        Assert.Equal(TimeSpan.FromMilliseconds(300), waited);
    }

    [Fact]
    public async Task A_write_waiting_for_the_lock_goes_through_once_it_is_released()
    {
        var busyClock = new TestClock();
        var log = await OpenAsync(new SqliteStreamLogOptions { BusyTimeout = TimeSpan.FromMilliseconds(300), BusyTimeProvider = busyClock });
        var holder = await HoldWriteLockAsync();
        var append = log.AppendAsync("s", "a", AppendMode.Durable).AsTask();
        await busyClock.WaitForTimersAsync(1);

        await holder.DisposeAsync();
        busyClock.Advance(TimeSpan.FromMilliseconds(50));

        Assert.Equal(1, (await append.WaitAsync(Guard)).FrameCount);
    }

    [Fact]
    public async Task Opening_a_file_whose_write_lock_is_held_past_the_busy_timeout_fails_with_busy()
    {
        await OpenAsync(new SqliteStreamLogOptions());
        await using var holder = await HoldWriteLockAsync();

        // The migration's BEGIN IMMEDIATE cannot get the lock: the error is SQLite's busy, not a failed ROLLBACK of a
        // transaction that never began.
        var e = await Assert.ThrowsAsync<SqliteException>(
            () => SqliteStreamLog.OpenAsync(DatabasePath, new SqliteStreamLogOptions { BusyTimeout = TimeSpan.Zero }).AsTask().WaitAsync(Guard));
        Assert.Equal(5, e.SqliteErrorCode);
    }

    [Fact]
    public async Task Opening_cancelled_while_waiting_for_the_write_lock_throws_cancellation_and_the_file_opens_later()
    {
        await OpenAsync(new SqliteStreamLogOptions());
        var holder = await HoldWriteLockAsync();
        var busyClock = new TestClock();
        using var cancel = new CancellationTokenSource();
        var open = SqliteStreamLog.OpenAsync(DatabasePath, new SqliteStreamLogOptions { BusyTimeout = TimeSpan.FromSeconds(10), BusyTimeProvider = busyClock }, cancel.Token).AsTask();
        await busyClock.WaitForTimersAsync(1).WaitAsync(Guard);

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => open.WaitAsync(Guard));
        await holder.DisposeAsync();
        var reopened = await OpenAsync(new SqliteStreamLogOptions());
        Assert.Equal(1, (await reopened.AppendAsync("s", "a", AppendMode.Durable)).FrameCount);
    }

    private static (StreamId, StreamId) ParseLine(string line)
    {
        var parts = line.Split(' ');
        return (StreamId.Parse(parts[0]), StreamId.Parse(parts[1]));
    }
}
