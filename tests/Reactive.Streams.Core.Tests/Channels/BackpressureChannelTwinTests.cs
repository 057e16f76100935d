using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;
using Twin = Reactive.Streams.Tests.Channels.ChannelTwin;

namespace Reactive.Streams.Tests.Channels;

/// <summary>
/// The channel face against its platform twin: every case runs unchanged against <c>Channel.CreateBounded</c> (the
/// "runtime" variants, which prove the expectation is the platform's) and against <see cref="BackpressureChannel"/> in
/// every mode its public options select. Twins: PauseUpstream is <see cref="BoundedChannelFullMode.Wait"/>, DropOldest
/// is <see cref="BoundedChannelFullMode.DropOldest"/>, DegradeQuality is DropOldest with the degraded item enqueued;
/// Fail has no twin, and its cases assert the documented difference next to the Wait twin's behaviour.
/// </summary>
/// <remarks>
/// A pending operation is awaited under a one-minute guard that only bounds a failing run (an operation that never
/// completes fails as "still pending"); no case measures or depends on elapsed time.
/// </remarks>
public sealed class BackpressureChannelTwinTests
{
    private static readonly TimeSpan s_guard = TimeSpan.FromSeconds(60);


    /// <summary>Every channel a case runs against: the runtime's, and ours in every mode its options select.</summary>
    public static readonly string[] Variants =
    [
        "runtime",
        "runtime, capacity 65537",
        "default",
        "SingleWriter",
        "SingleReader",
        "SingleWriter+SingleReader",
        "SingleWriter+SingleReader+PauseTimeout",
        "capacity 65537",
    ];

    public static TheoryData<string> AllVariants => new(Variants);

    public static TheoryData<Twin, string> AllTwins() => ChannelTwins.All(Variants);

    public static TheoryData<Twin, string> EvictingTwins() => ChannelTwins.Evicting(Variants);

    /// <summary>The policy channels only (Fail has no twin).</summary>
    public static TheoryData<string> OurVariants => new(Variants.Where(v => !v.StartsWith("runtime", StringComparison.Ordinal)));

    // ---- TryWrite / WriteAsync / WaitToWriteAsync ---------------------------------------------------------------

    [Theory]
    [MemberData(nameof(AllVariants))]
    public void Wait_TryWrite_accepts_until_full_then_refuses_and_keeps_what_it_holds(string variant)
    {
        var c = Open(Twin.Wait, variant);
        Fill(c);

        Assert.False(c.Channel.Writer.TryWrite(c.Capacity + 1));

        Assert.Equal(c.Capacity, c.Channel.Reader.Count);
        Assert.Equal(Enumerable.Range(1, c.Capacity), Drain(c.Channel.Reader));
    }

    [Theory]
    [MemberData(nameof(EvictingTwins))]
    public void Evicting_TryWrite_on_a_full_channel_accepts_and_evicts_the_oldest(Twin twin, string variant)
    {
        var c = Open(twin, variant);
        Fill(c);

        Assert.True(c.Channel.Writer.TryWrite(c.Capacity + 1));
        Assert.True(c.Channel.Writer.TryWrite(c.Capacity + 2));

        Assert.Equal(c.Capacity, c.Channel.Reader.Count);
        Assert.Equal(
            Enumerable.Range(3, c.Capacity - 2).Append(c.Overflowed(c.Capacity + 1)).Append(c.Overflowed(c.Capacity + 2)),
            Drain(c.Channel.Reader));
    }

    [Theory]
    [MemberData(nameof(AllVariants))]
    public async Task Wait_WriteAsync_completes_at_once_with_room_and_waits_for_a_read_when_full(string variant)
    {
        var c = Open(Twin.Wait, variant);
        for (var i = 1; i <= c.Capacity; i++)
        {
            Assert.True(c.Channel.Writer.WriteAsync(i).IsCompletedSuccessfully);
        }

        var write = c.Channel.Writer.WriteAsync(c.Capacity + 1).AsTask();
        Assert.False(write.IsCompleted);
        Assert.Equal(c.Capacity, c.Channel.Reader.Count);

        Assert.True(c.Channel.Reader.TryRead(out var first));
        Assert.Equal(1, first);
        await Settle(write);

        Assert.Equal(c.Capacity, c.Channel.Reader.Count);
        Assert.Equal(Enumerable.Range(2, c.Capacity), Drain(c.Channel.Reader));
    }

    [Theory]
    [MemberData(nameof(EvictingTwins))]
    public void Evicting_WriteAsync_on_a_full_channel_completes_at_once(Twin twin, string variant)
    {
        var c = Open(twin, variant);
        Fill(c);

        Assert.True(c.Channel.Writer.WriteAsync(c.Capacity + 1).IsCompletedSuccessfully);

        Assert.Equal(Enumerable.Range(2, c.Capacity - 1).Append(c.Overflowed(c.Capacity + 1)), Drain(c.Channel.Reader));
    }

