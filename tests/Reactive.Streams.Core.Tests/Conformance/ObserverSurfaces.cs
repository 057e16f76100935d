using System.Reactive;
using System.Reactive.Concurrency;
using System.Reactive.Subjects;
using Microsoft.Extensions.Time.Testing;
using Reactive.Streams.Testing;
using static Reactive.Streams.Tests.Conformance.ConformanceSupport;

namespace Reactive.Streams.Tests.Conformance;

/// <summary>
/// What the surfaces a source pushes into (Rx operators, <c>SubscribeAsync</c>, generated sinks) cannot express: there is
/// no pending read or wait (the consumer is pushed to), <c>OnNext</c> takes no cancellation token (disposal is how a
/// subscriber cancels), and the Rx grammar forbids <c>OnCompleted</c>/<c>OnError</c> while the source's own
/// <c>OnNext</c> is still blocked.
/// </summary>
internal static class ObserverRows
{
    public static string? NotApplicable(string surface, Scenario scenario) => scenario switch
    {
        { Party: not Party.Writer } => $"{surface} pushes to its consumer: there is no pending read or wait",
        { Event: StreamEvent.Cancellation } => $"{surface}: OnNext takes no cancellation token; disposal is how a subscriber cancels",
        { Policy: BackpressurePolicy.PauseUpstream, State: BufferState.Full, Event: StreamEvent.Completion or StreamEvent.Fault } =>
            $"{surface}: the Rx grammar forbids the source's OnCompleted/OnError while its own OnNext is blocked",
        _ => null,
    };

    /// <summary>The burst row's script on a source: its pushes (each one's outcome), then the row's ending.</summary>
    public static List<PartyResult> PushBurst(Subject<int> subject, Burst burst, Func<StreamMetricsSnapshot> metrics, Exception fault, Action dispose)
    {
        var outcomes = new List<PartyResult>();
        for (var item = 1; item <= burst.Count; item++)
        {
            outcomes.Add(ConformanceSupport.Push(() => subject.OnNext(item), metrics));
        }

        switch (burst.End)
        {
            case StreamEvent.Completion:
                subject.OnCompleted();
                break;
            case StreamEvent.Fault:
                subject.OnError(fault);
                break;
            default:
                dispose();
                break;
        }

        return outcomes;
    }
}

/// <summary>A virtual clock an observer surface runs on: the scheduler, and how to advance it by a number of ticks.</summary>
internal sealed record VirtualClock(string Name, IScheduler Scheduler, Action<long> AdvanceBy)
{
    public static VirtualClock Test()
    {
        var scheduler = new TestScheduler();
        return new VirtualClock(nameof(TestScheduler), scheduler, scheduler.AdvanceBy);
    }

    public static VirtualClock Historical()
    {
        var scheduler = new HistoricalScheduler();
        return new VirtualClock(nameof(HistoricalScheduler), scheduler, ticks => scheduler.AdvanceBy(TimeSpan.FromTicks(ticks)));
    }

    /// <summary>A user's own virtual-time scheduler, as Rx lets anyone derive one.</summary>
    public static VirtualClock User()
    {
        var scheduler = new TicksScheduler();
        return new VirtualClock("a user's VirtualTimeScheduler<long, TimeSpan>", scheduler, ticks => scheduler.AdvanceBy(TimeSpan.FromTicks(ticks)));
    }

    private sealed class TicksScheduler : VirtualTimeScheduler<long, TimeSpan>
    {
        protected override long Add(long absolute, TimeSpan relative) => absolute + relative.Ticks;

        protected override DateTimeOffset ToDateTimeOffset(long absolute) => new(absolute, TimeSpan.Zero);

        protected override TimeSpan ToRelative(TimeSpan timeSpan) => timeSpan;
    }
}

/// <summary>
/// The Rx operator (<c>WithBackpressure</c>) on a virtual clock: the observer receives only when virtual time
/// advances, so "the consumer holds 0 and 1..C are buffered" is exact. The one blocking push (PauseUpstream, full)
/// runs on a thread of its own, since blocking the thread that advances the clock would be a deadlock.
/// </summary>
internal sealed class RxOperatorSurface(Func<VirtualClock> clock) : IConformanceSurface
{
    public string Name { get; } = $"Rx operator WithBackpressure ({clock().Name})";

    public int Capacity => 2;

    public SurfaceTraits Traits => new(OverflowEndsTheStream: true);

    public string? NotApplicable(Scenario scenario) => ObserverRows.NotApplicable(Name, scenario);

