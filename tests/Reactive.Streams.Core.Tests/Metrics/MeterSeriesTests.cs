using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.DependencyInjection;

namespace Reactive.Streams.Tests.Metrics;

/// <summary>
/// The meter's series as a listener sees them, each test on a meter of its own (an <see cref="IMeterFactory"/> of its
/// own container), so tests running beside it cannot add to its series.
/// </summary>
public sealed class MeterSeriesTests
{
    private sealed record Left;

    private sealed record Right;

    [Fact]
    public void Unnamed_streams_of_different_item_types_get_different_names_and_so_different_series()
    {
        // Two item types no other test uses: before the fix each type counted its own stream-N from 1.
        using var meter = new ScopedMeter();
        var left = BoundedStream.Create(new BoundedStreamOptions<Left>(BackpressurePolicy.DropOldest, 2) { MeterFactory = meter.Factory });
        var right = BoundedStream.Create(new BoundedStreamOptions<Right>(BackpressurePolicy.DropOldest, 2) { MeterFactory = meter.Factory });
        left.TryPush(new Left());
        right.TryPush(new Right());
        right.TryPush(new Right());

        Assert.NotEqual(left.Name, right.Name);
        var pushed = meter.Collect().Where(m => m.Instrument == "reactive_streams.stream.items.pushed").ToDictionary(m => m.Stream!, m => m.Value);
        Assert.Equal(1, pushed[left.Name]);
        Assert.Equal(2, pushed[right.Name]);
        GC.KeepAlive(left);
        GC.KeepAlive(right);
    }

    [Fact]
    public void Unnamed_dispatchers_of_different_item_types_get_different_names()
    {
        // Item types no other test dispatches: before the fix each type counted its own delivery-N from 1.
        var left = new DeliveryOptions<Left>();
        var right = new DeliveryOptions<Right>();

        Assert.NotEqual(left.Name, right.Name);
    }

    /// <summary>A container's <see cref="IMeterFactory"/> and a collection of the stream instruments on its meter.</summary>
    internal sealed class ScopedMeter : IDisposable
    {
        private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();

        public IMeterFactory Factory => _services.GetRequiredService<IMeterFactory>();

        public void Dispose() => _services.Dispose();

        /// <summary>One collection of every instrument on this factory's meter: each measurement with its tags.</summary>
        public List<(string Instrument, string? Stream, string? Policy, string? Dispatcher, string? Sink, long Value)> Collect()
        {
            var seen = new List<(string, string?, string?, string?, string?, long)>();
            var factory = Factory;
            using var listener = new MeterListener();
            listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Scope == factory && instrument.Meter.Name == StreamMeter.MeterName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            {
                string? stream = null, policy = null, dispatcher = null, sink = null;
                foreach (var tag in tags)
                {
                    switch (tag.Key)
                    {
                        case StreamMeter.StreamNameAttribute: stream = tag.Value as string; break;
                        case StreamMeter.StreamPolicyAttribute: policy = tag.Value as string; break;
                        case StreamMeter.DispatcherNameAttribute: dispatcher = tag.Value as string; break;
                        case StreamMeter.SinkNameAttribute: sink = tag.Value as string; break;
                    }
                }

                lock (seen)
                {
                    seen.Add((instrument.Name, stream, policy, dispatcher, sink, value));
                }
            });
            listener.Start();
            listener.RecordObservableInstruments();
            return seen;
        }
    }
}