    [Theory]
    [MemberData(nameof(AllVariants))]
    public async Task Wait_WaitToWriteAsync_is_true_with_room_and_waits_for_a_read_when_full(string variant)
    {
        var c = Open(Twin.Wait, variant);
        var atOnce = c.Channel.Writer.WaitToWriteAsync();
        Assert.True(CompletedWith(atOnce));
        Fill(c);

        var wait = c.Channel.Writer.WaitToWriteAsync().AsTask();
        Assert.False(wait.IsCompleted);
        Assert.Equal(c.Capacity, c.Channel.Reader.Count); // waiting reserves nothing and writes nothing

        Assert.True(c.Channel.Reader.TryRead(out _));
        Assert.True(await Settle(wait));
        Assert.True(c.Channel.Writer.TryWrite(c.Capacity + 1));
        Assert.False(c.Channel.Writer.TryWrite(c.Capacity + 2));
    }

    [Theory]
    [MemberData(nameof(EvictingTwins))]
    public void Evicting_WaitToWriteAsync_is_true_at_once_even_when_full(Twin twin, string variant)
    {
        var c = Open(twin, variant);
        Fill(c);

        var wait = c.Channel.Writer.WaitToWriteAsync();

        Assert.True(CompletedWith(wait));
        Assert.Equal(c.Capacity, c.Channel.Reader.Count);
    }

    // ---- TryComplete / Complete and the writer afterwards -------------------------------------------------------

    [Theory]
    [MemberData(nameof(AllTwins))]
    public void TryComplete_succeeds_once_and_Complete_after_it_throws_ChannelClosedException(Twin twin, string variant)
    {
        var c = Open(twin, variant);

        Assert.True(c.Channel.Writer.TryComplete());
        Assert.False(c.Channel.Writer.TryComplete());
        Assert.False(c.Channel.Writer.TryComplete(new InvalidOperationException("late")));
        Assert.Throws<ChannelClosedException>(() => c.Channel.Writer.Complete());
    }

    [Theory]
    [MemberData(nameof(AllTwins))]
    public async Task After_TryComplete_writes_are_refused_as_closed_and_WaitToWriteAsync_is_false(Twin twin, string variant)
    {
        var c = Open(twin, variant);
        Assert.True(c.Channel.Writer.TryWrite(1));
        c.Channel.Writer.Complete();

        Assert.False(c.Channel.Writer.TryWrite(2));
        var closed = await Assert.ThrowsAsync<ChannelClosedException>(() => c.Channel.Writer.WriteAsync(3).AsTask());
        Assert.Null(closed.InnerException);
        Assert.False(await c.Channel.Writer.WaitToWriteAsync());
        Assert.Equal([1], Drain(c.Channel.Reader));
    }

    [Theory]
    [MemberData(nameof(AllTwins))]
    public async Task After_TryComplete_with_an_error_WriteAsync_wraps_it_and_WaitToWriteAsync_throws_it(Twin twin, string variant)
    {
        var c = Open(twin, variant);
        var boom = new FormatException("producer failed");
        Assert.True(c.Channel.Writer.TryComplete(boom));

        Assert.False(c.Channel.Writer.TryWrite(2));
        var closed = await Assert.ThrowsAsync<ChannelClosedException>(() => c.Channel.Writer.WriteAsync(3).AsTask());
        Assert.Same(boom, closed.InnerException);
        Assert.Same(boom, await Assert.ThrowsAsync<FormatException>(() => c.Channel.Writer.WaitToWriteAsync().AsTask()));
    }

    // ---- TryRead / TryPeek / Count / ReadAsync / WaitToReadAsync / ReadAllAsync / Completion ---------------------

    [Theory]
    [MemberData(nameof(AllTwins))]
    public void TryRead_TryPeek_and_Count_follow_the_buffer(Twin twin, string variant)
    {
        var c = Open(twin, variant);
        Assert.True(c.Channel.Reader.CanCount);
        Assert.True(c.Channel.Reader.CanPeek);
        Assert.Equal(0, c.Channel.Reader.Count);
        Assert.False(c.Channel.Reader.TryRead(out _));
        Assert.False(c.Channel.Reader.TryPeek(out _));

        Fill(c);

        Assert.True(c.Channel.Reader.TryPeek(out var head));
        Assert.Equal(1, head);
        Assert.Equal(c.Capacity, c.Channel.Reader.Count); // peeking takes nothing
        Assert.True(c.Channel.Reader.TryRead(out var first));
        Assert.Equal(1, first);
        Assert.Equal(c.Capacity - 1, c.Channel.Reader.Count);
        if (c.Capacity > 1)
        {
            Assert.True(c.Channel.Reader.TryPeek(out var next));
            Assert.Equal(2, next);
        }
    }

    [Theory]
    [MemberData(nameof(AllTwins))]
    public async Task ReadAsync_completes_at_once_with_an_item_and_waits_on_an_empty_channel_for_the_next_write(Twin twin, string variant)
    {
        var c = Open(twin, variant);
        Assert.True(c.Channel.Writer.TryWrite(1));
        var atOnce = c.Channel.Reader.ReadAsync();
        Assert.Equal(1, CompletedWith(atOnce));

        var read = c.Channel.Reader.ReadAsync().AsTask();
        Assert.False(read.IsCompleted);
        Assert.True(c.Channel.Writer.TryWrite(2));

        Assert.Equal(2, await Settle(read));
        Assert.Equal(0, c.Channel.Reader.Count);
        Assert.False(c.Channel.Reader.TryRead(out _));
    }

