using System.Diagnostics.Metrics;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using Microsoft.Extensions.Time.Testing;
using Reactive.Streams.Tests.Support;

namespace Reactive.Streams.Tests.Canal;

/// <summary>
/// Canal edges a user of <c>ChannelReader</c>, Rx and Kafka's consumer reaches for: very long deadlines, sources that
/// emit while being subscribed, pre-cancelled tokens over ready frames, and a failed handler's batch on the lossy canal.
/// </summary>
public class CanalEdgeAuditTests
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 6, 0, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task A_lossy_pull_with_a_deadline_longer_than_one_timer_waits_for_the_next_item()
    {
        var stream = BoundedStream.DropOldest<int>(16);
        await using var canal = LossySubscription.Create(stream, _clock);

        var pull = canal.PullBatchAsync(4, TimeSpan.MaxValue).AsTask();
        Assert.False(pull.IsCompleted);
        stream.TryPush(7);

        Assert.Equal(new[] { 7 }, (await pull.WaitAsync(TestLimits.Hang)).ToArray());
    }

    [Fact]
    public async Task A_lossy_lingering_pull_with_a_long_deadline_keeps_its_items_and_returns_them_when_the_linger_is_met()
    {
        var stream = BoundedStream.DropOldest<int>(16);
        await using var canal = LossySubscription.Create(stream, _clock);
        stream.TryPush(1);

        var pull = canal.PullBatchAsync(4, TimeSpan.FromDays(60), new CanalLinger(2, Timeout.InfiniteTimeSpan)).AsTask();
        Assert.False(pull.IsCompleted);
        stream.TryPush(2);

        Assert.Equal(new[] { 1, 2 }, (await pull.WaitAsync(TestLimits.Hang)).ToArray());
    }

    [Fact]
    public async Task A_lossy_pull_with_a_deadline_of_sixty_days_returns_Empty_after_sixty_virtual_days()
    {
        await using var canal = LossySubscription.Create(BoundedStream.DropOldest<int>(16), _clock);

        var pull = canal.PullBatchAsync(4, TimeSpan.FromDays(60)).AsTask();
        _clock.Advance(TimeSpan.FromDays(59));
        Assert.False(pull.IsCompleted);
        _clock.Advance(TimeSpan.FromDays(1));

        Assert.True((await pull.WaitAsync(TestLimits.Hang)).IsEmpty);
    }

    [Fact]
    public async Task A_lossy_canal_over_an_observable_that_emits_while_subscribed_counts_what_it_skipped()
    {
        await using var canal = LossySubscription.Create(Observable.Range(0, 100), capacity: 10, _clock, "range");

        Assert.Equal(90, canal.Skipped);
        Assert.Equal(Enumerable.Range(90, 10), (await canal.PullBatchAsync(100, TimeSpan.Zero)).ToArray());
        await Assert.ThrowsAsync<CanalClosedException>(() => canal.PullBatchAsync(100, TimeSpan.Zero).AsTask());
    }

    [Fact]
    public async Task A_lossy_canal_over_an_observable_refuses_bad_arguments_naming_them_and_subscribes_to_nothing()
    {
        var subject = new Subject<int>();
        Assert.Equal("capacity", Assert.Throws<ArgumentOutOfRangeException>(() => LossySubscription.Create(subject, 0)).ParamName);
        Assert.Equal("name", Assert.Throws<ArgumentException>(() => LossySubscription.Create(subject, 4, name: "")).ParamName);
        Assert.Equal("source", Assert.Throws<ArgumentNullException>(() => LossySubscription.Create((IObservable<int>)null!, 4)).ParamName);
        Assert.False(subject.HasObservers);
        await Task.CompletedTask;
    }
    [Fact]
    public async Task An_observable_canals_stream_series_counts_what_it_skipped_and_what_its_pulls_took()
    {
        var name = $"canal-range-{Guid.NewGuid():N}";
        await using var canal = LossySubscription.Create(Observable.Range(0, 100), capacity: 10, _clock, name);
        using var cancel = new CancellationTokenSource();
        await cancel.CancelAsync();
        Assert.Equal(Enumerable.Range(90, 4), (await canal.PullBatchAsync(4, TimeSpan.Zero)).ToArray());
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => canal.PullBatchAsync(4, TimeSpan.Zero, cancel.Token).AsTask());

        var seen = Collect(name);

        Assert.Equal(100, seen["reactive_streams.stream.items.pushed"]);
        Assert.Equal(90, seen["reactive_streams.stream.items.dropped"]);
        Assert.Equal(4, seen["reactive_streams.stream.items.delivered"]);
        Assert.Equal(6, seen["reactive_streams.stream.depth"]);
        Assert.Equal(canal.Skipped, seen["reactive_streams.stream.items.dropped"]);
        Assert.Equal(name, canal.Name);
    }

    [Fact]
    public async Task An_unnamed_observable_canal_gets_a_generated_stream_name_which_its_closing_reports()
    {
        var subject = new Subject<int>();
        await using var canal = LossySubscription.Create(subject, capacity: 4, _clock);
        subject.OnCompleted();

        Assert.StartsWith("stream-", canal.Name, StringComparison.Ordinal);
        var closed = await Assert.ThrowsAsync<CanalClosedException>(() => canal.PullBatchAsync(1, Second).AsTask());
        Assert.Equal(canal.Name, closed.CanalName);
    }

    private static Dictionary<string, long> Collect(string streamName)
    {
        var seen = new Dictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == StreamMeter.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == StreamMeter.StreamNameAttribute && tag.Value as string == streamName)
                {
                    seen[instrument.Name] = value;
                }
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();
        return seen;
    }
}
