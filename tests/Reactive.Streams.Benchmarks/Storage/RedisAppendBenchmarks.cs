using BenchmarkDotNet.Attributes;
using Reactive.Streams.Storage.Redis;
using StackExchange.Redis;

namespace Reactive.Streams.Benchmarks.Storage;

/// <summary>
/// Redis appends: the log's durable append (one EVALSHA of the append script: id from the stream's last id and the
/// log's clock, XADD, the stream's hash, XLEN, PUBLISH) against a bare <c>XADD key * p payload</c> sent through the
/// same multiplexer, one awaited call at a time, to a server the benchmark starts. Two more rows part the append's time:
/// the append script itself with the log's arguments, straight through the multiplexer, and an empty script
/// (<c>return 1</c>), the cost of sending any script.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
public class RedisAppendBenchmarks
{
    private readonly byte[] _payload = new byte[100];
    private ThrowawayRedis _server = null!;
    private RedisStreamLog _log = null!;
    private IDatabase _database = null!;
    private byte[] _emptyHash = null!;

    [GlobalSetup]
    public void Setup()
    {
        Random.Shared.NextBytes(_payload);
        _server = new ThrowawayRedis();
        _log = RedisStreamLog.OpenAsync(_server.Configuration).AsTask().GetAwaiter().GetResult();
        _database = _log.Database;
        _emptyHash = Convert.FromHexString((string)_database.Execute("SCRIPT", "LOAD", "return 1")!);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _log.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _server.Dispose();
    }

    [Benchmark(Baseline = true, Description = "bare XADD, same multiplexer")]
    public async Task<RedisValue> BareXadd() =>
        await _database.StreamAddAsync("bare", "p", _payload);

    [Benchmark(Description = "append script alone (EVALSHA)")]
    public async Task<RedisResult> AppendScript()
    {
        var retention = new StreamLogOptions().LiveRetention;
        RedisKey[] keys = ["rs:{script}:d", "rs:{script}:l", "rs:{script}:m"];
        RedisValue[] args =
        [
            "rs:append", "script", 1, "0", retention.Alpha, retention.Ttl.TotalSeconds, retention.Floor, retention.Ceiling,
            RedisValue.EmptyString, RedisValue.EmptyString, 1, _payload, 0,
        ];
        return await _database.ScriptEvaluateAsync(Scripts.AppendHash, keys, args);
    }

    [Benchmark(Description = "empty script (EVALSHA, return 1)")]
    public async Task<RedisResult> EmptyScript() =>
        await _database.ScriptEvaluateAsync(_emptyHash, [], []);

    [Benchmark(Description = "log append (Durable)")]
    public async Task<long> LogAppend() =>
        (await _log.AppendAsync("log", _payload, AppendMode.Durable)).FrameCount;
}
