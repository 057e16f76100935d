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

    [Fact]
    public async Task DisposeAsync_awaited_in_code_the_handler_resumes_inline_still_waits_for_the_handler_to_return()
    {
        var subject = new Subject<int>();
        var first = new TaskCompletionSource(); // plain: its continuations run inline
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var returned = 0;
        var disposing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        BackpressureSubscription? subscription = null;

        // An await does not hold the loop's thread, so this disposal can wait for the handler, and must.
        var returnedWhenDisposed = DisposeAsyncOnceAsync();
        subscription = subject.SubscribeAsync(
            async (_, _) =>
            {
                first.TrySetResult();
                await release.Task.ConfigureAwait(false); // ignores the cancelled token: still running after the disposal
                Volatile.Write(ref returned, 1);
            },
            BackpressurePolicy.DropOldest,
            4);

        subject.OnNext(1);
        await disposing.Task.WaitAsync(TestLimits.Hang);
        Assert.False(returnedWhenDisposed.IsCompleted); // the handler cannot return before the release
        release.SetResult();
        Assert.True(await returnedWhenDisposed.WaitAsync(TestLimits.Hang), "DisposeAsync completed before the handler returned.");
        await subscription.Completion.WaitAsync(TestLimits.Hang);

        async Task<bool> DisposeAsyncOnceAsync()
        {
            await first.Task.ConfigureAwait(false);
            var disposal = subscription!.DisposeAsync();
            disposing.SetResult();
            await disposal;
            return Volatile.Read(ref returned) == 1;
        }
    }

    [Fact]
    public async Task A_Dispose_resumed_inline_by_the_handler_stops_the_subscription_and_Completion_follows_the_handler()
    {
        var subject = new Subject<int>();
        var first = new TaskCompletionSource();
        var handled = new List<int>();
        var cancelledInHandler = false;
        BackpressureSubscription? subscription = null;
        var disposedInline = AfterAsync(first.Task, () => subscription!.Dispose());
        subscription = subject.SubscribeAsync(
            (x, cancellationToken) =>
            {
                handled.Add(x);
                first.TrySetResult(); // the disposal runs here, on the loop's thread
                cancelledInHandler = cancellationToken.IsCancellationRequested;
                return default;
            },
            BackpressurePolicy.DropOldest,
            4);

        subject.OnNext(1);
        await disposedInline.WaitAsync(TestLimits.Hang);
        await subscription.Completion.WaitAsync(TestLimits.Hang); // completes successfully once the handler returned
        subject.OnNext(2);

        Assert.True(cancelledInHandler);
        Assert.Equal([1], handled);
        Assert.False(subject.HasObservers);

        static async Task AfterAsync(Task signal, Action then)
        {
            await signal.ConfigureAwait(false);
            then();
        }
    }

    [Fact]
    public async Task A_BackpressureObserver_push_its_handler_resumes_inline_fails_fast_instead_of_deadlocking()
    {
        var options = new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 1) { Name = "inline-observer" };
        var first = new TaskCompletionSource();
        BackpressureObserver<int>? observer = null;
        var feeding = FeedAsync();
        observer = new BackpressureObserver<int>(
            (x, _) =>
            {
                if (x == 1)
                {
                    first.TrySetResult();
                }

                return default;
            },
            options);

        observer.OnNext(1);
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => observer.Completion.WaitAsync(TestLimits.Hang));

        Assert.Contains("'inline-observer'", failure.Message, StringComparison.Ordinal);
        await feeding.WaitAsync(TestLimits.Hang);
        Assert.True(observer.IsStopped);

        async Task FeedAsync()
        {
            await first.Task.ConfigureAwait(false);
            observer!.OnNext(2); // fills the buffer
            observer.OnNext(3); // would wait for the handler this thread runs above
        }
    }
}
