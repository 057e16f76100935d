using System.Diagnostics;
using System.Runtime.CompilerServices;
using Reactive.Streams.Canal;
using Reactive.Streams.Internal;

namespace Reactive.Streams;

/// <summary>Settings of a <see cref="CursorCanal"/>.</summary>
public sealed class CursorCanalOptions
{
    private TimeProvider _timeProvider = TimeProvider.System;
    private TailVisibility _visibility = TailVisibility.All;
    private string? _checkpointId;

    /// <summary>
    /// The checkpoint that makes the canal durable: read on open, written as batches are committed or acknowledged.
    /// With none, the canal starts from the beginning of the stream every time. Default: none.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// Set to an id the log refuses (empty, longer than <see cref="StreamLog.MaxStreamNameLength"/>, or with a control
    /// character or an unpaired surrogate; the rule of stream names).
    /// </exception>
    public string? CheckpointId
    {
        get => _checkpointId;
        set
        {
            // Here, where the caller can tell, rather than when the canal opens or first commits.
            if (value is not null)
            {
                StreamLog.ValidateName(value, nameof(CheckpointId), "checkpoint id");
            }

            _checkpointId = value;
        }
    }

    /// <summary>
    /// Where the checkpoint is kept: the same backend as the log (every log in this library is also an
    /// <see cref="ICheckpointStore"/>). Default: the log itself, when it is one.
    /// </summary>
    public ICheckpointStore? Checkpoints { get; set; }

    /// <summary>Which frames the canal sees. Default: <see cref="TailVisibility.All"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to a value that is not a defined <see cref="TailVisibility"/>.</exception>
    public TailVisibility Visibility
    {
        get => _visibility;
        set
        {
            // Here, where the caller can tell, rather than at every pull (as the log's tail would refuse it).
            if (value is not (TailVisibility.All or TailVisibility.ExcludeBestEffort))
            {
                throw new ArgumentOutOfRangeException(nameof(Visibility), value, "Unknown tail visibility.");
            }

            _visibility = value;
        }
    }

    /// <summary>The clock that measures pull deadlines; use the log's clock. Default: <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider
    {
        get => _timeProvider;
        set
        {
            ArgumentNullException.ThrowIfNull(value, nameof(TimeProvider));
            _timeProvider = value;
        }
    }

    /// <summary>A copy, which the canal keeps so that changing these options later changes nothing it does.</summary>
    internal CursorCanalOptions Copy() => new()
    {
        CheckpointId = CheckpointId, Checkpoints = Checkpoints, Visibility = Visibility, TimeProvider = TimeProvider,
    };
}

/// <summary>
/// The guaranteed canal: ordered replay of one stream of a durable <see cref="IStreamLog"/> from a checkpoint, with
/// at-least-once delivery. The checkpoint advances only after items are handled: through
/// <see cref="CommitAsync"/> (a <see cref="CanalWorker"/> calls it after each handled batch), or through the
/// <see cref="IAckToken"/> of each frame (<see cref="AckTokenFor"/>), whose contiguous acknowledged prefix is written at
/// the next pull and on <see cref="FlushCheckpointAsync"/>/<see cref="DisposeAsync"/>. A crash anywhere redelivers
/// what was not committed; nothing is skipped.
/// </summary>
/// <remarks>
/// An unknown checkpoint id starts from the beginning of the stream. A stored checkpoint that points past the stream's
/// last frame (the stream was recreated or belongs to another log) is refused with an <see cref="InvalidOperationException"/>
/// when the canal opens, because resuming there could skip frames appended later.
/// </remarks>
public sealed class CursorCanal : ICommittableCanal<StreamFrame>, IRequeueCanal<StreamFrame>, IStreamCanal, IDisposable
{
    private readonly IStreamLog _log;

    // The library's own logs read into _page, reused by every pull (one pull at a time), so a pull that finds its frames
    // ready allocates no result list; another IStreamLog is tailed through the interface.
    private readonly StreamLog? _ownLog;
    private readonly List<StreamFrame> _page = [];
    private readonly string _stream;
    private readonly CursorCanalOptions _options;
    private readonly ICheckpointStore? _checkpoints;
    private readonly Lock _ackLock = new();