    [Theory]
    [MemberData(nameof(AllTwins))]
    public async Task WaitToReadAsync_waits_on_an_empty_channel_and_takes_nothing(Twin twin, string variant)
    {
        var c = Open(twin, variant);

        var wait = c.Channel.Reader.WaitToReadAsync().AsTask();
        Assert.False(wait.IsCompleted);
        Assert.True(c.Channel.Writer.TryWrite(1));

        Assert.True(await Settle(wait));
        Assert.Equal(1, c.Channel.Reader.Count);
        var again = c.Channel.Reader.WaitToReadAsync();
        Assert.True(CompletedWith(again));
        Assert.Equal([1], Drain(c.Channel.Reader));
    }

    [Theory]
    [MemberData(nameof(AllTwins))]
    public async Task Completion_waits_for_the_buffered_items_to_be_read_then_reads_end(Twin twin, string variant)
    {
        var c = Open(twin, variant);
        Fill(c);
        Assert.True(c.Channel.Writer.TryComplete());

        Assert.False(c.Channel.Reader.Completion.IsCompleted);
        Assert.True(await c.Channel.Reader.WaitToReadAsync());
        Assert.Equal(1, await c.Channel.Reader.ReadAsync());
        Assert.Equal(Enumerable.Range(2, c.Capacity - 1), Drain(c.Channel.Reader));

        await Settle(c.Channel.Reader.Completion);
        Assert.Equal(0, c.Channel.Reader.Count);
        Assert.False(c.Channel.Reader.TryPeek(out _));
        Assert.False(await c.Channel.Reader.WaitToReadAsync());
        var closed = await Assert.ThrowsAsync<ChannelClosedException>(() => c.Channel.Reader.ReadAsync().AsTask());
        Assert.Null(closed.InnerException);
    }

    [Theory]
    [MemberData(nameof(AllTwins))]
    public async Task Completion_of_an_empty_channel_is_at_once(Twin twin, string variant)
    {
        var c = Open(twin, variant);

        c.Channel.Writer.Complete();

        await Settle(c.Channel.Reader.Completion);
        Assert.True(c.Channel.Reader.Completion.IsCompletedSuccessfully);
    }

    [Theory]
    [MemberData(nameof(AllTwins))]
    public async Task Completion_with_an_error_lets_readers_drain_then_surfaces_the_error(Twin twin, string variant)
    {
        var c = Open(twin, variant);
        var boom = new FormatException("producer failed");
        Fill(c);
        Assert.True(c.Channel.Writer.TryComplete(boom));

        Assert.False(c.Channel.Reader.Completion.IsCompleted);
        Assert.Equal(Enumerable.Range(1, c.Capacity), Drain(c.Channel.Reader));

        Assert.Same(boom, await Assert.ThrowsAsync<FormatException>(() => Settle(c.Channel.Reader.Completion)));
        Assert.Same(boom, await Assert.ThrowsAsync<FormatException>(() => c.Channel.Reader.WaitToReadAsync().AsTask()));
        var closed = await Assert.ThrowsAsync<ChannelClosedException>(() => c.Channel.Reader.ReadAsync().AsTask());
        Assert.Same(boom, closed.InnerException);
        Assert.False(c.Channel.Reader.TryRead(out _));
    }

    [Theory]
    [MemberData(nameof(AllTwins))]
    public async Task ReadAllAsync_yields_every_buffered_item_then_ends_at_completion(Twin twin, string variant)
    {
        var c = Open(twin, variant);
        Fill(c);
        var reading = ReadAll(c.Channel.Reader);
        Assert.True(c.Channel.Writer.TryComplete());

        Assert.Equal(Enumerable.Range(1, c.Capacity), await Settle(reading));
    }

    [Theory]
    [MemberData(nameof(AllTwins))]
    public async Task ReadAllAsync_yields_every_buffered_item_then_throws_the_completion_error(Twin twin, string variant)
    {
        var c = Open(twin, variant);
        var boom = new FormatException("producer failed");
        Fill(c);
        var items = new List<int>();
        c.Channel.Writer.Complete(boom);

        var error = await Assert.ThrowsAsync<FormatException>(async () =>
        {
            await foreach (var item in c.Channel.Reader.ReadAllAsync())
            {
                items.Add(item);
            }
        });

        Assert.Same(boom, error);
        Assert.Equal(Enumerable.Range(1, c.Capacity), items);
    }

    [Theory]
    [MemberData(nameof(EvictingTwins))]
    public async Task Evicting_a_pending_reader_receives_the_next_write_directly(Twin twin, string variant)
    {
        var c = Open(twin, variant);

        var read = c.Channel.Reader.ReadAsync().AsTask();
        Assert.True(c.Channel.Writer.TryWrite(1));

        Assert.Equal(1, await Settle(read));
        Assert.Equal(0, c.Channel.Reader.Count);
    }

    // ---- Pending operations at completion ----------------------------------------------------------------------

    [Theory]
    [MemberData(nameof(AllVariants))]
    public async Task Pending_WaitToWriteAsync_returns_false_at_TryComplete(string variant)
    {
        var c = Open(Twin.Wait, variant);
        Fill(c);
        var wait = c.Channel.Writer.WaitToWriteAsync().AsTask();
        Assert.False(wait.IsCompleted);

        Assert.True(c.Channel.Writer.TryComplete());

        Assert.False(await Settle(wait));
        Assert.Equal(Enumerable.Range(1, c.Capacity), Drain(c.Channel.Reader));
    }

