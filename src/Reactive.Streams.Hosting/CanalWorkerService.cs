using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Reactive.Streams.Hosting;

/// <summary>Where a hosted canal worker is in its life.</summary>
public enum CanalWorkerStatus
{
    /// <summary>The host has not started it yet, or it is opening its canal.</summary>
    Starting = 0,

    /// <summary>Pulling and handling batches.</summary>
    Running = 1,

    /// <summary>Stopped with the host (or its canal closed, or disposed with the container before it ran); nothing failed.</summary>
    Stopped = 2,

    /// <summary>Ended by a failure: its handler, a commit, or opening its canal (see <see cref="CanalWorkerService.Fault"/>).</summary>
    Faulted = 3,
}

/// <summary>
/// A canal worker run by the host: a <see cref="CursorCanal"/> on one stream of the registered <see cref="IStreamLog"/>,
/// driven by <see cref="CanalWorker"/>, started with the host and stopped when it stops. Resolve it as a keyed service
/// by its name to see its state; the health checks read the same state.
/// </summary>
/// <remarks>
/// <para><b>Stopping.</b> The host's stop cancels the pull and the running handler. A batch that was not handled is not
/// committed; in dispatch mode the dispatcher then drains for its drain timeout, and only the frames every sink
/// committed advance the checkpoint. Whatever was left is redelivered by the next run.</para>
/// <para><b>Failing.</b> A handler failure (or a failed commit, or a canal that cannot open) is logged as an error, sets
/// <see cref="Status"/> to <see cref="CanalWorkerStatus.Faulted"/> with the exception in <see cref="Fault"/>, and is
/// thrown from <see cref="BackgroundService.ExecuteAsync"/> (a canal that cannot open with its own error; a failure of
/// the running worker as an <see cref="InvalidOperationException"/> naming the worker, with <see cref="Fault"/> as its
/// inner exception), so the host applies its
/// <c>HostOptions.BackgroundServiceExceptionBehavior</c> (by default it stops the host). The error names the frame a
/// dispatching worker's map could not convert, or the frames of the batch its handler failed on. A frame the map cannot
/// convert is no failure when the dispatcher has a dead-letter stream (<c>UseDeadLetterStream</c>): the frame is
/// appended there, logged as a warning, and acknowledged, and the worker goes on.</para>
/// </remarks>
public sealed class CanalWorkerService : BackgroundService
{
    private readonly IStreamLog _log;
    private readonly CanalWorkerMode _mode;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private volatile CursorCanal? _canal;
    private volatile Exception? _fault;
    private readonly Lazy<CanalWorkerHostOptions> _options;
    private volatile bool _disposed;
    private int _status;
    private int _started;
    private Task? _run;
    private volatile bool _ran;

    internal CanalWorkerService(string name, IServiceProvider services, CanalWorkerMode mode)
    {
        Name = name;
        Limits = new(services.GetRequiredService<IOptionsMonitor<CanalWorkerHostOptions>>(), name);

        // Read when first needed (at the latest when the worker starts), not here: the host creates its hosted services
        // before it validates the options, and a read here would fail the start with this worker's error alone, where
        // ValidateOnStart reports every invalid option at once. Not cached when it throws.
        _options = new(() => Limits.Current, LazyThreadSafetyMode.PublicationOnly);
        _log = services.GetRequiredService<IStreamLog>();
        _timeProvider = services.GetService<TimeProvider>() ?? TimeProvider.System;
        // Guarded: a logging provider that throws must not end the worker or hide its state (7001 is logged while it runs).
        _logger = Reactive.Streams.Internal.NonThrowingLogger.Wrap((services.GetService<ILoggerFactory>() ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance).CreateLogger<CanalWorkerService>());
        _mode = mode;
    }

    /// <summary>The worker's name (its registration key and configuration section <c>Canals:&lt;name&gt;</c>).</summary>
    public string Name { get; }

    /// <summary>The stream it replays.</summary>
    public string Stream => Options.StreamOrDefault(Name);

