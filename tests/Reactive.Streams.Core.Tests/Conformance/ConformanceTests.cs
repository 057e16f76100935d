namespace Reactive.Streams.Tests.Conformance;

// The conformance table (tests/Shared/Conformance) against every surface of this assembly; the generated sink's run is
// in the generators' tests, which can compile an annotated sink.

public sealed class BoundedStreamConformanceTests : ConformanceSuite
{
    protected override IConformanceSurface Surface { get; } = new BoundedStreamSurface();
}

public sealed class ChannelDefaultConformanceTests : ConformanceSuite
{
    protected override IConformanceSurface Surface { get; } = new ChannelSurface("default", 2, singleWriter: false, singleReader: false, pauseTimeout: false);
}

public sealed class ChannelSingleWriterConformanceTests : ConformanceSuite
{
    protected override IConformanceSurface Surface { get; } = new ChannelSurface("SingleWriter", 2, singleWriter: true, singleReader: false, pauseTimeout: false);
}

public sealed class ChannelSingleReaderConformanceTests : ConformanceSuite
{
    protected override IConformanceSurface Surface { get; } = new ChannelSurface("SingleReader", 2, singleWriter: false, singleReader: true, pauseTimeout: false);
}

public sealed class ChannelSingleWriterSingleReaderConformanceTests : ConformanceSuite
{
    protected override IConformanceSurface Surface { get; } = new ChannelSurface("SingleWriter+SingleReader", 2, singleWriter: true, singleReader: true, pauseTimeout: false);
}

/// <summary>The single-writer, single-reader promise with a PauseUpstream timeout (a timed wait; never reached here).</summary>
public sealed class ChannelSingleWriterSingleReaderTimeoutConformanceTests : ConformanceSuite
{
    protected override IConformanceSurface Surface { get; } = new ChannelSurface("SingleWriter+SingleReader+PauseTimeout", 2, singleWriter: true, singleReader: true, pauseTimeout: true);
}

/// <summary>A capacity above 65,536, which the options document as running fully locked.</summary>
public sealed class ChannelLargeCapacityConformanceTests : ConformanceSuite
{
    protected override IConformanceSurface Surface { get; } = new ChannelSurface("capacity 65537", 65_537, singleWriter: false, singleReader: false, pauseTimeout: false);
}

public sealed class BackpressureBlockConformanceTests : ConformanceSuite
{
    protected override IConformanceSurface Surface { get; } = new BackpressureBlockSurface();
}

public sealed class RxOperatorConformanceTests : ConformanceSuite
{
    protected override IConformanceSurface Surface { get; } = new RxOperatorSurface(VirtualClock.Test);
}

public sealed class RxOperatorHistoricalSchedulerConformanceTests : ConformanceSuite
{
    protected override IConformanceSurface Surface { get; } = new RxOperatorSurface(VirtualClock.Historical);
}

public sealed class RxOperatorUserVirtualTimeConformanceTests : ConformanceSuite
{
    protected override IConformanceSurface Surface { get; } = new RxOperatorSurface(VirtualClock.User);
}

public sealed class SubscribeAsyncConformanceTests : ConformanceSuite
{
    protected override IConformanceSurface Surface { get; } = new SubscribeAsyncSurface(VirtualClock.Test);
}

public sealed class SubscribeAsyncUserVirtualTimeConformanceTests : ConformanceSuite
{
    protected override IConformanceSurface Surface { get; } = new SubscribeAsyncSurface(VirtualClock.User);
}

public sealed class BackpressureObserverConformanceTests : ConformanceSuite
{
    protected override IConformanceSurface Surface { get; } = new SubscribeAsyncSurface(VirtualClock.Test, asObserver: true);
}

/// <summary>The platform's bounded channel where it is a twin: the table's outcomes are its own.</summary>
public sealed class RuntimeChannelTwinConformanceTests : ConformanceSuite
{
    protected override IConformanceSurface Surface { get; } = new RuntimeChannelTwinSurface();
}

