using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Reactive.Streams.Internal;

/// <summary>Creates the engine in the mode a surface asks for (<see cref="BufferMode"/>), once, at construction.</summary>
internal static class BoundedBuffer
{
    /// <summary>
    /// Set by the <c>Reactive.Streams.Engine.NoSingleLane</c> AppContext switch before the library is first used: the
    /// single-lane mode is then created as the shared mode. The benchmarks set it to measure, in one run, what the
    /// lock-free mode gains the surfaces that ask for it (the Rx operators and <c>SubscribeAsync</c>).
    /// </summary>
    internal static readonly bool NoSingleLane = AppContext.TryGetSwitch("Reactive.Streams.Engine.NoSingleLane", out var off) && off;

    /// <summary>Creates the engine for <paramref name="options"/>.</summary>
    /// <param name="options">Policy, capacity and the rest.</param>
    /// <param name="mode">
    /// How the engine synchronizes (<see cref="BufferMode"/>). The lane modes fall back to the locked mode when the
    /// capacity exceeds <see cref="SingleProducerLane{T}.MaxCapacity"/> (a lane's ring is allocated whole), and the
    /// single-lane mode falls back to the shared mode when the options need timed waits (a PauseUpstream timeout under
    /// the PauseUpstream policy; the other policies never wait and ignore it): its writer waits in a slot that has no timer. The Dataflow block and the delivery queues create a
    /// <see cref="LockedBuffer{T}"/> directly: they need its position-checked reads and look-ahead.
    /// </param>
    public static BoundedBuffer<T> Create<T>(BoundedStreamOptions<T> options, BufferMode mode)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (mode == BufferMode.Locked || options.Capacity > SingleProducerLane<T>.MaxCapacity)
        {
            return new LockedBuffer<T>(options);
        }

        // Only a PauseUpstream push waits; the other policies ignore the timeout, so it costs them nothing here.
        var timedWaits = options.Policy == BackpressurePolicy.PauseUpstream &&
            options.PauseTimeout is { } timeout && timeout != Timeout.InfiniteTimeSpan;
        return mode == BufferMode.SingleLane && !timedWaits && !NoSingleLane
            ? new SingleLaneBuffer<T>(options)
            : new SharedLaneBuffer<T>(options);
    }
}

/// <summary>
/// The one bounded-buffer engine behind every surface (stream, channel, Rx operator, Dataflow block, delivery queue,
/// lossy canal): what every mode shares. It holds the options, the completion, the pooled waiters and the meter
/// registration, and asks the one decision (<see cref="PushDecision"/>) for every push; a mode only stores, evicts,
/// counts and waits. The modes are the sealed <see cref="LockedBuffer{T}"/>, <see cref="SharedLaneBuffer{T}"/> (both on
/// <see cref="WaitListBuffer{T}"/>, the lock and wait lists they share) and <see cref="SingleLaneBuffer{T}"/>, chosen
/// once by <see cref="BoundedBuffer.Create{T}"/>; docs/engine.md maps them.
/// </summary>
/// <remarks>
/// <para>
/// Rules every mode keeps: no foreign code (degrader, onDropped, waiter continuation, read signal) runs under a lock;
/// parked readers and writers are completed after the lock is released; every locked region is entered through
/// <see cref="WaitListBuffer{T}.EnterLocked"/>, which checks the mode's invariants (DEBUG) on entry and exit, and every
/// lock-free claim is followed by the mode's claim check (DEBUG).
/// </para>
/// <para>
/// Counters obey <c>pushed = delivered + evicted + failed + depth</c>, because a PauseUpstream writer's item is counted
/// as pushed only when it enters the buffer or is rejected, never while it is parked. In the locked mode they are
/// written under the lock and the law holds at every moment the lock is free; in the lane modes it holds whenever no
/// read (and, lock-free, no push) is in flight. The Meter reads them racily in every mode.
/// </para>
/// </remarks>
internal abstract class BoundedBuffer<T> : IStreamMetricsSource, IMeteredStream
{
    // Sentinel for "completed without error", so _doneWriting alone says whether writing is over.
    private protected static readonly Exception s_completedNormally = new InvalidOperationException("completed");

    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private protected readonly Func<T, T>? _degrader;
    private protected readonly Action<T>? _onDropped;
    private protected readonly TimeSpan? _pauseTimeout;
    private protected readonly TimeProvider _timeProvider;

