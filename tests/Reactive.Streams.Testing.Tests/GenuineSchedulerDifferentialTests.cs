using System.Globalization;
using System.Reactive;
using System.Reactive.Concurrency;
using System.Reactive.Disposables;
using System.Reactive.Linq;
using Genuine = Microsoft.Reactive.Testing;
using Ours = Reactive.Streams.Testing;

namespace Reactive.Streams.Testing.Tests;

/// <summary>
/// The scheduler itself against the genuine Microsoft.Reactive.Testing 3.1.1 <c>TestScheduler</c>: each scenario drives
/// both through one <see cref="Rig"/> and must write the same transcript (clock moves and their errors, when work runs,
/// what a recording observer saw, the subscription logs, and the records' text). The deliberate differences are in
/// docs/testing.md ("Compared with Microsoft.Reactive.Testing") and pinned at the end of this class.
/// </summary>
public sealed class GenuineSchedulerDifferentialTests
{
    /// <summary>One scheduler under test, with the members both libraries have, and a transcript.</summary>
    public abstract class Rig
    {
        public List<string> Log { get; } = [];

        public abstract IScheduler Scheduler { get; }

        public abstract long Clock { get; }

        public abstract void AdvanceBy(long time);

        public abstract void AdvanceTo(long time);

        public abstract void Sleep(long time);

        public abstract void Start();

        public abstract void Stop();

        public abstract IDisposable ScheduleAbsolute(long dueTime, Action action);

        public abstract IDisposable ScheduleRelative(long dueTime, Action action);

        /// <summary>Creates a hot observable; returns it and a reader of its subscription log as text.</summary>
        public abstract (IObservable<T> Source, Func<string> Subscriptions) Hot<T>(params (long Time, Notification<T> Value)[] messages);

        public abstract (IObservable<T> Source, Func<string> Subscriptions) Cold<T>(params (long Time, Notification<T> Value)[] messages);

        /// <summary>Runs Start(create, ...) with the given times, or the defaults where null; returns the messages as text.</summary>
        public abstract string Run<T>(Func<IObservable<T>> create, long? created = null, long? subscribed = null, long? disposed = null);

        public abstract IObserver<T> Observer<T>(out Func<string> messages);

        public void Record(string what) => Log.Add($"{what}@{Clock}");

        public void Try(string what, Action action)
        {
            try
            {
                action();
                Record($"{what}: ok");
            }
            catch (Exception e)
            {
                Record($"{what}: {e.GetType().Name} {(e as ArgumentException)?.ParamName}");
            }
        }
    }

    private sealed class GenuineRig : Rig
    {
        private readonly Genuine.TestScheduler _scheduler = new();

        public override IScheduler Scheduler => _scheduler;

        public override long Clock => _scheduler.Clock;

        public override void AdvanceBy(long time) => _scheduler.AdvanceBy(time);

        public override void AdvanceTo(long time) => _scheduler.AdvanceTo(time);

        public override void Sleep(long time) => _scheduler.Sleep(time);

        public override void Start() => _scheduler.Start();

        public override void Stop() => _scheduler.Stop();

        public override IDisposable ScheduleAbsolute(long dueTime, Action action) =>
            _scheduler.ScheduleAbsolute(action, dueTime, static (_, a) => RunAction(a));

        public override IDisposable ScheduleRelative(long dueTime, Action action) =>
            _scheduler.ScheduleRelative(action, dueTime, static (_, a) => RunAction(a));

        public override (IObservable<T> Source, Func<string> Subscriptions) Hot<T>(params (long Time, Notification<T> Value)[] messages)
        {
            var xs = _scheduler.CreateHotObservable([.. messages.Select(m => new Genuine.Recorded<Notification<T>>(m.Time, m.Value))]);
            return (xs, () => Text(xs.Subscriptions));
        }