    /// <summary>The checkpoint it resumes from and advances.</summary>
    public string CheckpointId => Options.CheckpointOrDefault(Name);

    /// <summary>Where the worker is in its life.</summary>
    public CanalWorkerStatus Status => (CanalWorkerStatus)Volatile.Read(ref _status);

    /// <summary>What ended the worker when <see cref="Status"/> is <see cref="CanalWorkerStatus.Faulted"/>; null otherwise.</summary>
    public Exception? Fault => _fault;

    /// <summary>The stored checkpoint (<see cref="CursorCanal.CommittedPosition"/>); <see cref="StreamId.Min"/> before the canal opened.</summary>
    public StreamId CommittedPosition => _canal?.CommittedPosition ?? StreamId.Min;

    /// <summary>Pulled frames the stored checkpoint does not cover yet (<see cref="CursorCanal.Unacknowledged"/>).</summary>
    public int Unacknowledged => _canal?.Unacknowledged ?? 0;

    /// <summary>
    /// How many frames this worker (a dispatching one) could not map and appended to its dispatcher's dead-letter stream
    /// (<c>UseDeadLetterStream</c>) since it was created; each is logged as event 7007. Always 0 for a handler worker.
    /// </summary>
    public long DeadLettered => _mode.DeadLettered;

    /// <summary>The options the worker started with: its stream, checkpoint, visibility and pull settings do not change while it runs.</summary>
    internal CanalWorkerHostOptions Options => _options.Value;

    /// <summary>The options as configuration says now: the lag check reads its limits here, so they follow reloads.</summary>
    internal ReloadingOptions<CanalWorkerHostOptions> Limits { get; }

    internal IStreamLog Log => _log;

    /// <summary>The dispatcher this worker dispatches to (dispatch mode); null for a handler.</summary>
    internal IHostedDispatcher? DispatchTarget => _mode.Target;

    /// <summary>
    /// Where the worker's lag counts from: once its canal is open, what the worker has finished (the frames its handler
    /// committed or its dispatcher's sinks acknowledged, whose checkpoint the canal writes at its next pull: a pull that
    /// waits for its <c>Deadline</c> must not leave delivered frames counted as waiting), and before that (or when it
    /// could not open) the checkpoint the log holds for <see cref="CheckpointId"/>.
    /// </summary>
    internal async ValueTask<StreamId> LagStartAsync(CancellationToken cancellationToken)
    {
        if (_canal is { } canal)
        {
            return canal.AcknowledgedPosition;
        }

        return _log is ICheckpointStore checkpoints
            && await checkpoints.ReadCheckpointAsync(CheckpointId, cancellationToken).ConfigureAwait(false) is { } stored
            ? stored
            : StreamId.Min;
    }

    /// <summary>
    /// The worker's run, as the host awaits it: faulted when the worker failed, completed when it stopped. A worker stopped
    /// before its run began (<see cref="BackgroundService"/> starts <see cref="BackgroundService.ExecuteAsync"/> through
    /// <c>Task.Run</c> with the stopping token, so a stop that comes first cancels that task) ends completed too: nothing
    /// failed, and a host that is not stopping takes a cancelled run for a failure (with the default
    /// <c>StopHost</c>, it would stop the application).
    /// </summary>
    public override Task? ExecuteTask => _run ?? base.ExecuteTask;

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _ran = true;
        CursorCanal canal;
        try
        {
            canal = await CursorCanal.OpenAsync(_log, Stream, new CursorCanalOptions
            {
                CheckpointId = CheckpointId,
                Visibility = Options.Visibility,
                TimeProvider = _timeProvider,
            }, stoppingToken).ConfigureAwait(false);
        }
        catch (Exception error) when ((error is OperationCanceledException && stoppingToken.IsCancellationRequested) || _disposed)
        {
            // Stopped, or disposed with the container (which may dispose the log under the open): not a failure.
            Volatile.Write(ref _status, (int)CanalWorkerStatus.Stopped);
            return;
        }
        catch (Exception error)
        {
            Fail(error);
            throw;
        }