    private protected Exception? _doneWriting;
    private protected AsyncWaiter<T>? _readerSingleton;
    private protected AsyncWaiter<T>? _writerSingleton;

    // Lives and dies with this buffer; its finalizer keeps our counts in the meter's series once we are gone.
    private object? _meterRegistration;
    private readonly System.Diagnostics.Metrics.IMeterFactory? _meterFactory;
    private readonly string? _endedSeriesName;

    private protected BoundedBuffer(BoundedStreamOptions<T> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Name = options.Name;
        Policy = options.Policy;
        Capacity = options.Capacity;
        _degrader = options.Degrader;
        _onDropped = options.OnDropped;
        _pauseTimeout = options.PauseTimeout == Timeout.InfiniteTimeSpan ? null : options.PauseTimeout;
        _timeProvider = options.TimeProvider;
        _meterFactory = options.MeterFactory;
        _endedSeriesName = options.EndedSeriesName;
        _readerSingleton = new AsyncWaiter<T>(this, WaiterKind.Reader, pooled: true);
        if (Policy == BackpressurePolicy.PauseUpstream)
        {
            _writerSingleton = new AsyncWaiter<T>(this, WaiterKind.Writer, pooled: true);
        }
    }

    /// <summary>Registers with the meter; the last line of every mode's constructor, so the meter never reads a half-built mode.</summary>
    private protected void RegisterWithMeter() =>
        _meterRegistration = Telemetry.Enabled ? LibraryMeter.For(_meterFactory).RegisterStream(this, _endedSeriesName) : null;

    public string Name { get; }

    public BackpressurePolicy Policy { get; }

    public int Capacity { get; }

    public abstract int Depth { get; }

    /// <summary>How the engine synchronizes, after the fallbacks the factory applied.</summary>
    internal abstract BufferMode Mode { get; }

    /// <summary>Whether the engine runs in its lock-free single-producer mode.</summary>
    internal bool IsLockFree => Mode == BufferMode.SingleLane;

    /// <summary>Completes when writing is over and the buffer is drained; faults with the completion error.</summary>
    public Task Completion => _completion.Task;

    public bool IsCompleted => Volatile.Read(ref _doneWriting) is not null;

    /// <summary>The error writing ended with; null while writing goes on or after a normal completion.</summary>
    internal Exception? CompletionError
    {
        get
        {
            var error = Volatile.Read(ref _doneWriting);
            return error == s_completedNormally ? null : error;
        }
    }

    /// <summary>How long a PauseUpstream wait may last before it fails as an overflow; null to wait for ever.</summary>
    internal TimeSpan? PauseTimeout => _pauseTimeout;

    /// <summary>The clock the PauseUpstream timeout runs on.</summary>
    internal TimeProvider TimeProvider => _timeProvider;

    // ---- The decision ---------------------------------------------------------------------------------------------