    public async Task<Observation> RunAsync(Scenario scenario)
    {
        var fault = NewFault();
        var (_, scheduler, advanceBy) = clock();
        var subject = new Subject<int>();
        var observer = new Recorder();
        var options = new BoundedStreamOptions<int>(scenario.Policy, Capacity) { Degrader = ConformanceTable.Degrade };
        var subscription = subject.WithBackpressure(options, scheduler).Subscribe(observer);
        StreamMetricsSnapshot Metrics() => OperatorMetrics.Of(subscription);

        subject.OnNext(0);
        advanceBy(1);
        Assert.Equal([0], Values(observer, 0));
        if (scenario.State == BufferState.Full)
        {
            for (var i = 1; i <= Capacity; i++)
            {
                subject.OnNext(i);
            }
        }

        var party = StartPush(
            () => subject.OnNext(Capacity + 1),
            Metrics,
            mayBlock: scenario is { Policy: BackpressurePolicy.PauseUpstream, State: BufferState.Full });
        var atStart = await AtOnceAsync(party);

        var seen = observer.Messages.Count;
        switch (scenario.Event)
        {
            case StreamEvent.Completion:
                subject.OnCompleted();
                break;
            case StreamEvent.Fault:
                subject.OnError(fault);
                break;
            default:
                subscription.Dispose();
                break;
        }

        var afterEvent = await SettleAsync(party);
        advanceBy(100);

        var received = Values(observer, seen);
        var (terminal, detail) = TerminalOf(observer, seen, fault, scenario.Event == StreamEvent.Disposal);
        subscription.Dispose();
        return new Observation(atStart, afterEvent, received, terminal, Metrics(), detail);
    }

    public Task<Observation> RunBurstAsync(Burst burst)
    {
        var fault = NewFault();
        var (_, scheduler, advanceBy) = clock();
        var subject = new Subject<int>();
        var observer = new Recorder();
        var options = new BoundedStreamOptions<int>(burst.Policy, burst.Capacity) { Degrader = burst.DegraderFunction };
        var subscription = subject.WithBackpressure(options, scheduler).Subscribe(observer);
        StreamMetricsSnapshot Metrics() => OperatorMetrics.Of(subscription);

        subject.OnNext(0);
        advanceBy(1);
        Assert.Equal([0], Values(observer, 0));
        var outcomes = ObserverRows.PushBurst(subject, burst, Metrics, fault, subscription.Dispose);

        advanceBy(100);
        var (terminal, detail) = TerminalOf(observer, 1, fault, burst.End == StreamEvent.Disposal);
        var metrics = Metrics();
        subscription.Dispose();
        var atStart = outcomes.FirstOrDefault(o => o.Outcome != PartyOutcome.Accepted, outcomes[^1]);
        return Task.FromResult(new Observation(
            ReportedByTheEnd(atStart, terminal), ReportedByTheEnd(outcomes[^1], terminal), Values(observer, 1), terminal, metrics, detail));
    }

    private static (Terminal Terminal, string? Detail) TerminalOf(Recorder observer, int seen, Exception fault, bool disposed) =>
        observer.Messages.Skip(seen).FirstOrDefault(n => n.Kind != NotificationKind.OnNext) switch
        {
            null => (disposed ? Terminal.Stopped : Terminal.Open, (string?)null),
            { Kind: NotificationKind.OnCompleted } => (Terminal.Completed, null),
            { Exception: var error } when ReferenceEquals(error, fault) => (Terminal.Faulted, null),
            { Exception: StreamOverflowException } => (Terminal.FaultedByOverflow, null),
            { Exception: InvalidOperationException { InnerException: ConformanceDegraderException } } => (Terminal.FaultedByDegrader, null),
            { Exception: MissingDegraderException } => (Terminal.FaultedByMissingDegrader, null),
            { Exception: var error } => (Terminal.Other, $"OnError({error!.GetType().Name}: {error.Message})"),
        };

    public async Task<Observation> RunPauseTimeoutAsync(TimeSpan timeout)
    {
        var (_, scheduler, advanceBy) = clock();
        var time = new FakeTimeProvider();
        var subject = new Subject<int>();
        var observer = new Recorder();
        var options = new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, Capacity) { PauseTimeout = timeout, TimeProvider = time };
        var subscription = subject.WithBackpressure(options, scheduler).Subscribe(observer);
        StreamMetricsSnapshot Metrics() => OperatorMetrics.Of(subscription);
        subject.OnNext(0);
        advanceBy(1);
        for (var i = 1; i <= Capacity; i++)
        {
            subject.OnNext(i);
        }

        var party = StartPush(() => subject.OnNext(Capacity + 1), Metrics, mayBlock: true);
        if (timeout > TimeSpan.Zero)
        {
            time.Advance(timeout - TimeSpan.FromTicks(1));
        }

        // A zero timeout rejects the push without the clock; the push runs on a thread of its own, so it is waited for.
        var beforeTimeout = timeout > TimeSpan.Zero ? await AtOnceAsync(party) : await SettleAsync(party);
        time.Advance(TimeSpan.FromTicks(1));
        var atTimeout = await SettleAsync(party);
        var seen = observer.Messages.Count(m => m.Kind == NotificationKind.OnNext);
        advanceBy(100);