    // Serializes checkpoint writes, so the stored checkpoint is always the newest one written (FlushCheckpointAsync).
    private readonly SemaphoreSlim _flushGate = new(1, 1);

    // Pulled frames not yet acknowledged, in order, and acknowledgements that arrived ahead of an older frame.
    private readonly Queue<StreamId> _unacked = new();
    private readonly HashSet<StreamId> _ackedAhead = [];

    // The frames of _unacked, by id: the identity hash (RuntimeHelpers.GetHashCode) of the object each pull returned. A
    // frame is told by its object, not its id alone, since ids are per stream: another stream's frame may carry the id
    // of a frame of this one. The hash, not the object, so a canal whose frames are never committed keeps no payload
    // alive; two objects rarely share one, and then the frame is let through, as every frame was before.
    private readonly Dictionary<StreamId, int> _handedOut = [];

    // Pulled frames the stored checkpoint does not cover yet, in order: what a crash now would redeliver.
    private readonly Queue<StreamId> _uncommitted = new();
    private readonly CancellationTokenSource _closing = new();
    private StreamId _ackedThrough;
    private StreamId _readPosition;
    private StreamId _beforeLastPull;
    private StreamId _committed;
    private int _pulling;
    private volatile bool _disposed;

    // The first DisposeAsync's work; a later call waits for it rather than returning while the checkpoint is written.
    private OnceDisposal? _disposal;

    private CursorCanal(IStreamLog log, string stream, CursorCanalOptions options, ICheckpointStore? checkpoints, StreamId start)
    {
        _log = log;
        _ownLog = log as StreamLog;
        _stream = stream;
        _options = options;
        _checkpoints = checkpoints;
        _readPosition = _beforeLastPull = _committed = _ackedThrough = start;
    }

    /// <summary>The stream this canal replays.</summary>
    public string Stream => _stream;

    /// <summary>
    /// The id of the last frame handed out by a pull; before the first pull, the checkpoint the canal resumed from, or
    /// <see cref="StreamId.Min"/> when it starts from the beginning.
    /// </summary>
    public StreamId ReadPosition => _readPosition;

    /// <summary>The last committed position: a restart resumes after it.</summary>
    public StreamId CommittedPosition => _committed;

    /// <summary>
    /// Where the work still to do starts: every pulled frame up to here was committed or acknowledged, whether or not the
    /// checkpoint holding it has been written yet (<see cref="CommittedPosition"/> is the written one, which takes the
    /// acknowledgements at the next pull). The hosted lag check counts from here.
    /// </summary>
    internal StreamId AcknowledgedPosition
    {
        get
        {
            lock (_ackLock)
            {
                return _ackedThrough > _committed ? _ackedThrough : _committed;
            }
        }
    }

    /// <summary>
    /// How many pulled frames the stored checkpoint does not cover yet: exactly the pulled frames a crash now would
    /// redeliver. Acknowledged frames count until their checkpoint is written (at the next pull,
    /// <see cref="CommitAsync"/>, <see cref="FlushCheckpointAsync"/> or <see cref="DisposeAsync"/>).
    /// </summary>
    public int Unacknowledged
    {
        get
        {
            lock (_ackLock)
            {
                return _uncommitted.Count;
            }
        }
    }