    /// <summary>Asks the one decision (<see cref="PushDecision"/>) what a push does now; every mode's push path starts here.</summary>
    // Inlined on every push path whatever the profile says (SingleProducerLane.HasRoom).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private protected PushAction Decide(bool hasRoom, bool canWait) => PushDecision.Decide(
        Policy, Volatile.Read(ref _doneWriting) is not null, hasRoom, _degrader is not null, canWait, _pauseTimeout == TimeSpan.Zero);

    /// <summary>
    /// Under sustained DegradeQuality overflow, degrade before the push takes its lock, so that a push costs one lock
    /// instead of two. A mode asks only when a degrader is set (<c>_degrader is not null &amp;&amp; ...</c>): its depth may
    /// read the consumer's cache line, which a push of any other policy must not pull over on every call. The depth may
    /// be stale either way: the mode re-decides under its lock (or, lock-free, on its claim) and enqueues the original
    /// item if room appeared, and an overflow missed here still reaches the degrader through the mode's push. Degraders
    /// are pure (RXS0004), so an unneeded call costs time, not correctness.
    /// </summary>
    private protected bool ShouldDegradeEagerly(int depth) => Decide(depth < Capacity, canWait: false) == PushAction.Degrade;

    /// <summary>
    /// Counts a push that <paramref name="rejection"/> ended without storing anything and returns its result; under the
    /// lock in the locked and shared modes, by the one producer in the lock-free mode. A <see cref="PushAction.Full"/>
    /// push is not counted: its caller keeps the item.
    /// </summary>
    private protected PushResult RejectLocked(PushAction rejection)
    {
        if (rejection != PushAction.Full)
        {
            CountRejection(rejection);
        }

        return new PushResult(PushDecision.RejectionStatus(rejection));
    }

    /// <summary>Counts a rejection decided by <see cref="PushDecision"/>, in the mode's counters (see <see cref="RejectLocked"/>).</summary>
    private protected abstract void CountRejection(PushAction rejection);

    /// <summary>Counts a push rejected because its degrader threw; the mode takes whatever synchronization its counters need.</summary>
    private protected abstract void CountDegraderFailure();

    /// <summary>
    /// Runs the degrader (outside any lock, in every mode). If it throws, the push is rejected and counted, and
    /// <paramref name="failed"/> says so.
    /// </summary>
    private protected bool TryDegrade(T item, out T degraded, out PushResult failed)
    {
        try
        {
            degraded = _degrader!(item);
            failed = default;
            return true;
        }
        catch (Exception error)
        {
            CountDegraderFailure();
            degraded = default!;
            failed = new PushResult(PushStatus.DegraderFailed, error);
            return false;
        }
    }

    // ---- Writing --------------------------------------------------------------------------------------------------

    /// <summary>Pushes without waiting and without throwing.</summary>
    public abstract PushResult TryPush(T item);

    /// <summary>Pushes, awaiting room under PauseUpstream; throws on rejection.</summary>
    public ValueTask PushAsync(T item, CancellationToken cancellationToken) =>
        cancellationToken.IsCancellationRequested
            ? ValueTask.FromCanceled(cancellationToken)
            : PushAsync(item, cancellationToken, blocking: false);

    /// <summary>
    /// Pushes synchronously, blocking the calling thread under PauseUpstream until there is room; throws on
    /// rejection. Used by synchronous producers such as an observer's OnNext.
    /// </summary>
    public void Push(T item, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException(cancellationToken);
        }

        BlockingWait.Wait(PushAsync(item, cancellationToken, blocking: true));
    }

    /// <summary>
    /// The engine's one PauseUpstream wait: every push that may wait comes here, async or blocking. A blocking caller
    /// (<paramref name="blocking"/>, through <see cref="Push"/>) gets a waiter that continues inline, so it can block on
    /// the returned task without a thread-pool hop; in the lock-free mode it waits in this very call. The token is not
    /// cancelled yet.
    /// </summary>
    private protected abstract ValueTask PushAsync(T item, CancellationToken cancellationToken, bool blocking);

    /// <summary>Waits until a push could succeed without waiting (channel writers' WaitToWriteAsync).</summary>
    public ValueTask<bool> WaitToPushAsync(CancellationToken cancellationToken) =>
        cancellationToken.IsCancellationRequested
            ? ValueTask.FromCanceled<bool>(cancellationToken)
            : WaitToPushCoreAsync(cancellationToken);

    /// <summary><see cref="WaitToPushAsync"/> in the mode; the token is not cancelled yet.</summary>
    private protected abstract ValueTask<bool> WaitToPushCoreAsync(CancellationToken cancellationToken);

    /// <summary>The answer of <see cref="WaitToPushAsync"/> when it need not wait: writing over, or a push would not wait.</summary>
    private protected ValueTask<bool> WaitToPushDecided() => Volatile.Read(ref _doneWriting) switch
    {
        null => new ValueTask<bool>(true),
        var done when done == s_completedNormally => new ValueTask<bool>(false),
        var done => ValueTask.FromException<bool>(done),
    };

    // ---- Reading --------------------------------------------------------------------------------------------------

    /// <summary>Takes the oldest item if there is one; moves a parked PauseUpstream writer's item into the room made.</summary>
    public abstract bool TryRead([System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out T item);

    /// <summary>
    /// Reads up to <c>destination.Length</c> of the oldest items in one go (a drain loop pays one lock, or one claim, per
    /// batch, not per item), moving as many parked PauseUpstream writers' items into the room made. Returns the count read.
    /// </summary>
    internal abstract int TryReadMany(Span<T> destination);

    /// <summary>The most items <see cref="TryReadBatch"/> takes under one lock: a batch bound above it is read in chunks.</summary>
    internal const int BatchReadChunk = 1024;

    /// <summary>
    /// Takes up to <paramref name="max"/> of the oldest items into <paramref name="destination"/>; returns how many were
    /// taken. Added for the delivery dispatcher's workers, which batch opportunistically. Behaves exactly like repeated
    /// <see cref="TryRead"/>: every item taken lets the oldest parked PauseUpstream writer in, in order.
    /// </summary>
    internal int TryReadBatch(List<T> destination, int max)
    {
        // One implementation of the batch read (TryReadMany); this overload only lends it the list's free tail. The
        // tail is lent a chunk at a time: max is a bound (int.MaxValue: whatever is there), so the list grows with what
        // is taken, never to max itself.
        var start = destination.Count;
        var total = 0;
        while (total < max)
        {
            var chunk = Math.Min(max - total, BatchReadChunk);
            System.Runtime.InteropServices.CollectionsMarshal.SetCount(destination, start + total + chunk);
            var taken = TryReadMany(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(destination).Slice(start + total, chunk));
            total += taken;
            System.Runtime.InteropServices.CollectionsMarshal.SetCount(destination, start + total);

            // A short read is not always an empty buffer: the lanes' claim stops at the tail the consumer last saw
            // (SingleProducerLane.TryReadMany), so only an empty read, or a short one that left nothing, ends the batch.
            if (taken == 0 || (taken < chunk && Depth == 0))
            {
                break;
            }
        }

        return total;
    }

    /// <summary>Takes the oldest item without removing it.</summary>
    public abstract bool TryPeek([System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out T item);

    /// <summary>
    /// Waits until an item is available (true) or the buffer is completed and drained (false; throws the
    /// completion error if it was completed with one), like <c>ChannelReader.WaitToReadAsync</c>.
    /// </summary>
    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken) =>
        cancellationToken.IsCancellationRequested
            ? ValueTask.FromCanceled<bool>(cancellationToken)
            : WaitToReadCoreAsync(cancellationToken);

    /// <summary><see cref="WaitToReadAsync"/> in the mode; the token is not cancelled yet.</summary>
    private protected abstract ValueTask<bool> WaitToReadCoreAsync(CancellationToken cancellationToken);

    /// <summary>What a reader learns once the buffer is completed and drained: false, or the completion error.</summary>
    private protected ValueTask<bool> DoneReading() =>
        _doneWriting == s_completedNormally ? new ValueTask<bool>(false) : ValueTask.FromException<bool>(_doneWriting!);

    /// <summary>Reads the next item, waiting for one; throws <see cref="StreamClosedException"/> once completed and drained.</summary>
    public ValueTask<T> ReadAsync(CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            // As ChannelReader.ReadAsync: a token cancelled before the call gives a cancelled task (TaskCanceledException).
            return ValueTask.FromCanceled<T>(cancellationToken);
        }

        if (TryRead(out var item))
        {
            return new ValueTask<T>(item);
        }

        return ReadAsyncSlow(cancellationToken);
    }

    /// <summary>
    /// <see cref="ReadAsync"/> once the fast read found nothing; the token is not cancelled yet. The modes with a lock park
    /// the read as a taker, which a push hands its item directly, oldest read first (<see cref="WaitListBuffer{T}"/>); the
    /// lock-free mode, whose surfaces (the Rx operators, <c>SubscribeAsync</c>) never call ReadAsync, waits to read and
    /// retries, as here.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private protected virtual async ValueTask<T> ReadAsyncSlow(CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (TryRead(out var item))
            {
                return item;
            }

            bool more;
            try
            {
                more = await WaitToReadAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception error) when (error is not OperationCanceledException)
            {
                throw CreateClosedException(reading: true);
            }

            if (!more)
            {
                throw CreateClosedException(reading: true);
            }
        }
    }

    /// <summary>Yields every item until the buffer is completed and drained; rethrows the completion error, if any.</summary>
    public async IAsyncEnumerable<T> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (await WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (TryRead(out var item))
            {
                yield return item;
            }
        }
    }

    /// <summary>
    /// Wakes every parked reader with <see langword="true"/> although nothing may have arrived: a deadline-bound reader
    /// (a canal's pull) re-checks its deadline. Readers must already tolerate a true wake with nothing to read, as
    /// with <c>ChannelReader.WaitToReadAsync</c> and several consumers.
    /// </summary>
    internal abstract void WakeReaders();

    // ---- Push-driven consumers (Rx operators, SubscribeAsync, the stream-to-observer bridge) ------------------------
    // An async reader parks an AsyncWaiter whose continuation runs on the thread pool; a push-driven consumer instead
    // needs the pushing thread itself to learn, synchronously and only on the empty -> non-empty edge, that it must
    // schedule a drain. That keeps virtual-time tests deterministic (no thread-pool hop between a TestScheduler's
    // producer and its drain) and costs the hot path nothing but a check the push already makes.

    /// <summary>
    /// Arms <paramref name="signal"/> to fire once, on the pushing or completing thread after any lock is released,
    /// when the buffer stops being empty or writing ends. Returns false (and arms nothing) if the buffer already holds
    /// items or is completed: the caller must drain now instead of waiting. Arming an armed signal is a no-op.
    /// </summary>
    internal abstract bool ArmReadSignal(ReadSignal signal);

    /// <summary>
    /// Unarms <paramref name="signal"/> (its consumer is going away). Returns whether it was armed, i.e. whether its
    /// consumer was idle rather than draining or about to drain.
    /// </summary>
    internal abstract bool DisarmReadSignal(ReadSignal signal);

    // ---- Completion -----------------------------------------------------------------------------------------------

    /// <summary>
    /// Ends writing. Buffered items stay readable; parked writers are rejected as closed; parked readers and
    /// space waiters wake. Returns false if writing was already over.
    /// </summary>
    public abstract bool TryComplete(Exception? error);

    /// <summary>Completes <see cref="Completion"/> with how writing ended; the caller has seen the buffer drained.</summary>
    private protected void CompleteCompletionTask()
    {
        var error = _doneWriting;
        if (error is null || error == s_completedNormally)
        {
            _completion.TrySetResult();
        }
        else if (error is OperationCanceledException canceled)
        {
            _completion.TrySetCanceled(canceled.CancellationToken);
        }
        else
        {
            _completion.TrySetException(error);
        }
    }

    // ---- Waiters --------------------------------------------------------------------------------------------------

    /// <summary>A waiter's cancellation or timeout fired: unlink it if it is still parked, then fault it.</summary>
    internal abstract void OnWaiterFired(AsyncWaiter<T> waiter);

    /// <summary>A pooled waiter was awaited and reset: it is free for the next wait of its kind.</summary>
    internal void Return(AsyncWaiter<T> waiter)
    {
        System.Diagnostics.Debug.Assert(waiter.Kind is WaiterKind.Reader or WaiterKind.Writer, "Only readers and writers are pooled.");
        if (waiter.Kind == WaiterKind.Reader)
        {
            Volatile.Write(ref _readerSingleton, waiter);
        }
        else
        {
            Volatile.Write(ref _writerSingleton, waiter);
        }
    }

    private protected Exception CreateFiredException(AsyncWaiter<T> waiter) =>
        waiter.Fired == 2
            ? new StreamOverflowException(Name, Policy, Capacity)
            : new OperationCanceledException(waiter.CancellationToken);

    private protected static void WakeAll(AsyncWaiter<T> waiters)
    {
        for (AsyncWaiter<T>? w = waiters; w is not null;)
        {
            var next = w.Next;
            w.SetResult(true);
            w = next;
        }
    }

    // ---- Errors and metrics ---------------------------------------------------------------------------------------

    /// <summary>
    /// The <see cref="StreamClosedException"/> (a channel's: <see cref="ChannelClosedException"/>) of a push after completion or, with <paramref name="reading"/>, of a read
    /// that found the completed buffer drained (whose message says there is nothing more to read, not that no more items
    /// are accepted); the completion error, if any, inside.
    /// </summary>
    internal Exception CreateClosedException(bool reading = false)
    {
        var error = _doneWriting;
        var inner = error is null || error == s_completedNormally ? null : error;
        if (IsChannel)
        {
            // The channel face throws what Channel.CreateBounded throws, the platform's own ChannelClosedException (the
            // completion error inside), so code and tests written against channels see the same type; the message
            // still names the channel. A write to a channel completed with an OperationCanceledException fails with that
            // exception itself, as there: a write refused at once is a task faulted with it, and a parked write is
            // cancelled by it, both completed by this engine itself (no wrapper translates them on another thread).
            if (!reading && inner is OperationCanceledException canceled)
            {
                return canceled;
            }

            return new ChannelClosedException(reading ? DrainedMessage(inner) : $"Channel '{Name}' is completed; it accepts no more items.", inner);
        }

        return reading ? new StreamClosedException(Name, inner, DrainedMessage(inner)) : new StreamClosedException(Name, inner);
    }

    private string DrainedMessage(Exception? inner) => inner is null
        ? $"{(IsChannel ? "Channel" : "Stream")} '{Name}' is completed and every item was read; there is nothing more to read."
        : $"{(IsChannel ? "Channel" : "Stream")} '{Name}' was completed with an error and every item before it was read; there is nothing more to read.";

    /// <summary>
    /// Whether the buffer is a channel's (<see cref="BackpressureChannel"/>), whose closed errors are the platform's
    /// <see cref="ChannelClosedException"/> rather than <see cref="StreamClosedException"/>. Set once, at creation
    /// (<see cref="ForChannel"/>).
    /// </summary>
    internal bool IsChannel { get; private set; }

    /// <summary>Marks a buffer just created as a channel's (<see cref="IsChannel"/>).</summary>
    /// <returns>This buffer.</returns>
    internal BoundedBuffer<T> ForChannel()
    {
        IsChannel = true;
        return this;
    }

    /// <summary>The exception a throwing path raises for a rejected push; an accepted result is refused (<see cref="ArgumentException"/>).</summary>
    public Exception CreateException(PushResult result) => result.Status switch
    {
        PushStatus.Overflow => new StreamOverflowException(Name, Policy, Capacity),

        // A PauseUpstream push that could not wait (TryPush) never waited, so the timeout message would be wrong.
        PushStatus.Full => new StreamOverflowException(
            Name, Policy, Capacity, $"Stream '{Name}' is full (capacity {Capacity}) and a push that does not wait found no room under {Policy}; the caller keeps the item."),
        PushStatus.Closed => CreateClosedException(),
        PushStatus.MissingDegrader => new MissingDegraderException(Name, Capacity),
        PushStatus.DegraderFailed => new InvalidOperationException($"The degrader of stream '{Name}' threw; the item was rejected and nothing was evicted.", result.Error),
        _ => throw new ArgumentException(
            $"The push to stream '{Name}' was accepted ({result.Status}); only a rejected result has an exception.", nameof(result)),
    };

    public abstract StreamMetricsSnapshot GetMetrics();

    StreamMetricsSnapshot IStreamMetricsSource.ReadRacy() => ReadCountersRacy();

    /// <summary>
    /// Tells the meter that the buffer's owner has ended for good (a disposed subscription): its depth leaves its series
    /// now, not when it is collected (docs/metrics.md). Its own snapshot is unchanged. Not on any per-item path.
    /// </summary>
    internal void EndMetering() => (_meterRegistration as MeterSeries.Registration)?.End();

    /// <summary>The counters read without any lock, for the meter: each value is current, the set may be torn.</summary>
    private protected abstract StreamMetricsSnapshot ReadCountersRacy();
}

/// <summary>
/// A push-driven consumer's one-shot wake-up (see <see cref="BoundedBuffer{T}.ArmReadSignal"/>). Fired on the thread
/// that pushed into the empty buffer or completed it, after the buffer's lock is released; it should only schedule
/// work. A consumer must tolerate a signal that finds nothing to read (another reader was faster).
/// </summary>
internal abstract class ReadSignal
{
    /// <summary>The next armed signal of the same buffer; guarded by the buffer's lock.</summary>
    internal ReadSignal? Next;

    /// <summary>Whether the signal is linked into a buffer's armed list; guarded by the buffer's lock.</summary>
    internal bool IsArmed;

    /// <summary>The buffer has items, or writing is over.</summary>
    protected internal abstract void OnReadable();
}
