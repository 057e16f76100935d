using System.Reactive;
using System.Reactive.Concurrency;
using System.Reactive.Linq;
using System.Text;
using Reactive.Streams.Testing;
using static Reactive.Streams.Testing.ReactiveTest;

namespace Reactive.Streams.Tests.Operators;

/// <summary>
/// Differential, model-free random test of the policy operators against their twin, Rx's <c>ObserveOn</c>, in virtual
/// time: for fixed seeds, one random source (hot or cold; items, then maybe <c>OnCompleted</c> or <c>OnError</c>), a
/// random disposal time and maybe a downstream observer that throws, run through <c>ObserveOn(scheduler)</c> and
/// through each policy operator with room for every item. A buffer that never fills leaves the policy nothing to
/// decide, so the operator must deliver what the twin delivers, in the same order, end the source's subscription at
/// the same tick and let the same downstream exception escape the scheduler.
/// </summary>
/// <remarks>
/// The twin is <c>Materialize().ObserveOn(scheduler).Dematerialize()</c>: <c>ObserveOn</c> alone delivers a source's
/// <c>OnError</c> ahead of the items it still holds, which it then drops, where a policy operator delivers every item
/// buffered before the error (it loses items only by its policy); carried as a notification, the error keeps its place.
/// The other difference is by design too: <c>ObserveOn</c> schedules one action per item, so on a <c>TestScheduler</c> items that
/// arrive at one tick are delivered one tick apart; the operator's drain delivers everything buffered when it runs, so
/// they are delivered together one tick after they arrived. The test therefore asserts that each notification comes
/// no later than the twin's, and, where the subscription is disposed early, that the twin's notifications are a prefix
/// of the operator's (which may have delivered more of what had arrived by then).
/// </remarks>
public sealed class ObserveOnTwinFuzzTests
{
    private const int Seeds = 1000;

    public static TheoryData<BackpressurePolicy> Policies() => [.. Enum.GetValues<BackpressurePolicy>()];

    [Theory]
    [MemberData(nameof(Policies))]
    public void Random_sources_are_delivered_as_ObserveOn_delivers_them(BackpressurePolicy policy)
    {
        for (var seed = 0; seed < Seeds; seed++)
        {
            var scenario = Scenario.Random(seed);
            var twin = scenario.Run(static (source, _, scheduler) => source.Materialize().ObserveOn(scheduler).Dematerialize());
            var ours = scenario.Run((source, capacity, scheduler) => source.WithBackpressure(policy, capacity, static x => x, scheduler));
            var difference = Compare(twin, ours, scenario.DisposedEarly);
            if (difference is not null)
            {
                Assert.Fail($"seed {seed}, {policy}: {scenario}\n  {difference}\n  ObserveOn: {twin}\n  ours:      {ours}");
            }
        }
    }

    private static string? Compare(Outcome twin, Outcome ours, bool disposedEarly)
    {
        // The twin leaves the source subscribed until it has delivered the source's terminal notification; the operator
        // lets the source go when the notification arrives (as Select or Where do), so its subscription may end sooner.
        // A downstream exception ends both subscriptions where it is thrown, which for the operator may be sooner too.
        // Otherwise (a disposal, or nothing) both end at the same tick.
        if (ours.Subscriptions.Count != twin.Subscriptions.Count
            || ours.Subscriptions.Zip(twin.Subscriptions).Any(static p => p.First.Subscribe != p.Second.Subscribe || p.First.Unsubscribe > p.Second.Unsubscribe)
            || (!ours.SourceTerminated && ours.Escaped is null && !ours.Subscriptions.SequenceEqual(twin.Subscriptions)))
        {
            return "the source's subscription differs";
        }

        if (ours.Escaped != twin.Escaped)
        {
            return "a different downstream exception escaped";
        }

        if (disposedEarly ? ours.Messages.Count < twin.Messages.Count : ours.Messages.Count != twin.Messages.Count)
        {
            return disposedEarly ? "fewer notifications than the twin before the disposal" : "a different number of notifications";
        }

        for (var i = 0; i < twin.Messages.Count; i++)
        {
            if (ours.Messages[i].Text != twin.Messages[i].Text)
            {
                return $"notification {i + 1} differs";
            }

            if (ours.Messages[i].Tick > twin.Messages[i].Tick)
            {
                return $"notification {i + 1} comes later than the twin's";
            }
        }

        return null;
    }

    /// <summary>What one run observed.</summary>
    private sealed record Outcome(IReadOnlyList<(long Tick, string Text)> Messages, IReadOnlyList<Subscription> Subscriptions, bool SourceTerminated, string? Escaped)
    {
        public override string ToString() =>
            $"{string.Join(", ", Messages.Select(static m => $"{m.Text}@{m.Tick}"))} | source {string.Join(", ", Subscriptions)} | escaped {Escaped ?? "nothing"}";
    }

