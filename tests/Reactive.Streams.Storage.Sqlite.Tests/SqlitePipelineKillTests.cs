using Reactive.Streams.Tests.Pipeline;

namespace Reactive.Streams.Storage.Sqlite.Tests;

/// <summary>The kill test on SQLite: the consumer process shares the log's file.</summary>
public sealed class SqlitePipelineKillTests : PipelineKillTests, IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("rxs-pipeline-").FullName;

    private string DatabasePath => Path.Combine(_directory, "pipeline.db");

    protected override string ConsumerArgument => DatabasePath;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    protected override async Task<IStreamLog> OpenLogAsync() => await SqliteStreamLog.OpenAsync(DatabasePath);
}
