using System.Text;
using Reactive.Streams.Storage.Tests;
using StackExchange.Redis;

namespace Reactive.Streams.Storage.Redis.Tests;

/// <summary>
/// docs/stream-log.md, "Payload size": Redis refuses an argument longer than its <c>proto-max-bulk-len</c>, and a frame
/// over that limit fails with the backend's own exception inside the append's script, so it writes nothing. Redis
/// answers such a command with a protocol error and closes the connection, so the log must also go on afterwards. The
/// server's limit is lowered to its least value (1 MB) for the test and put back after it.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class RedisOversizedFrameTests : IAsyncLifetime
{
    private const int BulkLimit = 1024 * 1024;
    private readonly RedisServerFixture _server;
    private readonly TestClock _clock = new();
    private string? _previousLimit;

    public RedisOversizedFrameTests(RedisServerFixture server)
    {
        _server = server;
    }

    public async Task InitializeAsync()
    {
        _server.EnsureRunning();
        await using var admin = await ConnectAdminAsync();
        var server = admin.GetServer(admin.GetEndPoints()[0]);
        _previousLimit = (await server.ConfigGetAsync("proto-max-bulk-len")).Single().Value;
        await server.ConfigSetAsync("proto-max-bulk-len", BulkLimit);
    }

    public async Task DisposeAsync()
    {
        if (_previousLimit is not null)
        {
            await using var admin = await ConnectAdminAsync();
            await admin.GetServer(admin.GetEndPoints()[0]).ConfigSetAsync("proto-max-bulk-len", _previousLimit);
        }
    }

    public static TheoryData<AppendMode, bool> Cases => new()
    {
        { AppendMode.Durable, false },
        { AppendMode.Durable, true },
        { AppendMode.DurableSummary, false },
        { AppendMode.DurableSummary, true },
        { AppendMode.BestEffortLive, false },
        { AppendMode.BestEffortLive, true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_frame_over_the_servers_bulk_limit_fails_its_append_writes_nothing_and_the_log_goes_on(AppendMode mode, bool inBatch)
    {
        var prefix = $"big{Guid.NewGuid():N}:";
        await using var log = await RedisStreamLog.OpenAsync(_server.ConfigurationString, new RedisStreamLogOptions { TimeProvider = _clock, KeyPrefix = prefix });
        const string Stream = "s";
        var first = await log.AppendAsync(Stream, """{"n":0}""", AppendMode.DurableSummary);
        var big = Payload(mode, BulkLimit + 1);

        Task append = inBatch
            ? log.AppendBatchAsync(Stream, [Payload(mode, 10), big, Payload(mode, 10)], mode).AsTask()
            : log.AppendAsync(Stream, big, mode).AsTask();
        await Assert.ThrowsAnyAsync<RedisException>(() => append.WaitAsync(TimeSpan.FromMinutes(1)));

        // Nothing of the append is there, through this log or another connection.
        foreach (var reader in new[] { log, await RedisStreamLog.OpenAsync(_server.ConfigurationString, new RedisStreamLogOptions { KeyPrefix = prefix }) })
        {
            var frames = await reader.ReadAsync(Stream, StreamId.Min, StreamId.Max, 10).AsTask().WaitAsync(TimeSpan.FromMinutes(1));
            Assert.Equal([first.Id], frames.Select(f => f.Id));
            var summary = await reader.ReadSummaryAsync(Stream);
            Assert.Equal((1L, 0), (summary!.Version, summary.Document.GetProperty("n").GetInt32()));
            if (reader != log)
            {
                await reader.DisposeAsync();
            }
        }

        // The log goes on: the next append of any mode is written once, after the one that was refused.
        var next = await log.AppendAsync(Stream, """{"n":1}""", AppendMode.DurableSummary).AsTask().WaitAsync(TimeSpan.FromMinutes(1));
        Assert.True(next.Id > first.Id);
        Assert.Equal((2L, 2L), (next.FrameCount, next.SummaryVersion));
    }

    [Fact]
    public async Task A_patch_that_would_grow_the_summary_past_the_bulk_limit_fails_writes_nothing_and_the_stream_goes_on()
    {
        // Every summary append sends the whole merged summary as one argument: the summary is capped by the limit too,
        // though each patch is well under it.
        var prefix = $"big{Guid.NewGuid():N}:";
        await using var log = await RedisStreamLog.OpenAsync(_server.ConfigurationString, new RedisStreamLogOptions { TimeProvider = _clock, KeyPrefix = prefix });
        const string Stream = "s";
        var half = new string('a', (BulkLimit / 2) + 1);
        var first = await log.AppendAsync(Stream, $$"""{"one":"{{half}}"}""", AppendMode.DurableSummary);

        await Assert.ThrowsAnyAsync<RedisException>(() => log.AppendAsync(Stream, $$"""{"two":"{{half}}"}""", AppendMode.DurableSummary).AsTask().WaitAsync(TimeSpan.FromMinutes(1)));

        Assert.Equal([first.Id], (await log.ReadAsync(Stream, StreamId.Min, StreamId.Max, 10)).Select(f => f.Id));
        var summary = await log.ReadSummaryAsync(Stream);
        Assert.Equal(1, summary!.Version);
        Assert.False(summary.Document.TryGetProperty("two", out _));

        // The stream goes on: frames of the other modes, and a patch that keeps the summary under the limit.
        await log.AppendAsync(Stream, "durable", AppendMode.Durable);
        await log.AppendAsync(Stream, "live", AppendMode.BestEffortLive);
        var shrunk = await log.AppendAsync(Stream, """{"one":null,"two":"small"}""", AppendMode.DurableSummary);
        Assert.Equal((4L, 2L), (shrunk.FrameCount, shrunk.SummaryVersion));
        Assert.Equal("""{"two":"small"}""", (await log.ReadSummaryAsync(Stream))!.Document.GetRawText());
    }

    [Theory]
    [InlineData(AppendMode.Durable)]
    [InlineData(AppendMode.DurableSummary)]
    [InlineData(AppendMode.BestEffortLive)]
    public async Task A_batch_whose_last_frame_the_server_refuses_writes_none_of_its_frames(AppendMode mode)
    {
        // The batch is one script: the frames before the refused one are not written either.
        var prefix = $"big{Guid.NewGuid():N}:";
        await using var log = await RedisStreamLog.OpenAsync(_server.ConfigurationString, new RedisStreamLogOptions { TimeProvider = _clock, KeyPrefix = prefix });
        const string Stream = "s";
        var frames = Enumerable.Range(0, 8).Select(_ => Payload(mode, 100)).Append(Payload(mode, BulkLimit + 1)).ToArray();

        await Assert.ThrowsAnyAsync<RedisException>(() => log.AppendBatchAsync(Stream, frames, mode).AsTask().WaitAsync(TimeSpan.FromMinutes(1)));

        Assert.Empty(await log.ReadAsync(Stream, StreamId.Min, StreamId.Max, 100).AsTask().WaitAsync(TimeSpan.FromMinutes(1)));
        Assert.Null(await log.ReadSummaryAsync(Stream));
        var next = await log.AppendBatchAsync(Stream, frames[..8], mode);
        Assert.Equal(8, next.FrameCount);
    }

    private static ReadOnlyMemory<byte> Payload(AppendMode mode, int length)
    {
        if (mode != AppendMode.DurableSummary)
        {
            return new byte[length];
        }

        const string Head = """{"x":""";
        var text = Head + "\"" + new string('a', Math.Max(0, length - Head.Length - 3)) + "\"}";
        return Encoding.UTF8.GetBytes(text);
    }

    private Task<ConnectionMultiplexer> ConnectAdminAsync() =>
        ConnectionMultiplexer.ConnectAsync(_server.ConfigurationString + ",allowAdmin=true");
}
