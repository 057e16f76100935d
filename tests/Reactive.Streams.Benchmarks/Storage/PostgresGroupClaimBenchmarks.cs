using BenchmarkDotNet.Attributes;
using Reactive.Streams.Storage.Postgres;

namespace Reactive.Streams.Benchmarks.Storage;

/// <summary>
/// Issue 21's PostgreSQL target: one consumer-group claim of a batch of <see cref="Batch"/> frames against one
/// <see cref="CursorCanal"/> pull of the same batch size, on the same log and stream of 20 000 frames. The claim hands out
/// new frames (it writes one lease row for them and moves the group's cursor); <c>claim + ack</c> also acknowledges them
/// (which deletes the lease), the steady state of a member. <c>pg-group-instructions.sh</c> counts the server's share of
/// each in instructions. A reader that reaches the end of the stream starts again (a new canal, a new group),
/// once per 200 operations.
/// </summary>
[MemoryDiagnoser]
public class PostgresGroupClaimBenchmarks
{
    private const int Batch = 100;
    private const string Stream = "claims";
    private ThrowawayPostgres _server = null!;
    private PostgresStreamLog _log = null!;
    private CursorCanal _cursor = null!;
    private CursorCanal _cursorCommit = null!;
    private int _checkpoints;
    private ConsumerGroupCanal _claimOnly = null!;
    private ConsumerGroupCanal _claimAndAck = null!;
    private int _groups;

    [GlobalSetup]
    public void Setup()
    {
        _server = new ThrowawayPostgres();
        _log = PostgresStreamLog.OpenAsync(_server.ConnectionString).AsTask().GetAwaiter().GetResult();
        var payload = new byte[100];
        for (var i = 0; i < 20; i++)
        {
            _log.AppendBatchAsync(Stream, Enumerable.Repeat((ReadOnlyMemory<byte>)payload, 1000).ToArray(), AppendMode.Durable).AsTask().GetAwaiter().GetResult();
        }

        _cursor = CursorCanal.OpenAsync(_log, Stream).AsTask().GetAwaiter().GetResult();
        _cursorCommit = NewCheckpointedCursorAsync().AsTask().GetAwaiter().GetResult();
        _claimOnly = NewMemberAsync().AsTask().GetAwaiter().GetResult();
        _claimAndAck = NewMemberAsync().AsTask().GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _log.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _server.Dispose();
    }

    [Benchmark(Baseline = true, Description = "CursorCanal pull of 100")]
    public async Task<int> CursorPull()
    {
        var batch = await _cursor.PullBatchAsync(Batch, TimeSpan.Zero);
        if (batch.Count < Batch)
        {
            _cursor = await CursorCanal.OpenAsync(_log, Stream);
        }

        return batch.Count;
    }

    /// <summary>
    /// A single consumer's whole at-least-once cycle on the same log: pull 100, then write the checkpoint after the last
    /// (one statement and commit). The counterpart of <see cref="GroupClaimAndAck"/>: each side reads the batch and writes
    /// once to say what was handled; the group also writes once to hand the batch out.
    /// </summary>
    [Benchmark(Description = "CursorCanal pull + checkpoint commit of 100")]
    public async Task<int> CursorPullAndCommit()
    {
        var batch = await _cursorCommit.PullBatchAsync(Batch, TimeSpan.Zero);
        if (!batch.IsEmpty)
        {
            await _cursorCommit.CommitAsync(batch.Last);
        }

        if (batch.Count < Batch)
        {
            _cursorCommit = await NewCheckpointedCursorAsync();
        }

        return batch.Count;
    }

    [Benchmark(Description = "group claim of 100")]
    public async Task<int> GroupClaim()
    {
        var batch = await _claimOnly.PullBatchAsync(Batch, TimeSpan.Zero);
        if (batch.Count < Batch)
        {
            _claimOnly = await NewMemberAsync();
        }

        return batch.Count;
    }

    [Benchmark(Description = "group claim + ack of 100")]
    public async Task<int> GroupClaimAndAck()
    {
        var batch = await _claimAndAck.PullBatchAsync(Batch, TimeSpan.Zero);
        if (!batch.IsEmpty)
        {
            await _claimAndAck.CommitAsync(batch.Last);
        }

        if (batch.Count < Batch)
        {
            _claimAndAck = await NewMemberAsync();
        }

        return batch.Count;
    }

    private ValueTask<CursorCanal> NewCheckpointedCursorAsync() =>
        CursorCanal.OpenAsync(_log, Stream, new CursorCanalOptions { CheckpointId = $"c{Interlocked.Increment(ref _checkpoints)}" });

    private ValueTask<ConsumerGroupCanal> NewMemberAsync() =>
        ConsumerGroupCanal.OpenAsync(_log, Stream, $"g{Interlocked.Increment(ref _groups)}", "member");
}
