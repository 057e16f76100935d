using System.Threading.Tasks.Dataflow;
using Reactive.Streams.Generators.Tests.Fixtures;

namespace Reactive.Streams.Generators.Tests.Sinks;

/// <summary>
/// The degrader a sink declares throws on an overflow: the observer ends with that error once what was buffered before it
/// was handled, and the Dataflow target faults with it and declines from then on, as a Dataflow block does when its user
/// code throws.
/// </summary>
public sealed class SinkDegraderFailureTests
{
    private static readonly TimeSpan s_guard = TimeSpan.FromMinutes(1);
    private static readonly DateTimeOffset s_at = new(2026, 11, 22, 13, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_throwing_degrader_ends_the_observer_with_its_error_after_what_was_buffered_before_it()
    {
        var sink = new PoisonDegraderLeaseSink();
        await using var observer = sink.CreateObserver();

        observer.OnNext(Expired("held"));
        await sink.HeldStarted.Task.WaitAsync(s_guard);
        observer.OnNext(Acquired("1"));
        observer.OnNext(Acquired("2"));
        observer.OnNext(Acquired("poison"));
        Assert.True(observer.IsStopped);
        observer.OnNext(Acquired("after"));
        sink.Release.SetResult();

        var error = await Assert.ThrowsAnyAsync<Exception>(() => observer.Completion.WaitAsync(s_guard));
        Assert.Contains(Chain(error), static e => e is FormatException { Message: "cannot degrade poison" });
        Assert.Equal(new[] { "expired:held", "acquired:1", "acquired:2" }, sink.Handled);
    }

    [Fact]
    public async Task A_throwing_degrader_faults_the_target_with_its_error_and_later_offers_are_declined()
    {
        var sink = new PoisonDegraderLeaseSink();
        var target = sink.CreateTarget();

        Assert.True(target.Post(Expired("held")));
        await sink.HeldStarted.Task.WaitAsync(s_guard);
        Assert.True(target.Post(Acquired("1")));
        Assert.True(target.Post(Acquired("2")));
        Assert.False(target.Post(Acquired("poison")));
        Assert.False(target.Post(Acquired("after")));
        sink.Release.SetResult();

        var error = await Assert.ThrowsAnyAsync<Exception>(() => target.Completion.WaitAsync(s_guard));
        Assert.Contains(Chain(error), static e => e is FormatException { Message: "cannot degrade poison" });
        Assert.True(target.Completion.IsFaulted);
        Assert.Equal("expired:held", sink.Handled.First());
        Assert.DoesNotContain("acquired:after", sink.Handled);
    }

    private static IEnumerable<Exception> Chain(Exception error)
    {
        for (Exception? e = error; e is not null; e = e.InnerException)
        {
            yield return e;
            if (e is AggregateException aggregate)
            {
                foreach (var inner in aggregate.Flatten().InnerExceptions.SelectMany(Chain))
                {
                    yield return inner;
                }
            }
        }
    }

    private static LeaseEvent.Acquired Acquired(string id) => new(new Cursor(1, 0), id, "lease", s_at);

    private static LeaseEvent.Expired Expired(string id) => new(new Cursor(3, 0), id, s_at);
}
