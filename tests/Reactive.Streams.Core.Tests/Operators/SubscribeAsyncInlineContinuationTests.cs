using System.Reactive.Subjects;
using Reactive.Streams.Tests.Support;

namespace Reactive.Streams.Tests.Operators;

/// <summary>
/// Code a SubscribeAsync handler resumes synchronously, on the handler loop's own thread (the continuation of a plain
/// <see cref="TaskCompletionSource"/> the handler completes), runs in its awaiter's execution context, outside the
/// handler's flow, yet above the loop on that thread: a PauseUpstream push there that waits for room waits for the very
/// handler it runs above, so it must fail fast as a push from inside the handler does.
/// </summary>
public class SubscribeAsyncInlineContinuationTests
{
    [Fact]
    public async Task A_producer_the_handler_resumes_inline_fails_fast_instead_of_deadlocking()
    {
        var subject = new Subject<int>();
        var handled = new List<int>();
        var options = new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 1) { Name = "inline-feeding" };
        var first = new TaskCompletionSource(); // plain: its continuations run inline
        var feeding = FeedAsync(first.Task, subject);
        var subscription = subject.SubscribeAsync(
            (x, _) =>
            {
                handled.Add(x);
                if (x == 1)
                {
                    first.TrySetResult(); // the feeder resumes here, on the loop's thread
                }

                return default;
            },
            options);

        subject.OnNext(1);
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => subscription.Completion.WaitAsync(TestLimits.Hang));

        Assert.Contains("'inline-feeding'", failure.Message, StringComparison.Ordinal);
        await feeding.WaitAsync(TestLimits.Hang); // "OnNext never throws": the feeder went on
        Assert.Equal(1, handled[0]);
        Assert.False(subject.HasObservers);

        static async Task FeedAsync(Task signal, Subject<int> subject)
        {
            await signal.ConfigureAwait(false);
            subject.OnNext(2); // fills the buffer
            subject.OnNext(3); // would wait for the handler this thread runs above
        }
    }
}