    [Theory]
    [MemberData(nameof(AllVariants))]
    public async Task Pending_WaitToWriteAsync_throws_the_completion_error_at_TryComplete_with_an_error(string variant)
    {
        var c = Open(Twin.Wait, variant);
        var boom = new FormatException("producer failed");
        Fill(c);
        var wait = c.Channel.Writer.WaitToWriteAsync().AsTask();
        Assert.False(wait.IsCompleted);

        Assert.True(c.Channel.Writer.TryComplete(boom));

        Assert.Same(boom, await Assert.ThrowsAsync<FormatException>(() => Settle(wait)));
        Assert.Equal(Enumerable.Range(1, c.Capacity), Drain(c.Channel.Reader));
    }

    [Theory]
    [MemberData(nameof(AllVariants))]
    public async Task Pending_WriteAsync_is_refused_as_closed_at_TryComplete_and_its_item_never_arrives(string variant)
    {
        var c = Open(Twin.Wait, variant);
        Fill(c);
        var write = c.Channel.Writer.WriteAsync(c.Capacity + 1).AsTask();
        Assert.False(write.IsCompleted);

        Assert.True(c.Channel.Writer.TryComplete());

        var closed = await Assert.ThrowsAsync<ChannelClosedException>(() => Settle(write));
        Assert.Null(closed.InnerException);
        Assert.Equal(Enumerable.Range(1, c.Capacity), Drain(c.Channel.Reader));
        await Settle(c.Channel.Reader.Completion);
    }

    [Theory]
    [MemberData(nameof(AllVariants))]
    public async Task Pending_WriteAsync_is_refused_as_closed_wrapping_the_error_at_TryComplete_with_an_error(string variant)
    {
        var c = Open(Twin.Wait, variant);
        var boom = new FormatException("producer failed");
        Fill(c);
        var write = c.Channel.Writer.WriteAsync(c.Capacity + 1).AsTask();
        Assert.False(write.IsCompleted);

        Assert.True(c.Channel.Writer.TryComplete(boom));

        var closed = await Assert.ThrowsAsync<ChannelClosedException>(() => Settle(write));
        Assert.Same(boom, closed.InnerException);
        Assert.Equal(Enumerable.Range(1, c.Capacity), Drain(c.Channel.Reader));
        Assert.Same(boom, await Assert.ThrowsAsync<FormatException>(() => Settle(c.Channel.Reader.Completion)));
    }

    [Theory]
    [MemberData(nameof(AllTwins))]
    public async Task Pending_ReadAsync_throws_ChannelClosedException_at_TryComplete(Twin twin, string variant)
    {
        var c = Open(twin, variant);
        var read = c.Channel.Reader.ReadAsync().AsTask();
        Assert.False(read.IsCompleted);

        Assert.True(c.Channel.Writer.TryComplete());

        var closed = await Assert.ThrowsAsync<ChannelClosedException>(() => Settle(read));
        Assert.Null(closed.InnerException);
        await Settle(c.Channel.Reader.Completion);
    }

    [Theory]
    [MemberData(nameof(AllTwins))]
    public async Task Pending_ReadAsync_throws_ChannelClosedException_wrapping_the_error_at_TryComplete_with_an_error(Twin twin, string variant)
    {
        var c = Open(twin, variant);
        var boom = new FormatException("producer failed");
        var read = c.Channel.Reader.ReadAsync().AsTask();
        Assert.False(read.IsCompleted);

        Assert.True(c.Channel.Writer.TryComplete(boom));

        var closed = await Assert.ThrowsAsync<ChannelClosedException>(() => Settle(read));
        Assert.Same(boom, closed.InnerException);
        Assert.Same(boom, await Assert.ThrowsAsync<FormatException>(() => Settle(c.Channel.Reader.Completion)));
    }

    [Theory]
    [MemberData(nameof(AllTwins))]
    public async Task Pending_WaitToReadAsync_returns_false_at_TryComplete(Twin twin, string variant)
    {
        var c = Open(twin, variant);
        var wait = c.Channel.Reader.WaitToReadAsync().AsTask();
        Assert.False(wait.IsCompleted);

        Assert.True(c.Channel.Writer.TryComplete());

        Assert.False(await Settle(wait));
    }

    [Theory]
    [MemberData(nameof(AllTwins))]
    public async Task Pending_WaitToReadAsync_throws_the_completion_error_at_TryComplete_with_an_error(Twin twin, string variant)
    {
        var c = Open(twin, variant);
        var boom = new FormatException("producer failed");
        var wait = c.Channel.Reader.WaitToReadAsync().AsTask();
        Assert.False(wait.IsCompleted);

        Assert.True(c.Channel.Writer.TryComplete(boom));

        Assert.Same(boom, await Assert.ThrowsAsync<FormatException>(() => Settle(wait)));
    }

