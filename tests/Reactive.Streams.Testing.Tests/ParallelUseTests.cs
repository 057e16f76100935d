using System.Globalization;
using static Reactive.Streams.Testing.ReactiveTest;

namespace Reactive.Streams.Testing.Tests;

/// <summary>
/// The package as test classes use it under xunit's parallelism: schedulers, providers and records of the same types
/// used on several threads at once share nothing, and printing a record under one thread's culture does not change
/// another's.
/// </summary>
public sealed class ParallelUseTests
{
    private static readonly TimeSpan s_hang = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task Schedulers_run_on_parallel_threads_record_what_one_run_alone_records()
    {
        static (string Messages, string Subscriptions, long TimerFiredAt) Run()
        {
            var scheduler = new TestScheduler();
            var source = scheduler.CreateHotObservable(
                OnNext(210, 1), OnNext(210, 2), OnNext(210, 3), OnNext(300, 4), OnCompleted<int>(400));
            long firedAt = -1;
            using var timer = scheduler.AsTimeProvider().CreateTimer(_ => firedAt = scheduler.Clock, null, TimeSpan.FromTicks(250), Timeout.InfiniteTimeSpan);
            var observer = scheduler.Start(() => source.DropOldest(capacity: 2, scheduler));
            return (string.Join(", ", observer.Messages), string.Join(", ", source.Subscriptions), firedAt);
        }

        var alone = Run();
        Assert.Equal(("OnNext(2)@211, OnNext(3)@211, OnNext(4)@301, OnCompleted()@401", "(200, 400)", 250L), alone);

        using var go = new Barrier(8);
        var runs = Enumerable.Range(0, 8).Select(_ => Task.Factory.StartNew(
            () =>
            {
                go.SignalAndWait(s_hang);
                return Enumerable.Range(0, 200).Select(_ => Run()).ToArray();
            },
            CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();

        foreach (var results in await Task.WhenAll(runs).WaitAsync(s_hang))
        {
            Assert.All(results, result => Assert.Equal(alone, result));
        }
    }

    [Fact]
    public async Task Records_printed_on_threads_of_different_cultures_read_alike_and_leave_each_culture_as_it_was()
    {
        string[] names = ["de-DE", "fr-FR", "ar-SA", "en-US", "fa-IR", "sv-SE"];
        using var go = new Barrier(names.Length);
        var printers = names.Select(name => Task.Factory.StartNew(
            () =>
            {
                var culture = CultureInfo.GetCultureInfo(name);
                CultureInfo.CurrentCulture = culture;
                go.SignalAndWait(s_hang);
                var texts = new HashSet<string>(StringComparer.Ordinal);
                for (var i = 0; i < 500; i++)
                {
                    texts.Add(OnNext(-210, -1.5).ToString());
                    texts.Add(new Recorded<decimal>(7, 1234.5m).ToString());
                }

                return (Texts: texts, CultureAfter: CultureInfo.CurrentCulture);
            },
            CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();

        var results = await Task.WhenAll(printers).WaitAsync(s_hang);

        for (var i = 0; i < names.Length; i++)
        {
            Assert.Equal(["1234.5@7", "OnNext(-1.5)@-210"], results[i].Texts.Order(StringComparer.Ordinal).ToArray());
            Assert.Equal(names[i], results[i].CultureAfter.Name);
        }
    }
}
