using Reactive.Streams.Storage.Tests;
using StackExchange.Redis;

namespace Reactive.Streams.Storage.Redis.Tests;

/// <summary>
/// A user who pointed the log at keys another client filled with something else (a prefix shared with other data, a
/// checkpoint id that is some other key's name) is told which key: Redis's own <c>WRONGTYPE</c> reply names none. The
/// error stays a <see cref="RedisServerException"/> that starts with <c>WRONGTYPE</c>, and names the key, what it holds
/// and what the log keeps there, as the group calls' errors do (RedisConsumerGroupTests).
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class RedisWrongTypeTests(RedisServerFixture server) : IAsyncLifetime
{
    private static readonly TimeSpan Guard = TimeSpan.FromMinutes(1);
    private readonly TestClock _clock = new();
    private RedisStreamLog _log = null!;

    public async Task InitializeAsync()
    {
        server.EnsureRunning();
        _log = await RedisStreamLog.OpenAsync(server.ConfigurationString, new RedisStreamLogOptions { TimeProvider = _clock });
    }

    public async Task DisposeAsync() => await _log.DisposeAsync();

    private IDatabase Db => _log.Database;

    private static string NewStream() => "wrongtype-" + Guid.NewGuid().ToString("N");

    private static void AssertNames(RedisServerException e, string key, string holds, string keeps)
    {
        Assert.StartsWith("WRONGTYPE", e.Message, StringComparison.Ordinal);
        Assert.Contains($"the key {key} holds a {holds} where the log keeps a {keeps}", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(AppendMode.Durable, "d")]
    [InlineData(AppendMode.DurableSummary, "d")]
    [InlineData(AppendMode.BestEffortLive, "l")]
    public async Task An_append_onto_a_stream_key_holding_a_string_names_the_key_and_writes_nothing(AppendMode mode, string half)
    {
        var stream = NewStream();
        var key = $"rs:{{{stream}}}:{half}";
        await Db.StringSetAsync(key, "someone else's");

        var e = await Assert.ThrowsAsync<RedisServerException>(() => _log.AppendAsync(stream, "{}"u8.ToArray(), mode).AsTask());

        AssertNames(e, key, "string", "stream");
        Assert.Contains("nothing was written", e.Message, StringComparison.Ordinal);
        Assert.False(await Db.KeyExistsAsync($"rs:{{{stream}}}:m"));
        Assert.Equal("someone else's", (string?)await Db.StringGetAsync(key));
    }

    [Theory]
    [InlineData(AppendMode.Durable)]
    [InlineData(AppendMode.DurableSummary)]
    [InlineData(AppendMode.BestEffortLive)]
    public async Task An_append_whose_stream_hash_key_holds_a_list_names_the_key(AppendMode mode)
    {
        var stream = NewStream();
        var key = $"rs:{{{stream}}}:m";
        await Db.ListRightPushAsync(key, "someone else's");

        var e = await Assert.ThrowsAsync<RedisServerException>(() => _log.AppendBatchAsync(stream, ["{}"u8.ToArray(), "{}"u8.ToArray()], mode).AsTask());

        AssertNames(e, key, "list", "hash");
        Assert.False(await Db.KeyExistsAsync($"rs:{{{stream}}}:d"));
        Assert.False(await Db.KeyExistsAsync($"rs:{{{stream}}}:l"));
    }

    [Fact]
    public async Task A_summary_append_with_a_patch_names_the_key_too()
    {
        var stream = NewStream();
        var key = $"rs:{{{stream}}}:m";
        await Db.SetAddAsync(key, "someone else's");

        var e = await Assert.ThrowsAsync<RedisServerException>(
            () => _log.AppendAsync(stream, """{"a":{"b":1}}""", AppendMode.DurableSummary).AsTask());

        AssertNames(e, key, "set", "hash");
    }

    [Theory]
    [InlineData("d")]
    [InlineData("l")]
    public async Task A_read_and_a_tail_where_a_stream_key_holds_a_sorted_set_name_the_key(string half)
    {
        var stream = NewStream();
        await _log.AppendAsync(stream, "kept", half == "d" ? AppendMode.BestEffortLive : AppendMode.Durable);
        var key = $"rs:{{{stream}}}:{half}";
        await Db.SortedSetAddAsync(key, "someone else's", 1);

        var read = await Assert.ThrowsAsync<RedisServerException>(() => _log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10).AsTask());
        var tail = await Assert.ThrowsAsync<RedisServerException>(() => _log.TailAsync(stream, StreamId.Min, TimeSpan.FromSeconds(5), 10).AsTask().WaitAsync(Guard));

        AssertNames(read, key, "zset", "stream");
        AssertNames(tail, key, "zset", "stream");
    }

    [Fact]
    public async Task Reading_the_summary_where_the_stream_hash_key_holds_a_string_names_the_key()
    {
        var stream = NewStream();
        var key = $"rs:{{{stream}}}:m";
        await Db.StringSetAsync(key, "someone else's");

        var e = await Assert.ThrowsAsync<RedisServerException>(() => _log.ReadSummaryAsync(stream).AsTask());

        AssertNames(e, key, "string", "hash");
    }

    [Fact]
    public async Task A_checkpoint_whose_key_holds_a_hash_names_the_key_on_read_and_write()
    {
        var id = "cp-" + Guid.NewGuid().ToString("N");
        var key = $"rs:checkpoint:{id}";
        await Db.HashSetAsync(key, "f", "someone else's");

        var read = await Assert.ThrowsAsync<RedisServerException>(() => _log.ReadCheckpointAsync(id).AsTask());
        AssertNames(read, key, "hash", "string");

        // SET overwrites a key of any kind, as Redis does: a write is not refused, and the checkpoint then reads back.
        await _log.WriteCheckpointAsync(id, new StreamId(5, 1));
        Assert.Equal(new StreamId(5, 1), await _log.ReadCheckpointAsync(id));
    }

    [Fact]
    public async Task Once_the_key_is_the_log_s_again_the_same_calls_work()
    {
        var stream = NewStream();
        var key = $"rs:{{{stream}}}:d";
        await Db.StringSetAsync(key, "someone else's");
        await Assert.ThrowsAsync<RedisServerException>(() => _log.AppendAsync(stream, "x"u8.ToArray(), AppendMode.Durable).AsTask());

        await Db.KeyDeleteAsync(key);
        var appended = await _log.AppendAsync(stream, "x"u8.ToArray(), AppendMode.Durable);

        Assert.Equal(appended.Id, Assert.Single(await _log.ReadAsync(stream, StreamId.Min, StreamId.Max, 10)).Id);
    }

    [Fact]
    public async Task Reading_a_group_s_pending_frames_where_its_times_key_holds_a_string_names_the_key()
    {
        var stream = NewStream();
        await _log.AppendAsync(stream, "x"u8.ToArray(), AppendMode.Durable);
        await _log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);
        await _log.ClaimAsync(stream, "g", "a", 10, TimeSpan.FromSeconds(10));
        var key = $"rs:{{{stream}}}:g:g:z";
        await Db.KeyDeleteAsync(key);
        await Db.StringSetAsync(key, "someone else's");

        var e = await Assert.ThrowsAsync<RedisServerException>(() => _log.ReadPendingAsync(stream, "g", null, 10).AsTask());

        AssertNames(e, key, "string", "zset");
    }

    [Fact]
    public async Task Reading_a_group_where_its_members_key_holds_a_list_names_the_key()
    {
        var stream = NewStream();
        await _log.AppendAsync(stream, "x"u8.ToArray(), AppendMode.Durable);
        await _log.CreateGroupAsync(stream, "g", ConsumerGroupStart.Beginning);
        await _log.ClaimAsync(stream, "g", "a", 10, TimeSpan.FromSeconds(10));
        var key = $"rs:{{{stream}}}:g:g:c";
        await Db.KeyDeleteAsync(key);
        await Db.ListRightPushAsync(key, "someone else's");

        var e = await Assert.ThrowsAsync<RedisServerException>(() => _log.ReadGroupAsync(stream, "g").AsTask());

        AssertNames(e, key, "list", "hash");
    }
}
