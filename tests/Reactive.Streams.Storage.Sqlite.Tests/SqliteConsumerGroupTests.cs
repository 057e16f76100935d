using Reactive.Streams.Storage.Tests;

namespace Reactive.Streams.Storage.Sqlite.Tests;

/// <summary>The consumer-group conformance suite on SQLite: each log instance is another connection to the same file.</summary>
public sealed class SqliteConsumerGroupTests : ConsumerGroupConformanceTests
{
    private readonly string _directory = Directory.CreateTempSubdirectory("rs-sqlite-groups-").FullName;

    protected override async ValueTask<IConsumerGroupLog> OpenLogAsync(StreamLogOptions options) =>
        await SqliteStreamLog.OpenAsync(Path.Combine(_directory, "log.db"), new SqliteStreamLogOptions(options));

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }
}
