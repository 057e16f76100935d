using System.Text.Json.Nodes;

namespace Reactive.Streams.Tests.Storage;

/// <summary>
/// <see cref="StreamLog.DisposeAsync"/> for every backend, on a backend whose own disposal the test holds open: it
/// runs once however many callers dispose at once, and no caller's disposal completes before the backend's has
/// (as <c>await using</c> and a DI container's disposal expect).
/// </summary>
public sealed class StreamLogDisposalTests
{
    private static readonly TimeSpan Hang = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task Every_concurrent_disposal_completes_only_once_the_backend_has_released_its_resources()
    {
        var log = new HeldDisposalLog();

        var first = log.DisposeAsync().AsTask();
        await log.DisposeStarted.Task.WaitAsync(Hang);
        var second = log.DisposeAsync().AsTask();
        var blocking = Task.Run(((IDisposable)log).Dispose);
        await Task.Yield();

        Assert.False(first.IsCompleted);
        Assert.False(second.IsCompleted, "a second DisposeAsync returned while the backend was still releasing its resources");
        log.Release.SetResult();
        await Task.WhenAll(first, second, blocking).WaitAsync(Hang);
        Assert.Equal(1, log.DisposeCalls);
        await log.DisposeAsync();
        Assert.Equal(1, log.DisposeCalls);
    }

    [Fact]
    public async Task Disposals_racing_from_many_threads_run_the_backend_disposal_once()
    {
        for (var round = 0; round < 200; round++)
        {
            var log = new HeldDisposalLog();
            log.Release.SetResult();
            using var start = new ManualResetEventSlim();
            var disposals = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
            {
                start.Wait();
                await log.DisposeAsync();
            })).ToArray();
            start.Set();
            await Task.WhenAll(disposals).WaitAsync(Hang);

            Assert.Equal(1, log.DisposeCalls);
        }
    }

    [Fact]
    public async Task A_backend_disposal_that_fails_fails_every_caller_and_the_log_stays_disposed()
    {
        var log = new HeldDisposalLog();
        var first = log.DisposeAsync().AsTask();
        await log.DisposeStarted.Task.WaitAsync(Hang);
        var second = log.DisposeAsync().AsTask();

        log.Release.SetException(new IOException("disk gone"));

        Assert.Equal("disk gone", (await Assert.ThrowsAsync<IOException>(() => first.WaitAsync(Hang))).Message);
        Assert.Equal("disk gone", (await Assert.ThrowsAsync<IOException>(() => second.WaitAsync(Hang))).Message);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => log.ReadAsync("s", StreamId.Min, StreamId.Max, 1).AsTask());
        Assert.Equal(1, log.DisposeCalls);
    }

    /// <summary>A backend with nothing stored whose <see cref="DisposeCoreAsync"/> waits until the test releases it.</summary>
    private sealed class HeldDisposalLog() : StreamLog(new StreamLogOptions())
    {
        private int _disposeCalls;

        public TaskCompletionSource DisposeStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int DisposeCalls => Volatile.Read(ref _disposeCalls);

        protected override async ValueTask DisposeCoreAsync()
        {
            Interlocked.Increment(ref _disposeCalls);
            DisposeStarted.TrySetResult();
            await Release.Task;
        }

        protected override ValueTask<AppendResult> AppendCoreAsync(
            string stream, ReadOnlyMemory<byte> frame, AppendMode mode, IReadOnlyDictionary<string, string>? headers, JsonNode? patch, CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        protected override ValueTask<AppendBatchResult> AppendBatchCoreAsync(
            string stream, IReadOnlyList<ReadOnlyMemory<byte>> frames, AppendMode mode, IReadOnlyList<IReadOnlyDictionary<string, string>?>? headers, JsonNode?[]? patches,
            CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        protected override ValueTask<IReadOnlyList<StreamFrame>> ReadCoreAsync(string stream, StreamId from, StreamId to, int limit, TailVisibility visibility, CancellationToken cancellationToken) =>
            new(Array.Empty<StreamFrame>());

        protected override ValueTask<StreamSummary?> ReadSummaryCoreAsync(string stream, CancellationToken cancellationToken) => new((StreamSummary?)null);

        protected override ValueTask<StreamId?> ReadCheckpointCoreAsync(string checkpointId, CancellationToken cancellationToken) => new((StreamId?)null);

        protected override ValueTask WriteCheckpointCoreAsync(string checkpointId, StreamId position, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
