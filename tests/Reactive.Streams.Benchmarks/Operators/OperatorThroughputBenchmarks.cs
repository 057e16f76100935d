using System.Reactive.Concurrency;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;

namespace Reactive.Streams.Benchmarks.Operators;

/// <summary>
/// 1,000,000 items from a hot source through the policy operator against Rx's <c>ObserveOn</c> on the same scheduler
/// type. A fast consumer measures the operator's own cost; a slow consumer (a spin per item) shows the backlog:
/// ObserveOn queues every item the consumer has not reached, the policy operator holds at most its capacity
/// (PauseUpstream makes the producer wait, DropOldest sheds). Each case prints its peak backlog (items produced but
/// not yet consumed) and its peak managed-heap growth in the global cleanup, since BenchmarkDotNet reports
/// allocation but not peak memory.
/// </summary>
[MemoryDiagnoser]
public class OperatorThroughputBenchmarks
{
    private const int Items = 1_000_000;
    private const int Capacity = 1024;
    private const int SampleEvery = 4096;
    private IScheduler _scheduler = TaskPoolScheduler.Default;
    private long _peakBacklog;
    private long _peakHeapGrowth;

    // Per invocation, the share of the items the consumer received: DropOldest is fast only honestly if it delivers.
    private readonly List<double> _deliveredShares = [];

    /// <summary>The scheduler type both operators deliver on.</summary>
    [Params("EventLoop", "TaskPool")]
    public string Scheduler { get; set; } = "EventLoop";

    /// <summary>Whether the consumer spins for a while on every item.</summary>
    [Params(false, true)]
    public bool SlowConsumer { get; set; }

    [GlobalSetup]
    public void Setup() => _scheduler = Scheduler == "EventLoop" ? new EventLoopScheduler() : TaskPoolScheduler.Default;

    [GlobalCleanup]
    public void Cleanup()
    {
        (_scheduler as IDisposable)?.Dispose();
        Console.WriteLine($"// PEAK {Scheduler} slow={SlowConsumer}: backlog {_peakBacklog:N0} items, heap growth {_peakHeapGrowth / 1024.0 / 1024.0:N1} MiB");
        if (_deliveredShares.Count > 0)
        {
            _deliveredShares.Sort();
            Console.WriteLine(
                $"// DELIVERED {Scheduler} slow={SlowConsumer}: min {_deliveredShares[0]:P1}, median {_deliveredShares[_deliveredShares.Count / 2]:P1} " +
                $"of the items over {_deliveredShares.Count} invocations");
        }
    }

    [Benchmark(Baseline = true)]
    public long ObserveOn() => Run(source => source.ObserveOn(_scheduler));

    [Benchmark]
    public long PauseUpstream() => Run(source => source.PauseUpstream(Capacity, _scheduler));

    [Benchmark]
    public long DropOldest() => Run(source => source.DropOldest(Capacity, _scheduler));

    private long Run(Func<IObservable<long>, IObservable<long>> decouple)
    {
        var subject = new Subject<long>();
        using var done = new ManualResetEventSlim();
        var consumed = new ConsumedCount();
        var slow = SlowConsumer;
        using var subscription = decouple(subject).Subscribe(
            _ =>
            {
                Volatile.Write(ref consumed.Value, consumed.Value + 1);
                if (slow)
                {
                    Thread.SpinWait(5);
                }
            },
            done.Set);

        var heapAtStart = GC.GetTotalMemory(false);
        for (long i = 0; i < Items; i++)
        {
            subject.OnNext(i);
            if (i % SampleEvery == 0)
            {
                Sample(i, Volatile.Read(ref consumed.Value), heapAtStart);
            }
        }

        Sample(Items, Volatile.Read(ref consumed.Value), heapAtStart);
        subject.OnCompleted();
        done.Wait();
        _deliveredShares.Add((double)consumed.Value / Items);
        return consumed.Value;
    }

    private void Sample(long produced, long consumed, long heapAtStart)
    {
        // The operator sheds under DropOldest, so "backlog" there is bounded by what it buffers, not produced - consumed.
        _peakBacklog = Math.Max(_peakBacklog, produced - consumed);
        _peakHeapGrowth = Math.Max(_peakHeapGrowth, GC.GetTotalMemory(false) - heapAtStart);
    }

    /// <summary>
    /// The consumer's count, on a cache line of its own. As a captured local it lived in the closure, which is allocated
    /// just before the <c>Subject</c> whose observers the producer reads on every <c>OnNext</c>: in about half of the
    /// alignments the allocator gives, the two shared a cache line, and the count the consumer writes per item cost the
    /// producer a miss per item. In a stand-alone loop that alone put <c>ObserveOn</c> on the task pool at 140-255 ms a
    /// round instead of 40, and the operators at 15-22 ms instead of 10-15.
    /// </summary>
    [StructLayout(LayoutKind.Explicit, Size = 3 * 64)]
    private sealed class ConsumedCount
    {
        [FieldOffset(64)]
        public long Value;
    }
}