        _canal = canal;
        Volatile.Write(ref _status, (int)CanalWorkerStatus.Running);
        HostingLog.WorkerStarted(_logger, Name, Stream, CheckpointId, canal.CommittedPosition);
        Exception? failure = null;
        try
        {
            var worker = CanalWorker.Start(_mode.Source(canal), (batch, cancellationToken) => _mode.HandleAsync(canal, batch, cancellationToken), Options.ToWorkerOptions());
            using (stoppingToken.Register(worker.Stop))
            {
                try
                {
                    await worker.JoinAsync().ConfigureAwait(false);
                }
                catch (Exception error)
                {
                    failure = error;
                }
            }
        }
        finally
        {
            try
            {
                if (failure is null)
                {
                    // Stopped: let the dispatcher drain what was dispatched, so its acknowledgements reach the checkpoint.
                    await _mode.StopAsync().ConfigureAwait(false);
                }

                // Writes the acknowledged prefix; whatever is past it is redelivered.
                await canal.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception error) when (failure is null)
            {
                // The final checkpoint write failed: the worker fails with it, as with a failed commit.
                failure = error;
            }
            catch (Exception)
            {
                // The worker failed already, and the final write failed after it (typically for the same reason): the
                // first failure is the one reported; the unwritten prefix is redelivered.
            }
        }

        if (failure is not null && !_disposed)
        {
            Fail(failure);
            // Names the frame (or the batch) that failed, when the failure came from mapping or handling it.
            var where = _mode.Describe(failure) is { } described ? " " + described : "";
            throw new InvalidOperationException($"Canal worker '{Name}' on stream '{Stream}' failed{where}: {failure.Message}", failure);
        }

        Volatile.Write(ref _status, (int)CanalWorkerStatus.Stopped);
        HostingLog.WorkerStopped(_logger, Name, canal.CommittedPosition, canal.Unacknowledged);
    }

    /// <summary>
    /// Starts the worker once: <c>AddCanalWorker</c> registers it as a hosted service, and a second registration of the same
    /// worker (<c>AddHostedService(services =&gt; services.GetRequiredKeyedService&lt;CanalWorkerService&gt;(name))</c>) starts
    /// nothing, as <c>AddHostedService&lt;T&gt;</c> registers a type once. (A second
    /// <see cref="BackgroundService.StartAsync"/> would run a second loop on the worker's checkpoint, which no stop cancels.)
    /// </summary>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The start.</returns>
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            return Task.CompletedTask;
        }

        var started = base.StartAsync(cancellationToken);
        if (base.ExecuteTask is { } run)
        {
            _run = EndOfRunAsync(run);
        }

        return started;
    }

    /// <summary><paramref name="run"/> as it ended, except that a run cancelled before it began (a stop came first) completes.</summary>
    private async Task EndOfRunAsync(Task run)
    {
        try
        {
            await run.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (run.IsCanceled && !_ran)
        {
            // Stopped before ExecuteAsync ran: StopAsync recorded the stop; nothing failed.
        }
    }

    /// <inheritdoc />
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);

        // Stopped before ExecuteAsync got going: it never ran, so nothing else records the stop.
        Interlocked.CompareExchange(ref _status, (int)CanalWorkerStatus.Stopped, (int)CanalWorkerStatus.Starting);
    }

    /// <summary>
    /// Stops the worker as <see cref="BackgroundService.Dispose"/> does (its pull and running handler see their token
    /// cancelled). A host disposed without a stop disposes the log, the dispatchers and the sinks under the worker, so what
    /// then fails in the worker's last steps (a dispatch, the drain, the final checkpoint write) ends it as
    /// <see cref="CanalWorkerStatus.Stopped"/>, not as a failure: what it had not checkpointed is redelivered by the next run.
    /// </summary>
    public override void Dispose()
    {
        _disposed = true;
        base.Dispose();

        // Never run (the host's start was cancelled, or failed, before it started this worker, and its stop did not reach
        // it): disposed, it never will, so it is not starting any more.
        if (ExecuteTask is null)
        {
            Interlocked.CompareExchange(ref _status, (int)CanalWorkerStatus.Stopped, (int)CanalWorkerStatus.Starting);
        }
    }

    private void Fail(Exception error)
    {
        _fault = error;
        Volatile.Write(ref _status, (int)CanalWorkerStatus.Faulted);
        HostingLog.WorkerFailed(_logger, Name, Stream, error);
    }
}

