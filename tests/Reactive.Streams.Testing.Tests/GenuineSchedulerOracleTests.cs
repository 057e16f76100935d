using System.Reactive;
using Genuine = Microsoft.Reactive.Testing;
using Ours = Reactive.Streams.Testing;

namespace Reactive.Streams.Testing.Tests;

/// <summary>
/// The library's policy operators run under the genuine Microsoft.Reactive.Testing 3.1.1 <c>TestScheduler</c> and under
/// Reactive.Streams.Testing's, on the same hot sources: both record the same notifications at the same virtual times
/// (and the genuine one agrees with the expected lists written out here, so the comparison is not of two wrong runs).
/// </summary>
public sealed class GenuineSchedulerOracleTests
{
    /// <summary>A scenario: the source's (time, value) emissions, its completion time, and the operator under test.</summary>
    public sealed record Scenario(string Name, (long Time, int Value)[] Emissions, long CompletedAt, Func<IObservable<int>, System.Reactive.Concurrency.IScheduler, IObservable<int>> Operator)
    {
        public override string ToString() => Name;
    }

    private static readonly Scenario[] s_scenarios =
    [
        new("DropOldest", [(210, 1), (210, 2), (210, 3), (210, 4), (300, 5)], 400, (xs, s) => xs.DropOldest(2, s)),
        new("DegradeQuality", [(210, 1), (210, 2), (210, 3), (300, 4)], 400, (xs, s) => xs.DegradeQuality(2, x => -x, s)),
        new("Fail", [(210, 1), (210, 2), (210, 3), (250, 4)], 400, (xs, s) => xs.WithBackpressure(BackpressurePolicy.Fail, 2, s)),
        new("PauseUpstream", [(210, 1), (220, 2), (230, 3)], 300, (xs, s) => xs.PauseUpstream(4, s)),
        new("WithBackpressure options", [(150, 0), (210, 1), (220, 2), (230, 3)], 300, (xs, s) => xs.WithBackpressure(new BoundedStreamOptions<int>(BackpressurePolicy.DropOldest, 4), s)),
    ];

    public static TheoryData<Scenario> Scenarios() => [.. s_scenarios];

    private static List<(long Time, NotificationKind Kind, int Value, string? Error)> RunGenuine(Scenario scenario)
    {
        var scheduler = new Genuine.TestScheduler();
        var messages = scenario.Emissions.Select(e => Genuine.ReactiveTest.OnNext(e.Time, e.Value)).Append(Genuine.ReactiveTest.OnCompleted<int>(scenario.CompletedAt)).ToArray();
        var xs = scheduler.CreateHotObservable(messages);
        var observer = scheduler.Start(() => scenario.Operator(xs, scheduler));
        return [.. observer.Messages.Select(m => (m.Time, m.Value.Kind, m.Value.Kind == NotificationKind.OnNext ? m.Value.Value : 0, m.Value.Exception?.GetType().Name))];
    }

    private static List<(long Time, NotificationKind Kind, int Value, string? Error)> RunOurs(Scenario scenario)
    {
        var scheduler = new Ours.TestScheduler();
        var messages = scenario.Emissions.Select(e => Ours.ReactiveTest.OnNext(e.Time, e.Value)).Append(Ours.ReactiveTest.OnCompleted<int>(scenario.CompletedAt)).ToArray();
        var xs = scheduler.CreateHotObservable(messages);
        var observer = scheduler.Start(() => scenario.Operator(xs, scheduler));
        return [.. observer.Messages.Select(m => (m.Time, m.Value.Kind, m.Value.Kind == NotificationKind.OnNext ? m.Value.Value : 0, m.Value.Exception?.GetType().Name))];
    }

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void The_operators_record_the_same_notifications_under_both_schedulers(Scenario scenario)
    {
        Assert.Equal(RunGenuine(scenario), RunOurs(scenario));
    }

    [Fact]
    public void Under_the_genuine_scheduler_DropOldest_keeps_the_newest_items_one_tick_after_the_burst()
    {
        var genuine = RunGenuine(s_scenarios[0]);

        Assert.Equal(
            [(211, NotificationKind.OnNext, 3, null), (211, NotificationKind.OnNext, 4, null), (301, NotificationKind.OnNext, 5, null), (401, NotificationKind.OnCompleted, 0, null)],
            genuine);
    }

    [Fact]
    public void Under_the_genuine_scheduler_Fail_errors_with_the_overflow_exception()
    {
        var genuine = RunGenuine(s_scenarios[2]);

        Assert.Equal((211, NotificationKind.OnError, 0, nameof(StreamOverflowException)), genuine[^1]);
    }
}