        public override (IObservable<T> Source, Func<string> Subscriptions) Cold<T>(params (long Time, Notification<T> Value)[] messages)
        {
            var xs = _scheduler.CreateColdObservable([.. messages.Select(m => new Genuine.Recorded<Notification<T>>(m.Time, m.Value))]);
            return (xs, () => Text(xs.Subscriptions));
        }

        public override string Run<T>(Func<IObservable<T>> create, long? created = null, long? subscribed = null, long? disposed = null)
        {
            var observer = (created, subscribed, disposed) switch
            {
                (null, null, null) => _scheduler.Start(create),
                (null, null, { } d) => _scheduler.Start(create, d),
                _ => _scheduler.Start(create, created!.Value, subscribed!.Value, disposed!.Value),
            };
            return Text(observer.Messages);
        }

        public override IObserver<T> Observer<T>(out Func<string> messages)
        {
            var observer = _scheduler.CreateObserver<T>();
            messages = () => Text(observer.Messages);
            return observer;
        }
    }

    private sealed class OurRig : Rig
    {
        private readonly Ours.TestScheduler _scheduler = new();

        public override IScheduler Scheduler => _scheduler;

        public override long Clock => _scheduler.Clock;

        public override void AdvanceBy(long time) => _scheduler.AdvanceBy(time);

        public override void AdvanceTo(long time) => _scheduler.AdvanceTo(time);

        public override void Sleep(long time) => _scheduler.Sleep(time);

        public override void Start() => _scheduler.Start();

        public override void Stop() => _scheduler.Stop();

        public override IDisposable ScheduleAbsolute(long dueTime, Action action) =>
            _scheduler.ScheduleAbsolute(action, dueTime, static (_, a) => RunAction(a));

        public override IDisposable ScheduleRelative(long dueTime, Action action) =>
            _scheduler.ScheduleRelative(action, dueTime, static (_, a) => RunAction(a));

        public override (IObservable<T> Source, Func<string> Subscriptions) Hot<T>(params (long Time, Notification<T> Value)[] messages)
        {
            var xs = _scheduler.CreateHotObservable([.. messages.Select(m => new Ours.Recorded<Notification<T>>(m.Time, m.Value))]);
            return (xs, () => Text(xs.Subscriptions));
        }

        public override (IObservable<T> Source, Func<string> Subscriptions) Cold<T>(params (long Time, Notification<T> Value)[] messages)
        {
            var xs = _scheduler.CreateColdObservable([.. messages.Select(m => new Ours.Recorded<Notification<T>>(m.Time, m.Value))]);
            return (xs, () => Text(xs.Subscriptions));
        }

        public override string Run<T>(Func<IObservable<T>> create, long? created = null, long? subscribed = null, long? disposed = null)
        {
            var observer = (created, subscribed, disposed) switch
            {
                (null, null, null) => _scheduler.Start(create),
                (null, null, { } d) => _scheduler.Start(create, d),
                _ => _scheduler.Start(create, created!.Value, subscribed!.Value, disposed!.Value),
            };
            return Text(observer.Messages);
        }

        public override IObserver<T> Observer<T>(out Func<string> messages)
        {
            var observer = _scheduler.CreateObserver<T>();
            messages = () => Text(observer.Messages);
            return observer;
        }
    }

    private static IDisposable RunAction(Action action)
    {
        action();
        return Disposable.Empty;
    }

    private static string Text<T>(IEnumerable<T> items) => string.Join(", ", items.Select(i => Convert.ToString(i, CultureInfo.InvariantCulture)));

    private static List<string> AssertSame(Action<Rig> scenario)
    {
        var genuine = new GenuineRig();
        var ours = new OurRig();
        scenario(genuine);
        scenario(ours);
        Assert.Equal(genuine.Log, ours.Log);
        return genuine.Log;
    }

    private static (long, Notification<T>) N<T>(long time, T value) => (time, Notification.CreateOnNext(value));

    private static (long, Notification<T>) C<T>(long time) => (time, Notification.CreateOnCompleted<T>());