    /// <summary>One seed's source, disposal time and downstream observer.</summary>
    private sealed class Scenario
    {
        private readonly Recorded<Notification<int>>[] _messages;
        private readonly bool _hot;
        private readonly long _disposed;
        private readonly int _throwAt; // the downstream throws on this OnNext (1-based); 0: never
        private readonly int _capacity;

        public bool DisposedEarly => _disposed < 1000;

        private Scenario(Recorded<Notification<int>>[] messages, bool hot, long disposed, int throwAt, int capacity)
        {
            _messages = messages;
            _hot = hot;
            _disposed = disposed;
            _throwAt = throwAt;
            _capacity = capacity;
        }

        public static Scenario Random(int seed)
        {
            var random = new Random(seed);
            var hot = random.Next(2) == 0;
            var first = hot ? 190 : 0; // a hot source may emit before the subscription at 200, unseen
            var messages = new List<Recorded<Notification<int>>>();
            var tick = (long)first;
            var count = random.Next(0, 12);
            for (var i = 0; i < count; i++)
            {
                tick += random.Next(0, 4) == 0 ? 0 : random.Next(1, 6); // several items at one tick now and then
                messages.Add(OnNext(tick, i + 1));
            }

            var error = new InvalidOperationException($"source error of seed {seed}");
            switch (random.Next(3))
            {
                case 0:
                    messages.Add(OnCompleted<int>(tick + random.Next(0, 4)));
                    break;
                case 1:
                    messages.Add(OnError<int>(tick + random.Next(0, 4), error));
                    break;
            }

            var disposed = random.Next(3) == 0 ? 200 + random.Next(0, 40) : 1000;
            var throwAt = random.Next(4) == 0 ? random.Next(1, count + 2) : 0;
            var capacity = Math.Max(1, count) + random.Next(0, 3);
            return new Scenario([.. messages], hot, disposed, throwAt, capacity);
        }

        public Outcome Run(Func<IObservable<int>, int, IScheduler, IObservable<int>> apply)
        {
            var scheduler = new TestScheduler();
            var source = _hot ? scheduler.CreateHotObservable(_messages) : scheduler.CreateColdObservable(_messages);
            var recorder = scheduler.CreateObserver<int>();
            var observer = Observer.Create<int>(
                x =>
                {
                    recorder.OnNext(x);
                    if (recorder.Messages.Count == _throwAt)
                    {
                        throw new ArithmeticException($"downstream threw on item {x}");
                    }
                },
                recorder.OnError,
                recorder.OnCompleted);
            IDisposable? subscription = null;
            scheduler.ScheduleAbsolute(200, () => subscription = apply(source, _capacity, scheduler).Subscribe(observer));
            scheduler.ScheduleAbsolute(_disposed, () => subscription?.Dispose());
            string? escaped = null;
            try
            {
                scheduler.Start();
            }
            catch (ArithmeticException e)
            {
                escaped = e.Message; // the tick may differ: the operator delivers sooner (see the remarks)
            }

            return new Outcome(
                [.. recorder.Messages.Select(static m => (Tick: m.Time, Text: m.Value.Kind == NotificationKind.OnNext ? $"OnNext({m.Value.Value})" : m.Value.ToString()!))],
                [.. source.Subscriptions],
                SourceTerminated([.. source.Subscriptions]),
                escaped);
        }

        /// <summary>Whether the source sent its terminal notification while subscribed (its time is relative for a cold source).</summary>
        private bool SourceTerminated(IReadOnlyList<Subscription> subscriptions)
        {
            var terminal = _messages.FirstOrDefault(static m => m.Value.Kind != NotificationKind.OnNext);
            if (terminal.Value is null || subscriptions.Count == 0)
            {
                return false;
            }

            var at = _hot ? terminal.Time : subscriptions[0].Subscribe + terminal.Time;
            return at >= subscriptions[0].Subscribe && at <= subscriptions[0].Unsubscribe;
        }

        public override string ToString()
        {
            var text = new StringBuilder(_hot ? "hot" : "cold");
            text.Append(" [").AppendJoin(", ", _messages.Select(static m => $"{m.Value.Kind}({m.Time}{(m.Value.Kind == NotificationKind.OnNext ? ", " + m.Value.Value : "")})")).Append(']');
            text.Append(", capacity ").Append(_capacity).Append(", disposed at ").Append(_disposed);
            if (_throwAt > 0)
            {
                text.Append(", downstream throws on OnNext ").Append(_throwAt);
            }

            return text.ToString();
        }
    }
}
