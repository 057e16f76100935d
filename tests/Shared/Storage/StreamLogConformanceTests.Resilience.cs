using System.Text.Json;

namespace Reactive.Streams.Storage.Tests;

/// <summary>
/// Cancellation racing writes at any step (docs/stream-log.md: a batch is written whole or not at all, an append
/// cancelled after it was sent may or may not have been committed, a checkpoint write replaces the position): whatever
/// the token interrupts, the store holds all of a batch or none of it, the summary's version counts exactly the patches
/// whose frames are there, the checkpoint holds the old position or the new one, and the next call works. The same
/// on every backend, the in-memory log included.
/// </summary>
public abstract partial class StreamLogConformanceTests
{
    [Fact]
    public async Task Batch_appends_and_checkpoint_writes_cancelled_at_any_step_are_all_or_nothing_and_the_log_goes_on()
    {
        const int BatchSize = 5;
        var log = await CreateAsync();
        var store = (ICheckpointStore)log;
        var stream = NewStream();
        var checkpoint = NewStream("cp");
        var position = new StreamId(1, 0);
        await store.WriteCheckpointAsync(checkpoint, position);
        var jitter = new Random(23);
        for (var round = 0; round < 24; round++)
        {
            var mode = round % 2 == 0 ? AppendMode.Durable : AppendMode.DurableSummary;
            var frames = Enumerable.Range(0, BatchSize)
                .Select(i => (ReadOnlyMemory<byte>)Utf8($$"""{"r":{{round}},"i":{{i}}}"""))
                .ToArray();
            var next = new StreamId(round + 2, 0);
            using var cancel = new CancellationTokenSource();
            var spins = jitter.Next(0, 60_000);
            var batch = Task.Run(() => log.AppendBatchAsync(stream, frames, mode, cancel.Token).AsTask());
            var write = Task.Run(() => store.WriteCheckpointAsync(checkpoint, next, cancel.Token).AsTask());
            await Task.Run(async () =>
            {
                Thread.SpinWait(spins);
                await cancel.CancelAsync();
            });

            var batchError = await Record.ExceptionAsync(() => batch.WaitAsync(Guard));
            var writeError = await Record.ExceptionAsync(() => write.WaitAsync(Guard));
            Assert.True(batchError is null or OperationCanceledException, $"round {round}: {batchError}");
            Assert.True(writeError is null or OperationCanceledException, $"round {round}: {writeError}");

            var all = await log.ReadAsync(stream, StreamId.Min, StreamId.Max, StreamLogOptions.DefaultMaxReadCount);
            var written = all.Count(f => RoundOf(f) == round);
            Assert.True(written is 0 or BatchSize, $"round {round}: {written} of the batch's {BatchSize} frames were written");
            if (batchError is null)
            {
                Assert.Equal(BatchSize, written);
            }

            var patches = all.Count(f => f.Mode == AppendMode.DurableSummary);
            Assert.Equal(patches, (await log.ReadSummaryAsync(stream))?.Version ?? 0);

            var stored = await store.ReadCheckpointAsync(checkpoint);
            Assert.True(stored == position || stored == next, $"round {round}: the checkpoint holds {stored}, neither {position} nor {next}");
            if (writeError is null)
            {
                Assert.Equal(next, stored);
            }

            position = stored!.Value;
        }

        // The log goes on: the next batch and checkpoint write go through whole, after everything written before.
        var before = await log.ReadAsync(stream, StreamId.Min, StreamId.Max, StreamLogOptions.DefaultMaxReadCount);
        var last = await log.AppendBatchAsync(stream, [Utf8("""{"r":-1,"i":0}"""), Utf8("""{"r":-1,"i":1}""")], AppendMode.Durable);
        Assert.Equal(before.Count + 2, last.FrameCount);
        Assert.True(before.Count == 0 || last.FirstId > before[^1].Id);
        await store.WriteCheckpointAsync(checkpoint, last.LastId);
        Assert.Equal(last.LastId, await store.ReadCheckpointAsync(checkpoint));
    }

    private static int RoundOf(StreamFrame frame)
    {
        using var document = JsonDocument.Parse(frame.Payload);
        return document.RootElement.GetProperty("r").GetInt32();
    }
}
