using System.Text;
using Reactive.Streams.Storage.Tests;
using StackExchange.Redis;

namespace Reactive.Streams.Storage.Redis.Tests;

/// <summary>
/// An append whose script fails in the server writes nothing (docs/stream-log.md: every append is one script, which
/// writes every entry of the batch, trims and updates the stream's hash, or writes nothing), throws the server's error,
/// and leaves the log appending correctly once the cause is gone. Another client has put a string where the batch's
/// Redis stream goes, so the script's first XADD fails: a Lua script is not rolled back, so anything written before
/// it (the stream's hash, the other Redis stream) would stay. The SQLite and PostgreSQL twins are their
/// FailedWriteTests.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class RedisFailedWriteTests(RedisServerFixture server) : IAsyncLifetime
{
    private readonly TestClock _clock = new();
    private RedisStreamLog _log = null!;

    public async Task InitializeAsync()
    {
        server.EnsureRunning();
        _log = await RedisStreamLog.OpenAsync(server.ConfigurationString, new RedisStreamLogOptions { TimeProvider = _clock });
    }

    public async Task DisposeAsync() => await _log.DisposeAsync();

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static string Text(StreamFrame frame) => Encoding.UTF8.GetString(frame.Payload.Span);

    private async Task<string> HashAsync(string key) =>
        string.Join(",", (await _log.Database.HashGetAllAsync(key)).OrderBy(e => (string?)e.Name, StringComparer.Ordinal).Select(e => $"{e.Name}={e.Value}"));

    [Theory]
    [InlineData(AppendMode.Durable)]
    [InlineData(AppendMode.DurableSummary)]
    [InlineData(AppendMode.BestEffortLive)]
    public async Task A_batch_whose_script_fails_in_the_server_writes_nothing_and_the_next_append_continues(AppendMode mode)
    {
        var stream = "failed-" + Guid.NewGuid().ToString("N");
        // The seed goes to the other Redis stream than the batch, whose key another client then fills with a string.
        var seedMode = mode == AppendMode.BestEffortLive ? AppendMode.Durable : AppendMode.BestEffortLive;
        var target = $"rs:{{{stream}}}:{(mode == AppendMode.BestEffortLive ? "l" : "d")}";
        var other = $"rs:{{{stream}}}:{(mode == AppendMode.BestEffortLive ? "d" : "l")}";
        var seed = await _log.AppendAsync(stream, "seed", seedMode);
        _clock.Advance(TimeSpan.FromMilliseconds(10));
        await _log.Database.StringSetAsync(target, "not a stream");
        var hash = await HashAsync($"rs:{{{stream}}}:m");

        var frames = Enumerable.Range(1, 50).Select(i => (ReadOnlyMemory<byte>)Utf8($$"""{"n":{{i}}}""")).ToArray();
        var e = await Assert.ThrowsAsync<RedisServerException>(() => _log.AppendBatchAsync(stream, frames, mode).AsTask());

        Assert.Contains("WRONGTYPE", e.Message, StringComparison.Ordinal);
        Assert.Equal(hash, await HashAsync($"rs:{{{stream}}}:m"));
        Assert.Equal(1, await _log.Database.StreamLengthAsync(other));
        Assert.Equal("not a stream", (string?)await _log.Database.StringGetAsync(target));
        Assert.Null(await _log.ReadSummaryAsync(stream));

        // Once the key is the log's again, the next append takes its own millisecond's first id and counts two frames.
        await _log.Database.KeyDeleteAsync(target);
        var next = await _log.AppendAsync(stream, """{"n":2}""", mode);
        Assert.Equal(new StreamId(seed.Id.Milliseconds + 10, 0), next.Id);
        Assert.Equal(2, next.FrameCount);
        Assert.Equal(mode == AppendMode.DurableSummary ? 1 : 0, next.SummaryVersion);
        Assert.Equal(["seed", """{"n":2}"""], (await _log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10)).Select(Text));
    }
}