    [Theory]
    [MemberData(nameof(AllTwins))]
    public async Task ReadAsync_after_completion_with_an_OperationCanceledException_is_cancelled_on_a_cancelled_token(Twin twin, string variant)
    {
        // Found by BackpressureChannelTwinFuzzTests: the completion's own token (not cancelled) came back from ours.
        var c = Open(twin, variant);
        using var cts = new CancellationTokenSource();
        var stopped = new OperationCanceledException("producer stopped", cts.Token);
        Assert.True(c.Channel.Writer.TryComplete(stopped));

        var read = c.Channel.Reader.ReadAsync().AsTask();

        Assert.True(read.IsCanceled);
        var cancelled = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read);
        Assert.NotEqual(cts.Token, cancelled.CancellationToken);
        Assert.True(cancelled.CancellationToken.IsCancellationRequested);
        Assert.Same(stopped, await Assert.ThrowsAnyAsync<OperationCanceledException>(() => c.Channel.Reader.WaitToReadAsync().AsTask()));
    }

    [Theory]
    [MemberData(nameof(AllTwins))]
    public async Task WriteAsync_after_completion_with_an_OperationCanceledException_is_faulted_with_it_not_cancelled(Twin twin, string variant)
    {
        // The runtime answers a write to a channel completed with an OperationCanceledException with a faulted task
        // holding that exception (ValueTask.FromException); ours returned a cancelled one, so IsFaulted, Task.WhenAll's
        // outcome and ContinueWith(OnlyOnFaulted) told the two apart although await threw the same exception.
        var c = Open(twin, variant);
        var stopped = new TaskCanceledException("producer stopped");
        Assert.True(c.Channel.Writer.TryComplete(stopped));

        var write = c.Channel.Writer.WriteAsync(1).AsTask();

        Assert.True(write.IsFaulted, $"The write is {write.Status}.");
        Assert.Same(stopped, write.Exception!.InnerException);
        Assert.Same(stopped, await Assert.ThrowsAnyAsync<OperationCanceledException>(() => write));
        Assert.Equal(0, c.Channel.Reader.Count);
    }

    [Theory]
    [MemberData(nameof(AllTwins))]
    public async Task Pending_ReadAsyncs_take_items_in_the_order_they_were_called(Twin twin, string variant)
    {
        // Found by BackpressureChannelTwinFuzzTests (seed 16).
        var c = Open(twin, variant);
        var first = c.Channel.Reader.ReadAsync().AsTask();
        var second = c.Channel.Reader.ReadAsync().AsTask();
        var wait = c.Channel.Reader.WaitToReadAsync().AsTask();

        Assert.True(c.Channel.Writer.TryWrite(1));

        Assert.Equal(1, await Settle(first));
        Assert.False(second.IsCompleted);
        Assert.False(wait.IsCompleted); // the item went to a reader: nothing is left to wait for
        Assert.Equal(0, c.Channel.Reader.Count);
        Assert.True(c.Channel.Writer.TryWrite(2));
        Assert.Equal(2, await Settle(second));
    }

    [Theory]
    [MemberData(nameof(AllTwins))]
    public async Task A_cancelled_pending_ReadAsync_is_skipped_and_the_write_goes_to_the_next_one(Twin twin, string variant)
    {
        var c = Open(twin, variant);
        using var cts = new CancellationTokenSource();
        var cancelled = c.Channel.Reader.ReadAsync(cts.Token).AsTask();
        var next = c.Channel.Reader.ReadAsync().AsTask();
        var wait = c.Channel.Reader.WaitToReadAsync().AsTask();

        await cts.CancelAsync();
        await AssertCancelled(cancelled, cts.Token);
        Assert.True(c.Channel.Writer.TryWrite(1));

        Assert.Equal(1, await Settle(next));
        Assert.False(wait.IsCompleted);
        Assert.Equal(0, c.Channel.Reader.Count);
    }

    [Theory]
    [MemberData(nameof(AllTwins))]
    public async Task Every_pending_ReadAsync_throws_ChannelClosedException_at_TryComplete(Twin twin, string variant)
    {
        var c = Open(twin, variant);
        var boom = new FormatException("producer failed");
        var reads = new[] { c.Channel.Reader.ReadAsync().AsTask(), c.Channel.Reader.ReadAsync().AsTask() };
        var wait = c.Channel.Reader.WaitToReadAsync().AsTask();

        Assert.True(c.Channel.Writer.TryComplete(boom));

        foreach (var read in reads)
        {
            var closed = await Assert.ThrowsAsync<ChannelClosedException>(() => Settle(read));
            Assert.Same(boom, closed.InnerException);
        }

        Assert.Same(boom, await Assert.ThrowsAsync<FormatException>(() => Settle(wait)));
    }

    [Theory]
    [MemberData(nameof(AllTwins))]
    public async Task A_ReadAsync_parked_after_a_drain_that_let_a_parked_write_in_takes_the_next_write(Twin twin, string variant)
    {
        // Only the Wait twin parks the write (the drain lets it in); the evicting twins evict instead.
        var c = Open(twin, variant);
        Fill(c);
        var parked = c.Channel.Writer.WriteAsync(c.Capacity + 1).AsTask();
        Assert.Equal(twin != Twin.Wait, parked.IsCompleted);

        var read = Drain(c.Channel.Reader);
        var pending = c.Channel.Reader.ReadAsync().AsTask();
        Assert.True(c.Channel.Writer.TryWrite(c.Capacity + 2));

        await Settle(parked);
        Assert.Equal(c.Capacity + 2, await Settle(pending));
        Assert.Equal(twin == Twin.Wait ? c.Capacity + 1 : c.Capacity, read.Count);
        Assert.Equal(0, c.Channel.Reader.Count);
    }

    // ---- Continuations ----------------------------------------------------------------------------------------

    [ThreadStatic]
    private static bool t_insideCall;

    [Theory]
    [MemberData(nameof(AllTwins))]
    public async Task Continuations_of_pending_operations_never_run_inside_the_call_that_completes_them(Twin twin, string variant)
    {
        // The runtime's default (AllowSynchronousContinuations false): a writer's TryWrite or TryComplete, a reader's
        // TryRead, never runs the code awaiting the operation it completes, so no caller is re-entered from inside it.
        var c = Open(twin, variant);
        var read = RanInsideCall(c.Channel.Reader.ReadAsync().AsTask());
        Inside(() => c.Channel.Writer.TryWrite(1));
        Assert.False(await Settle(read), "ReadAsync's continuation ran inside TryWrite.");

        var waitToRead = RanInsideCall(c.Channel.Reader.WaitToReadAsync().AsTask());
        Inside(() => c.Channel.Writer.TryWrite(2));
        Assert.False(await Settle(waitToRead), "WaitToReadAsync's continuation ran inside TryWrite.");

        Assert.Equal([2], Drain(c.Channel.Reader));
        if (twin == Twin.Wait)
        {
            Fill(c);
            var write = RanInsideCall(c.Channel.Writer.WriteAsync(3).AsTask());
            Inside(() => c.Channel.Reader.TryRead(out _));
            Assert.False(await Settle(write), "WriteAsync's continuation ran inside TryRead.");

            var waitToWrite = RanInsideCall(c.Channel.Writer.WaitToWriteAsync().AsTask());
            Inside(() => c.Channel.Reader.TryRead(out _));
            Assert.False(await Settle(waitToWrite), "WaitToWriteAsync's continuation ran inside TryRead.");
        }

        Drain(c.Channel.Reader);
        var pendingAtCompletion = RanInsideCall(c.Channel.Reader.WaitToReadAsync().AsTask());
        var completion = RanInsideCall(c.Channel.Reader.Completion);
        Inside(() => c.Channel.Writer.TryComplete());
        Assert.False(await Settle(pendingAtCompletion), "WaitToReadAsync's continuation ran inside TryComplete.");
        Assert.False(await Settle(completion), "Completion's continuation ran inside TryComplete.");
    }

    private static void Inside(Func<bool> call)
    {
        t_insideCall = true;
        try
        {
            Assert.True(call());
        }
        finally
        {
            t_insideCall = false;
        }
    }

    /// <summary>Whether the code awaiting <paramref name="operation"/> ran inside a call marked by <see cref="Inside"/>.</summary>
    private static async Task<bool> RanInsideCall(Task operation)
    {
        Assert.False(operation.IsCompleted);
        await operation.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
        return t_insideCall;
    }

    // ---- Cancellation ------------------------------------------------------------------------------------------

    [Theory]
    [MemberData(nameof(AllTwins))]
    public async Task An_already_cancelled_token_cancels_every_async_operation_before_it_does_anything(Twin twin, string variant)
    {
        var c = Open(twin, variant);
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        // With room, and with an item to read: the token is checked first, so nothing is written or taken.
        await AssertCancelled(c.Channel.Writer.WriteAsync(1, cts.Token).AsTask(), cts.Token);
        Assert.Equal(0, c.Channel.Reader.Count);
        await AssertCancelled(c.Channel.Writer.WaitToWriteAsync(cts.Token).AsTask(), cts.Token);
        await AssertCancelled(c.Channel.Reader.WaitToReadAsync(cts.Token).AsTask(), cts.Token);
        Assert.True(c.Channel.Writer.TryWrite(2));
        await AssertCancelled(c.Channel.Reader.ReadAsync(cts.Token).AsTask(), cts.Token);
        await AssertCancelled(c.Channel.Reader.WaitToReadAsync(cts.Token).AsTask(), cts.Token);

        Assert.Equal([2], Drain(c.Channel.Reader));
        Assert.False(c.Channel.Reader.Completion.IsCompleted);
    }

    [Theory]
    [MemberData(nameof(AllVariants))]
    public async Task A_pending_WriteAsync_cancelled_while_waiting_throws_and_its_item_never_arrives(string variant)
    {
        var c = Open(Twin.Wait, variant);
        using var cts = new CancellationTokenSource();
        Fill(c);
        var write = c.Channel.Writer.WriteAsync(c.Capacity + 1, cts.Token).AsTask();
        Assert.False(write.IsCompleted);

        await cts.CancelAsync();

        await AssertCancelled(write, cts.Token);
        Assert.Equal(c.Capacity, c.Channel.Reader.Count);
        Assert.True(c.Channel.Reader.TryRead(out var first));
        Assert.Equal(1, first);
        Assert.True(c.Channel.Writer.TryWrite(c.Capacity + 2)); // the room went to the next writer
        Assert.Equal(Enumerable.Range(2, c.Capacity - 1).Append(c.Capacity + 2), Drain(c.Channel.Reader));
    }

    [Theory]
    [MemberData(nameof(AllTwins))]
    public async Task A_pending_ReadAsync_cancelled_while_waiting_throws_and_takes_no_later_item(Twin twin, string variant)
    {
        var c = Open(twin, variant);
        using var cts = new CancellationTokenSource();
        var read = c.Channel.Reader.ReadAsync(cts.Token).AsTask();
        Assert.False(read.IsCompleted);

        await cts.CancelAsync();

        await AssertCancelled(read, cts.Token);
        Assert.True(c.Channel.Writer.TryWrite(1));
        Assert.Equal(1, c.Channel.Reader.Count);
        Assert.Equal(1, await c.Channel.Reader.ReadAsync());
    }

    [Theory]
    [MemberData(nameof(AllTwins))]
    public async Task A_pending_WaitToReadAsync_cancelled_while_waiting_throws_and_a_later_wait_sees_the_write(Twin twin, string variant)
    {
        var c = Open(twin, variant);
        using var cts = new CancellationTokenSource();
        var wait = c.Channel.Reader.WaitToReadAsync(cts.Token).AsTask();
        Assert.False(wait.IsCompleted);

        await cts.CancelAsync();

        await AssertCancelled(wait, cts.Token);
        Assert.True(c.Channel.Writer.TryWrite(1));
        Assert.True(await c.Channel.Reader.WaitToReadAsync());
        Assert.Equal([1], Drain(c.Channel.Reader));
    }

    [Theory]
    [MemberData(nameof(AllVariants))]
    public async Task A_pending_WaitToWriteAsync_cancelled_while_waiting_throws_and_a_later_wait_sees_the_room(string variant)
    {
        var c = Open(Twin.Wait, variant);
        using var cts = new CancellationTokenSource();
        Fill(c);
        var wait = c.Channel.Writer.WaitToWriteAsync(cts.Token).AsTask();
        Assert.False(wait.IsCompleted);

        await cts.CancelAsync();

        await AssertCancelled(wait, cts.Token);
        Assert.True(c.Channel.Reader.TryRead(out _));
        var again = c.Channel.Writer.WaitToWriteAsync();
        Assert.True(CompletedWith(again));
        Assert.True(c.Channel.Writer.TryWrite(c.Capacity + 1));
    }

    [Theory]
    [MemberData(nameof(AllTwins))]
    public async Task ReadAllAsync_cancelled_while_waiting_throws_after_the_items_it_yielded_and_leaves_later_items(Twin twin, string variant)
    {
        var c = Open(twin, variant);
        using var cts = new CancellationTokenSource();
        Assert.True(c.Channel.Writer.TryWrite(1));
        var items = new List<int>();
        var yielded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reading = Task.Run(async () =>
        {
            await foreach (var item in c.Channel.Reader.ReadAllAsync(cts.Token))
            {
                items.Add(item);
                yielded.TrySetResult();
            }
        });
        await Settle(yielded.Task);

        await cts.CancelAsync();

        await AssertCancelled(reading, cts.Token);
        Assert.Equal([1], items);
        Assert.True(c.Channel.Writer.TryWrite(2));
        Assert.Equal([2], Drain(c.Channel.Reader));
    }

    [Theory]
    [MemberData(nameof(AllTwins))]
    public async Task ReadAllAsync_with_an_already_cancelled_token_yields_nothing(Twin twin, string variant)
    {
        var c = Open(twin, variant);
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        Assert.True(c.Channel.Writer.TryWrite(1));
        var items = new List<int>();

        var cancelled = await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var item in c.Channel.Reader.ReadAllAsync(cts.Token))
            {
                items.Add(item);
            }
        });

        Assert.Equal(cts.Token, cancelled.CancellationToken);
        Assert.Empty(items);
        Assert.Equal([1], Drain(c.Channel.Reader));
    }

    [Theory]
    [MemberData(nameof(AllVariants))]
    public async Task Cancelling_after_a_pending_WriteAsync_completed_changes_nothing(string variant)
    {
        var c = Open(Twin.Wait, variant);
        using var cts = new CancellationTokenSource();
        Fill(c);
        var write = c.Channel.Writer.WriteAsync(c.Capacity + 1, cts.Token).AsTask();
        Assert.True(c.Channel.Reader.TryRead(out _));
        await Settle(write);

        await cts.CancelAsync();

        Assert.True(write.IsCompletedSuccessfully);
        Assert.Equal(Enumerable.Range(2, c.Capacity), Drain(c.Channel.Reader));
    }

    [Theory]
    [MemberData(nameof(AllVariants))]
    public async Task Cancelling_one_pending_WaitToWriteAsync_leaves_completion_to_wake_the_next(string variant)
    {
        var c = Open(Twin.Wait, variant);
        using var cts = new CancellationTokenSource();
        Fill(c);
        var cancelled = c.Channel.Writer.WaitToWriteAsync(cts.Token).AsTask();
        await cts.CancelAsync();
        await AssertCancelled(cancelled, cts.Token);
        var wait = c.Channel.Writer.WaitToWriteAsync().AsTask();

        Assert.True(c.Channel.Writer.TryComplete());

        Assert.False(await Settle(wait));
    }

    // ---- Fail: no twin -----------------------------------------------------------------------------------------

    [Theory]
    [MemberData(nameof(OurVariants))]
    public async Task Fail_refuses_a_write_to_a_full_channel_where_the_Wait_twin_would_wait(string variant)
    {
        var twin = Open(Twin.Wait, "runtime");
        Fill(twin);
        var twinWrite = twin.Channel.Writer.WriteAsync(twin.Capacity + 1).AsTask();
        Assert.False(twinWrite.IsCompleted); // the twin's behaviour, for contrast

        var c = OpenFail(variant);
        Fill(c);

        Assert.False(c.Channel.Writer.TryWrite(c.Capacity + 1)); // as the twin
        var overflow = await Assert.ThrowsAsync<StreamOverflowException>(() => c.Channel.Writer.WriteAsync(c.Capacity + 2).AsTask());
        Assert.Equal((BackpressurePolicy.Fail, c.Capacity), (overflow.Policy, overflow.Capacity));
        Assert.Equal(Enumerable.Range(1, c.Capacity), Drain(c.Channel.Reader)); // nothing enqueued
        Assert.Equal(2, c.Channel.GetMetrics().FailOverflows);
    }

    [Theory]
    [MemberData(nameof(OurVariants))]
    public async Task Fail_WaitToWriteAsync_waits_for_room_as_the_Wait_twin_does(string variant)
    {
        var c = OpenFail(variant);
        Fill(c);

        var wait = c.Channel.Writer.WaitToWriteAsync().AsTask();
        Assert.False(wait.IsCompleted);
        Assert.True(c.Channel.Reader.TryRead(out _));

        Assert.True(await Settle(wait));
        Assert.True(c.Channel.Writer.TryWrite(c.Capacity + 1));
    }

    [Theory]
    [MemberData(nameof(OurVariants))]
    public async Task Fail_pending_WaitToWriteAsync_throws_the_completion_error_as_the_Wait_twin_does(string variant)
    {
        var c = OpenFail(variant);
        var boom = new FormatException("producer failed");
        Fill(c);
        var wait = c.Channel.Writer.WaitToWriteAsync().AsTask();
        Assert.False(wait.IsCompleted);

        Assert.True(c.Channel.Writer.TryComplete(boom));

        Assert.Same(boom, await Assert.ThrowsAsync<FormatException>(() => Settle(wait)));
    }

    // ---- Support -----------------------------------------------------------------------------------------------

    /// <summary>A channel under test: which one, its capacity, and what an item written on overflow becomes.</summary>
    private sealed record TwinChannel(Channel<int> Channel, int Capacity, Func<int, int> Overflowed);

    private static int Degrade(int item) => -item;

    private static TwinChannel Open(Twin twin, string variant)
    {
        var capacity = variant.Contains("65537", StringComparison.Ordinal) ? 65_537 : 2;
        if (variant.StartsWith("runtime", StringComparison.Ordinal))
        {
            var mode = twin == Twin.Wait ? BoundedChannelFullMode.Wait : BoundedChannelFullMode.DropOldest;
            return new TwinChannel(Channel.CreateBounded<int>(new BoundedChannelOptions(capacity) { FullMode = mode }), capacity, static x => x);
        }

        var policy = twin switch
        {
            Twin.Wait => BackpressurePolicy.PauseUpstream,
            Twin.DropOldest => BackpressurePolicy.DropOldest,
            _ => BackpressurePolicy.DegradeQuality,
        };
        return new TwinChannel(Create(policy, capacity, variant), capacity, twin == Twin.Degrade ? Degrade : static x => x);
    }

    private static TwinChannel OpenFail(string variant)
    {
        var capacity = variant.Contains("65537", StringComparison.Ordinal) ? 65_537 : 2;
        return new TwinChannel(Create(BackpressurePolicy.Fail, capacity, variant), capacity, static x => x);
    }

    /// <summary>A policy channel configured as <paramref name="variant"/> says, through public options only.</summary>
    private static Channel<int> Create(BackpressurePolicy policy, int capacity, string variant)
    {
        var singleWriter = variant.Contains("SingleWriter", StringComparison.Ordinal);
        var singleReader = variant.Contains("SingleReader", StringComparison.Ordinal);
        var options = new BoundedStreamOptions<int>(policy, capacity)
        {
            Degrader = Degrade,
            SingleWriter = singleWriter,
            SingleReader = singleReader,
        };
        if (variant.Contains("PauseTimeout", StringComparison.Ordinal))
        {
            // A timeout nobody reaches: the clock is virtual and never advanced.
            options = new BoundedStreamOptions<int>(policy, capacity)
            {
                Degrader = Degrade,
                SingleWriter = singleWriter,
                SingleReader = singleReader,
                PauseTimeout = TimeSpan.FromHours(1),
                TimeProvider = new FakeTimeProvider(),
            };
        }

        return BackpressureChannel.Create(options);
    }

    private static void Fill(TwinChannel c) => ChannelTwins.Fill(c.Channel, c.Capacity);

    private static List<int> Drain(ChannelReader<int> reader) => ChannelTwins.Drain(reader);

    private static Task<List<int>> ReadAll(ChannelReader<int> reader) => ChannelTwins.ReadAll(reader);

    /// <summary>Awaits an operation that must complete; one that is still pending after the guard fails the case.</summary>
    private static async Task Settle(Task operation)
    {
        if (await Task.WhenAny(operation, Task.Delay(s_guard)) != operation)
        {
            Assert.Fail("The operation is still pending.");
        }

        await operation;
    }

    private static async Task<TResult> Settle<TResult>(Task<TResult> operation)
    {
        await Settle((Task)operation);
        return await operation;
    }

    /// <summary>The result of an operation that must have completed synchronously.</summary>
    private static TResult CompletedWith<TResult>(ValueTask<TResult> operation)
    {
        Assert.True(operation.IsCompletedSuccessfully, "The operation did not complete at once.");
        return operation.Result;
    }

    private static async Task AssertCancelled(Task operation, CancellationToken token)
    {
        var cancelled = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Settle(operation));
        Assert.Equal(token, cancelled.CancellationToken);
    }
}