    private static (long, Notification<T>) E<T>(long time, Exception error) => (time, Notification.CreateOnError<T>(error));

    [Fact]
    public void AdvanceTo_AdvanceBy_and_Sleep_with_past_negative_and_zero_arguments()
    {
        var log = AssertSame(rig =>
        {
            rig.ScheduleAbsolute(120, () => rig.Record("due at 120"));
            rig.Try("AdvanceTo 100", () => rig.AdvanceTo(100));
            rig.Try("AdvanceTo 50", () => rig.AdvanceTo(50));
            rig.Try("AdvanceTo 100 again", () => rig.AdvanceTo(100));
            rig.Try("AdvanceBy -1", () => rig.AdvanceBy(-1));
            rig.Try("AdvanceBy 0", () => rig.AdvanceBy(0));
            rig.Try("Sleep -1", () => rig.Sleep(-1));
            rig.Try("Sleep 0", () => rig.Sleep(0));
            rig.Try("Sleep 50", () => rig.Sleep(50));
            rig.Try("AdvanceBy 1", () => rig.AdvanceBy(1));
            rig.Try("AdvanceTo 151", () => rig.AdvanceTo(151));
        });

        Assert.Equal(
            [
                "AdvanceTo 100: ok@100", "AdvanceTo 50: ArgumentOutOfRangeException time@100", "AdvanceTo 100 again: ok@100",
                "AdvanceBy -1: ArgumentOutOfRangeException time@100", "AdvanceBy 0: ok@100", "Sleep -1: ArgumentOutOfRangeException time@100",
                "Sleep 0: ok@100", "Sleep 50: ok@150", "due at 120@150", "AdvanceBy 1: ok@151", "AdvanceTo 151: ok@151",
            ],
            log);
    }

    [Fact]
    public void Advancing_or_starting_from_inside_scheduled_work()
    {
        AssertSame(rig =>
        {
            rig.ScheduleAbsolute(10, () =>
            {
                rig.Try("AdvanceBy inside", () => rig.AdvanceBy(5));
                rig.Try("AdvanceTo inside", () => rig.AdvanceTo(50));
                rig.Try("Start inside", rig.Start);
                rig.Try("Sleep inside", () => rig.Sleep(5));
            });
            rig.ScheduleAbsolute(12, () => rig.Record("due at 12"));
            rig.ScheduleAbsolute(30, () =>
            {
                rig.Record("stopping");
                rig.Stop();
            });
            rig.ScheduleAbsolute(40, () => rig.Record("due at 40"));
            rig.Try("Start", rig.Start);
            rig.Try("Start again", rig.Start);
        });
    }

    [Fact]
    public void Work_scheduled_now_in_the_past_and_at_an_absolute_DateTimeOffset()
    {
        var log = AssertSame(rig =>
        {
            rig.AdvanceTo(100);
            var s = rig.Scheduler;
            rig.ScheduleAbsolute(40, () => rig.Record("absolute in the past"));
            s.Schedule(() => rig.Record("now"));
            s.Schedule(TimeSpan.Zero, () => rig.Record("zero"));
            s.Schedule(TimeSpan.FromTicks(-30), () => rig.Record("negative relative"));
            rig.ScheduleRelative(-5, () => rig.Record("negative ticks"));
            s.Schedule(s.Now.AddTicks(-50), () => rig.Record("DateTimeOffset in the past"));
            s.Schedule(s.Now.AddTicks(7), () => rig.Record("DateTimeOffset ahead"));
            rig.ScheduleAbsolute(101, () => rig.Record("absolute 101"));
            var cancelled = rig.ScheduleAbsolute(101, () => rig.Record("cancelled"));
            cancelled.Dispose();
            rig.Record($"Now {s.Now.UtcTicks}");
            rig.Start();
            rig.Record($"Now {s.Now.UtcTicks}");
        });

        Assert.Equal(
            [
                "Now 100@100", "absolute in the past@101", "now@101", "zero@101", "negative relative@101", "negative ticks@101",
                "DateTimeOffset in the past@101", "absolute 101@101", "DateTimeOffset ahead@107", "Now 107@107",
            ],
            log);
    }

