using Microsoft.Extensions.Time.Testing;

namespace Reactive.Streams.Tests.Canal;

/// <summary>
/// The canals and the worker read their options once, when they are opened or started (docs/naming.md, "Options"):
/// changing the options object afterwards changes nothing they do.
/// </summary>
public class CanalOptionsLifetimeTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task A_cursor_canal_keeps_the_checkpoint_id_visibility_and_clock_it_was_opened_with()
    {
        var clock = new FakeTimeProvider();
        await using var log = new InMemoryStreamLog(new StreamLogOptions { TimeProvider = clock });
        var store = new InMemoryStreamLog();
        await log.AppendAsync("s", "d0", AppendMode.Durable);
        await log.AppendAsync("s", "l0", AppendMode.BestEffortLive);
        await log.AppendAsync("s", "d1", AppendMode.Durable);
        var options = new CursorCanalOptions { CheckpointId = "first", Checkpoints = store, Visibility = TailVisibility.All, TimeProvider = clock };
        await using var canal = await CursorCanal.OpenAsync(log, "s", options);

        options.CheckpointId = "second";
        options.Checkpoints = log;
        options.Visibility = TailVisibility.ExcludeBestEffort;
        options.TimeProvider = TimeProvider.System;

        var batch = await canal.PullBatchAsync(10, TimeSpan.Zero);
        Assert.Equal(["d0", "l0", "d1"], batch.Select(f => System.Text.Encoding.UTF8.GetString(f.Payload.Span)));
        await canal.CommitAsync(batch[^1]);

        Assert.Equal(batch[^1].Id, await store.ReadCheckpointAsync("first"));
        Assert.Null(await store.ReadCheckpointAsync("second"));
        Assert.Null(await log.ReadCheckpointAsync("second"));
        Assert.Null(await log.ReadCheckpointAsync("first"));

        // The pull deadline is still measured on the opening's virtual clock.
        var pull = canal.PullBatchAsync(10, TimeSpan.FromSeconds(5)).AsTask();
        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.True((await pull.WaitAsync(Wait)).IsEmpty);
    }

    [Fact]
    public async Task A_worker_keeps_the_batch_size_it_was_started_with()
    {
        await using var log = new InMemoryStreamLog();
        await log.AppendBatchAsync("s", Enumerable.Range(0, 9).Select(i => (ReadOnlyMemory<byte>)new[] { (byte)i }).ToList(), AppendMode.Durable);
        await using var canal = await CursorCanal.OpenAsync(log, "s");
        var sizes = new List<int>();
        var handled = 0;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = new CanalWorkerOptions { MaxBatch = 3, Deadline = TimeSpan.Zero };
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var worker = CanalWorker.Start<StreamFrame>(canal, async (batch, _) =>
        {
            await gate.Task;
            lock (sizes)
            {
                sizes.Add(batch.Count);
            }

            if ((handled += batch.Count) == 9)
            {
                done.TrySetResult();
            }
        }, options);

        options.MaxBatch = 1;
        options.DeliverEmptyBatches = true;
        gate.SetResult();
        await done.Task.WaitAsync(Wait);
        await worker.DisposeAsync();

        Assert.Equal([3, 3, 3], sizes);
    }

    [Theory]
    [InlineData("")]
    [InlineData("line\nbreak")]
    public async Task A_checkpoint_id_or_dead_letter_stream_the_log_would_refuse_is_refused_when_set_naming_the_option(string name)
    {
        Assert.Equal("CheckpointId", Assert.ThrowsAny<ArgumentException>(() => new CursorCanalOptions { CheckpointId = name }).ParamName);
        Assert.Equal("DeadLetterStream", Assert.ThrowsAny<ArgumentException>(() => new ConsumerGroupCanalOptions { DeadLetterStream = name }).ParamName);
        var tooLong = new string('c', StreamLog.MaxStreamNameLength + 1);
        Assert.Equal("CheckpointId", Assert.ThrowsAny<ArgumentException>(() => new CursorCanalOptions { CheckpointId = tooLong }).ParamName);
        Assert.Equal("DeadLetterStream", Assert.ThrowsAny<ArgumentException>(() => new ConsumerGroupCanalOptions { DeadLetterStream = tooLong }).ParamName);

        // Null is the default (no checkpoint, the default dead-letter stream); the longest name is fine, and the canal
        // keeps its progress under it.
        await using var log = new InMemoryStreamLog();
        await log.AppendAsync("s", "a", AppendMode.Durable);
        var longest = new string('c', StreamLog.MaxStreamNameLength);
        var options = new CursorCanalOptions { CheckpointId = null };
        options.CheckpointId = longest;
        await using (var canal = await CursorCanal.OpenAsync(log, "s", options))
        {
            var batch = await canal.PullBatchAsync(10, TimeSpan.Zero);
            await canal.CommitAsync(batch[^1]);
        }

        Assert.NotNull(await log.ReadCheckpointAsync(longest));
        Assert.Null(new ConsumerGroupCanalOptions { DeadLetterStream = null }.DeadLetterStream);
    }

    [Fact]
    public async Task A_group_member_keeps_its_claim_timeout_and_clock_and_the_longest_claim_timeout_never_expires()
    {
        var clock = new FakeTimeProvider();
        await using var log = new InMemoryStreamLog(new StreamLogOptions { TimeProvider = clock });
        await log.AppendAsync("s", "a", AppendMode.Durable);
        var options = new ConsumerGroupCanalOptions { ClaimTimeout = TimeSpan.MaxValue, MaxDeliveries = 1, TimeProvider = clock };
        await using var holder = await ConsumerGroupCanal.OpenAsync(log, "s", "g", "holder", options);
        options.ClaimTimeout = TimeSpan.FromSeconds(1);
        options.MaxDeliveries = 5;
        options.TimeProvider = TimeProvider.System;
        await using var other = await ConsumerGroupCanal.OpenAsync(log, "s", "g", "other", new ConsumerGroupCanalOptions { ClaimTimeout = TimeSpan.MaxValue, TimeProvider = clock });

        Assert.Single(await holder.PullBatchAsync(10, TimeSpan.Zero));
        clock.Advance(TimeSpan.FromDays(365 * 100));

        // A hundred years on, the frame is still the holder's: the other member reclaims nothing, and the holder's
        // own canal has not dropped it as expired.
        Assert.True((await other.PullBatchAsync(10, TimeSpan.Zero)).IsEmpty);
        Assert.Equal(1, holder.Unacknowledged);
        Assert.Equal(1, (await log.ReadGroupAsync("s", "g"))!.PendingCount);
    }
}
