using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Reactive.Streams.Hosting;
using Reactive.Streams.Tests.Arguments;

namespace Reactive.Streams.Hosting.Tests;

/// <summary>
/// Every public member of Reactive.Streams.Hosting, called with one non-nullable reference argument null at a time,
/// throws <see cref="ArgumentNullException"/> naming it, synchronously, and registers nothing first: the builders'
/// service collections keep their count. The host options (<c>*HostOptions</c>) are bound from configuration and checked
/// as a whole when the host starts (docs/naming.md), so their setters are not swept.
/// </summary>
public sealed class HostingNullArgumentSweepTests
{
    [Fact]
    public void Every_public_member_names_its_null_argument_synchronously_and_registers_nothing()
    {
        var sweep = new NullArgumentSweep()
            .Sample(() => "name")
            .Sample<IServiceCollection>(() => new ServiceCollection())
            .Sample<Action<ReactiveStreamsBuilder>>(() => _ => { })
            .Sample<Action<StreamLogHostOptions>>(() => _ => { })
            .Sample<Action<DeliveryDispatcherBuilder<int>>>(() => _ => { })
            .Sample<Action<DeliveryOptions<int>>>(() => _ => { })
            .Sample<Func<IServiceProvider, IDeliverySink<int>>>(() => _ => new Sink())
            .Sample<Func<IServiceProvider, IDeliverySink<DeadLetter<int>>>>(() => _ => new DeadLetterSink())
            .Sample<Func<int, ReadOnlyMemory<byte>>>(() => _ => new byte[] { 1 })
            .Sample<Func<StreamFrame, int>>(() => _ => 1)
            .Sample(() => new ServiceCollection().AddHealthChecks())
            .Sample<MeterProviderBuilder>(() => Sdk.CreateMeterProviderBuilder())
            .Sample<TracerProviderBuilder>(() => Sdk.CreateTracerProviderBuilder())
            .Sample(() => HealthStatus.Unhealthy)
            .Sample(() => CancellationToken.None)
            .TypeArgument("THandler", typeof(Handler))
            .TypeArgument("TSink", typeof(Sink))
            .Receiver(() => new ServiceCollection().AddReactiveStreams(), builder => builder.Services.Count.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Receiver(DispatcherBuilder, builder => builder.Services.Count.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .CheckedWhole(typeof(StreamLogHostOptions))
            .CheckedWhole(typeof(CanalWorkerHostOptions))
            .CheckedWhole(typeof(DispatcherHostOptions));

        var failures = sweep.Run(typeof(ReactiveStreamsBuilder).Assembly);

        Assert.True(failures.Count == 0, SweepReport.Format(failures));
        Assert.True(sweep.NotCovered.Count == 0, SweepReport.Format(sweep.NotCovered));
        Assert.True(sweep.Covered.Count >= 15, $"Only {sweep.Covered.Count} calls were made.");
    }

    private static DeliveryDispatcherBuilder<int> DispatcherBuilder()
    {
        DeliveryDispatcherBuilder<int>? captured = null;
        new ServiceCollection().AddReactiveStreams().AddDispatcher<int>("d", builder => captured = builder);
        return captured!;
    }

    private sealed class Sink : IDeliverySink<int>
    {
        public string Name => "a";

        public ValueTask WriteAsync(int item, CancellationToken cancellationToken) => default;
    }

    private sealed class DeadLetterSink : IDeliverySink<DeadLetter<int>>
    {
        public string Name => "dead";

        public ValueTask WriteAsync(DeadLetter<int> item, CancellationToken cancellationToken) => default;
    }

    private sealed class Handler : ICanalBatchHandler
    {
        public ValueTask HandleAsync(CanalBatch<StreamFrame> batch, CancellationToken cancellationToken) => default;
    }
}
