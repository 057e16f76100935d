using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;
using Reactive.Streams.Internal;
using Reactive.Streams.Tests.Support;
using Twin = Reactive.Streams.Tests.Channels.ChannelTwin;

namespace Reactive.Streams.Tests.Channels;

/// <summary>
/// The channel face against <c>Channel.CreateBounded</c>, by outcome: each script runs once against the runtime's
/// channel and once against each mode of <see cref="BackpressureChannel"/> (the shared mode, the shared mode with a
/// PauseUpstream timeout nobody reaches, and the locked mode of capacities above 65,536), writing down what every call
/// returned or threw (the exception's type, its inner exception's, the token an <see cref="OperationCanceledException"/>
/// carries, a task's status). The two records must be equal: every completion kind (normal, an error, an
/// <see cref="OperationCanceledException"/> on a cancelled and on a live token, a <see cref="ChannelClosedException"/>)
/// over every buffer state and every pending operation, which the case-by-case twin suites hold only in part. The same
/// scripts run against <see cref="BoundedStream{T}"/>'s own surface (<see cref="StreamAsChannel"/>) after the completions
/// it ends as a channel does, and against the lock-free mode where one reader and one writer suffice.
/// </summary>
public sealed class BackpressureChannelTwinOutcomeTests
{
    public static readonly string[] Completions = ["normal", "error", "canceled-token", "live-token", "closed-error"];

    private static readonly string[] s_ours = ["shared", "shared+timeout", "locked"];

    public static TheoryData<Twin, string, string> TwinsByCompletion()
    {
        var data = new TheoryData<Twin, string, string>();
        foreach (var twin in Enum.GetValues<Twin>())
        {
            foreach (var completion in Completions)
            {
                foreach (var variant in s_ours)
                {
                    data.Add(twin, completion, variant);
                }
            }
        }

        return data;
    }

    /// <summary>The lock-free mode (the Rx operators' and SubscribeAsync's), through the channel's surface, where one reader and one writer suffice.</summary>
    public static TheoryData<Twin, string, string> LockFreeTwinsByCompletion()
    {
        var data = new TheoryData<Twin, string, string>();
        foreach (var twin in Enum.GetValues<Twin>())
        {
            foreach (var completion in Completions)
            {
                data.Add(twin, completion, "single");
            }
        }

        return data;
    }

    /// <summary>
    /// The completions a <see cref="BoundedStream{T}"/> ends as a channel does. After one with an
    /// <see cref="OperationCanceledException"/> it differs by design: a push throws <see cref="StreamClosedException"/>
    /// wrapping it, and a read of the drained stream throws that exception itself (BoundedStream's documentation).
    /// </summary>
    public static readonly string[] StreamCompletions = ["normal", "error", "closed-error"];

    /// <summary><see cref="BoundedStream{T}"/>'s own surface in its two public modes, through <see cref="StreamAsChannel"/>.</summary>
    public static TheoryData<Twin, string, string> StreamTwinsByCompletion()
    {
        var data = new TheoryData<Twin, string, string>();
        foreach (var twin in Enum.GetValues<Twin>())
        {
            foreach (var completion in StreamCompletions)
            {
                data.Add(twin, completion, "stream");
                data.Add(twin, completion, "stream, locked");
            }
        }

        return data;
    }

    public static TheoryData<string, string> WaitByCompletion()
    {
        var data = new TheoryData<string, string>();
        foreach (var completion in Completions)
        {
            foreach (var variant in s_ours)
            {
                data.Add(completion, variant);
            }

            if (StreamCompletions.Contains(completion))
            {
                data.Add(completion, "stream");
                data.Add(completion, "stream, locked");
            }
        }

        return data;
    }

