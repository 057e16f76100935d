using BenchmarkDotNet.Attributes;
using Reactive.Streams.Storage.Sqlite;

namespace Reactive.Streams.Benchmarks.Canal;

/// <summary>
/// Issue 21's first target: a consumer group's pull throughput with four members against one member, when the handler
/// takes 1 ms per frame (an awaited delay: I/O-bound work, which is what members scale out). Every operation makes a
/// new group at the beginning of a stream of <see cref="Frames"/> frames in one SQLite file, and its members (one log
/// instance each, as separate processes would have) pull batches of 10, handle every frame and commit, until the group
/// has handed out everything.
/// </summary>
[MemoryDiagnoser]
public class ConsumerGroupThroughputBenchmarks
{
    private const int Frames = 200;
    private const string Stream = "work";
    private readonly List<SqliteStreamLog> _logs = [];
    private string _directory = null!;
    private int _group;

    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("rxs-group-bench-").FullName;
        var path = Path.Combine(_directory, "groups.db");
        for (var i = 0; i < 4; i++)
        {
            _logs.Add(SqliteStreamLog.OpenAsync(path).AsTask().GetAwaiter().GetResult());
        }

        var frames = Enumerable.Range(0, Frames).Select(i => (ReadOnlyMemory<byte>)BitConverter.GetBytes(i)).ToArray();
        _logs[0].AppendBatchAsync(Stream, frames, AppendMode.Durable).AsTask().GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var log in _logs)
        {
            log.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(Baseline = true, Description = "1 member, 1 ms per frame")]
    public Task<int> OneMember() => RunGroupAsync(1);

    [Benchmark(Description = "4 members, 1 ms per frame")]
    public Task<int> FourMembers() => RunGroupAsync(4);

    private async Task<int> RunGroupAsync(int members)
    {
        var group = $"g{Interlocked.Increment(ref _group)}";
        var handled = await Task.WhenAll(Enumerable.Range(0, members).Select(m => Task.Run(async () =>
        {
            var count = 0;
            await using var canal = await ConsumerGroupCanal.OpenAsync(_logs[m], Stream, group, $"m{m}");
            while (true)
            {
                var batch = await canal.PullBatchAsync(10, TimeSpan.Zero);
                if (batch.IsEmpty)
                {
                    return count;
                }

                foreach (var frame in batch)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(1));
                    count++;
                }

                await canal.CommitAsync(batch.Last);
            }
        })));
        var total = handled.Sum();
        return total == Frames ? total : throw new InvalidOperationException($"The group handled {total} frames of {Frames}.");
    }
}
