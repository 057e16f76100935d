using Microsoft.Data.Sqlite;

namespace Reactive.Streams.Storage.Sqlite.Tests;

/// <summary>
/// Promises of docs/stream-log.md ("Backend notes", SQLite) and docs/consumer-groups.md ("Backends", SQLite) that no
/// other test pinned: the documented option defaults, and group reads on a file that has no group tables yet.
/// </summary>
public sealed class SqliteDocumentedPromisesTests : IDisposable
{
    // A failure guard against hangs; never a bound on how long correct code takes.
    private static readonly TimeSpan Guard = TimeSpan.FromMinutes(1);

    private readonly string _directory = Directory.CreateTempSubdirectory("rs-sqlite-doc-").FullName;

    private string DatabasePath => Path.Combine(_directory, "log.db");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public void The_options_have_the_documented_defaults()
    {
        var options = new SqliteStreamLogOptions();
        Assert.Equal(SqliteSynchronous.Normal, options.Synchronous);
        Assert.Equal(TimeSpan.FromSeconds(10), options.BusyTimeout);
        Assert.Equal(TimeSpan.FromMilliseconds(50), options.PollInterval);
        Assert.Equal(TimeSpan.FromSeconds(1), options.MaxPollInterval);
        Assert.Equal(StreamLogOptions.DefaultMaxReadCount, options.MaxReadCount);
        Assert.True(options.RequireObjectSummaryPatch);
    }

    [Fact]
    public async Task Group_reads_on_a_file_without_the_group_tables_find_no_group_and_create_nothing()
    {
        await using (var log = await SqliteStreamLog.OpenAsync(DatabasePath))
        {
            await log.AppendAsync("s", "a", AppendMode.Durable);

            Assert.Null(await log.ReadGroupAsync("s", "g").AsTask().WaitAsync(Guard));
            var missing = await Assert.ThrowsAsync<ConsumerGroupNotFoundException>(() => log.ReadPendingAsync("s", "g", null, 10).AsTask().WaitAsync(Guard));
            Assert.Equal(("g", "s"), (missing.Group, missing.Stream));
            Assert.Null(await log.ReadGroupAsync("s", "g").AsTask().WaitAsync(Guard));
        }

        // Reads never write: the file still has no group table.
        await using var connection = new SqliteConnection($"Data Source={DatabasePath};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name LIKE 'rs_group%'";
        Assert.Equal(0L, (long)(await command.ExecuteScalarAsync())!);
    }
}