/// <summary>What a hosted canal worker does with a batch: hand it to a handler, or dispatch its frames.</summary>
internal abstract class CanalWorkerMode
{
    /// <summary>The canal the <see cref="CanalWorker"/> pulls from.</summary>
    public virtual ICanal<StreamFrame> Source(CursorCanal canal) => canal;

    public abstract ValueTask HandleAsync(CursorCanal canal, CanalBatch<StreamFrame> batch, CancellationToken cancellationToken);

    /// <summary>After a clean stop, before the canal is disposed.</summary>
    public virtual Task StopAsync() => Task.CompletedTask;

    /// <summary>The dispatcher the worker dispatches to; null when a handler takes the batches.</summary>
    public virtual IHostedDispatcher? Target => null;

    /// <summary>Frames the map could not convert, appended to the dead-letter stream.</summary>
    public virtual long DeadLettered => 0;

    /// <summary>Which frames <paramref name="failure"/> came from ("on frame … mapped to …"), when it was thrown by mapping or handling them; null otherwise.</summary>
    public string? Describe(Exception failure) => _failure is { } recorded && ReferenceEquals(recorded.Error, failure) ? recorded.Where : null;

    /// <summary>Records where <paramref name="error"/> was thrown, for <see cref="Describe"/>.</summary>
    protected void Record(Exception error, string where) => _failure = new(error, where);

    private volatile Failure? _failure;

    private sealed record Failure(Exception Error, string Where);

    /// <summary>"frame <c>id</c>", or "frames <c>first</c> to <c>last</c>" for a batch of several.</summary>
    protected static string FramesOf(CanalBatch<StreamFrame> batch) =>
        batch.Count == 1 ? $"frame {batch[0].Id}" : $"frames {batch[0].Id} to {batch[batch.Count - 1].Id} ({batch.Count})";
}