    [Fact]
    public void Start_with_the_default_times_explicit_times_and_after_the_clock_has_passed_them()
    {
        AssertSame(rig =>
        {
            var (xs, subscriptions) = rig.Hot(N(150, 1), N(200, 2), N(210, 3), N(1000, 4), N(1001, 5), C<int>(1100));
            rig.Record($"default: {rig.Run(() => xs)} {subscriptions()}");
            var (ys, ysSubscriptions) = rig.Cold(N(0, 'a'), N(-5, 'b'), N(10, 'c'), C<char>(20));
            rig.Record($"cold, all at one time: {rig.Run(() => ys, 1200, 1200, 1200)} {ysSubscriptions()}");
            rig.Record($"cold, explicit: {rig.Run(() => ys, 1300, 1305, 1315)} {ysSubscriptions()}");
            rig.Record($"cold, disposal only: {rig.Run(() => ys, disposed: 2000)} {ysSubscriptions()}");
            rig.Record($"cold, clock past all three: {rig.Run(() => ys, 100, 200, 1000)} {ysSubscriptions()}");
        });
    }

    [Fact]
    public void Hot_observables_created_late_emit_past_messages_one_tick_later_to_whoever_is_subscribed()
    {
        AssertSame(rig =>
        {
            rig.AdvanceTo(300);
            var (xs, subscriptions) = rig.Hot(N(100, 1), N(300, 2), N(301, 3), N(305, 4), C<int>(310));
            var first = rig.Observer<int>(out var firstMessages);
            var second = rig.Observer<int>(out var secondMessages);
            var firstSubscription = xs.Subscribe(first);
            rig.ScheduleAbsolute(301, () => xs.Subscribe(second));
            rig.ScheduleAbsolute(303, () =>
            {
                firstSubscription.Dispose();
                firstSubscription.Dispose();
            });
            rig.Start();
            rig.Record($"first: {firstMessages()}; second: {secondMessages()}; {subscriptions()}");
        });
    }

    [Theory]
    [InlineData("Retry")]
    [InlineData("Repeat then Concat")]
    [InlineData("Catch")]
    [InlineData("Publish and two subscribers")]
    public void Cold_observables_resubscribed_by_operators(string name)
    {
        AssertSame(rig =>
        {
            var error = new InvalidOperationException("cold");
            var (xs, subscriptions) = rig.Cold(N(10, 1), N(20, 2), E<int>(30, error));
            var (ys, ysSubscriptions) = rig.Cold(N(5, 1), C<int>(15));
            var messages = name switch
            {
                "Retry" => rig.Run(() => xs.Retry(3)),
                "Repeat then Concat" => rig.Run(() => ys.Repeat(3).Concat(ys)),
                "Catch" => rig.Run(() => xs.Catch(xs.Take(1))),
                _ => rig.Run(() => xs.Publish(p => p.Merge(p.Skip(1)))),
            };
            rig.Record($"{messages} | {subscriptions()} | {ysSubscriptions()}");
        });
    }

    public static TheoryData<string> Operators() =>
    [
        "Throttle", "Sample", "Buffer", "Window", "Timeout", "Delay", "DelaySubscription", "Interval", "Timer absolute",
        "Generate", "Replay", "TimeInterval", "Timestamp", "Skip time", "Take time", "Zip", "CombineLatest", "Switch",
    ];

