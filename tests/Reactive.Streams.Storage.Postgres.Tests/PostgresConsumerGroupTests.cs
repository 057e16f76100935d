using Reactive.Streams.Storage.Tests;

namespace Reactive.Streams.Storage.Postgres.Tests;

/// <summary>The consumer-group conformance suite on PostgreSQL: each log instance is its own connection pool.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresConsumerGroupTests : ConsumerGroupConformanceTests
{
    private readonly PostgresServerFixture _server;

    public PostgresConsumerGroupTests(PostgresServerFixture server)
    {
        _server = server;
    }

    public override Task InitializeAsync()
    {
        _server.EnsureRunning();
        return Task.CompletedTask;
    }

    protected override async ValueTask<IConsumerGroupLog> OpenLogAsync(StreamLogOptions options) =>
        await PostgresStreamLog.OpenAsync(_server.ConnectionString, new PostgresStreamLogOptions(options));
}
