using System.Globalization;
using Microsoft.Extensions.Time.Testing;

namespace Reactive.Streams.Testing.Tests.Time;

/// <summary>
/// <c>TestScheduler.AsTimeProvider()</c> against Microsoft.Extensions.TimeProvider.Testing's <see cref="FakeTimeProvider"/>:
/// each scenario runs on both clocks (and on <c>AsTimeProvider()</c> over the genuine Microsoft.Reactive.Testing scheduler)
/// and must write the same transcript, with times measured from each clock's start.
/// The deliberate differences (docs/testing.md, "Compared with FakeTimeProvider") are pinned at the end of this class and
/// kept out of the scenarios: no scenario looks, before advancing, at a timer armed with a zero due time (ours fires it
/// at <c>Clock + 1</c>, the fake inside <c>CreateTimer</c>/<c>Change</c>), and scenarios whose callbacks read the clock or re-arm advance in whole-millisecond
/// steps with whole-millisecond due times (ours runs a callback at its own due time, the fake at the end of the advance).
/// </summary>
public sealed class FakeTimeProviderOracleTests
{
    private static readonly TimeSpan s_ms = TimeSpan.FromMilliseconds(1);

    /// <summary>A clock under test: its provider, and how the test moves it.</summary>
    public abstract class Clock
    {
        private DateTimeOffset _origin;

        public abstract TimeProvider Provider { get; }

        public List<string> Log { get; } = [];

        /// <summary>Time since the scenario started, in milliseconds, as the provider reads it.</summary>
        public string Elapsed => (Provider.GetUtcNow() - _origin).TotalMilliseconds.ToString(CultureInfo.InvariantCulture);

        public abstract void Advance(TimeSpan delta);

        /// <summary>Advances in steps of one millisecond, so each callback reads the same time on both clocks.</summary>
        public void Step(int milliseconds)
        {
            for (var i = 0; i < milliseconds; i++)
            {
                Advance(s_ms);
            }
        }

        public void Record(string what) => Log.Add($"{what}@{Elapsed}");

        protected void MarkOrigin() => _origin = Provider.GetUtcNow();
    }

    private sealed class FakeClock : Clock
    {
        private readonly FakeTimeProvider _fake = new();

        public FakeClock() => MarkOrigin();

        public override TimeProvider Provider => _fake;

        public override void Advance(TimeSpan delta) => _fake.Advance(delta);
    }

    private sealed class SchedulerClock : Clock
    {
        private readonly TestScheduler _scheduler = new();
        private readonly TimeProvider _provider;

        public SchedulerClock()
        {
            _provider = _scheduler.AsTimeProvider();
            MarkOrigin();
        }

        public override TimeProvider Provider => _provider;

        public override void Advance(TimeSpan delta) => _scheduler.AdvanceBy(delta.Ticks);
    }

    /// <summary>AsTimeProvider() on the genuine Microsoft.Reactive.Testing scheduler, which its docs promise works too.</summary>
    private sealed class GenuineSchedulerClock : Clock
    {
        private readonly Microsoft.Reactive.Testing.TestScheduler _scheduler = new();
        private readonly TimeProvider _provider;

        public GenuineSchedulerClock()
        {
            _provider = _scheduler.AsTimeProvider();
            MarkOrigin();
        }

        public override TimeProvider Provider => _provider;

        public override void Advance(TimeSpan delta) => _scheduler.AdvanceBy(delta.Ticks);
    }

    private static List<string> AssertSame(Action<Clock> scenario)
    {
        var fake = new FakeClock();
        var ours = new SchedulerClock();
        var onGenuine = new GenuineSchedulerClock();
        scenario(fake);
        scenario(ours);
        scenario(onGenuine);
        Assert.Equal(fake.Log, ours.Log);
        Assert.Equal(fake.Log, onGenuine.Log);
        return fake.Log;
    }

    [Fact]
    public void Reading_the_clock_gives_the_same_offsets_frequency_and_time_zone()
    {
        var log = AssertSame(clock =>
        {
            var time = clock.Provider;
            var start = time.GetTimestamp();
            clock.Advance(TimeSpan.FromMilliseconds(1500.25));
            clock.Record($"elapsed {time.GetElapsedTime(start).Ticks}, between {time.GetElapsedTime(start, time.GetTimestamp()).Ticks}");
            clock.Record($"frequency {time.TimestampFrequency}, zone {time.LocalTimeZone.Id}, local offset {time.GetLocalNow().Offset}");
            clock.Record($"timestamp is now's ticks: {time.GetTimestamp() == time.GetUtcNow().UtcTicks}");
        });

        Assert.Equal(
            ["elapsed 15002500, between 15002500@1500.25", "frequency 10000000, zone UTC, local offset 00:00:00@1500.25", "timestamp is now's ticks: True@1500.25"],
            log);
    }