        var end = observer.Messages.FirstOrDefault(n => n.Kind != NotificationKind.OnNext);
        var (terminal, detail) = end switch
        {
            null => (Terminal.Open, (string?)null),
            { Exception: StreamOverflowException } => (Terminal.FaultedByOverflow, null),
            _ => (Terminal.Other, end.ToString()),
        };
        subscription.Dispose();
        return new Observation(ReportedByTheEnd(beforeTimeout, terminal), ReportedByTheEnd(atTimeout, terminal), Values(observer, 0).Skip(seen).ToList(), terminal, Metrics(), detail);
    }

    private static List<int> Values(Recorder observer, int skip) =>
        observer.Messages.Skip(skip).Where(m => m.Kind == NotificationKind.OnNext).Select(m => m.Value).ToList();

    /// <summary>Records notifications on any clock (the testing package's observer records a TestScheduler's time).</summary>
    private sealed class Recorder : IObserver<int>
    {
        public List<Notification<int>> Messages { get; } = [];

        public void OnNext(int value) => Messages.Add(Notification.CreateOnNext(value));

        public void OnError(Exception error) => Messages.Add(Notification.CreateOnError<int>(error));

        public void OnCompleted() => Messages.Add(Notification.CreateOnCompleted<int>());
    }
}

/// <summary>
/// How the conformance adapters read an Rx operator subscription's metrics: the only place that knows the type behind
/// the subscription, so a public snapshot replaces it here alone.
/// </summary>
internal static class OperatorMetrics
{
    public static StreamMetricsSnapshot Of(IDisposable subscription) => ((IMeteredStream)subscription).GetMetrics();
}

/// <summary>
/// <c>SubscribeAsync</c> on a <see cref="TestScheduler"/>: the handler holds 0 until released, so 1..C stay buffered
/// behind it. With no synchronization context the handler's continuations run inline as the clock advances. With
/// <paramref name="asObserver"/>, the same consumer as a <see cref="BackpressureObserver{T}"/> that the subject is
/// given, which must give the same table.
/// </summary>
internal sealed class SubscribeAsyncSurface(Func<VirtualClock> clock, bool asObserver = false) : IConformanceSurface
{
    public string Name { get; } = $"{(asObserver ? "BackpressureObserver" : "SubscribeAsync")} ({clock().Name})";

    public int Capacity => 2;

    public SurfaceTraits Traits => new(OverflowEndsTheStream: true);

    public string? NotApplicable(Scenario scenario) => ObserverRows.NotApplicable(Name, scenario);

    public async Task<Observation> RunAsync(Scenario scenario)
    {
        SynchronizationContext.SetSynchronizationContext(null);
        var fault = NewFault();
        var (_, scheduler, advanceBy) = clock();
        var subject = new Subject<int>();
        var options = new BoundedStreamOptions<int>(scenario.Policy, Capacity) { Degrader = ConformanceTable.Degrade };
        var held = new HeldConsumer(this, subject, options, scheduler);
        var subscription = held.Consumer;

        subject.OnNext(0);
        advanceBy(1);
        Assert.Equal([0], held.Handled());
        if (scenario.State == BufferState.Full)
        {
            for (var i = 1; i <= Capacity; i++)
            {
                subject.OnNext(i);
            }
        }

        var party = StartPush(
            () => subject.OnNext(Capacity + 1),
            subscription.GetMetrics,
            mayBlock: scenario is { Policy: BackpressurePolicy.PauseUpstream, State: BufferState.Full });
        var atStart = await AtOnceAsync(party);

        switch (scenario.Event)
        {
            case StreamEvent.Completion:
                subject.OnCompleted();
                break;
            case StreamEvent.Fault:
                subject.OnError(fault);
                break;
            default:
                subscription.Dispose();
                break;
        }

        var afterEvent = await SettleAsync(party);
        await held.ReleaseAndSettleAsync(advanceBy);

        var (terminal, detail) = TerminalOf(subscription.Completion, fault, scenario.Event == StreamEvent.Disposal);
        var metrics = subscription.GetMetrics();
        subscription.Dispose();
        return new Observation(atStart, afterEvent, held.Handled().Skip(1).ToList(), terminal, metrics, detail);

    }

    public async Task<Observation> RunPauseTimeoutAsync(TimeSpan timeout)
    {
        SynchronizationContext.SetSynchronizationContext(null);
        var (_, scheduler, advanceBy) = clock();
        var time = new FakeTimeProvider();
        var subject = new Subject<int>();
        var options = new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, Capacity) { PauseTimeout = timeout, TimeProvider = time };
        var held = new HeldConsumer(this, subject, options, scheduler);
        var subscription = held.Consumer;
        subject.OnNext(0);
        advanceBy(1);
        for (var i = 1; i <= Capacity; i++)
        {
            subject.OnNext(i);
        }

