using Npgsql;
using Reactive.Streams.Tests.Pipeline;

namespace Reactive.Streams.Storage.Postgres.Tests;

/// <summary>The group kill test on PostgreSQL: three member processes, each with its own pool, in a database of its own.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresGroupKillTests(PostgresServerFixture server) : GroupKillTests, IAsyncLifetime
{
    private readonly string _database = $"group_kill_{Guid.NewGuid():N}";

    protected override string MemberArgument => new NpgsqlConnectionStringBuilder(server.ConnectionString) { Database = _database }.ConnectionString;

    protected override async Task<IConsumerGroupLog> OpenLogAsync() => await PostgresStreamLog.OpenAsync(MemberArgument);

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