    /// <summary>Opens a canal on <paramref name="stream"/>, resuming after its checkpoint when one is configured and stored.</summary>
    /// <param name="log">The durable log.</param>
    /// <param name="stream">The stream to replay.</param>
    /// <param name="options">Checkpoint, visibility and clock; defaults if null. Read once, here.</param>
    /// <param name="cancellationToken">Cancels opening; a token already cancelled gives a cancelled task, with or without a checkpoint.</param>
    /// <returns>The canal.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="log"/> or <paramref name="stream"/> is null.</exception>
    /// <exception cref="ArgumentException">
    /// <paramref name="stream"/> is not a valid stream name (<see cref="StreamLog.ValidateStream"/>), or a checkpoint id is
    /// given but no checkpoint store is available.
    /// </exception>
    /// <exception cref="InvalidOperationException">The stored checkpoint points past the stream's last frame.</exception>
    public static ValueTask<CursorCanal> OpenAsync(IStreamLog log, string stream, CursorCanalOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(log);
        // The log's own rule, so a name it would refuse at every pull is refused here, where the caller can tell.
        StreamLog.ValidateStream(stream);
        // Read once, here: the canal keeps this copy, so changing the caller's object later changes nothing it does.
        options = options?.Copy() ?? new CursorCanalOptions();
        var checkpoints = options.Checkpoints ?? log as ICheckpointStore;
        if (options.CheckpointId is not null && checkpoints is null)
        {
            throw new ArgumentException("A checkpoint id needs a checkpoint store: set CursorCanalOptions.Checkpoints, or use a log that is one.", nameof(options));
        }

        if (cancellationToken.IsCancellationRequested)
        {
            // As every log call, whatever the options: a token already cancelled gives a cancelled task. Without a
            // checkpoint nothing below would look at it, and the canal opened as if the token were live.
            return ValueTask.FromCanceled<CursorCanal>(cancellationToken);
        }

        // Validated above, before the first await: a bad argument throws from this call, not from the returned task.
        return OpenCoreAsync(log, stream, options, checkpoints, cancellationToken);
    }

    private static async ValueTask<CursorCanal> OpenCoreAsync(
        IStreamLog log, string stream, CursorCanalOptions options, ICheckpointStore? checkpoints, CancellationToken cancellationToken)
    {
        var start = StreamId.Min;
        if (options.CheckpointId is { } checkpointId && checkpoints is not null)
        {
            if (await checkpoints.ReadCheckpointAsync(checkpointId, cancellationToken).ConfigureAwait(false) is { } stored)
            {
                await EnsureNotPastTheEndAsync(log, stream, checkpointId, stored, cancellationToken).ConfigureAwait(false);
                start = stored;
            }
        }

        return new CursorCanal(log, stream, options, checkpoints, start);
    }

    private static async ValueTask EnsureNotPastTheEndAsync(IStreamLog log, string stream, string checkpointId, StreamId stored, CancellationToken cancellationToken)
    {
        if (stored == StreamId.Min)
        {
            return;
        }

        // The frame the checkpoint names, or any later one, proves the checkpoint is inside the stream.
        var atOrAfter = await log.ReadAsync(stream, stored, StreamId.Max, 1, cancellationToken).ConfigureAwait(false);
        if (atOrAfter.Count == 0)
        {
            var last = await LastIdAsync(log, stream, cancellationToken).ConfigureAwait(false);
            throw new InvalidOperationException(
                $"Checkpoint '{checkpointId}' points at {stored} in stream '{stream}', past its last frame ({(last is { } id ? id.ToString() : "the stream is empty")}). " +
                "Refusing to resume there, which could skip frames; delete the checkpoint to replay from the beginning.");
        }
    }

    private static async ValueTask<StreamId?> LastIdAsync(IStreamLog log, string stream, CancellationToken cancellationToken)
    {
        StreamId? last = null;
        var from = StreamId.Min;
        while (true)
        {
            var page = await log.ReadAsync(stream, from, StreamId.Max, 1000, cancellationToken).ConfigureAwait(false);
            if (page.Count == 0)
            {
                return last;
            }

            last = page[^1].Id;
            from = last.Value.Successor();
        }
    }

    /// <inheritdoc />
    public ValueTask<CanalBatch<StreamFrame>> PullBatchAsync(int max, TimeSpan deadline, CancellationToken cancellationToken = default) =>
        PullBatchAsync(max, deadline, CanalLinger.None, cancellationToken);

