using Npgsql;
using Reactive.Streams.Tests.Pipeline;

namespace Reactive.Streams.Storage.Postgres.Tests;

/// <summary>The kill test on PostgreSQL, in a database of its own on the throwaway server.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresPipelineKillTests(PostgresServerFixture server) : PipelineKillTests, IAsyncLifetime
{
    private readonly string _database = $"kill_{Guid.NewGuid():N}";

    protected override string ConsumerArgument => new NpgsqlConnectionStringBuilder(server.ConnectionString) { Database = _database }.ConnectionString;

    protected override async Task<IStreamLog> OpenLogAsync() => await PostgresStreamLog.OpenAsync(ConsumerArgument);

    public async Task InitializeAsync()
    {
        server.EnsureRunning();
        await using var connection = new NpgsqlConnection(server.ConnectionString);
        await connection.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE {_database}", connection);
        await create.ExecuteNonQueryAsync();
    }

    public Task DisposeAsync() => Task.CompletedTask;
}
