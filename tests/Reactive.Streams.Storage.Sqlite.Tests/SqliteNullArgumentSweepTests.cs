using Reactive.Streams.Storage.Sqlite;
using Reactive.Streams.Tests.Arguments;

namespace Reactive.Streams.Storage.Sqlite.Tests;

/// <summary>
/// Every public member of Reactive.Streams.Storage.Sqlite, called with one non-nullable reference argument null at a
/// time, throws <see cref="ArgumentNullException"/> naming it from the call itself, not from the returned task. The log's
/// instance members run on a log opened on a temporary file; <see cref="SqliteStreamLogOptions"/> is checked as a whole
/// (its setters accept any value, docs/naming.md).
/// </summary>
public sealed class SqliteNullArgumentSweepTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("rxs-sweep-").FullName;

    [Fact]
    public void Every_public_member_names_its_null_argument_synchronously()
    {
        var path = Path.Combine(_directory, "sweep.db");
        var sweep = new NullArgumentSweep()
            .Sample(() => path)
            .Sample(() => 1)
            .Sample(() => TimeSpan.FromSeconds(1))
            .Sample(() => CancellationToken.None)
            .Sample(() => new StreamLogOptions())
            .Sample(() => new SqliteStreamLogOptions())
            .Sample<IReadOnlyList<StreamId>>(() => [])
            .Sample(() => ConsumerGroupStart.Beginning)
            .Sample(() => new StreamId(1, 0))
            .Receiver(() => SqliteStreamLog.OpenAsync(path).AsTask().GetAwaiter().GetResult())
            .CheckedWhole(typeof(SqliteStreamLogOptions));

        var failures = sweep.Run(typeof(SqliteStreamLog).Assembly);

        Assert.True(failures.Count == 0, SweepReport.Format(failures));
        Assert.True(sweep.NotCovered.Count == 0, SweepReport.Format(sweep.NotCovered));
        Assert.True(sweep.Covered.Count >= 15, $"Only {sweep.Covered.Count} calls were made.");
        Assert.False(File.Exists(Path.Combine(_directory, "s")), "a call with a null argument created a file");
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