    private static IObservable<string> Operator(string name, IObservable<int> xs, IObservable<int> ys, IScheduler s) => name switch
    {
        "Throttle" => xs.Throttle(TimeSpan.FromTicks(25), s).Select(x => $"{x}"),
        "Sample" => xs.Sample(TimeSpan.FromTicks(40), s).Select(x => $"{x}"),
        "Buffer" => xs.Buffer(TimeSpan.FromTicks(50), 2, s).Select(b => string.Join("+", b)),
        "Window" => xs.Window(TimeSpan.FromTicks(60), s).SelectMany((w, i) => w.Select(x => $"{i}:{x}")),
        "Timeout" => xs.Timeout(TimeSpan.FromTicks(30), Observable.Return(-1, s), s).Select(x => $"{x}"),
        "Delay" => xs.Delay(TimeSpan.FromTicks(15), s).Select(x => $"{x}"),
        "DelaySubscription" => ys.DelaySubscription(TimeSpan.FromTicks(33), s).Select(x => $"{x}"),
        "Interval" => Observable.Interval(TimeSpan.FromTicks(70), s).Take(5).Select(x => $"{x}"),
        "Timer absolute" => Observable.Timer(s.Now.AddTicks(250), TimeSpan.FromTicks(100), s).Take(3).Select(x => $"{x}"),
        "Generate" => Observable.Generate(0, i => i < 4, i => i + 1, i => $"{i}", i => TimeSpan.FromTicks(i * 10), s),
        "Replay" => xs.Replay(2, s).RefCount().Select(x => $"{x}"),
        "TimeInterval" => xs.TimeInterval(s).Select(t => $"{t.Value}/{t.Interval.Ticks}"),
        "Timestamp" => xs.Timestamp(s).Select(t => $"{t.Value}/{t.Timestamp.UtcTicks}"),
        "Skip time" => xs.Skip(TimeSpan.FromTicks(35), s).Select(x => $"{x}"),
        "Take time" => xs.Take(TimeSpan.FromTicks(90), s).Select(x => $"{x}"),
        "Zip" => xs.Zip(ys, (x, y) => $"{x}{y}"),
        "CombineLatest" => xs.CombineLatest(ys, (x, y) => $"{x}{y}"),
        "Switch" => xs.Select(x => ys.Select(y => $"{x}.{y}")).Switch(),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    [MemberData(nameof(Operators))]
    public void Rx_time_operators_record_the_same_notifications_and_subscriptions(string name)
    {
        AssertSame(rig =>
        {
            var (xs, xsSubscriptions) = rig.Hot(N(150, 0), N(210, 1), N(220, 2), N(240, 3), N(300, 4), N(310, 5), N(400, 6), C<int>(500));
            var (ys, ysSubscriptions) = rig.Cold(N(10, 7), N(45, 8), N(80, 9), C<int>(120));
            rig.Record($"{rig.Run(() => Operator(name, xs, ys, rig.Scheduler))} | {xsSubscriptions()} | {ysSubscriptions()}");
        });
    }

    [Fact]
    public void A_stopwatch_and_Now_follow_the_clock()
    {
        AssertSame(rig =>
        {
            var s = rig.Scheduler;
            var stopwatch = s.AsStopwatchProvider()!.StartStopwatch();
            rig.AdvanceBy(TimeSpan.FromSeconds(2).Ticks);
            rig.Record($"elapsed {stopwatch.Elapsed.Ticks}, now {s.Now:O}");
        });
    }

    [Fact]
    public void Records_and_subscriptions_print_and_compare_alike()
    {
        var previous = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        try
        {
            var error = new InvalidOperationException("x");
            Assert.Equal(Genuine.ReactiveTest.OnNext(210, 42).ToString(), Ours.ReactiveTest.OnNext(210, 42).ToString());
            Assert.Equal(Genuine.ReactiveTest.OnNext(210, "s").ToString(), Ours.ReactiveTest.OnNext(210, "s").ToString());
            Assert.Equal(Genuine.ReactiveTest.OnCompleted<int>(300).ToString(), Ours.ReactiveTest.OnCompleted<int>(300).ToString());
            Assert.Equal(Genuine.ReactiveTest.OnError<int>(400, error).ToString(), Ours.ReactiveTest.OnError<int>(400, error).ToString());
            Assert.Equal(Genuine.ReactiveTest.Subscribe(200, 1000).ToString(), Ours.ReactiveTest.Subscribe(200, 1000).ToString());
            Assert.Equal(Genuine.ReactiveTest.Subscribe(200).ToString(), Ours.ReactiveTest.Subscribe(200).ToString());
            Assert.Equal(Genuine.ReactiveTest.Subscribe(-5, -1).ToString(), Ours.ReactiveTest.Subscribe(-5, -1).ToString());
            Assert.Equal(new Genuine.Recorded<int>(-3, 7).ToString(), new Ours.Recorded<int>(-3, 7).ToString());
        }
        finally
        {
            CultureInfo.CurrentCulture = previous;
        }

        // Equality: the same truth table for values, errors by reference, kinds, times and predicates (as the expected side).
        var boom = new InvalidOperationException("boom");
        (long Time, Notification<int> Value)[] actuals =
        [
            (210, Notification.CreateOnNext(11)), (210, Notification.CreateOnNext(10)), (211, Notification.CreateOnNext(11)),
            (210, Notification.CreateOnCompleted<int>()), (210, Notification.CreateOnError<int>(boom)),
            (210, Notification.CreateOnError<int>(new InvalidOperationException("boom"))),
        ];
        var genuineExpected = new[]
        {
            Genuine.ReactiveTest.OnNext(210, 11), Genuine.ReactiveTest.OnNext<int>(210, x => x > 10), Genuine.ReactiveTest.OnCompleted<int>(210),
            Genuine.ReactiveTest.OnError<int>(210, boom), Genuine.ReactiveTest.OnError<int>(210, e => e.Message == "boom"),
        };
        var ourExpected = new[]
        {
            Ours.ReactiveTest.OnNext(210, 11), Ours.ReactiveTest.OnNext<int>(210, x => x > 10), Ours.ReactiveTest.OnCompleted<int>(210),
            Ours.ReactiveTest.OnError<int>(210, boom), Ours.ReactiveTest.OnError<int>(210, e => e.Message == "boom"),
        };
        var genuineTable = genuineExpected.Select(e => string.Concat(actuals.Select(a => e.Equals(new Genuine.Recorded<Notification<int>>(a.Time, a.Value)) ? '1' : '0')));
        var ourTable = ourExpected.Select(e => string.Concat(actuals.Select(a => e.Equals(new Ours.Recorded<Notification<int>>(a.Time, a.Value)) ? '1' : '0')));
        Assert.Equal(genuineTable, ourTable);
        Assert.Equal(["100000", "100000", "000100", "000010", "000011"], ourTable);
    }

    // The documented differences (docs/testing.md, "Compared with Microsoft.Reactive.Testing"), pinned on both
    // schedulers so the page stays true.

    [Fact]
    public void Difference_relative_times_saturate_at_the_end_of_virtual_time_instead_of_wrapping_into_the_past()
    {
        var genuine = new Genuine.TestScheduler();
        var ours = new Ours.TestScheduler();
        genuine.AdvanceTo(1000);
        ours.AdvanceTo(1000);
        long genuineRanAt = -1;
        long ourRanAt = -1;

        genuine.Schedule(TimeSpan.MaxValue, () => genuineRanAt = genuine.Clock);
        ours.Schedule(TimeSpan.MaxValue, () => ourRanAt = ours.Clock);
        genuine.AdvanceBy(1);
        ours.AdvanceBy(1);

        Assert.Equal(1001, genuineRanAt);
        Assert.Equal(-1, ourRanAt);
        Assert.Equal("time", Assert.Throws<ArgumentOutOfRangeException>(() => genuine.AdvanceBy(long.MaxValue)).ParamName);
        ours.AdvanceBy(long.MaxValue);
        Assert.Equal(long.MaxValue, ourRanAt);
        Assert.Equal(DateTimeOffset.MaxValue, ours.Now);
    }

    [Fact]
    public void Difference_Start_checks_the_order_of_its_times_and_refuses_to_run_inside_scheduled_work()
    {
        var genuine = new Genuine.TestScheduler();
        var ours = new Ours.TestScheduler();

        // The genuine scheduler subscribes before creating and fails with a NullReferenceException at 100.
        Assert.Throws<NullReferenceException>(() => genuine.Start(Observable.Never<int>, 200, 100, 300));
        Assert.Equal("subscribed", Assert.Throws<ArgumentOutOfRangeException>(() => ours.Start(Observable.Never<int>, 200, 100, 300)).ParamName);

        // A factory that returns null: the genuine scheduler fails when it subscribes, ours when it creates.
        var genuineNull = new Genuine.TestScheduler();
        var ourNull = new Ours.TestScheduler();
        Assert.Throws<NullReferenceException>(() => genuineNull.Start<int>(() => null!));
        Assert.Equal(Genuine.ReactiveTest.Subscribed, genuineNull.Clock);
        Assert.Throws<InvalidOperationException>(() => ourNull.Start<int>(() => null!));
        Assert.Equal(Ours.ReactiveTest.Created, ourNull.Clock);

        // Inside scheduled work the genuine Start returns an observer that has recorded nothing yet.
        var genuineNested = new Genuine.TestScheduler();
        var ourNested = new Ours.TestScheduler();
        int? genuineCount = null;
        Exception? ourError = null;
        genuineNested.ScheduleAbsolute(0, 10, (_, _) =>
        {
            genuineCount = genuineNested.Start(() => Observable.Return(1, genuineNested)).Messages.Count;
            return Disposable.Empty;
        });
        ourNested.ScheduleAbsolute(0, 10, (_, _) =>
        {
            ourError = Record.Exception(() => ourNested.Start(() => Observable.Return(1, ourNested)));
            return Disposable.Empty;
        });
        genuineNested.Start();
        ourNested.Start();

        Assert.Equal(0, genuineCount);
        Assert.IsType<InvalidOperationException>(ourError);
    }

    [Fact]
    public void Difference_a_test_observable_refuses_a_predicate_expectation_when_created_not_when_it_emits()
    {
        var genuine = new Genuine.TestScheduler();
        var ours = new Ours.TestScheduler();

        var xs = genuine.CreateHotObservable(Genuine.ReactiveTest.OnNext<int>(210, x => x > 0));
        Assert.Throws<NotSupportedException>(() => genuine.Start(() => xs));
        Assert.Equal("messages", Assert.Throws<ArgumentException>(() => ours.CreateHotObservable(Ours.ReactiveTest.OnNext<int>(210, x => x > 0))).ParamName);
    }

    [Fact]
    public void Difference_records_print_in_the_invariant_culture_and_predicates_print_as_such()
    {
        var previous = CultureInfo.CurrentCulture;
        var culture = (CultureInfo)CultureInfo.InvariantCulture.Clone();
        culture.NumberFormat.NegativeSign = "~";
        CultureInfo.CurrentCulture = culture;
        try
        {
            Assert.Equal("(~5, ~1)", Genuine.ReactiveTest.Subscribe(-5, -1).ToString());
            Assert.Equal("(-5, -1)", Ours.ReactiveTest.Subscribe(-5, -1).ToString());
            Assert.Equal("OnNext(1)@~3", Genuine.ReactiveTest.OnNext(-3, 1).ToString());
            Assert.Equal("OnNext(1)@-3", Ours.ReactiveTest.OnNext(-3, 1).ToString());
        }
        finally
        {
            CultureInfo.CurrentCulture = previous;
        }

        Assert.StartsWith("Microsoft.Reactive.Testing.ReactiveTest+OnNextPredicate", Genuine.ReactiveTest.OnNext<int>(210, x => x > 0).ToString(), StringComparison.Ordinal);
        Assert.Equal("OnNext(<predicate>)@210", Ours.ReactiveTest.OnNext<int>(210, x => x > 0).ToString());
    }
}
