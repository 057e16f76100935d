using System.Threading.Tasks.Dataflow;
using BenchmarkDotNet.Attributes;

namespace Reactive.Streams.Benchmarks.Operators;

/// <summary>
/// The policy block against <see cref="BufferBlock{T}"/> with the same <c>BoundedCapacity</c>, each linked to the same
/// bounded <see cref="ActionBlock{TInput}"/>, fed with <c>SendAsync</c> (real backpressure: PauseUpstream postpones
/// exactly as a bounded BufferBlock does), and the ActionBlock fed directly, the floor under both.
/// </summary>
[MemoryDiagnoser]
public class OperatorDataflowBlockBenchmarks
{
    private const int Items = 1_000_000;
    private const int Capacity = 1024;

    [Benchmark(Baseline = true)]
    public Task<long> BufferBlock() => Run(new BufferBlock<long>(new DataflowBlockOptions { BoundedCapacity = Capacity }));

    [Benchmark]
    public Task<long> PauseUpstreamBlock() => Run(new BackpressureBlock<long>(new BoundedStreamOptions<long>(BackpressurePolicy.PauseUpstream, Capacity)));

    /// <summary>
    /// The floor under both: <c>SendAsync</c> straight into the same bounded <see cref="ActionBlock{TInput}"/>, no block
    /// between. What a block between costs is its row minus this one.
    /// </summary>
    [Benchmark]
    public Task<long> ActionBlockAlone() => Run(null);

    private static async Task<long> Run(IPropagatorBlock<long, long>? between)
    {
        long consumed = 0;
        var sink = new ActionBlock<long>(_ => consumed++, new ExecutionDataflowBlockOptions { BoundedCapacity = Capacity });
        ITargetBlock<long> buffer = sink;
        if (between is not null)
        {
            between.LinkTo(sink, new DataflowLinkOptions { PropagateCompletion = true });
            buffer = between;
        }

        for (long i = 0; i < Items; i++)
        {
            await buffer.SendAsync(i).ConfigureAwait(false);
        }

        buffer.Complete();
        await sink.Completion.ConfigureAwait(false);
        return consumed;
    }
}
