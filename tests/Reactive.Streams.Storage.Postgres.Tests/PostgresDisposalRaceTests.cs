using Reactive.Streams.Storage.Tests;

namespace Reactive.Streams.Storage.Postgres.Tests;

/// <summary>Disposing a PostgreSQL log while appends are in flight, read back through a fresh log.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresDisposalRaceTests
{
    // A failure guard against hangs; never a bound on how long correct code takes.
    private static readonly TimeSpan Guard = TimeSpan.FromMinutes(1);
    private readonly PostgresServerFixture _server;

    public PostgresDisposalRaceTests(PostgresServerFixture server)
    {
        _server = server;
        _server.EnsureRunning();
    }

    /// <summary>
    /// Disposal racing appends of every kind: each append either returned (and its frame is stored) or threw (and its
    /// frame is not stored); an append is never reported failed but written, nor reported written but lost.
    /// </summary>
    [Fact]
    public async Task Disposal_racing_appends_leaves_every_append_either_reported_and_stored_or_thrown_and_not_stored()
    {
        await DisposalRace.AssertEachAppendIsStoredIffReportedAsync(async () => await PostgresStreamLog.OpenAsync(_server.ConnectionString), Guard);
    }
}
