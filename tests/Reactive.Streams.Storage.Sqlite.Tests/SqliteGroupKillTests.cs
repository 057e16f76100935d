using Reactive.Streams.Tests.Pipeline;

namespace Reactive.Streams.Storage.Sqlite.Tests;

/// <summary>The group kill test on SQLite: three member processes share one file.</summary>
public sealed class SqliteGroupKillTests : GroupKillTests, IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("rxs-group-kill-").FullName;

    protected override string MemberArgument => Path.Combine(_directory, "group.db");

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    protected override async Task<IConsumerGroupLog> OpenLogAsync() => await SqliteStreamLog.OpenAsync(MemberArgument);
}
