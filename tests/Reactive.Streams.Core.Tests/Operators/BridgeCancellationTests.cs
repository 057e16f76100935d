using System.Reactive.Disposables;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using Reactive.Streams.Tests.Support;

namespace Reactive.Streams.Tests.Operators;

/// <summary>
/// ToAsyncEnumerable's token at each await of an enumeration: cancelled while the reader waits for an item, and while a
/// PauseUpstream producer waits for room. Either way the enumeration throws <see cref="OperationCanceledException"/>
/// (as an await foreach over a channel's ReadAllAsync does), the source is let go and a blocked producer is released.
/// </summary>
public class BridgeCancellationTests
{
    [Theory]
    [InlineData(BackpressurePolicy.DropOldest)]
    [InlineData(BackpressurePolicy.DegradeQuality)]
    [InlineData(BackpressurePolicy.PauseUpstream)]
    [InlineData(BackpressurePolicy.Fail)]
    public async Task Cancelling_while_the_reader_waits_for_an_item_throws_and_lets_the_source_go(BackpressurePolicy policy)
    {
        var subject = new Subject<int>();
        using var cancellation = new CancellationTokenSource();
        await using var enumerator = subject.ToAsyncEnumerable(policy, 4, x => x).GetAsyncEnumerator(cancellation.Token);

        var first = enumerator.MoveNextAsync().AsTask();
        SpinWait.SpinUntil(() => subject.HasObservers, TestLimits.Hang);
        subject.OnNext(1);
        Assert.True(await first.WaitAsync(TestLimits.Hang));
        Assert.Equal(1, enumerator.Current);

        var waiting = enumerator.MoveNextAsync().AsTask();
        Assert.False(waiting.IsCompleted);
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(TestLimits.Hang));
        await enumerator.DisposeAsync();
        Assert.False(subject.HasObservers);
    }

    [Fact]
    public async Task A_PauseUpstream_enumeration_cancelled_before_the_pool_ran_its_subscription_never_subscribes_the_source()
    {
        // Under PauseUpstream the subscription runs on the thread pool. The pool work is held, deterministically, as it
        // enters the enumeration's execution context (an AsyncLocal's change callback runs on that thread before the
        // work does), until the enumeration has ended; then it is let go, and its leaving that context tells when it
        // is done. As Rx's ForEachAsync with a cancelled token does, a cold source must then not be subscribed at all.
        var subscriptions = 0;
        var source = Observable.Create<int>(_ =>
        {
            Interlocked.Increment(ref subscriptions);
            return Disposable.Empty;
        });
        using var release = new ManualResetEventSlim();
        using var held = new ManualResetEventSlim();
        using var left = new ManualResetEventSlim();
        var marker = new object();
        var heldThread = 0;
        var local = new AsyncLocal<object?>(change =>
        {
            if (!change.ThreadContextChanged)
            {
                return;
            }

            if (ReferenceEquals(change.CurrentValue, marker) && Interlocked.CompareExchange(ref heldThread, Environment.CurrentManagedThreadId, 0) == 0)
            {
                held.Set();
                release.Wait(TestLimits.Hang);
            }
            else if (ReferenceEquals(change.PreviousValue, marker) && change.CurrentValue is null && Volatile.Read(ref heldThread) == Environment.CurrentManagedThreadId)
            {
                left.Set();
            }
        });
        using var cancellation = new CancellationTokenSource();
        var enumerator = source.ToAsyncEnumerable(BackpressurePolicy.PauseUpstream, 4).GetAsyncEnumerator(cancellation.Token);

        local.Value = marker;
        var first = enumerator.MoveNextAsync().AsTask();
        local.Value = null;
        Assert.True(held.Wait(TestLimits.Hang));
        await cancellation.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first.WaitAsync(TestLimits.Hang));
        await enumerator.DisposeAsync();

        release.Set();
        Assert.True(left.Wait(TestLimits.Hang));
        Assert.Equal(0, Volatile.Read(ref subscriptions));
    }

    [Fact]
    public async Task Cancelling_while_a_PauseUpstream_producer_waits_for_room_releases_it_and_lets_the_source_go()
    {
        var subject = new Subject<int>();
        using var cancellation = new CancellationTokenSource();
        var enumerator = subject.ToAsyncEnumerable(BackpressurePolicy.PauseUpstream, 1).GetAsyncEnumerator(cancellation.Token);
        var first = enumerator.MoveNextAsync().AsTask();
        SpinWait.SpinUntil(() => subject.HasObservers, TestLimits.Hang);
        subject.OnNext(1);
        Assert.True(await first.WaitAsync(TestLimits.Hang));

        // The reader holds 1 and reads no further: 2 fills the buffer and 3 blocks its producer.
        subject.OnNext(2);
        var producer = Task.Run(() => subject.OnNext(3));
        Assert.False(producer.IsCompleted);

        await cancellation.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            while (await enumerator.MoveNextAsync())
            {
            }
        });
        await enumerator.DisposeAsync();

        await producer.WaitAsync(TestLimits.Hang);
        Assert.False(subject.HasObservers);
    }
}