/// <summary>The platform's bounded BufferBlock where it is a twin: the table's Dataflow outcomes are its own.</summary>
public sealed class BufferBlockTwinConformanceTests : ConformanceSuite
{
    protected override IConformanceSurface Surface { get; } = new BufferBlockTwinSurface();
}

// The burst table (tests/Shared/Conformance/BurstTable.cs) against the same surfaces.

public sealed class BoundedStreamBurstTests : BurstSuite
{
    protected override IConformanceSurface Surface { get; } = new BoundedStreamSurface();
}

public sealed class ChannelDefaultBurstTests : BurstSuite
{
    protected override IConformanceSurface Surface { get; } = new ChannelSurface("default", 2, singleWriter: false, singleReader: false, pauseTimeout: false);
}

public sealed class ChannelSingleWriterBurstTests : BurstSuite
{
    protected override IConformanceSurface Surface { get; } = new ChannelSurface("SingleWriter", 2, singleWriter: true, singleReader: false, pauseTimeout: false);
}

public sealed class ChannelSingleReaderBurstTests : BurstSuite
{
    protected override IConformanceSurface Surface { get; } = new ChannelSurface("SingleReader", 2, singleWriter: false, singleReader: true, pauseTimeout: false);
}

public sealed class ChannelSingleWriterSingleReaderBurstTests : BurstSuite
{
    protected override IConformanceSurface Surface { get; } = new ChannelSurface("SingleWriter+SingleReader", 2, singleWriter: true, singleReader: true, pauseTimeout: false);
}

public sealed class ChannelSingleWriterSingleReaderTimeoutBurstTests : BurstSuite
{
    protected override IConformanceSurface Surface { get; } = new ChannelSurface("SingleWriter+SingleReader+PauseTimeout", 2, singleWriter: true, singleReader: true, pauseTimeout: true);
}

public sealed class ChannelLargeCapacityBurstTests : BurstSuite
{
    protected override IConformanceSurface Surface { get; } = new ChannelSurface("capacity 65537", 65_537, singleWriter: false, singleReader: false, pauseTimeout: false);
}

public sealed class BackpressureBlockBurstTests : BurstSuite
{
    protected override IConformanceSurface Surface { get; } = new BackpressureBlockSurface();
}

public sealed class RxOperatorBurstTests : BurstSuite
{
    protected override IConformanceSurface Surface { get; } = new RxOperatorSurface(VirtualClock.Test);
}

public sealed class RxOperatorHistoricalSchedulerBurstTests : BurstSuite
{
    protected override IConformanceSurface Surface { get; } = new RxOperatorSurface(VirtualClock.Historical);
}

public sealed class RxOperatorUserVirtualTimeBurstTests : BurstSuite
{
    protected override IConformanceSurface Surface { get; } = new RxOperatorSurface(VirtualClock.User);
}

public sealed class SubscribeAsyncBurstTests : BurstSuite
{
    protected override IConformanceSurface Surface { get; } = new SubscribeAsyncSurface(VirtualClock.Test);
}

public sealed class SubscribeAsyncUserVirtualTimeBurstTests : BurstSuite
{
    protected override IConformanceSurface Surface { get; } = new SubscribeAsyncSurface(VirtualClock.User);
}

public sealed class BackpressureObserverBurstTests : BurstSuite
{
    protected override IConformanceSurface Surface { get; } = new SubscribeAsyncSurface(VirtualClock.Test, asObserver: true);
}

public sealed class RuntimeChannelTwinBurstTests : BurstSuite
{
    protected override IConformanceSurface Surface { get; } = new RuntimeChannelTwinSurface();
}

public sealed class BufferBlockTwinBurstTests : BurstSuite
{
    protected override IConformanceSurface Surface { get; } = new BufferBlockTwinSurface();
}
