using Reactive.Streams.Tests.Pipeline;

namespace Reactive.Streams.Storage.Sqlite.Tests;

/// <summary>The composed at-least-once pipeline on a SQLite file: a "restart" opens a new log on the same file.</summary>
public sealed class SqliteComposedPipelineTests : ComposedPipelineTests, IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("rxs-composed-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    protected override async Task<IStreamLog> OpenLogAsync() => await SqliteStreamLog.OpenAsync(Path.Combine(_directory, "composed.db"));
}
