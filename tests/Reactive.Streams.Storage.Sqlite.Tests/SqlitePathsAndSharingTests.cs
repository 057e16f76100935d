using System.Collections.Concurrent;
using System.Text;
using Microsoft.Data.Sqlite;

namespace Reactive.Streams.Storage.Sqlite.Tests;

/// <summary>
/// What <see cref="SqliteStreamLog.OpenAsync"/> takes as its path, as a Microsoft.Data.Sqlite user would try it (names
/// with spaces and non-ASCII characters, a missing directory, an in-memory database, a connection string with options
/// of its own), and one file shared by logs that behave as separate processes, appending and tailing at once.
/// </summary>
public sealed class SqlitePathsAndSharingTests : IAsyncDisposable
{
    // A failure guard against hangs; never a bound on how long correct code takes.
    private static readonly TimeSpan Guard = TimeSpan.FromMinutes(1);

    private readonly string _directory = Directory.CreateTempSubdirectory("rs-sqlite-paths-").FullName;
    private readonly List<SqliteStreamLog> _opened = [];

    public async ValueTask DisposeAsync()
    {
        foreach (var log in _opened)
        {
            await log.DisposeAsync();
        }

        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task A_path_with_spaces_and_non_ascii_characters_names_exactly_the_file_the_log_keeps()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_directory, "my logs – été 日本")).FullName;
        var path = Path.Combine(folder, "ordres d'été #1.db");
        await using (var log = await SqliteStreamLog.OpenAsync(path))
        {
            Assert.Equal(path, log.Path);
            await log.AppendAsync("orders", "créé", AppendMode.Durable);
        }

        Assert.True(File.Exists(path));
        Assert.Equal([Path.GetFileName(path)], Directory.GetFiles(folder).Select(Path.GetFileName).Where(f => f!.EndsWith(".db", StringComparison.Ordinal)));
        await using var again = await SqliteStreamLog.OpenAsync(path);
        Assert.Equal("créé", Text(Assert.Single(await again.ReadAsync("orders", StreamId.Min, StreamId.Max, 10))));
    }

    [Fact]
    public async Task A_path_in_a_missing_directory_fails_with_sqlites_cannot_open_and_creates_no_directory()
    {
        var missing = Path.Combine(_directory, "missing");
        var error = await Assert.ThrowsAsync<SqliteException>(async () => await SqliteStreamLog.OpenAsync(Path.Combine(missing, "log.db")));
        Assert.Equal(14, error.SqliteErrorCode); // SQLITE_CANTOPEN
        Assert.False(Directory.Exists(missing));
    }

    public static TheoryData<string> NotAFilePath => new()
    {
        ":memory:",
        "Data Source=log.db;Cache=Shared",
        "Data Source=log.db;Mode=Memory",
        "DataSource=log.db;Pooling=False",
        "Filename=log.db",
        "file:log.db?mode=memory&cache=shared",
        "FILE:log.db",
    };

    [Theory]
    [MemberData(nameof(NotAFilePath))]
    public void An_in_memory_database_a_uri_or_a_connection_string_is_refused_by_the_open_call_naming_the_path(string path)
    {
        // Each would otherwise name a file relative to the working directory (or a directory that does not exist).
        var wouldCreate = Path.GetFullPath(path);
        try
        {
            var error = Assert.Throws<ArgumentException>(() => SqliteStreamLog.OpenAsync(path));
            Assert.Equal("path", error.ParamName);
            Assert.Contains(path, error.Message, StringComparison.Ordinal);
            Assert.False(File.Exists(wouldCreate));
        }
        finally
        {
            foreach (var file in new[] { wouldCreate, wouldCreate + "-wal", wouldCreate + "-shm" })
            {
                File.Delete(file);
            }
        }
    }

    [Theory]
    [InlineData("log\0.db")]
    [InlineData("\0")]
    public void A_path_with_a_nul_character_is_refused_by_the_open_call_naming_the_path(string name)
    {
        // No file system has such a name; as every other bad argument, it throws from the call, not from its task.
        var error = Assert.Throws<ArgumentException>(() => SqliteStreamLog.OpenAsync(Path.Combine(_directory, name)));

        Assert.Equal("path", error.ParamName);
        Assert.Empty(Directory.GetFiles(_directory));
    }

    [Fact]
    public async Task A_file_name_with_an_equals_sign_or_a_semicolon_is_still_a_path()
    {
        var path = Path.Combine(_directory, "a=b;c.db");
        await using var log = await SqliteStreamLog.OpenAsync(path);
        await log.AppendAsync("s", "x", AppendMode.Durable);
        Assert.True(File.Exists(path));
    }

    [Fact]
    public async Task Two_logs_as_two_processes_appending_at_once_while_a_third_tails_deliver_every_frame_once_in_id_order()
    {
        var path = Path.Combine(_directory, "shared.db");
        var options = new SqliteStreamLogOptions { IsolateFromProcess = true, PollInterval = TimeSpan.FromMilliseconds(1), MaxPollInterval = TimeSpan.FromMilliseconds(20) };
        var a = await OpenAsync(path, options);
        var b = await OpenAsync(path, options);
        var reader = await OpenAsync(path, options);
        const int PerWriter = 150;
        const int Total = 2 * 2 * PerWriter; // two writers, each appending a single frame and a batch of one per iteration

        using var stop = new CancellationTokenSource(Guard);
        var seen = new ConcurrentQueue<StreamFrame>();
        var tail = Task.Run(async () =>
        {
            await foreach (var frame in reader.TailAllAsync("s", StreamId.Min, TailVisibility.All, stop.Token))
            {
                seen.Enqueue(frame);
                if (seen.Count == Total)
                {
                    return;
                }
            }
        });

        var writers = new[] { ("a", a), ("b", b) }.Select(w => Task.Run(async () =>
        {
            var (name, log) = w;
            for (var i = 0; i < PerWriter; i++)
            {
                await log.AppendAsync("s", $"{name}:{2 * i}", AppendMode.Durable);
                await log.AppendBatchAsync("s", [Encoding.UTF8.GetBytes($"{name}:{(2 * i) + 1}")], AppendMode.Durable);
            }
        })).ToArray();

        await Task.WhenAll(writers).WaitAsync(Guard);
        await tail.WaitAsync(Guard);

        var frames = seen.ToArray();
        Assert.Equal(Total, frames.Length);
        Assert.True(frames.Zip(frames.Skip(1)).All(p => p.First.Id < p.Second.Id), "The tail delivered ids out of order.");
        foreach (var name in new[] { "a", "b" })
        {
            Assert.Equal(
                Enumerable.Range(0, 2 * PerWriter).Select(i => $"{name}:{i}"),
                frames.Select(Text).Where(t => t.StartsWith(name + ":", StringComparison.Ordinal)));
        }

        Assert.Equal(frames.Select(f => f.Id), (await reader.ReadAsync("s", StreamId.Min, StreamId.Max, 10_000)).Select(f => f.Id));
    }

    private async Task<SqliteStreamLog> OpenAsync(string path, SqliteStreamLogOptions options)
    {
        var log = await SqliteStreamLog.OpenAsync(path, options);
        _opened.Add(log);
        return log;
    }

    private static string Text(StreamFrame frame) => Encoding.UTF8.GetString(frame.Payload.Span);
}
