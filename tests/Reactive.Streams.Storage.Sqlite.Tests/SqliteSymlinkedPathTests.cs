using System.Text;
using Reactive.Streams.Storage.Tests;

namespace Reactive.Streams.Storage.Sqlite.Tests;

/// <summary>
/// docs/stream-log.md: "an append through any <c>SqliteStreamLog</c> open on the same file in this process wakes tails at
/// once". A file reached through a symbolic link (a linked directory, as macOS's <c>/var</c> is <c>/private/var</c>, or a
/// linked file) is the same file: SQLite itself resolves the link and shares one WAL between the two connections. Time is
/// virtual and never advanced, so only the in-process wake can end these tails; polling would wait forever.
/// </summary>
public sealed class SqliteSymlinkedPathTests : IAsyncDisposable
{
    // A failure guard against hangs; never a bound on how long correct code takes.
    private static readonly TimeSpan Guard = TimeSpan.FromMinutes(1);

    private readonly string _directory = Directory.CreateTempSubdirectory("rs-sqlite-links-").FullName;
    private readonly TestClock _clock = new();
    private readonly List<SqliteStreamLog> _opened = [];

    public async ValueTask DisposeAsync()
    {
        foreach (var log in _opened)
        {
            await log.DisposeAsync();
        }

        Directory.Delete(_directory, recursive: true);
    }

    public static TheoryData<string> Links => ["directory", "file", "chain"];

    [Theory]
    [MemberData(nameof(Links))]
    public async Task An_append_through_a_path_with_a_symbolic_link_wakes_a_tail_parked_on_the_same_file_at_once(string link)
    {
        var real = Directory.CreateDirectory(Path.Combine(_directory, "real")).FullName;
        var path = Path.Combine(real, "log.db");
        var linked = link switch
        {
            "directory" => Path.Combine(Directory.CreateSymbolicLink(Path.Combine(_directory, "linked"), real).FullName, "log.db"),
            "file" => File.CreateSymbolicLink(Path.Combine(_directory, "linked.db"), path).FullName,
            // A link to a link to a file, in a linked directory, given as a relative target.
            _ => File.CreateSymbolicLink(
                Path.Combine(_directory, "outer.db"),
                Path.Combine("linked", File.CreateSymbolicLink(Path.Combine(real, "inner.db"), "log.db").Name)).FullName,
        };
        if (link == "chain")
        {
            Directory.CreateSymbolicLink(Path.Combine(_directory, "linked"), "real");
        }

        var tailing = await OpenAsync(path);
        var appending = await OpenAsync(linked);
        Assert.Equal(linked, appending.Path); // the path as given, fully qualified, not the link's target

        // Both ways round: the tail on the real path woken by the linked one, and the other way.
        foreach (var (tailer, appender) in new[] { (tailing, appending), (appending, tailing) })
        {
            var last = (await tailer.ReadAsync("orders", StreamId.Min, StreamId.Max, 100)) is { Count: > 0 } read ? read[^1].Id : StreamId.Min;
            var timers = _clock.TimersCreated;
            var tail = tailer.TailAsync("orders", last, TimeSpan.FromMinutes(10), 10).AsTask();
            await _clock.WaitForTimersAsync(timers + 1);
            Assert.False(tail.IsCompleted);

            var appended = await appender.AppendAsync("orders", $"via {appender.Path}", AppendMode.Durable);

            var frames = await tail.WaitAsync(Guard);
            Assert.Equal(appended.Id, Assert.Single(frames).Id);
            Assert.Equal($"via {appender.Path}", Encoding.UTF8.GetString(frames[0].Payload.Span));
        }
    }

    private async Task<SqliteStreamLog> OpenAsync(string path)
    {
        var log = await SqliteStreamLog.OpenAsync(path, new SqliteStreamLogOptions { TimeProvider = _clock });
        _opened.Add(log);
        return log;
    }
}
