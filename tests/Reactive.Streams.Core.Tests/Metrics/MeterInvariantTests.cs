using System.Threading.Tasks.Dataflow;

namespace Reactive.Streams.Tests.Metrics;

/// <summary>
/// docs/metrics.md, "Counts are per component": pushed = delivered + dropped + degraded + overflows + rejected + depth,
/// for every policy on every pull surface and buffer mode, as an OpenTelemetry user sees it through a listener (on a
/// meter of the test's own, so parallel tests cannot add to the series), and the same values as the snapshot.
/// </summary>
public sealed class MeterInvariantTests
{
    public static TheoryData<BackpressurePolicy, string> Cases()
    {
        var data = new TheoryData<BackpressurePolicy, string>();
        foreach (var policy in Enum.GetValues<BackpressurePolicy>())
        {
            foreach (var surface in new[] { "stream", "stream single-writer", "stream single-reader", "stream single-both", "channel", "block" })
            {
                data.Add(policy, surface);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_listener_sees_every_push_accounted_for_and_the_snapshots_values(BackpressurePolicy policy, string surface)
    {
        using var meter = new MeterSeriesTests.ScopedMeter();
        var name = $"inv-{Guid.NewGuid():N}";
        var options = new BoundedStreamOptions<int>(policy, 2)
        {
            Name = name,
            MeterFactory = meter.Factory,
            Degrader = static x => x < 0 ? x : -x,
            PauseTimeout = policy == BackpressurePolicy.PauseUpstream ? TimeSpan.Zero : null,
            SingleWriter = surface.EndsWith("single-writer", StringComparison.Ordinal) || surface.EndsWith("single-both", StringComparison.Ordinal),
            SingleReader = surface.EndsWith("single-reader", StringComparison.Ordinal) || surface.EndsWith("single-both", StringComparison.Ordinal),
        };

        IMeteredStream metered;
        Func<int, bool> push;
        Func<bool> read;
        Action complete;
        switch (surface)
        {
            case "channel":
                var channel = BackpressureChannel.Create(options);
                metered = (IMeteredStream)channel;
                push = channel.Writer.TryWrite;
                read = () => channel.Reader.TryRead(out _);
                complete = () => channel.Writer.TryComplete();
                break;
            case "block":
                var block = new BackpressureBlock<int>(options);
                metered = block;
                push = block.Post;
                read = () => block.TryReceive(out _);
                complete = block.Complete;
                break;
            default:
                var stream = BoundedStream.Create(options);
                metered = stream;
                push = i => stream.TryPush(i).IsAccepted;
                read = () => stream.TryRead(out _);
                complete = () => stream.Complete();
                break;
        }

        for (var i = 1; i <= 5; i++)
        {
            push(i);
        }

        Assert.True(read());
        push(6);
        push(7);
        Assert.True(read());
        complete();
        Assert.False(push(8));

        var snapshot = metered.GetMetrics();
        var seen = meter.Collect().Where(m => m.Stream == name).ToList();
        Assert.All(seen, m => Assert.Equal(policy.ToString(), m.Policy));
        long Value(string instrument) => Assert.Single(seen, m => m.Instrument == "reactive_streams.stream." + instrument).Value;

        var pushed = Value("items.pushed");
        var accounted = Value("items.delivered") + Value("items.dropped") + Value("items.degraded") + Value("overflows")
            + Value("items.rejected") + Value("depth");
        // docs/engine.md: a push that cannot wait (TryPush, TryWrite, Post) on a full PauseUpstream buffer is not a push:
        // the caller keeps the item and nothing is counted (3, 4, 5 and 7 here).
        Assert.Equal(policy == BackpressurePolicy.PauseUpstream ? 4 : 8, pushed);
        Assert.Equal(pushed, accounted);
        Assert.Equal(
            new StreamMetricsSnapshot(
                Value("items.pushed"), Value("items.delivered"), Value("items.dropped"), Value("items.degraded"),
                Value("pushes.paused"), Value("overflows"), Value("items.rejected"), (int)Value("depth")),
            snapshot);
        Assert.Equal(
            snapshot.ItemsPushed,
            snapshot.ItemsDelivered + snapshot.DropOldestHits + snapshot.DegradeQualityHits + snapshot.FailOverflows + snapshot.ItemsRejected + snapshot.Depth);
        GC.KeepAlive(metered);
    }
}
