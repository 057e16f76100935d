using Reactive.Streams.Tests.Pipeline;

namespace Reactive.Streams.Storage.Sqlite.Tests;

/// <summary>The model-based at-least-once pipeline on a SQLite file: a "restart" opens a new log on the same file.</summary>
public sealed class SqliteModelBasedPipelineTests : ModelBasedPipelineTests, IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("rxs-model-").FullName;

    protected override int Steps => 80;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    protected override async Task<IStreamLog> OpenLogAsync() => await SqliteStreamLog.OpenAsync(Path.Combine(_directory, "model.db"));
}
