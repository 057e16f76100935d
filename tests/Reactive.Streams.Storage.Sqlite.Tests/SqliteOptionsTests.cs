using Reactive.Streams.Storage.Tests;

namespace Reactive.Streams.Storage.Sqlite.Tests;

/// <summary>
/// <see cref="SqliteStreamLogOptions"/> over the log's lifetime: a bad value is refused by <see cref="SqliteStreamLog.OpenAsync"/>
/// itself, naming the property, before the file is created; and the log reads its options once, so changing the
/// object after opening changes nothing.
/// </summary>
public sealed class SqliteOptionsTests : IAsyncDisposable
{
    // A failure guard against hangs; never a bound on how long correct code takes.
    private static readonly TimeSpan Guard = TimeSpan.FromMinutes(1);

    private readonly string _directory = Directory.CreateTempSubdirectory("rs-sqlite-options-").FullName;
    private readonly List<SqliteStreamLog> _opened = [];

    private string DatabasePath => Path.Combine(_directory, "log.db");

    public async ValueTask DisposeAsync()
    {
        foreach (var log in _opened)
        {
            await log.DisposeAsync();
        }

        Directory.Delete(_directory, recursive: true);
    }

    private async Task<SqliteStreamLog> OpenAsync(SqliteStreamLogOptions options)
    {
        var log = await SqliteStreamLog.OpenAsync(DatabasePath, options);
        _opened.Add(log);
        return log;
    }

    public static TheoryData<string, Action<SqliteStreamLogOptions>> BadOptions => new()
    {
        { "Synchronous", o => o.Synchronous = (SqliteSynchronous)4 },
        { "Synchronous", o => o.Synchronous = (SqliteSynchronous)(-1) },
        { "PollInterval", o => o.PollInterval = TimeSpan.Zero },
        { "PollInterval", o => o.PollInterval = TimeSpan.FromTicks(-1) },
        { "PollInterval", o => o.PollInterval = Timeout.InfiniteTimeSpan },
        { "PollInterval", o => o.PollInterval = TimeSpan.MinValue },
        { "MaxPollInterval", o => o.MaxPollInterval = o.PollInterval - TimeSpan.FromTicks(1) },
        { "MaxPollInterval", o => o.MaxPollInterval = Timeout.InfiniteTimeSpan },
        { "BusyTimeout", o => o.BusyTimeout = TimeSpan.FromTicks(-1) },
        { "BusyTimeout", o => o.BusyTimeout = Timeout.InfiniteTimeSpan },
        { "MaxReadCount", o => o.MaxReadCount = 0 },
        { "TimeProvider", o => o.TimeProvider = null! },
        { "Floor", o => o.LiveRetention.Floor = -5 },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void A_bad_option_is_refused_by_the_open_call_itself_naming_it_and_no_file_is_created(string name, Action<SqliteStreamLogOptions> set)
    {
        var options = new SqliteStreamLogOptions();
        set(options);

        // Thrown by the call, not by the task it returns.
        var e = Assert.ThrowsAny<ArgumentException>(() => SqliteStreamLog.OpenAsync(DatabasePath, options));

        Assert.Equal(name, e.ParamName);
        Assert.False(File.Exists(DatabasePath));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void An_empty_or_blank_path_is_refused_naming_it(string path)
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => SqliteStreamLog.OpenAsync(path));
        Assert.Equal("path", e.ParamName);
    }

    [Fact]
    public async Task The_longest_and_shortest_allowed_intervals_open_and_work()
    {
        var clock = new TestClock();
        var log = await OpenAsync(new SqliteStreamLogOptions
        {
            TimeProvider = clock, PollInterval = TimeSpan.FromTicks(1), MaxPollInterval = TimeSpan.MaxValue, BusyTimeout = TimeSpan.MaxValue,
        });
        await log.AppendAsync("s", "a", AppendMode.Durable);

        Assert.Equal(["a"], (await log.TailAsync("s", StreamId.Min, TimeSpan.Zero, 10)).Select(f => System.Text.Encoding.UTF8.GetString(f.Payload.Span)));
        var zero = await OpenAsync(new SqliteStreamLogOptions { TimeProvider = clock, BusyTimeout = TimeSpan.Zero });
        Assert.Equal(2, (await zero.AppendAsync("s", "b", AppendMode.Durable)).FrameCount);
    }

    [Fact]
    public async Task Changing_the_options_after_opening_leaves_the_read_cap_and_the_polling_as_they_were()
    {
        var clock = new TestClock();
        var options = new SqliteStreamLogOptions
        {
            TimeProvider = clock, MaxReadCount = 3, PollInterval = TimeSpan.FromMilliseconds(100), MaxPollInterval = TimeSpan.FromMilliseconds(100), IsolateFromProcess = true,
        };
        var log = await OpenAsync(options);
        var otherProcess = await OpenAsync(new SqliteStreamLogOptions { TimeProvider = clock, IsolateFromProcess = true });

        options.MaxReadCount = 1;
        options.PollInterval = TimeSpan.FromDays(1);
        options.MaxPollInterval = TimeSpan.FromDays(2);
        options.IsolateFromProcess = false;

        await log.AppendBatchAsync("s", [new byte[] { 1 }, new byte[] { 2 }, new byte[] { 3 }, new byte[] { 4 }], AppendMode.Durable);
        Assert.Equal(3, (await log.ReadAsync("s", StreamId.Min, StreamId.Max, 100)).Count);

        // The tail still polls every 100 ms for the other "process"'s appends.
        var timers = clock.TimersCreated;
        var last = (await log.ReadAsync("s", StreamId.Min, StreamId.Max, 100))[^1].Id;
        last = (await log.ReadAsync("s", last.Successor(), StreamId.Max, 100))[^1].Id;
        var tail = log.TailAsync("s", last, TimeSpan.FromMinutes(10), 10).AsTask();
        await clock.WaitForTimersAsync(timers + 1).WaitAsync(Guard);
        await otherProcess.AppendAsync("s", "elsewhere", AppendMode.Durable);
        clock.Advance(TimeSpan.FromMilliseconds(100));

        Assert.Single(await tail.WaitAsync(Guard));
    }
}
