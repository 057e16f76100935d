using Capacity = Reactive.Streams.Analyzers.Tests.Infrastructure.Verify<Reactive.Streams.Analyzers.Rules.CapacityAnalyzer>;
using Degrader = Reactive.Streams.Analyzers.Tests.Infrastructure.Verify<Reactive.Streams.Analyzers.Rules.MissingDegraderAnalyzer>;

namespace Reactive.Streams.Analyzers.Tests.Rules;

/// <summary>
/// RXS0003 and RXS0005 on the library's own stream-creating calls (SubscribeAsync, ToAsyncEnumerable, ToBoundedStream,
/// WithBackpressure, the policy block and channel) in the positions a user writes them: <c>await foreach</c>,
/// <c>await using</c>, <c>?.</c>, the extension called as a static method, named arguments out of order, target-typed
/// <c>new()</c>, a generic wrapper of the user's. Each is reported once where the policy or capacity is written, and
/// nothing is reported where no stream is created.
/// </summary>
public sealed class PolicySurfacePositionsTests
{
    [Fact]
    public Task DegradeQuality_without_a_degrader_is_reported_once_on_the_policy_in_every_position() =>
        Degrader.AnalyzerAsync("""
            using System;
            using System.Reactive.Concurrency;
            using System.Threading.Channels;
            using System.Threading.Tasks;
            using Reactive.Streams;

            class C(IObservable<int> source, IScheduler s)
            {
                BackpressureBlock<int> Block = new({|#0:BackpressurePolicy.DegradeQuality|}, 8);
                IObservable<int>? Maybe(IObservable<int>? o) => o?.WithBackpressure({|#1:BackpressurePolicy.DegradeQuality|}, 8, s);
                IObservable<int> Static() => ObservableBackpressureExtensions.WithBackpressure(source, {|#2:BackpressurePolicy.DegradeQuality|}, 8, null, s);
                BoundedStream<int> Named() => source.ToBoundedStream(capacity: 8, degrader: null, policy: {|#3:BackpressurePolicy.DegradeQuality|});
                static Channel<T> Wrap<T>(BackpressurePolicy policy) => BackpressureChannel.Create<T>(policy, 8);
                Channel<int> Wrapped() => Wrap<int>(BackpressurePolicy.DegradeQuality);

                async Task M()
                {
                    await foreach (var x in source.ToAsyncEnumerable({|#4:BackpressurePolicy.DegradeQuality|}, 8))
                    {
                    }

                    await using var subscription = source.SubscribeAsync(static (x, ct) => default, {|#5:BackpressurePolicy.DegradeQuality|}, 8);
                    Func<Channel<int>> make = () => BackpressureChannel.Create<int>({|#6:(BackpressurePolicy)1|}, 8);
                }
            }
            """,
            Degrader.Diagnostic(DiagnosticIds.MissingDegrader).WithLocation(0).WithArguments("'new BackpressureBlock'"),
            Degrader.Diagnostic(DiagnosticIds.MissingDegrader).WithLocation(1).WithArguments("'ObservableBackpressureExtensions.WithBackpressure'"),
            Degrader.Diagnostic(DiagnosticIds.MissingDegrader).WithLocation(2).WithArguments("'ObservableBackpressureExtensions.WithBackpressure'"),
            Degrader.Diagnostic(DiagnosticIds.MissingDegrader).WithLocation(3).WithArguments("'ObservableBackpressureExtensions.ToBoundedStream'"),
            Degrader.Diagnostic(DiagnosticIds.MissingDegrader).WithLocation(4).WithArguments("'ObservableBackpressureExtensions.ToAsyncEnumerable'"),
            Degrader.Diagnostic(DiagnosticIds.MissingDegrader).WithLocation(5).WithArguments("'ObservableBackpressureExtensions.SubscribeAsync'"),
            Degrader.Diagnostic(DiagnosticIds.MissingDegrader).WithLocation(6).WithArguments("'BackpressureChannel.Create'"));

    [Fact]
    public Task DegradeQuality_with_a_degrader_in_any_position_is_not_reported() =>
        Degrader.AnalyzerAsync("""
            using System;
            using System.Reactive.Concurrency;
            using System.Threading.Tasks;
            using Reactive.Streams;

            class C(IObservable<int> source, IScheduler s)
            {
                BackpressureBlock<int> Block = new(degrader: Halve, capacity: 8, policy: BackpressurePolicy.DegradeQuality);
                IObservable<int> Static() => ObservableBackpressureExtensions.WithBackpressure(source, BackpressurePolicy.DegradeQuality, 8, Halve, s);
                static int Halve(int x) => x / 2;

                async Task M()
                {
                    await foreach (var x in source.ToAsyncEnumerable(BackpressurePolicy.DegradeQuality, 8, static x => x / 2))
                    {
                    }

                    await using var subscription = source.SubscribeAsync(static (x, ct) => default, BackpressurePolicy.DegradeQuality, 8, scheduler: s, degrader: Halve);
                }
            }
            """);

    [Fact]
    public Task Capacities_below_one_are_reported_once_on_the_value_in_every_position() =>
        Capacity.AnalyzerAsync("""
            using System;
            using System.Threading.Tasks;
            using Reactive.Streams;

            class C(IObservable<int> source)
            {
                BackpressureBlock<int> Block = new(BackpressurePolicy.DropOldest, {|#0:0|});
                IObservable<int>? Maybe(IObservable<int>? o) => o?.DropOldest({|#1:-1|}, System.Reactive.Concurrency.ImmediateScheduler.Instance);
                BoundedStream<int> Named() => source.ToBoundedStream(capacity: {|#2:0|}, policy: BackpressurePolicy.Fail);
                DeliveryOptions<int> Delivery { get; } = new() { QueueCapacity = {|#3:0|} };

                async Task M()
                {
                    await foreach (var x in source.ToAsyncEnumerable(BackpressurePolicy.DropOldest, {|#4:0|}))
                    {
                    }
                }
            }
            """,
            CapacityAnalyzerTests.BelowOne(0, "Capacity", 0),
            CapacityAnalyzerTests.BelowOne(1, "Capacity", -1),
            CapacityAnalyzerTests.BelowOne(2, "Capacity", 0),
            CapacityAnalyzerTests.BelowOne(3, "QueueCapacity", 0),
            CapacityAnalyzerTests.BelowOne(4, "Capacity", 0));

    // An exception describing an overflow creates no stream: constructing one (to rethrow, or in a test of the code
    // that handles it) is not a DegradeQuality stream without a degrader, nor a buffer of capacity 0.
    [Fact]
    public Task The_library_s_exceptions_are_not_streams_for_RXS0003() =>
        Degrader.AnalyzerAsync("""
            using Reactive.Streams;

            class C
            {
                System.Exception A = new StreamOverflowException("frames", BackpressurePolicy.DegradeQuality, 64);
                void Throw() => throw new StreamOverflowException("frames", BackpressurePolicy.DegradeQuality, 64);
            }
            """);

    [Fact]
    public Task The_library_s_exceptions_are_not_streams_for_RXS0005() =>
        Capacity.AnalyzerAsync("""
            using Reactive.Streams;

            class C
            {
                System.Exception A = new StreamOverflowException("frames", BackpressurePolicy.Fail, 0);
                System.Exception B = new MissingDegraderException("frames", 0);
            }
            """);
}