    [Fact]
    public void Timers_due_at_the_same_instant_fire_in_the_order_they_were_armed()
    {
        var log = AssertSame(clock =>
        {
            var time = clock.Provider;
            using var a = time.CreateTimer(_ => clock.Record("a"), null, 10 * s_ms, Timeout.InfiniteTimeSpan);
            using var b = time.CreateTimer(_ => clock.Record("b"), null, 10 * s_ms, Timeout.InfiniteTimeSpan);
            using var c = time.CreateTimer(_ => clock.Record("c"), null, 20 * s_ms, Timeout.InfiniteTimeSpan);
            clock.Step(5);
            c.Change(5 * s_ms, Timeout.InfiniteTimeSpan);
            using var d = time.CreateTimer(_ => clock.Record("d"), null, 5 * s_ms, Timeout.InfiniteTimeSpan);
            clock.Step(10);
        });

        Assert.Equal(["a@10", "b@10", "c@10", "d@10"], log);
    }

    [Fact]
    public void A_periodic_timer_fires_once_for_every_period_a_single_advance_jumps_over()
    {
        var log = AssertSame(clock =>
        {
            var fired = 0;
            using var timer = clock.Provider.CreateTimer(_ => fired++, null, 10 * s_ms, 10 * s_ms);
            clock.Advance(35 * s_ms);
            clock.Record($"fired {fired}");
            clock.Advance(10 * s_ms);
            clock.Record($"fired {fired}");
            clock.Advance(TimeSpan.FromSeconds(1));
            clock.Record($"fired {fired}");
        });

        Assert.Equal(["fired 3@35", "fired 4@45", "fired 104@1045"], log);
    }

    [Fact]
    public void Change_and_Dispose_from_inside_the_callback()
    {
        var log = AssertSame(clock =>
        {
            var fired = 0;
            ITimer? timer = null;
            timer = clock.Provider.CreateTimer(
                _ =>
                {
                    clock.Record("tick");
                    switch (++fired)
                    {
                        case 2:
                            clock.Record($"change {timer!.Change(15 * s_ms, 5 * s_ms)}");
                            break;
                        case 5:
                            timer!.Dispose();
                            clock.Record($"after dispose, change {timer.Change(s_ms, s_ms)}");
                            break;
                    }
                },
                null,
                10 * s_ms,
                10 * s_ms);
            clock.Step(100);
        });

        Assert.Equal(["tick@10", "tick@20", "change True@20", "tick@35", "tick@40", "tick@45", "after dispose, change False@45"], log);
    }

    [Fact]
    public void A_one_shot_timer_re_arming_itself_from_its_callback()
    {
        var log = AssertSame(clock =>
        {
            var fired = 0;
            ITimer? timer = null;
            timer = clock.Provider.CreateTimer(
                _ =>
                {
                    clock.Record("tick");
                    if (++fired < 4)
                    {
                        timer!.Change(fired * 3 * s_ms, Timeout.InfiniteTimeSpan);
                    }
                },
                null,
                2 * s_ms,
                Timeout.InfiniteTimeSpan);
            clock.Step(40);
            timer.Dispose();
        });

        Assert.Equal(["tick@2", "tick@5", "tick@11", "tick@20"], log);
    }

    [Fact]
    public void A_timer_armed_by_another_timers_callback()
    {
        var log = AssertSame(clock =>
        {
            var time = clock.Provider;
            ITimer? inner = null;
            using var outer = time.CreateTimer(
                _ =>
                {
                    clock.Record("outer");
                    inner ??= time.CreateTimer(_ => clock.Record("inner"), null, 3 * s_ms, 4 * s_ms);
                },
                null,
                5 * s_ms,
                Timeout.InfiniteTimeSpan);
            clock.Step(20);
            inner?.Dispose();
        });

        Assert.Equal(["outer@5", "inner@8", "inner@12", "inner@16", "inner@20"], log);
    }