        var party = StartPush(() => subject.OnNext(Capacity + 1), subscription.GetMetrics, mayBlock: true);
        if (timeout > TimeSpan.Zero)
        {
            time.Advance(timeout - TimeSpan.FromTicks(1));
        }

        // A zero timeout rejects the push without the clock; the push runs on a thread of its own, so it is waited for.
        var beforeTimeout = timeout > TimeSpan.Zero ? await AtOnceAsync(party) : await SettleAsync(party);
        time.Advance(TimeSpan.FromTicks(1));
        var atTimeout = await SettleAsync(party);
        await held.ReleaseAndSettleAsync(advanceBy);

        var (terminal, detail) = TerminalOf(subscription.Completion, NewFault(), disposed: false);
        var metrics = subscription.GetMetrics();
        subscription.Dispose();
        var received = held.Handled().Skip(1).ToList();

        return new Observation(ReportedByTheEnd(beforeTimeout, terminal), ReportedByTheEnd(atTimeout, terminal), received, terminal, metrics, detail);
    }

    public async Task<Observation> RunBurstAsync(Burst burst)
    {
        SynchronizationContext.SetSynchronizationContext(null);
        var fault = NewFault();
        var (_, scheduler, advanceBy) = clock();
        var subject = new Subject<int>();
        var options = new BoundedStreamOptions<int>(burst.Policy, burst.Capacity) { Degrader = burst.DegraderFunction };
        var held = new HeldConsumer(this, subject, options, scheduler);
        var subscription = held.Consumer;

        subject.OnNext(0);
        advanceBy(1);
        Assert.Equal([0], held.Handled());
        var outcomes = ObserverRows.PushBurst(subject, burst, subscription.GetMetrics, fault, subscription.Dispose);

        await held.ReleaseAndSettleAsync(advanceBy);

        var (terminal, detail) = TerminalOf(subscription.Completion, fault, burst.End == StreamEvent.Disposal);
        var metrics = subscription.GetMetrics();
        subscription.Dispose();
        var atStart = outcomes.FirstOrDefault(o => o.Outcome != PartyOutcome.Accepted, outcomes[^1]);
        return new Observation(
            ReportedByTheEnd(atStart, terminal), ReportedByTheEnd(outcomes[^1], terminal), held.Handled().Skip(1).ToList(), terminal, metrics, detail);

    }

    private Consumer Consume(IObservable<int> source, Func<int, CancellationToken, ValueTask> handler, BoundedStreamOptions<int> options, IScheduler scheduler)
    {
        if (!asObserver)
        {
            var subscription = source.SubscribeAsync(handler, options, scheduler);
            return new Consumer(subscription.Completion, subscription.GetMetrics, subscription.Dispose);
        }

        var observer = new BackpressureObserver<int>(handler, options, scheduler);
        var upstream = source.Subscribe(observer);
        return new Consumer(observer.Completion, observer.GetMetrics, () =>
        {
            observer.Dispose();
            upstream.Dispose();
        });
    }

    /// <summary>
    /// The rows' consumer: its handler records every item and holds item 0 (ignoring its token on purpose) until the row
    /// releases it, so that the row decides when the buffer behind it fills and drains.
    /// </summary>
    private sealed class HeldConsumer
    {
        private readonly List<int> _handled = [];
        private readonly TaskCompletionSource _release = new();

        public HeldConsumer(SubscribeAsyncSurface surface, IObservable<int> source, BoundedStreamOptions<int> options, IScheduler scheduler)
        {
            Consumer = surface.Consume(
                source,
                async (x, _) =>
                {
                    lock (_handled)
                    {
                        _handled.Add(x);
                    }

                    if (x == 0)
                    {
                        await _release.Task;
                    }
                },
                options,
                scheduler);
        }

        /// <summary>
        /// Releases item 0 and advances the clock until the consumer has completed, within the guard: the handler's
        /// continuation may hop through the pool before it schedules the next step on the clock.
        /// </summary>
        public async Task ReleaseAndSettleAsync(Action<long> advanceBy)
        {
            _release.SetResult();
            advanceBy(100);
            for (var polls = Guard / TimeSpan.FromMilliseconds(10); !Consumer.Completion.IsCompleted && polls > 0; polls--)
            {
                await Task.Delay(10);
                advanceBy(100);
            }
        }

        public Consumer Consumer { get; }

        public List<int> Handled()
        {
            lock (_handled)
            {
                return [.. _handled];
            }
        }
    }

    /// <summary>What the rows use of a <see cref="BackpressureSubscription"/> or a <see cref="BackpressureObserver{T}"/>.</summary>
    private sealed record Consumer(Task Completion, Func<StreamMetricsSnapshot> GetMetrics, Action Dispose);
}