/// <summary>Each batch goes to an <see cref="ICanalBatchHandler"/> resolved from a new scope; the worker commits it when the handler returns.</summary>
internal sealed class HandlerMode<THandler>(IServiceScopeFactory scopes) : CanalWorkerMode
    where THandler : class, ICanalBatchHandler
{
    public override async ValueTask HandleAsync(CursorCanal canal, CanalBatch<StreamFrame> batch, CancellationToken cancellationToken)
    {
        try
        {
            var scope = scopes.CreateAsyncScope();
            await using (scope.ConfigureAwait(false))
            {
                await scope.ServiceProvider.GetRequiredService<THandler>().HandleAsync(batch, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception error) when (batch.Count > 0)
        {
            // The batch is not retried (hosting.md, Failing): the worker's error names the frames it held.
            Record(error, $"handling {FramesOf(batch)} with {typeof(THandler).Name}");
            throw;
        }
    }
}

/// <summary>
/// Each frame is dispatched with the canal's ack token for it, so the checkpoint advances only past frames every sink
/// committed. The <see cref="CanalWorker"/> therefore pulls through a view of the canal that is not committable: it
/// must not commit a batch merely because its frames were queued.
/// </summary>
/// <remarks>
/// A frame <c>map</c> cannot turn into a <typeparamref name="T"/> (a poison frame) goes to the dispatcher's dead-letter
/// stream (<c>UseDeadLetterStream</c>) when it has one: appended there durably, with the frame's headers, and then
/// acknowledged, so the stream goes on. Without one, the map's exception fails the worker, whose error names the frame.
/// </remarks>
internal sealed class DispatchMode<T>(
    IHostedDispatcher hosted,
    Func<DeliveryDispatcher<T>> dispatcher,
    Func<StreamFrame, T> map,
    string worker,
    string? deadLetterStream,
    IServiceProvider services) : CanalWorkerMode
{
    private readonly ILogger _logger = Reactive.Streams.Internal.NonThrowingLogger.Wrap((services.GetService<ILoggerFactory>() ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance).CreateLogger<CanalWorkerService>());
    private long _deadLettered;

    public override long DeadLettered => Interlocked.Read(ref _deadLettered);

    public override ICanal<StreamFrame> Source(CursorCanal canal) => new PullOnly(canal);

    public override async ValueTask HandleAsync(CursorCanal canal, CanalBatch<StreamFrame> batch, CancellationToken cancellationToken)
    {
        var target = dispatcher();
        foreach (var frame in batch)
        {
            T item;
            try
            {
                item = map(frame);
            }
            catch (Exception error) when (!(error is OperationCanceledException && cancellationToken.IsCancellationRequested))
            {
                if (deadLetterStream is null)
                {
                    Record(error, $"on frame {frame.Id}, which could not be mapped to {typeof(T).Name}");
                    throw;
                }

                await DeadLetterAsync(canal, frame, error, cancellationToken).ConfigureAwait(false);
                continue;
            }

            // The frame is the item's origin: its dispatch continues the producer's trace even when the batch holds several.
            await target.DispatchMappedAsync(item, frame, canal.AckTokenFor(frame), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Appends the frame <c>map</c> refused to the dead-letter stream, then acknowledges it; a failed append fails the worker.</summary>
    private async ValueTask DeadLetterAsync(CursorCanal canal, StreamFrame frame, Exception error, CancellationToken cancellationToken)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var json = new System.Text.Json.Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("stream", canal.Stream);
            json.WriteString("id", frame.Id.ToString());
            json.WriteString("type", typeof(T).FullName);
            json.WriteStartObject("error");
            json.WriteString("type", error.GetType().FullName);
            json.WriteString("message", error.Message);
            json.WriteEndObject();
            json.WriteString("failedAt", (services.GetService<TimeProvider>() ?? TimeProvider.System).GetUtcNow());
            DeadLetterJson.WriteItem(json, frame.Payload.Span);
            json.WriteEndObject();
        }

        var log = services.GetRequiredService<IStreamLog>();
        var headers = frame.Headers.Count == 0 ? null : frame.Headers;
        AppendResult appended;
        try
        {
            appended = await log.AppendAsync(deadLetterStream!, buffer.WrittenMemory, AppendMode.Durable, headers, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception appendError) when (!(appendError is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            Record(appendError, $"on frame {frame.Id}, which could not be mapped to {typeof(T).Name} ({error.GetType().Name}: {error.Message}) nor dead-lettered to stream '{deadLetterStream}'");
            throw;
        }

        Interlocked.Increment(ref _deadLettered);
        HostingLog.FrameDeadLettered(_logger, worker, frame.Id, canal.Stream, typeof(T).Name, deadLetterStream!, appended.Id, error);
        canal.AckTokenFor(frame).Acknowledge();
    }

    public override Task StopAsync() => hosted.ShutdownAsync();

    public override IHostedDispatcher? Target => hosted;

    private sealed class PullOnly(CursorCanal canal) : ICanal<StreamFrame>, Reactive.Streams.Canal.IStreamCanal
    {
        // The worker's process spans name the canal's stream, as they do for a handler worker's cursor canal.
        public string Stream => canal.Stream;

        public ValueTask<CanalBatch<StreamFrame>> PullBatchAsync(int max, TimeSpan deadline, CancellationToken cancellationToken = default) =>
            canal.PullBatchAsync(max, deadline, cancellationToken);

        public ValueTask<CanalBatch<StreamFrame>> PullBatchAsync(int max, TimeSpan deadline, CanalLinger linger, CancellationToken cancellationToken = default) =>
            canal.PullBatchAsync(max, deadline, linger, cancellationToken);

        // The service disposes the canal itself, after the dispatcher drained.
        public ValueTask DisposeAsync() => default;
    }
}