    [Fact]
    public void Task_Delay_completes_at_the_same_time_and_a_cancelled_one_is_cancelled()
    {
        var log = AssertSame(clock =>
        {
            using var cts = new CancellationTokenSource();
            var delays = new[]
            {
                ("1.5 ms", Task.Delay(TimeSpan.FromMilliseconds(1.5), clock.Provider)),
                ("25 ms", Task.Delay(25 * s_ms, clock.Provider)),
                ("zero", Task.Delay(TimeSpan.Zero, clock.Provider)),
            };
            foreach (var (name, delay) in delays)
            {
                delay.ContinueWith(t => clock.Record($"{name} {t.Status}"), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }

            var cancelled = Task.Delay(10 * s_ms, clock.Provider, cts.Token);
            clock.Step(3);
            cts.Cancel();
            clock.Record($"cancelled {cancelled.Status}");
            clock.Step(30);
            clock.Record($"cancelled {cancelled.Status}");
        });

        // Task.Delay truncates to whole milliseconds before it creates its timer, and completes a zero delay itself.
        Assert.Equal(["zero RanToCompletion@0", "1.5 ms RanToCompletion@1", "cancelled Canceled@3", "25 ms RanToCompletion@25", "cancelled Canceled@33"], log);
    }

    [Fact]
    public void CancellationTokenSource_with_a_delay_and_CancelAfter()
    {
        var log = AssertSame(clock =>
        {
            using var first = new CancellationTokenSource(10 * s_ms, clock.Provider);
            using var moved = new CancellationTokenSource(10 * s_ms, clock.Provider);
            using var disarmed = new CancellationTokenSource(10 * s_ms, clock.Provider);
            using var immediate = new CancellationTokenSource(TimeSpan.Zero, clock.Provider);
            first.Token.Register(() => clock.Record("first"));
            moved.Token.Register(() => clock.Record("moved"));
            disarmed.Token.Register(() => clock.Record("disarmed"));
            clock.Record($"immediate {immediate.IsCancellationRequested}");
            clock.Step(4);
            moved.CancelAfter(20 * s_ms);
            disarmed.CancelAfter(Timeout.InfiniteTimeSpan);
            clock.Step(100);
        });

        Assert.Equal(["immediate True@0", "first@10", "moved@24"], log);
    }

    [Fact]
    public void PeriodicTimer_coalesces_missed_ticks_follows_a_new_Period_and_stops_on_Dispose()
    {
        // PeriodicTimer runs its continuations asynchronously and allows one wait at a time, so the scenario reads
        // ValueTask.IsCompleted (set synchronously by the timer's callback) after each step and consumes each wait.
        var log = AssertSame(clock =>
        {
            using var periodic = new PeriodicTimer(10 * s_ms, clock.Provider);
            var tick = periodic.WaitForNextTickAsync();
            clock.Record($"waiting {tick.IsCompleted}");
            clock.Advance(35 * s_ms);
            clock.Record($"after a jump of three periods {Consume(tick)}");
            var again = periodic.WaitForNextTickAsync();
            clock.Record($"again at once {again.IsCompleted}");
            StepUntilTick(clock, again, "next");
            periodic.Period = 3 * s_ms;
            StepUntilTick(clock, periodic.WaitForNextTickAsync(), "after the new period");
            StepUntilTick(clock, periodic.WaitForNextTickAsync(), "and the one after");
            var last = periodic.WaitForNextTickAsync();
            periodic.Dispose();
            clock.Record($"after Dispose {Consume(last)}");
        });

        Assert.Equal(
            ["waiting False@0", "after a jump of three periods ticked True@35", "again at once False@35", "next ticked True@40", "after the new period ticked True@43", "and the one after ticked True@46", "after Dispose ticked False@46"],
            log);

        static string Consume(ValueTask<bool> wait) => wait.IsCompleted ? $"ticked {wait.GetAwaiter().GetResult()}" : "pending";

        static void StepUntilTick(Clock clock, ValueTask<bool> wait, string name)
        {
            for (var i = 0; i < 20 && !wait.IsCompleted; i++)
            {
                clock.Advance(s_ms);
            }

            clock.Record($"{name} {Consume(wait)}");
        }
    }

    [Fact]
    public void WaitAsync_times_out_or_completes_at_the_same_time()
    {
        var log = AssertSame(clock =>
        {
            var never = new TaskCompletionSource();
            var completes = new TaskCompletionSource<int>();
            var timingOut = never.Task.WaitAsync(10 * s_ms, clock.Provider);
            var inTime = completes.Task.WaitAsync(10 * s_ms, clock.Provider);
            var zero = never.Task.WaitAsync(TimeSpan.Zero, clock.Provider);
            timingOut.ContinueWith(t => clock.Record($"timing out {t.Exception?.InnerException?.GetType().Name}"), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            inTime.ContinueWith(t => clock.Record($"in time {t.Result}"), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            clock.Record($"zero timeout {zero.Exception?.InnerException?.GetType().Name}");
            clock.Step(5);
            completes.SetResult(7);
            clock.Step(10);
        });

        Assert.Equal(["zero timeout TimeoutException@0", "in time 7@5", "timing out TimeoutException@10"], log);
    }

    /// <summary>
    /// Due times and periods around the bounds: both clocks must accept or reject the same values (with the same
    /// parameter name), and an accepted one must fire the same number of times by the end of each millisecond.
    /// <see cref="Timer"/> and <see cref="FakeTimeProvider"/> validate the value truncated to whole milliseconds, so a
    /// due time of -0.5 ms is "now" and -1.5 ms is "never", not an error.
    /// </summary>
    public static TheoryData<long, long> TimerArguments() => new()
    {
        { -1, Timeout.InfiniteTimeSpan.Ticks },
        { -9_999, Timeout.InfiniteTimeSpan.Ticks },
        { Timeout.InfiniteTimeSpan.Ticks, 2 * s_ms.Ticks },
        { -15_000, Timeout.InfiniteTimeSpan.Ticks },
        { -19_999, 2 * s_ms.Ticks },
        { -20_000, Timeout.InfiniteTimeSpan.Ticks },
        { s_ms.Ticks, -1 },
        { s_ms.Ticks, -15_000 },
        { s_ms.Ticks, -20_000 },
        { s_ms.Ticks, 0 },
        { 5_000, 5_000 },
        { 2 * s_ms.Ticks, 15_000 },
        { TimeSpan.FromMilliseconds(0xfffffffe).Ticks + 5_000, Timeout.InfiniteTimeSpan.Ticks },
        { TimeSpan.FromMilliseconds(0xffffffff).Ticks, Timeout.InfiniteTimeSpan.Ticks },
        { s_ms.Ticks, TimeSpan.FromMilliseconds(0xfffffffe).Ticks + 9_999 },
        { s_ms.Ticks, TimeSpan.FromMilliseconds(0xffffffff).Ticks },
    };

    [Theory]
    [MemberData(nameof(TimerArguments))]
    public void CreateTimer_accepts_and_rejects_the_same_arguments(long dueTicks, long periodTicks)
    {
        AssertSame(clock =>
        {
            var fired = 0;
            ITimer? timer = null;
            var error = Record.Exception(() => timer = clock.Provider.CreateTimer(_ => fired++, null, TimeSpan.FromTicks(dueTicks), TimeSpan.FromTicks(periodTicks)));
            clock.Record(error is null ? "created" : $"{error.GetType().Name} {(error as ArgumentException)?.ParamName}");
            for (var i = 0; i < 6; i++)
            {
                clock.Advance(s_ms);
                clock.Record($"fired {fired}");
            }

            timer?.Dispose();
        });
    }

    [Theory]
    [MemberData(nameof(TimerArguments))]
    public void Change_accepts_and_rejects_the_same_arguments(long dueTicks, long periodTicks)
    {
        AssertSame(clock =>
        {
            var fired = 0;
            using var timer = clock.Provider.CreateTimer(_ => fired++, null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            clock.Advance(s_ms);
            var error = Record.Exception(() => clock.Record($"changed {timer.Change(TimeSpan.FromTicks(dueTicks), TimeSpan.FromTicks(periodTicks))}"));
            if (error is not null)
            {
                clock.Record($"{error.GetType().Name} {(error as ArgumentException)?.ParamName}");
            }

            for (var i = 0; i < 6; i++)
            {
                clock.Advance(s_ms);
                clock.Record($"fired {fired}");
            }

            timer.Dispose();
            var afterDispose = Record.Exception(() => clock.Record($"changed after Dispose {timer.Change(TimeSpan.FromTicks(dueTicks), TimeSpan.FromTicks(periodTicks))}"));
            if (afterDispose is not null)
            {
                clock.Record($"after Dispose {afterDispose.GetType().Name} {(afterDispose as ArgumentException)?.ParamName}");
            }
        });
    }

    [Fact]
    public void CreateTimer_rejects_a_null_callback_on_both()
    {
        var log = AssertSame(clock =>
        {
            var error = Record.Exception(() => clock.Provider.CreateTimer(null!, null, s_ms, s_ms));
            clock.Record($"{error?.GetType().Name} {(error as ArgumentException)?.ParamName}");
        });

        Assert.Equal(["ArgumentNullException callback@0"], log);
    }

    // The documented differences (docs/testing.md, "Compared with FakeTimeProvider"), pinned on both clocks so the page
    // stays true.

    [Fact]
    public void Difference_a_zero_due_time_fires_inside_CreateTimer_on_the_fake_and_at_Clock_plus_1_on_ours()
    {
        var fake = new FakeTimeProvider();
        var scheduler = new TestScheduler();
        var firedOnFake = 0;
        var firedOnOurs = 0;

        using var onFake = fake.CreateTimer(_ => firedOnFake++, null, TimeSpan.Zero, Timeout.InfiniteTimeSpan);
        using var onOurs = scheduler.AsTimeProvider().CreateTimer(_ => firedOnOurs++, null, TimeSpan.Zero, Timeout.InfiniteTimeSpan);

        using var ctsOnFake = new CancellationTokenSource(Timeout.InfiniteTimeSpan, fake);
        using var ctsOnOurs = new CancellationTokenSource(Timeout.InfiniteTimeSpan, scheduler.AsTimeProvider());
        ctsOnFake.CancelAfter(TimeSpan.Zero);
        ctsOnOurs.CancelAfter(TimeSpan.Zero);

        Assert.Equal(1, firedOnFake);
        Assert.True(ctsOnFake.IsCancellationRequested);
        Assert.Equal(0, firedOnOurs);
        Assert.False(ctsOnOurs.IsCancellationRequested);
        scheduler.AdvanceBy(1);
        Assert.Equal(1, firedOnOurs);
        Assert.True(ctsOnOurs.IsCancellationRequested);
    }

    [Fact]
    public void Difference_in_one_long_advance_a_callback_reads_the_end_on_the_fake_and_its_own_due_time_on_ours()
    {
        var fake = new FakeClock();
        var ours = new SchedulerClock();

        foreach (var clock in new Clock[] { fake, ours })
        {
            ITimer? timer = null;
            timer = clock.Provider.CreateTimer(
                _ =>
                {
                    clock.Record("tick");
                    timer!.Change(10 * s_ms, Timeout.InfiniteTimeSpan);
                },
                null,
                10 * s_ms,
                Timeout.InfiniteTimeSpan);
            clock.Advance(35 * s_ms);
            timer.Dispose();
        }

        // The fake moves its clock to the end of the advance first, so the re-armed timer is due after it; ours runs
        // each firing at its due time, as a real clock would.
        Assert.Equal(["tick@35"], fake.Log);
        Assert.Equal(["tick@10", "tick@20", "tick@30"], ours.Log);
    }

    [Fact]
    public void Difference_the_callback_runs_in_the_advancing_context_on_the_fake_and_in_the_creating_one_on_ours()
    {
        var local = new AsyncLocal<string>();
        var fake = new FakeTimeProvider();
        var scheduler = new TestScheduler();
        string? seenOnFake = null;
        string? seenOnOurs = null;

        local.Value = "creator";
        using var onFake = fake.CreateTimer(_ => seenOnFake = local.Value, null, s_ms, Timeout.InfiniteTimeSpan);
        using var onOurs = scheduler.AsTimeProvider().CreateTimer(_ => seenOnOurs = local.Value, null, s_ms, Timeout.InfiniteTimeSpan);
        local.Value = "advancer";
        fake.Advance(s_ms);
        scheduler.AdvanceBy(s_ms.Ticks);

        Assert.Equal("advancer", seenOnFake);
        Assert.Equal("creator", seenOnOurs);
    }

    [Fact]
    public void Difference_a_timer_re_armed_at_the_same_instant_goes_behind_the_others_on_ours()
    {
        var fake = new FakeClock();
        var ours = new SchedulerClock();
        foreach (var clock in new Clock[] { fake, ours })
        {
            var time = clock.Provider;
            using var a = time.CreateTimer(_ => clock.Record("a"), null, 10 * s_ms, Timeout.InfiniteTimeSpan);
            using var b = time.CreateTimer(_ => clock.Record("b"), null, 10 * s_ms, Timeout.InfiniteTimeSpan);
            using var c = time.CreateTimer(_ => clock.Record("c"), null, 10 * s_ms, Timeout.InfiniteTimeSpan);
            a.Change(10 * s_ms, Timeout.InfiniteTimeSpan);
            clock.Step(10);
        }

        // Both order by due time, then by when the timer was armed; the fake breaks a tie between timers armed at the
        // same instant by the order of its internal set, where a re-armed timer takes its old slot back.
        Assert.Equal(["a@10", "b@10", "c@10"], fake.Log);
        Assert.Equal(["b@10", "c@10", "a@10"], ours.Log);
    }
}
