using Microsoft.Data.Sqlite;
using Reactive.Streams.Tests.Pipeline;

namespace Reactive.Streams.Storage.Sqlite.Tests;

/// <summary>
/// The fault-injection pipeline test on SQLite. The backend fault: another connection (another process, as far as the
/// log can tell) holds the file's write lock beyond the consumer's busy timeout, so a checkpoint write fails and the run
/// crashes.
/// </summary>
public sealed class SqlitePipelineFaultInjectionTests : PipelineFaultInjectionTests, IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("rxs-faults-").FullName;

    private string DatabasePath => Path.Combine(_directory, "faults.db");

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    protected override async Task<IStreamLog> OpenLogAsync() =>
        await SqliteStreamLog.OpenAsync(DatabasePath, new SqliteStreamLogOptions { BusyTimeout = TimeSpan.FromMilliseconds(20) });

    protected override bool HasBackendFaults => true;

    protected override Func<Task, Task>? BackendFault(int run, Random random) => run % 3 != 1 ? null : async runEnded =>
    {
        // Held until the run has ended: its next checkpoint write (at the latest, the one disposal makes) fails.
        await using var holder = new SqliteConnection($"Data Source={DatabasePath};Pooling=False");
        await holder.OpenAsync();
        using var begin = holder.CreateCommand();
        begin.CommandText = "BEGIN IMMEDIATE";
        await begin.ExecuteNonQueryAsync();
        await runEnded;
    };
}
