using System.Collections.Concurrent;
using System.Globalization;
using System.Text.RegularExpressions;
using Reactive.Streams.Tests.Support;

namespace Reactive.Streams.Tests.Delivery;

/// <summary>
/// The counters add up after a drain cut short under concurrent dispatching: every dispatch that returned is delivered,
/// dead-lettered, discarded or among the items the shutdown reports unacknowledged (event 6004), and the
/// acknowledgements are exactly the settled items.
/// </summary>
public class DeliveryAccountingTests
{
    [Fact]
    public async Task After_concurrent_dispatches_and_a_disposal_mid_drain_every_returned_dispatch_is_settled_or_reported_unacknowledged()
    {
        const int Producers = 4;
        const int PerProducer = 250;
        const int Hung = 601; // not a multiple of 5 or 7: its first attempt hangs until the disposal cancels it
        var time = new RecordingTimeProvider();
        var logger = new ListLogger();
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sink = new RecordingSink<int>("orders", time, async (item, attempt, ct) =>
        {
            await Task.Yield();
            if (item % 7 == 0)
            {
                throw new PermanentDeliveryException("rejected");
            }

            if (item % 5 == 0 && attempt == 1)
            {
                throw new IOException("flaky");
            }

            if (item == Hung)
            {
                held.TrySetResult();
                await Task.Delay(Timeout.InfiniteTimeSpan, ct);
            }
        });
        var deadLetters = new RecordingSink<DeadLetter<int>>("dead", time, (letter, _, _) =>
            letter.Item % 14 == 0 ? ValueTask.FromException(new PermanentDeliveryException("letter refused")) : ValueTask.CompletedTask);
        var options = new DeliveryOptions<int>
        {
            Name = "accounting",
            TimeProvider = time,
            Logger = logger,
            QueueCapacity = 16,
            MaxBatch = 4,
            BackoffBase = TimeSpan.Zero,
            DeadLetterSink = deadLetters,
        };
        var dispatcher = new DeliveryDispatcher<int>(options.AddSink(sink));
        var acks = new CountingAck[Producers * PerProducer];
        var returned = new ConcurrentBag<int>();
        var producers = Enumerable.Range(0, Producers).Select(p => Task.Run(async () =>
        {
            for (var i = p; i < acks.Length; i += Producers)
            {
                acks[i] = new CountingAck();
                try
                {
                    await dispatcher.DispatchAsync(i, acks[i]);
                }
                catch (InvalidOperationException)
                {
                    return;
                }

                returned.Add(i);
            }
        })).ToArray();

        // The sink hangs on one item and its queue fills up behind it, parking the producers: then the disposal.
        await held.Task.WaitAsync(TestLimits.Hang);
        var deadline = Environment.TickCount64 + (long)TestLimits.Hang.TotalMilliseconds;
        while (dispatcher.GetSinkMetrics("orders").QueueDepth < 16)
        {
            Assert.True(Environment.TickCount64 < deadline, "The queue never filled up behind the hung item.");
            await Task.Yield();
        }

        await dispatcher.DisposeAsync().AsTask().WaitAsync(TestLimits.Hang);
        await Task.WhenAll(producers).WaitAsync(TestLimits.Hang);

        Assert.False(await dispatcher.ShutdownAsync(TimeSpan.Zero));
        var m = dispatcher.GetSinkMetrics("orders");
        var drain = Assert.Single(logger.Entries, e => e.Id.Id == 6004);
        var left = int.Parse(Regex.Match(drain.Message, @"; (\d+) queued item\(s\)").Groups[1].Value, CultureInfo.InvariantCulture);

        // Every dispatch that returned is in exactly one of the outcomes; the acknowledged ones are the settled ones.
        Assert.Equal(returned.Count, m.Delivered + m.DeadLettered + m.Discarded + left);
        Assert.Equal(m.Delivered + m.DeadLettered + m.Discarded, dispatcher.AcknowledgedCount);
        Assert.InRange(left, 17, returned.Count); // the hung item and a full queue at least
        var acked = returned.Where(i => acks[i].Count == 1).ToHashSet();
        Assert.All(acks.Where(a => a is not null), a => Assert.InRange(a.Count, 0, 1));
        Assert.Equal(dispatcher.AcknowledgedCount, acks.Count(a => a is { Count: 1 }));
        Assert.DoesNotContain(Hung, acked);

        // Each acknowledged item was settled as its kind says, and nothing unacknowledged was.
        var committed = sink.Committed.ToHashSet();
        var lettered = deadLetters.Committed.Select(l => l.Item).ToHashSet();
        Assert.Equal(acked.Where(i => i % 7 != 0).Order(), committed.Order());
        Assert.Equal(acked.Where(i => i % 7 == 0 && i % 14 != 0).Order(), lettered.Order());
        Assert.Equal(acked.Count(i => i % 14 == 0), m.Discarded);
        Assert.Equal(committed.Count(i => i % 5 == 0), m.Retries);
        Assert.Equal(acked.Count(i => i % 14 == 0), logger.Entries.Count(e => e.Id.Id == 6002));
    }
}