    public static TheoryData<Twin, string> TwinsByVariant()
    {
        var data = new TheoryData<Twin, string>();
        foreach (var twin in Enum.GetValues<Twin>())
        {
            foreach (var variant in s_ours)
            {
                data.Add(twin, variant);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(TwinsByCompletion))]
    [MemberData(nameof(LockFreeTwinsByCompletion))]
    [MemberData(nameof(StreamTwinsByCompletion))]
    public async Task Every_call_after_completion_ends_as_the_runtime_channel_ends_it(Twin twin, string completion, string variant)
    {
        for (var buffered = 0; buffered <= 2; buffered++)
        {
            var expected = await AfterCompletion(Open(twin, "runtime"), completion, buffered);
            var actual = await AfterCompletion(Open(twin, variant), completion, buffered);
            AssertSameOutcomes(expected, actual);
        }
    }

    [Theory]
    [MemberData(nameof(TwinsByCompletion))]
    [MemberData(nameof(StreamTwinsByCompletion))]
    public async Task Every_pending_read_ends_at_completion_as_the_runtime_channel_ends_it(Twin twin, string completion, string variant)
    {
        var expected = await PendingReadsAtCompletion(Open(twin, "runtime"), completion);
        var actual = await PendingReadsAtCompletion(Open(twin, variant), completion);
        AssertSameOutcomes(expected, actual);
    }

    [Theory]
    [MemberData(nameof(WaitByCompletion))]
    public async Task Every_pending_write_ends_at_completion_as_the_runtime_channel_ends_it(string completion, string variant)
    {
        var expected = await PendingWritesAtCompletion(Open(Twin.Wait, "runtime"), completion);
        var actual = await PendingWritesAtCompletion(Open(Twin.Wait, variant), completion);
        AssertSameOutcomes(expected, actual);
    }

    [Theory]
    [MemberData(nameof(TwinsByVariant))]
    [InlineData(Twin.Wait, "single")]
    [InlineData(Twin.DropOldest, "single")]
    [InlineData(Twin.Degrade, "single")]
    public async Task Cancelled_tokens_end_every_call_as_the_runtime_channel_ends_it(Twin twin, string variant)
    {
        var expected = await Cancellations(Open(twin, "runtime"), twin);
        var actual = await Cancellations(Open(twin, variant), twin);
        AssertSameOutcomes(expected, actual);
    }

    [Theory]
    [MemberData(nameof(TwinsByVariant))]
    public async Task Cancelling_pending_calls_ends_them_as_the_runtime_channel_ends_them(Twin twin, string variant)
    {
        var expected = await PendingCancellations(Open(twin, "runtime"), twin);
        var actual = await PendingCancellations(Open(twin, variant), twin);
        AssertSameOutcomes(expected, actual);
    }

    [Theory]
    [MemberData(nameof(TwinsByVariant))]
    [InlineData(Twin.Wait, "single")]
    [InlineData(Twin.DropOldest, "single")]
    [InlineData(Twin.Degrade, "single")]
    [InlineData(Twin.Wait, "stream")]
    [InlineData(Twin.DropOldest, "stream")]
    [InlineData(Twin.Degrade, "stream")]
    [InlineData(Twin.Wait, "stream, locked")]
    [InlineData(Twin.DropOldest, "stream, locked")]
    [InlineData(Twin.Degrade, "stream, locked")]
    public async Task A_full_channel_ends_every_call_as_the_runtime_channel_ends_it(Twin twin, string variant)
    {
        var expected = await Overflow(Open(twin, "runtime"));
        var actual = await Overflow(Open(twin, variant));
        AssertSameOutcomes(expected, actual);
    }

    [Theory]
    [InlineData("runtime")]
    [InlineData("shared")]
    [InlineData("shared+timeout")]
    [InlineData("locked")]
    public async Task A_parked_WriteAsync_is_complete_when_the_call_that_ends_it_returns(string variant)
    {
        // As the runtime's channels do, the read that lets a parked write in, the completion that refuses it and the
        // cancellation that ends it complete its task before they return (its continuation still runs elsewhere). The
        // channel face returned a wrapper's task, completed later on a pool thread: `TryRead` then
        // `Assert.True(write.IsCompleted)` failed.
        var channel = Open(Twin.Wait, variant);
        Assert.True(channel.Writer.TryWrite(1));
        Assert.True(channel.Writer.TryWrite(2));
        var admitted = channel.Writer.WriteAsync(3);
        Assert.False(admitted.IsCompleted);
        Assert.True(channel.Reader.TryRead(out _));
        Assert.True(admitted.IsCompletedSuccessfully, "The write was not complete when the read that let it in returned.");
        await admitted;

        using var cts = new CancellationTokenSource();
        var cancelled = channel.Writer.WriteAsync(4, cts.Token);
        Assert.False(cancelled.IsCompleted);
        cts.Cancel();
        Assert.True(cancelled.IsCanceled, "The write was not cancelled when Cancel returned.");
        Assert.Equal(cts.Token, (await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await cancelled)).CancellationToken);

        var refused = channel.Writer.WriteAsync(5);
        var canceledCompletion = channel.Writer.WriteAsync(6);
        Assert.False(refused.IsCompleted);
        var boom = new FormatException("producer failed");
        Assert.True(channel.Writer.TryComplete(boom));
        Assert.True(refused.IsFaulted, "The write was not refused when TryComplete returned.");
        Assert.True(canceledCompletion.IsFaulted);
        Assert.Same(boom, (await Assert.ThrowsAsync<ChannelClosedException>(async () => await refused)).InnerException);
        Assert.Equal([2, 3], ChannelTwins.Drain(channel.Reader));
    }

