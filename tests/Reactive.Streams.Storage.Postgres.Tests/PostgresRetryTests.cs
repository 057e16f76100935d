using Npgsql;
using static Reactive.Streams.Storage.Postgres.PostgresStreamLog;

namespace Reactive.Streams.Storage.Postgres.Tests;

/// <summary>
/// How an idempotent operation's failure is retried: a lost connection clears the pool before the retry, a transient error
/// the server reported on a live connection is retried without closing the connections other callers are using, and
/// anything else is the caller's.
/// </summary>
public sealed class PostgresRetryTests
{
    [Theory]
    [InlineData("57P01")] // admin shutdown: the server ended the connection
    [InlineData("57P02")] // crash shutdown
    [InlineData("57P03")] // the server is starting and does not accept connections yet
    public void A_server_shutting_down_or_starting_clears_the_pool_before_the_retry(string sqlState) =>
        Assert.Equal(RetryAction.ClearPoolAndRetry, Classify(ServerError(sqlState)));

    [Theory]
    [InlineData("40001")] // serialization failure
    [InlineData("40P01")] // deadlock detected
    public void A_transient_error_on_a_live_connection_is_retried_and_the_pool_is_kept(string sqlState) =>
        Assert.Equal(RetryAction.Retry, Classify(ServerError(sqlState)));

    [Theory]
    [InlineData("23505")] // unique violation
    [InlineData("42P01")] // undefined table
    [InlineData("22P02")] // invalid text representation
    public void A_permanent_server_error_is_not_retried(string sqlState) =>
        Assert.Equal(RetryAction.None, Classify(ServerError(sqlState)));

    [Fact]
    public void A_broken_socket_clears_the_pool_before_the_retry() =>
        Assert.Equal(RetryAction.ClearPoolAndRetry, Classify(new NpgsqlException("Exception while reading from stream", new IOException("Connection reset by peer"))));

    [Fact]
    public void A_timeout_clears_the_pool_before_the_retry() =>
        Assert.Equal(RetryAction.ClearPoolAndRetry, Classify(new NpgsqlException("Exception while reading from stream", new TimeoutException("Timeout during reading attempt"))));

    [Fact]
    public void A_client_side_error_is_not_retried() =>
        Assert.Equal(RetryAction.None, Classify(new NpgsqlException("The connection is not open")));

    private static PostgresException ServerError(string sqlState) => new("test", "ERROR", "ERROR", sqlState);
}
