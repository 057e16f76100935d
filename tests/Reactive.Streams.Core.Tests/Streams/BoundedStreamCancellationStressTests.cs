namespace Reactive.Streams.Tests.Streams;

/// <summary>
/// Cancellation and completion racing parked producers and consumers: the engine's single-completion rule (whoever
/// unlinks a waiter completes it) must keep every count exact.
/// </summary>
public class BoundedStreamCancellationStressTests
{
    [Fact]
    public async Task Cancelled_PauseUpstream_pushes_are_rejected_exactly_once_and_never_delivered()
    {
        const int Producers = 4;
        const int PerProducer = 20_000;
        var stream = BoundedStream.PauseUpstream<long>(4);
        var delivered = new HashSet<long>();
        var consumer = Task.Run(async () =>
        {
            await foreach (var item in stream.ReadAllAsync())
            {
                Assert.True(delivered.Add(item));
                if (item % 7 == 0)
                {
                    await Task.Yield();
                }
            }
        });

        var producers = Enumerable.Range(0, Producers).Select(p => Task.Run(async () =>
        {
            var cancelled = new List<long>();
            for (long i = 0; i < PerProducer; i++)
            {
                var item = ((long)p << 32) | i;
                using var cts = new CancellationTokenSource();
                var push = stream.PushAsync(item, cts.Token);
                if (i % 3 == 0)
                {
                    cts.Cancel();
                }

                try
                {
                    await push;
                }
                catch (OperationCanceledException)
                {
                    cancelled.Add(item);
                }
            }

            return cancelled;
        })).ToArray();

        var cancelledItems = (await Task.WhenAll(producers)).SelectMany(c => c).ToList();
        stream.Complete();
        await consumer;

        var metrics = stream.GetMetrics();
        Assert.Equal(Producers * PerProducer, metrics.ItemsPushed);
        Assert.Equal(cancelledItems.Count, metrics.ItemsRejected);
        Assert.Equal(delivered.Count, metrics.ItemsDelivered);
        Assert.Equal(Producers * PerProducer, delivered.Count + cancelledItems.Count);
        Assert.DoesNotContain(cancelledItems, delivered.Contains);
        Assert.True(metrics.IsConserved);
    }

    [Fact]
    public async Task Cancelled_reads_never_lose_an_item()
    {
        const int Items = 50_000;
        var stream = BoundedStream.PauseUpstream<int>(8);
        var producer = Task.Run(async () =>
        {
            for (var i = 0; i < Items; i++)
            {
                await stream.PushAsync(i);
            }

            stream.Complete();
        });

        var received = new List<int>();
        var random = new Random(42);
        while (true)
        {
            using var cts = new CancellationTokenSource();
            var read = stream.ReadAsync(cts.Token);
            if (random.Next(4) == 0)
            {
                cts.Cancel();
            }

            try
            {
                received.Add(await read);
            }
            catch (OperationCanceledException)
            {
            }
            catch (StreamClosedException)
            {
                break;
            }
        }

        await producer;
        Assert.Equal(Enumerable.Range(0, Items), received);
        Assert.Equal(new StreamMetricsSnapshot(Items, Items, 0, 0, stream.GetMetrics().PauseUpstreamBlocks, 0, 0, 0), stream.GetMetrics());
    }

    [Fact]
    public async Task Completion_racing_parked_producers_rejects_each_exactly_once()
    {
        for (var round = 0; round < 200; round++)
        {
            var stream = BoundedStream.PauseUpstream<int>(1);
            await stream.PushAsync(-1);
            var pushes = Enumerable.Range(0, 8).Select(i => Task.Run(() => stream.PushAsync(i).AsTask())).ToArray();
            var reader = Task.Run(() => stream.TryRead(out _));
            stream.TryComplete();
            await reader;

            var outcomes = await Task.WhenAll(pushes.Select(async p =>
            {
                try
                {
                    await p;
                    return true;
                }
                catch (StreamClosedException)
                {
                    return false;
                }
            }));

            var metrics = stream.GetMetrics();
            Assert.Equal(9, metrics.ItemsPushed);
            Assert.Equal(outcomes.Count(ok => !ok), metrics.ItemsRejected);
            Assert.True(metrics.IsConserved, metrics.ToString());
        }
    }
}