    /// <inheritdoc />
    /// <remarks>
    /// Nothing a pull reads counts as handed out until the pull returns it: a pull cancelled (or stopped by disposal)
    /// after reading frames leaves the canal as it was, so the next pull returns those frames and no commit or
    /// acknowledgement can move the checkpoint past them.
    /// </remarks>
    public ValueTask<CanalBatch<StreamFrame>> PullBatchAsync(int max, TimeSpan deadline, CanalLinger linger, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(deadline, TimeSpan.Zero);
        // A pull on a disposed canal is refused before it starts and records no span, as a call on a disposed log
        // (docs/tracing.md): a worker whose canal closed would otherwise end with a failed pull span.
        return StreamTracing.IsActive && !_disposed
            ? StreamTracing.TracePullAsync(_stream, null, (this, max, deadline, linger, cancellationToken), static s => s.Item1.PullCoreAsync(s.max, s.deadline, s.linger, s.cancellationToken), cancellationToken)
            : PullCoreAsync(max, deadline, linger, cancellationToken);
    }

    private async ValueTask<CanalBatch<StreamFrame>> PullCoreAsync(int max, TimeSpan deadline, CanalLinger linger, CancellationToken cancellationToken)
    {
        // A token cancelled before the call cancels whatever state the canal is in, as ChannelReader.ReadAsync.
        cancellationToken.ThrowIfCancellationRequested();
        if (_disposed)
        {
            throw Closed();
        }

        if (Interlocked.Exchange(ref _pulling, 1) != 0)
        {
            throw new InvalidOperationException($"Cursor canal on '{_stream}' is already being pulled; one consumer pulls at a time.");
        }

        // Disposal ends a parked pull too; a token source is linked only when the caller's token can cancel.
        var linked = cancellationToken.CanBeCanceled ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closing.Token) : null;
        var token = linked?.Token ?? _closing.Token;
        try
        {
            // The deadline counts from the call, so the checkpoint write below is part of it, as the docs say.
            var clock = _options.TimeProvider;
            var start = clock.GetTimestamp();
            await FlushCoreAsync(token).ConfigureAwait(false);
            var firstAt = start;
            var position = _readPosition;
            List<StreamFrame>? frames = null;
            StreamFrame? first = null;
            var count = 0;
            var capped = false;
            while (count < max)
            {
                var remaining = deadline - clock.GetElapsedTime(start);
                if (remaining < TimeSpan.Zero)
                {
                    remaining = TimeSpan.Zero;
                }

                if (count > 0)
                {
                    var held = clock.GetElapsedTime(firstAt);
                    if (remaining == TimeSpan.Zero || linger.IsSatisfied(count, max, held))
                    {
                        if (!capped)
                        {
                            break;
                        }

                        // The log's read cap, not what is ready, ended the last page: take the rest of what is ready too.
                        remaining = TimeSpan.Zero;
                    }
                    else if (linger.Remaining(held) is var fill && fill != Timeout.InfiniteTimeSpan && fill < remaining)
                    {
                        remaining = fill;
                    }
                }

                IReadOnlyList<StreamFrame> page;
                if (_ownLog is not null)
                {
                    _page.Clear();
                    await _ownLog.TailIntoAsync(_stream, position, remaining, max - count, _options.Visibility, _page, token).ConfigureAwait(false);
                    page = _page;
                }
                else
                {
                    page = await _log.TailAsync(_stream, position, remaining, max - count, _options.Visibility, token).ConfigureAwait(false);
                }

                if (page.Count == 0)
                {
                    break;
                }

                // The most frames one read of the log returns (StreamLogOptions.MaxReadCount, also through the hosting
                // package's registration; unknown for another IStreamLog). Asked after the read: the hosting package's log
                // knows its backend's cap only once the backend is open, and this read may be the one that opened it.
                capped = page.Count < max - count && page.Count >= StreamLog.ReadCapOf(_log);

                if (count == 0)
                {
                    firstAt = clock.GetTimestamp();
                }

                // Indexed, not foreach: enumerating the interface would allocate an enumerator per page.
                for (var i = 0; i < page.Count; i++)
                {
                    var frame = page[i];
                    if (count == 0)
                    {
                        first = frame;
                    }
                    else
                    {
                        frames ??= [first!];
                        frames.Add(frame);
                    }

                    count++;
                }

                position = page[^1].Id;
            }

            if (count == 0)
            {
                return CanalBatch<StreamFrame>.Empty;
            }

            // The pull succeeds: only now are its frames handed out.
            lock (_ackLock)
            {
                _beforeLastPull = _readPosition;
                _readPosition = position;
                if (count == 1)
                {
                    HandOut(first!);
                }
                else
                {
                    foreach (var frame in frames!)
                    {
                        HandOut(frame);
                    }
                }
            }

            return count == 1 ? CanalBatch<StreamFrame>.One(first!) : CanalBatch<StreamFrame>.Many([.. frames!]);
        }
        catch (OperationCanceledException) when (_closing.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw Closed();
        }
        catch (OperationCanceledException error) when (CallerCancellation.IsRenamed(error, cancellationToken))
        {
            // The pull waited on a token linked to the disposal.
            throw CallerCancellation.Rename(error, cancellationToken);
        }
        finally
        {
            linked?.Dispose();
            _page.Clear(); // holds no frame between pulls
            Volatile.Write(ref _pulling, 0);
        }
    }

    /// <summary>Records <paramref name="frame"/> as handed out by the pull that is returning it. Under _ackLock.</summary>
    private void HandOut(StreamFrame frame)
    {
        _unacked.Enqueue(frame.Id);
        _uncommitted.Enqueue(frame.Id);
        _handedOut[frame.Id] = RuntimeHelpers.GetHashCode(frame);
    }

    /// <summary>Takes the oldest unacknowledged frame off the queue. Under _ackLock.</summary>
    private StreamId DequeueUnacked()
    {
        var id = _unacked.Dequeue();
        _handedOut.Remove(id);
        return id;
    }

    /// <summary>
    /// Gives back the last batch, unhandled: the canal reads again from just after its acknowledged prefix, so the
    /// next pull returns the batch's unacknowledged frames first. Called between pulls only.
    /// </summary>
    void IRequeueCanal<StreamFrame>.Requeue(CanalBatch<StreamFrame> batch)
    {
        if (batch.IsEmpty)
        {
            return;
        }

        lock (_ackLock)
        {
            if (batch.Last.Id != _readPosition)
            {
                // Not the last batch: frames after it were handed out since, so rewinding would hand them out twice.
                return;
            }

            var rewound = _beforeLastPull > _ackedThrough ? _beforeLastPull : _ackedThrough;
            _readPosition = _beforeLastPull = rewound;
            Truncate(_unacked, rewound);
            Truncate(_uncommitted, rewound);
            _ackedAhead.RemoveWhere(id => id > rewound);
            foreach (var id in _handedOut.Keys.Where(id => id > rewound).ToArray())
            {
                _handedOut.Remove(id);
            }
        }

        static void Truncate(Queue<StreamId> queue, StreamId through)
        {
            var kept = queue.Where(id => id <= through).ToArray();
            queue.Clear();
            foreach (var id in kept)
            {
                queue.Enqueue(id);
            }
        }
    }

    private CanalClosedException Closed() => new($"cursor:{_stream}");

    /// <summary>
    /// Commits every frame up to and including <paramref name="handled"/> (a frame this canal returned) and writes the
    /// checkpoint. Commits never move the checkpoint backwards.
    /// </summary>
    /// <param name="handled">The last handled frame.</param>
    /// <param name="cancellationToken">Cancels the write; a token already cancelled gives a cancelled task even with nothing to write (the commit is recorded, and the next flush, pull or the disposal writes it), and on a disposed canal too (nothing is recorded).</param>
    /// <returns>A task that completes when the checkpoint is stored.</returns>
    /// <exception cref="ArgumentException">
    /// This canal did not hand <paramref name="handled"/> out, and committing it could skip frames never handled: it is
    /// past <see cref="ReadPosition"/> (it comes from another canal, or was read from the log directly), or the
    /// checkpoint does not cover it yet and it is not the object a pull of this canal returned (another stream's frame
    /// with the id of one of this stream's: ids are numbered per stream).
    /// </exception>
    /// <exception cref="ObjectDisposedException">The canal is disposed (and the token is not cancelled): the commit is refused and changes nothing.</exception>
    public ValueTask CommitAsync(StreamFrame handled, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(handled);
        lock (_ackLock)
        {
            if (_disposed)
            {
                // A token cancelled before the call is looked at first on a disposed canal too, as by FlushCheckpointAsync,
                // a pull, and ChannelWriter.WriteAsync on a closed channel: cancelled, and nothing is recorded.
                return cancellationToken.IsCancellationRequested ? ValueTask.FromCanceled(cancellationToken) : throw new ObjectDisposedException(GetType().FullName);
            }

            EnsureHandedOut(handled, nameof(handled));
            while (_unacked.Count > 0 && _unacked.Peek() <= handled.Id)
            {
                _ackedAhead.Remove(DequeueUnacked());
            }

            if (handled.Id > _ackedThrough)
            {
                _ackedThrough = handled.Id;
            }
        }

        // A token cancelled before the call cancels it even with nothing to write, as Stream.FlushAsync: the commit is
        // recorded, and the next flush, pull or the disposal writes it.
        return cancellationToken.IsCancellationRequested ? ValueTask.FromCanceled(cancellationToken) : FlushCoreAsync(cancellationToken);
    }

    /// <summary>
    /// An ack token for <paramref name="frame"/>, to hand to a <c>DeliveryDispatcher</c>: when it fires, the frame counts
    /// as handled, and once every older frame is handled too the checkpoint may advance past it. Firing it twice is
    /// harmless. Firing it after the canal was disposed throws <see cref="ObjectDisposedException"/> and changes
    /// nothing (a dispatcher logs that as a failed acknowledgement): the frame is redelivered by the next canal.
    /// </summary>
    /// <param name="frame">A frame this canal returned.</param>
    /// <returns>The token.</returns>
    /// <exception cref="ArgumentException">
    /// This canal did not hand <paramref name="frame"/> out: it is past <see cref="ReadPosition"/>, or the checkpoint
    /// does not cover it yet and it is not the object a pull of this canal returned (another stream's frame with the id
    /// of one of this stream's).
    /// </exception>
    /// <exception cref="ObjectDisposedException">The canal is disposed.</exception>
    public IAckToken AckTokenFor(StreamFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        lock (_ackLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            EnsureHandedOut(frame, nameof(frame));
        }

        return new FrameAck(this, frame.Id);
    }

    /// <summary>
    /// Refuses a frame this canal did not hand out: one past <see cref="ReadPosition"/>, or one not yet acknowledged
    /// whose id is not that of a frame a pull returned, or is but names another object (another stream's frame with the
    /// same id, since ids are per stream). A frame the acknowledged prefix covers changes nothing, so it is let through.
    /// Under _ackLock.
    /// </summary>
    private void EnsureHandedOut(StreamFrame frame, string paramName)
    {
        if (frame.Id > _readPosition)
        {
            throw new ArgumentException(
                $"Frame {frame.Id} was not handed out by this canal on '{_stream}' (its read position is {_readPosition}); " +
                "only a frame one of its pulls returned can be committed or acknowledged.",
                paramName);
        }

        if (frame.Id > _ackedThrough && !(_handedOut.TryGetValue(frame.Id, out var identity) && identity == RuntimeHelpers.GetHashCode(frame)))
        {
            throw new ArgumentException(
                $"Frame {frame.Id} is not a frame this canal on '{_stream}' handed out (a frame of another stream, or another " +
                "canal's copy); only a frame one of its pulls returned can be committed or acknowledged.",
                paramName);
        }
    }

    private void Acknowledge(StreamId id)
    {
        lock (_ackLock)
        {
            // After disposal nothing writes the checkpoint any more: refuse rather than drop the acknowledgement silently.
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_unacked.Count == 0 || id < _unacked.Peek())
            {
                return; // already committed
            }

            if (_unacked.Peek() != id)
            {
                _ackedAhead.Add(id);
                return;
            }

            _ackedThrough = DequeueUnacked();
            while (_unacked.Count > 0 && _ackedAhead.Remove(_unacked.Peek()))
            {
                _ackedThrough = DequeueUnacked();
            }
        }
    }

    /// <summary>Writes the checkpoint if acknowledgements or commits advanced it since the last write.</summary>
    /// <param name="cancellationToken">Cancels the write; a token already cancelled gives a cancelled task even with nothing to write, disposed or not.</param>
    /// <returns>A task that completes when the checkpoint is stored.</returns>
    /// <exception cref="ObjectDisposedException">The canal is disposed (disposal wrote the acknowledged checkpoint).</exception>
    public ValueTask FlushCheckpointAsync(CancellationToken cancellationToken = default)
    {
        // A token cancelled before the call cancels it whether or not there is anything to write and whatever the
        // canal's state, as Stream.FlushAsync and ChannelWriter.WriteAsync on a closed channel: nothing is written.
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        ObjectDisposedException.ThrowIf(_disposed, this);
        return FlushCoreAsync(cancellationToken);
    }

    private async ValueTask FlushCoreAsync(CancellationToken cancellationToken)
    {
        lock (_ackLock)
        {
            if (_ackedThrough <= _committed)
            {
                return;
            }
        }

        // One write at a time, each taking the newest target once it has the gate: two overlapping writes (a commit and
        // a flush, disposal during a commit) could otherwise finish out of order and leave the older position stored,
        // behind CommittedPosition, so that a restart redelivered frames the canal reported as committed.
        // Taken synchronously when free (a Task-returning wait allocates, and a commit between pulls must not).
        if (!_flushGate.Wait(0))
        {
            await _flushGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        try
        {
            StreamId target;
            lock (_ackLock)
            {
                target = _ackedThrough;
                if (target <= _committed)
                {
                    return;
                }
            }

            if (_checkpoints is not null && _options.CheckpointId is { } checkpointId)
            {
                await _checkpoints.WriteCheckpointAsync(checkpointId, target, cancellationToken).ConfigureAwait(false);
            }

            lock (_ackLock)
            {
                _committed = target;
                while (_uncommitted.Count > 0 && _uncommitted.Peek() <= _committed)
                {
                    _uncommitted.Dequeue();
                }
            }
        }
        finally
        {
            _flushGate.Release();
        }
    }

    /// <summary>
    /// Disposes the canal synchronously: blocks until <see cref="DisposeAsync"/> has finished. Prefer
    /// <c>await using</c>; this is for <c>using</c> and for a dependency-injection container disposed synchronously.
    /// </summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>
    /// Closes the canal and flushes the acknowledged checkpoint. A pull waiting at that moment fails with
    /// <see cref="CanalClosedException"/> and hands out nothing; later pulls fail with it too. After disposal,
    /// <see cref="CommitAsync"/>, <see cref="AckTokenFor"/>, an ack token's <see cref="IAckToken.Acknowledge"/> and
    /// <see cref="FlushCheckpointAsync"/> throw <see cref="ObjectDisposedException"/>: what they would have recorded is
    /// redelivered by the next canal on the checkpoint. Disposing again returns the first disposal's task: it completes
    /// (or fails) when that one does, never before the checkpoint is stored.
    /// </summary>
    /// <returns>A task that completes when the checkpoint is stored.</returns>
    public ValueTask DisposeAsync() => OnceDisposal.Run(ref _disposal, CloseAsync);

    private async ValueTask CloseAsync()
    {
        // Runs synchronously up to its first await, so the canal is disposed when DisposeAsync returns. Under the lock,
        // so an acknowledgement either lands before the flush below reads its target or is refused.
        lock (_ackLock)
        {
            _disposed = true;
        }

        await _closing.CancelAsync().ConfigureAwait(false);
        await FlushCoreAsync(CancellationToken.None).ConfigureAwait(false);
    }

    private sealed class FrameAck(CursorCanal canal, StreamId id) : IAckToken
    {
        public void Acknowledge() => canal.Acknowledge(id);
    }
}