    [Theory]
    [InlineData("runtime")]
    [InlineData("shared")]
    [InlineData("shared+timeout")]
    [InlineData("locked")]
    public async Task A_parked_ReadAsync_is_complete_when_the_call_that_ends_it_returns(string variant)
    {
        // As the runtime's channels do, the write that hands a parked read its item, the cancellation that ends it and the
        // completion that ends it complete its task before they return. The engine's read awaited its wait inside an async
        // method, completed later on a pool thread: `TryWrite` then `Assert.True(read.IsCompleted)` failed.
        var channel = Open(Twin.Wait, variant);
        var handed = channel.Reader.ReadAsync();
        Assert.False(handed.IsCompleted);
        Assert.True(channel.Writer.TryWrite(1));
        Assert.True(handed.IsCompletedSuccessfully, "The read was not complete when the write that handed it its item returned.");
        Assert.Equal(1, await handed);

        using var cts = new CancellationTokenSource();
        var cancelled = channel.Reader.ReadAsync(cts.Token);
        Assert.False(cancelled.IsCompleted);
        cts.Cancel();
        Assert.True(cancelled.IsCanceled, "The read was not cancelled when Cancel returned.");
        Assert.Equal(cts.Token, (await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await cancelled)).CancellationToken);

        var ended = channel.Reader.ReadAsync();
        Assert.False(ended.IsCompleted);
        var boom = new FormatException("producer failed");
        Assert.True(channel.Writer.TryComplete(boom));
        Assert.True(ended.IsFaulted, "The read was not ended when TryComplete returned.");
        Assert.Same(boom, (await Assert.ThrowsAsync<ChannelClosedException>(async () => await ended)).InnerException);
    }

    // ---- Fail and DegradeQuality without a degrader: no twin, but Wait's wherever no write finds the channel full ----

    /// <summary>
    /// The policies that refuse a write to a full channel (Fail, and DegradeQuality without a degrader), in the shared
    /// and the locked mode. Their documented difference from the Wait twin is that one call, a <c>WriteAsync</c> to a
    /// full channel, which fails at once where Wait's waits (<c>TryWrite</c> refuses on both, and
    /// <c>WaitToWriteAsync</c> waits for room on both); the scripts below never make it.
    /// </summary>
    private static readonly string[] s_refusing = ["fail", "fail, locked", "no degrader", "no degrader, locked"];

    public static TheoryData<string, string> RefusingByCompletion()
    {
        var data = new TheoryData<string, string>();
        foreach (var completion in Completions)
        {
            foreach (var variant in s_refusing)
            {
                data.Add(completion, variant);
            }
        }

        return data;
    }

    public static TheoryData<string> Refusing() => new(s_refusing);

    [Theory]
    [MemberData(nameof(RefusingByCompletion))]
    public async Task A_refusing_channel_ends_every_call_after_completion_and_every_pending_read_as_the_Wait_twin(string completion, string variant)
    {
        for (var buffered = 0; buffered <= 2; buffered++)
        {
            var expected = await AfterCompletion(Open(Twin.Wait, "runtime"), completion, buffered);
            var actual = await AfterCompletion(OpenRefusing(variant), completion, buffered);
            AssertSameOutcomes(expected, actual);
        }

        AssertSameOutcomes(
            await PendingReadsAtCompletion(Open(Twin.Wait, "runtime"), completion),
            await PendingReadsAtCompletion(OpenRefusing(variant), completion));
    }

    [Theory]
    [MemberData(nameof(Refusing))]
    public async Task A_refusing_channel_ends_cancelled_calls_and_calls_on_a_full_channel_as_the_Wait_twin(string variant)
    {
        AssertSameOutcomes(await Cancellations(Open(Twin.Wait, "runtime"), Twin.Wait), await Cancellations(OpenRefusing(variant), Twin.Wait));

        // Without the script's parked writes (Twin.DropOldest skips them): those are the documented difference.
        AssertSameOutcomes(await PendingCancellations(Open(Twin.Wait, "runtime"), Twin.DropOldest), await PendingCancellations(OpenRefusing(variant), Twin.DropOldest));

        // A full channel written to without waiting, then only after reads made room.
        AssertSameOutcomes(await Overflow(Open(Twin.Wait, "runtime")), await Overflow(OpenRefusing(variant)));
    }

    private static Channel<int> OpenRefusing(string variant)
    {
        var options = variant.StartsWith("fail", StringComparison.Ordinal)
            ? new BoundedStreamOptions<int>(BackpressurePolicy.Fail, 2)
            : new BoundedStreamOptions<int>(BackpressurePolicy.DegradeQuality, 2);
        return BackpressureChannel.Create(options, variant.EndsWith("locked", StringComparison.Ordinal) ? BufferMode.Locked : BufferMode.SharedLane);
    }

    // ---- Scripts ----------------------------------------------------------------------------------------------------

    private static async Task<List<string>> AfterCompletion(Channel<int> channel, string completion, int buffered)
    {
        var log = new Log();
        for (var i = 1; i <= buffered; i++)
        {
            log.Add("TryWrite", channel.Writer.TryWrite(i));
        }

        var error = Error(completion, log);
        log.Add("TryComplete", channel.Writer.TryComplete(error));
        log.Add("TryComplete again", channel.Writer.TryComplete(new FormatException("late")));
        log.Add("Complete again", () => channel.Writer.Complete());
        log.Add("Complete(error) again", () => channel.Writer.Complete(new FormatException("late")));
        log.Add("TryWrite", channel.Writer.TryWrite(9));
        await log.Add("WriteAsync", channel.Writer.WriteAsync(9));
        await log.Add("WaitToWriteAsync", channel.Writer.WaitToWriteAsync());
        log.Add("Count", channel.Reader.Count);
        log.Add("TryPeek", channel.Reader.TryPeek(out var peeked) ? peeked : -1);
        await log.Add("Completion (before drain)", channel.Reader.Completion.IsCompleted ? channel.Reader.Completion : null);
        await log.Add("WaitToReadAsync", channel.Reader.WaitToReadAsync());
        await log.Add("ReadAsync", channel.Reader.ReadAsync());
        log.Add("TryRead", channel.Reader.TryRead(out var read) ? read : -1);
        log.Add("TryRead", channel.Reader.TryRead(out read) ? read : -1);
        log.Add("Count", channel.Reader.Count);
        log.Add("TryPeek", channel.Reader.TryPeek(out peeked) ? peeked : -1);
        await log.Add("WaitToReadAsync", channel.Reader.WaitToReadAsync());
        await log.Add("ReadAsync", channel.Reader.ReadAsync());
        await log.Add("ReadAsync as task", channel.Reader.ReadAsync().AsTask());
        await log.Add("WaitToReadAsync as task", channel.Reader.WaitToReadAsync().AsTask());
        await log.Add("Completion", channel.Reader.Completion);
        await log.Add("ReadAllAsync", ReadAll(channel.Reader, default));
        return log.Lines;
    }

    private static async Task<List<string>> Overflow(Channel<int> channel)
    {
        // Full, then written to without waiting, read one at a time, and written to again after each read.
        var log = new Log();
        for (var i = 1; i <= 4; i++)
        {
            log.Add("TryWrite", channel.Writer.TryWrite(i));
            log.Add("Count", channel.Reader.Count);
            log.Add("TryPeek", channel.Reader.TryPeek(out var peeked) ? peeked : -1);
        }

        // (A full Wait channel's WaitToWriteAsync would wait: it is asked only after a read made room.)
        await log.Add("WaitToReadAsync", channel.Reader.WaitToReadAsync());
        log.Add("TryRead", channel.Reader.TryRead(out var read) ? read : -1);
        await log.Add("WaitToWriteAsync", channel.Writer.WaitToWriteAsync());
        await log.Add("WriteAsync", channel.Writer.WriteAsync(5));
        log.Add("TryWrite", channel.Writer.TryWrite(6));
        await log.Add("ReadAsync", channel.Reader.ReadAsync());
        log.Add("Count", channel.Reader.Count);
        log.Add("TryComplete", channel.Writer.TryComplete());
        log.Add("Count", channel.Reader.Count);
        await log.Add("Completion (before drain)", channel.Reader.Completion.IsCompleted ? channel.Reader.Completion : null);
        await log.Add("ReadAllAsync", ReadAll(channel.Reader, default));
        await log.Add("Completion", channel.Reader.Completion);
        return log.Lines;
    }

    private static async Task<List<string>> PendingReadsAtCompletion(Channel<int> channel, string completion)
    {
        var log = new Log();
        var read = channel.Reader.ReadAsync();
        var readAsTask = channel.Reader.ReadAsync().AsTask();
        var wait = channel.Reader.WaitToReadAsync();
        var waitAsTask = channel.Reader.WaitToReadAsync().AsTask();
        var all = ReadAll(channel.Reader, default);
        log.Add("pending", (read.IsCompleted, readAsTask.IsCompleted, wait.IsCompleted, waitAsTask.IsCompleted, all.IsCompleted).ToString());

        log.Add("TryComplete", channel.Writer.TryComplete(Error(completion, log)));

        await log.Add("ReadAsync", read);
        await log.Add("ReadAsync as task", readAsTask);
        await log.Add("WaitToReadAsync", wait);
        await log.Add("WaitToReadAsync as task", waitAsTask);
        await log.Add("ReadAllAsync", all);
        await log.Add("Completion", channel.Reader.Completion);
        return log.Lines;
    }

    private static async Task<List<string>> PendingWritesAtCompletion(Channel<int> channel, string completion)
    {
        var log = new Log();
        log.Add("TryWrite", channel.Writer.TryWrite(1));
        log.Add("TryWrite", channel.Writer.TryWrite(2));
        var write = channel.Writer.WriteAsync(3);
        var writeAsTask = channel.Writer.WriteAsync(4).AsTask();
        var wait = channel.Writer.WaitToWriteAsync();
        var waitAsTask = channel.Writer.WaitToWriteAsync().AsTask();
        log.Add("pending", (write.IsCompleted, writeAsTask.IsCompleted, wait.IsCompleted, waitAsTask.IsCompleted).ToString());

        log.Add("TryComplete", channel.Writer.TryComplete(Error(completion, log)));

        await log.Add("WriteAsync", write);
        await log.Add("WriteAsync as task", writeAsTask);
        await log.Add("WaitToWriteAsync", wait);
        await log.Add("WaitToWriteAsync as task", waitAsTask);
        log.Add("Count", channel.Reader.Count);
        await log.Add("Completion (before drain)", channel.Reader.Completion.IsCompleted ? channel.Reader.Completion : null);
        await log.Add("ReadAllAsync", ReadAll(channel.Reader, default));
        await log.Add("Completion", channel.Reader.Completion);
        return log.Lines;
    }

    private static async Task<List<string>> Cancellations(Channel<int> channel, Twin twin)
    {
        var log = new Log();
        using var cancelled = new CancellationTokenSource();
        log.Name(cancelled.Token, "cancelled");
        await cancelled.CancelAsync();

        // An already-cancelled token, on an empty channel, one with an item, a full one and a completed one.
        foreach (var state in new[] { "empty", "one item", "full", "completed with an item", "completed and drained" })
        {
            switch (state)
            {
                case "one item":
                    log.Add("TryWrite", channel.Writer.TryWrite(1));
                    break;
                case "full":
                    log.Add("TryWrite", channel.Writer.TryWrite(2));
                    break;
                case "completed with an item":
                    log.Add("TryRead", channel.Reader.TryRead(out var first) ? first : -1);
                    log.Add("TryComplete", channel.Writer.TryComplete());
                    break;
                case "completed and drained":
                    log.Add("TryRead", channel.Reader.TryRead(out var second) ? second : -1);
                    break;
            }

            log.Add("state", state);
            await log.Add("WriteAsync(cancelled)", channel.Writer.WriteAsync(7, cancelled.Token));
            await log.Add("WaitToWriteAsync(cancelled)", channel.Writer.WaitToWriteAsync(cancelled.Token));
            await log.Add("ReadAsync(cancelled)", channel.Reader.ReadAsync(cancelled.Token));
            await log.Add("WaitToReadAsync(cancelled)", channel.Reader.WaitToReadAsync(cancelled.Token));
            await log.Add("ReadAllAsync(cancelled)", ReadAll(channel.Reader, cancelled.Token));
            log.Add("Count", channel.Reader.Count);
        }

        return log.Lines;
    }

    private static async Task<List<string>> PendingCancellations(Channel<int> channel, Twin twin)
    {
        var log = new Log();
        using var readCts = new CancellationTokenSource();
        log.Name(readCts.Token, "the read's token");
        var read = channel.Reader.ReadAsync(readCts.Token);
        var readAsTask = channel.Reader.ReadAsync(readCts.Token).AsTask();
        var wait = channel.Reader.WaitToReadAsync(readCts.Token);
        var waitAsTask = channel.Reader.WaitToReadAsync(readCts.Token).AsTask();
        var all = ReadAll(channel.Reader, readCts.Token);
        log.Add("pending", (read.IsCompleted, readAsTask.IsCompleted, wait.IsCompleted, waitAsTask.IsCompleted, all.IsCompleted).ToString());
        await readCts.CancelAsync();

        await log.Add("ReadAsync", read);
        await log.Add("ReadAsync as task", readAsTask);
        await log.Add("WaitToReadAsync", wait);
        await log.Add("WaitToReadAsync as task", waitAsTask);
        await log.Add("ReadAllAsync", all);

        // The cancelled reads took nothing: the next write goes to the next read.
        var keptRead = channel.Reader.ReadAsync().AsTask();
        log.Add("TryWrite", channel.Writer.TryWrite(1));
        await log.Add("kept ReadAsync", keptRead);
        log.Add("TryWrite", channel.Writer.TryWrite(2));
        log.Add("TryWrite", channel.Writer.TryWrite(3));
        if (twin == Twin.Wait)
        {
            using var writeCts = new CancellationTokenSource();
            log.Name(writeCts.Token, "the write's token");
            var write = channel.Writer.WriteAsync(4, writeCts.Token);
            var writeAsTask = channel.Writer.WriteAsync(5, writeCts.Token).AsTask();
            var waitToWrite = channel.Writer.WaitToWriteAsync(writeCts.Token);
            var waitToWriteAsTask = channel.Writer.WaitToWriteAsync(writeCts.Token).AsTask();
            var keptWrite = channel.Writer.WriteAsync(6).AsTask();
            log.Add("pending", (write.IsCompleted, writeAsTask.IsCompleted, waitToWrite.IsCompleted, waitToWriteAsTask.IsCompleted, keptWrite.IsCompleted).ToString());
            await writeCts.CancelAsync();

            await log.Add("WriteAsync", write);
            await log.Add("WriteAsync as task", writeAsTask);
            await log.Add("WaitToWriteAsync", waitToWrite);
            await log.Add("WaitToWriteAsync as task", waitToWriteAsTask);
            log.Add("kept WriteAsync done", keptWrite.IsCompleted);
            log.Add("Count", channel.Reader.Count);
            log.Add("TryRead", channel.Reader.TryRead(out var first) ? first : -1);
            await log.Add("kept WriteAsync", keptWrite);
        }

        log.Add("TryComplete", channel.Writer.TryComplete());
        await log.Add("ReadAllAsync", ReadAll(channel.Reader, default));
        await log.Add("Completion", channel.Reader.Completion);
        return log.Lines;
    }

    // ---- Support ----------------------------------------------------------------------------------------------------

    /// <summary>Equal records, or a failure listing every line where ours differs from the runtime's.</summary>
    private static void AssertSameOutcomes(List<string> expected, List<string> actual)
    {
        var differences = new List<string>();
        for (var i = 0; i < Math.Max(expected.Count, actual.Count); i++)
        {
            var runtime = i < expected.Count ? expected[i] : "(nothing)";
            var ours = i < actual.Count ? actual[i] : "(nothing)";
            if (runtime != ours)
            {
                differences.Add($"line {i}: runtime \"{runtime}\", ours \"{ours}\"");
            }
        }

        Assert.True(differences.Count == 0, string.Join(Environment.NewLine, differences));
    }

    private static Exception? Error(string completion, Log log)
    {
        switch (completion)
        {
            case "normal":
                return null;
            case "error":
                return new FormatException("producer failed");
            case "canceled-token":
            {
                var cts = new CancellationTokenSource();
                cts.Cancel();
                log.Name(cts.Token, "completion's token");
                return new OperationCanceledException(cts.Token);
            }

            case "live-token":
            {
                var cts = new CancellationTokenSource();
                log.Name(cts.Token, "completion's live token");
                return new OperationCanceledException(cts.Token);
            }

            default:
                return new ChannelClosedException("closed by the producer");
        }
    }

    private static async Task<List<int>> ReadAll(ChannelReader<int> reader, CancellationToken token)
    {
        var items = new List<int>();
        await foreach (var item in reader.ReadAllAsync(token))
        {
            items.Add(item);
        }

        return items;
    }

    private static Channel<int> Open(Twin twin, string variant)
    {
        const int capacity = 2;
        if (variant == "runtime")
        {
            var mode = twin == Twin.Wait ? BoundedChannelFullMode.Wait : BoundedChannelFullMode.DropOldest;
            return Channel.CreateBounded<int>(new BoundedChannelOptions(capacity) { FullMode = mode });
        }

        var policy = twin switch
        {
            Twin.Wait => BackpressurePolicy.PauseUpstream,
            Twin.DropOldest => BackpressurePolicy.DropOldest,
            _ => BackpressurePolicy.DegradeQuality,
        };
        var options = new BoundedStreamOptions<int>(policy, capacity) { Degrader = static x => x };
        if (variant.StartsWith("stream", StringComparison.Ordinal))
        {
            return new StreamAsChannel(new BoundedStream<int>(options, variant.EndsWith("locked", StringComparison.Ordinal) ? BufferMode.Locked : BufferMode.SharedLane));
        }

        if (variant == "shared+timeout")
        {
            options.PauseTimeout = TimeSpan.FromHours(1);
            options.TimeProvider = new FakeTimeProvider();
        }

        return BackpressureChannel.Create(options, variant switch
        {
            "locked" => BufferMode.Locked,
            "single" => BufferMode.SingleLane,
            _ => BufferMode.SharedLane,
        });
    }

    /// <summary>
    /// <see cref="BoundedStream{T}"/>'s surface as a channel, for the scripts: each member calls the stream's own
    /// (<c>WaitToWriteAsync</c> and <c>TryPeek</c>, which the stream does not offer, its engine's). A stream's errors are
    /// its own types (<see cref="StreamClosedException"/> for <see cref="ChannelClosedException"/>, and Complete on a
    /// completed stream throws <see cref="InvalidOperationException"/>); the record writes them as the channel's.
    /// </summary>
    private sealed class StreamAsChannel : Channel<int>
    {
        public StreamAsChannel(BoundedStream<int> stream)
        {
            Reader = new StreamReader(stream);
            Writer = new StreamWriter(stream);
        }

        private sealed class StreamReader(BoundedStream<int> stream) : ChannelReader<int>
        {
            public override Task Completion => stream.Completion;

            public override bool CanCount => true;

            public override bool CanPeek => true;

            public override int Count => stream.Depth;

            public override bool TryRead(out int item) => stream.TryRead(out item);

            public override bool TryPeek(out int item) => stream.Buffer.TryPeek(out item);

            public override ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default) => stream.WaitToReadAsync(cancellationToken);

            public override ValueTask<int> ReadAsync(CancellationToken cancellationToken = default) => stream.ReadAsync(cancellationToken);

            public override IAsyncEnumerable<int> ReadAllAsync(CancellationToken cancellationToken = default) => stream.ReadAllAsync(cancellationToken);
        }

        private sealed class StreamWriter(BoundedStream<int> stream) : ChannelWriter<int>
        {
            public override bool TryComplete(Exception? error = null) => stream.TryComplete(error);

            public override bool TryWrite(int item) => stream.TryPush(item).IsAccepted;

            public override ValueTask<bool> WaitToWriteAsync(CancellationToken cancellationToken = default) => stream.Buffer.WaitToPushAsync(cancellationToken);

            public override ValueTask WriteAsync(int item, CancellationToken cancellationToken = default) => stream.PushAsync(item, cancellationToken);
        }
    }

    /// <summary>What each call returned or threw, in call order, with tokens named.</summary>
    private sealed class Log
    {
        private readonly Dictionary<CancellationToken, string> _tokens = new() { [CancellationToken.None] = "none" };

        public List<string> Lines { get; } = [];

        public void Name(CancellationToken token, string name) => _tokens[token] = name;

        public void Add(string call, object? result) => Lines.Add($"{call}: {result}");

        public void Add(string call, Action action)
        {
            try
            {
                action();
                Lines.Add($"{call}: returned");
            }
            catch (Exception error)
            {
                Lines.Add($"{call}: threw {Describe(error)}");
            }
        }

        public async Task Add(string call, ValueTask operation, bool timing = true)
        {
            if (timing)
            {
                Lines.Add($"{call}: {(operation.IsCompleted ? "at once" : "later")}");
            }

            try
            {
                // Awaited as it is (no AsTask): what `await writer.WriteAsync(item)` throws.
                var awaiter = operation.GetAwaiter();
                await Completed(awaiter.OnCompleted);
                awaiter.GetResult();
                Lines.Add($"{call}: completed");
            }
            catch (Exception error) when (error is not TimeoutException)
            {
                Lines.Add($"{call}: threw {Describe(error)}");
            }
        }

        public async Task Add<T>(string call, ValueTask<T> operation, bool timing = true)
        {
            if (timing)
            {
                Lines.Add($"{call}: {(operation.IsCompleted ? "at once" : "later")}");
            }

            try
            {
                // Awaited as it is (no AsTask): what `await reader.ReadAsync()` throws.
                var awaiter = operation.GetAwaiter();
                await Completed(awaiter.OnCompleted);
                var result = awaiter.GetResult();
                Lines.Add($"{call}: returned {Format(result)}");
            }
            catch (Exception error) when (error is not TimeoutException)
            {
                Lines.Add($"{call}: threw {Describe(error)}");
            }
        }

        public async Task Add(string call, Task? task)
        {
            if (task is null)
            {
                Lines.Add($"{call}: not completed");
                return;
            }

            try
            {
                await task.WaitAsync(TestLimits.Hang);
            }
            catch (Exception error) when (error is not TimeoutException)
            {
                Lines.Add($"{call}: {task.Status}, threw {Describe(error)}");
                return;
            }

            Lines.Add($"{call}: {task.Status}{(task.GetType().IsGenericType ? " " + Format(task.GetType().GetProperty("Result")!.GetValue(task)) : "")}");
        }

        private static Task Completed(Action<Action> onCompleted)
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            onCompleted(done.SetResult);
            return done.Task.WaitAsync(TestLimits.Hang);
        }

        private static string Format(object? value) => value switch
        {
            List<int> items => "[" + string.Join(",", items) + "]",
            _ => $"{value}",
        };

        private string Describe(Exception error)
        {
            var text = error switch
            {
                StreamClosedException => nameof(ChannelClosedException),
                InvalidOperationException when error.Message.Contains("is already completed", StringComparison.Ordinal) => nameof(ChannelClosedException),
                _ => error.GetType().Name,
            };
            if (error is OperationCanceledException canceled)
            {
                text += _tokens.TryGetValue(canceled.CancellationToken, out var name)
                    ? $"[{name}]"
                    : canceled.CancellationToken.IsCancellationRequested ? "[another cancelled token]" : "[another live token]";
            }

            return error.InnerException is { } inner ? $"{text}({Describe(inner)})" : text;
        }
    }
}
