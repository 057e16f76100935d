using Reactive.Streams.Canal;
using Reactive.Streams.Storage.Tests;

namespace Reactive.Streams.Tests.Storage;

/// <summary>The consumer-group conformance suite on the in-memory log ("another instance" is the same instance).</summary>
public sealed class InMemoryConsumerGroupTests : ConsumerGroupConformanceTests
{
    private InMemoryStreamLog? _log;

    protected override ValueTask<IConsumerGroupLog> OpenLogAsync(StreamLogOptions options) =>
        new(_log ??= new InMemoryStreamLog(options));

    [Fact]
    public async Task A_requeued_batch_goes_back_in_id_order_less_what_is_no_longer_held_and_is_returned_first()
    {
        var log = await CreateAsync();
        var stream = NewStream();
        var ids = await AppendAsync(log, stream, 6);
        var canal = await OpenCanalAsync(log, stream, "a");
        var first = await canal.PullBatchAsync(3, TimeSpan.Zero);
        var second = await canal.PullBatchAsync(3, TimeSpan.Zero);
        await canal.CommitAsync(first[1]);
        canal.AckTokenFor(second[1]).Acknowledge();
        await canal.FlushAcknowledgementsAsync();

        // The worker gives back both batches, the later one first; only the frames still held return.
        ((IRequeueCanal<StreamFrame>)canal).Requeue(second);
        ((IRequeueCanal<StreamFrame>)canal).Requeue(first);
        Assert.Equal(0, canal.Unacknowledged);
        var again = await canal.PullBatchAsync(10, TimeSpan.Zero);

        Assert.Equal([ids[2], ids[3], ids[5]], again.Select(f => f.Id));
        Assert.Equal(3, canal.Unacknowledged);
        Assert.All(again, f => Assert.Equal(1, canal.DeliveryCountOf(f)));
        await canal.CommitAsync(again[^1]);
        Assert.Equal(0, canal.Unacknowledged);
        Assert.Empty(await log.ReadPendingAsync(stream, "g", null, 10));
    }
}
