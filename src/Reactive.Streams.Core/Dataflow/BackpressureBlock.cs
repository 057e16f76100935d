using System.Diagnostics;
using System.Threading.Tasks.Dataflow;
using Reactive.Streams.Internal;

namespace Reactive.Streams;

/// <summary>
/// A TPL Dataflow propagator block on the library's bounded-buffer engine: it links with any Dataflow block, and its
/// input follows a backpressure policy, so <c>SendAsync</c> gets real backpressure and every policy behaves as it does
/// on <see cref="BoundedStream{T}"/>, <see cref="BackpressureChannel"/> and the Rx operators.
/// </summary>
/// <remarks>
/// <para>Offers (<see cref="OfferMessage"/>, hence <c>Post</c>, <c>SendAsync</c> and linked sources) when the buffer is full:
/// <list type="bullet">
/// <item><description>PauseUpstream postpones the message (<c>SendAsync</c> keeps waiting; a linked source holds it) and
/// consumes postponed messages, oldest first, as room appears. <c>Post</c> has no source to come back to, so a full
/// buffer declines it (<c>Post</c> returns false) and nothing is counted.</description></item>
/// <item><description>Fail declines (<c>Post</c> returns false, <c>SendAsync</c> completes with false) and counts
/// <c>fail_overflows</c> per declined offer (a source offering the same message again is counted again: <c>SendAsync</c>
/// offers once without a source and once with one, a linked source re-offers its head as new messages arrive).</description></item>
/// <item><description>DropOldest and DegradeQuality accept, evicting the oldest buffered item (DegradeQuality buffers
/// <c>degrader(item)</c>). A missing or throwing degrader faults the block with the rejection's exception (the item is
/// counted as rejected; conservation holds).</description></item>
/// </list></para>
/// <para>Output: messages are offered to linked targets in link order, oldest first; <see cref="TryReceive"/> and
/// <see cref="TryReceiveAll"/> read directly. Every read counts as delivered. Under DropOldest and DegradeQuality a message
/// offered or reserved earlier may have been evicted by the time a target consumes it; <see cref="ConsumeMessage"/> then
/// reports <c>consumed = false</c> and the block offers its new oldest message.</para>
/// <para>Completion: after <see cref="Complete"/> the block declines every offer permanently, drops its postponed
/// offers, lets its buffered messages be consumed, then completes; links made with
/// <see cref="DataflowLinkOptions.PropagateCompletion"/> are completed in turn. <see cref="Fault"/> completes the block
/// at once in the faulted state; messages still buffered are dropped (they stay counted in the depth) and the fault
/// propagates to such links.</para>
/// </remarks>
/// <typeparam name="T">The message type.</typeparam>
[DebuggerDisplay("{ToString(),nq}")]
public sealed class BackpressureBlock<T> : IPropagatorBlock<T, T>, IReceivableSourceBlock<T>, IMeteredStream
{
    private const int ReceiveAllChunk = 64;

    // Marks the offering loop's thread, so a read made by a target from inside our OfferMessage call is followed up by
    // the loop itself (room for postponed offers, the next message) instead of by the target's thread.
    [ThreadStatic]
    private static BackpressureBlock<T>? t_offering;

    private readonly BoundedBuffer<T> _buffer;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Guards the input side: postponed offers, room reserved for messages being consumed from sources, declining.
    // Taken before the engine's lock, never after it; no foreign code runs under it.
    private readonly Lock _incoming = new();
    private readonly List<KeyValuePair<ISourceBlock<T>, DataflowMessageHeader>> _postponed = [];
    private int _postponedCount;
    private int _reservedRoom;
    private bool _declining;
    private bool _consumingPostponed;
    private Exception? _fault;

    // Guards the output side: the link list (copy-on-write, read without the lock) and the one reservation.
    private readonly Lock _outgoing = new();
    private Link[] _links = [];
    private bool _hasLimitedLinks;
    private ITargetBlock<T>? _reservedBy;
    private long _reservedId;
    private int _offering;
    private int _offerAgain;
    private int _completed;

    // Each loop runs as at most one queued work item at a time (guarded by _offering and _consumingPostponed), so one
    // cached work item apiece is reused instead of allocating a callback per queueing.
    private readonly IThreadPoolWorkItem _offerWork;
    private readonly IThreadPoolWorkItem _consumePostponedWork;

    /// <summary>Creates a block whose buffer follows <paramref name="options"/>.</summary>
    /// <param name="options">The policy, capacity, name, degrader and eviction callback. PauseUpstream postpones
    /// instead of waiting, so the options' <c>PauseTimeout</c> does not apply to offers.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    public BackpressureBlock(BoundedStreamOptions<T> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _buffer = new BoundedBuffer<T>(options);
        _offerWork = new WorkItem(this, static block => block.OfferLoop());
        _consumePostponedWork = new WorkItem(this, static block => block.ConsumePostponed());
    }

    /// <summary>
    /// Creates a block with <paramref name="policy"/> and <paramref name="capacity"/>: the Dataflow counterpart of
    /// <see cref="BackpressureChannel.Create{T}(BackpressurePolicy, int, Func{T, T})"/>, and the form the RXS0002 code fix
    /// writes in place of an unbounded <c>BufferBlock</c>.
    /// </summary>
    /// <param name="policy">What an offer does when the buffer is full.</param>
    /// <param name="capacity">How many messages the block buffers; at least 1.</param>
    /// <param name="degrader">The pure function applied on overflow under DegradeQuality; a DegradeQuality block
    /// without one faults on its first overflow.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is below 1, or <paramref name="policy"/>
    /// is not a defined policy.</exception>
    public BackpressureBlock(BackpressurePolicy policy, int capacity, Func<T, T>? degrader = null)
        : this(new BoundedStreamOptions<T>(policy, capacity) { Degrader = degrader })
    {
    }

    /// <summary>The block's stream name (errors and metrics).</summary>
    public string Name => _buffer.Name;

    /// <summary>What happens when the buffer is full.</summary>
    public BackpressurePolicy Policy => _buffer.Policy;

    /// <summary>How many messages the buffer holds.</summary>
    public int Capacity => _buffer.Capacity;

    /// <summary>How many messages are buffered now.</summary>
    public int Count => _buffer.Depth;

    /// <inheritdoc />
    public Task Completion => _completion.Task;

    /// <summary>A consistent snapshot of the block's stream counters.</summary>
    /// <returns>The snapshot.</returns>
    public StreamMetricsSnapshot GetMetrics() => _buffer.GetMetrics();

    // ---- Target side ---------------------------------------------------------------------------------------------

    /// <inheritdoc />
    public DataflowMessageStatus OfferMessage(DataflowMessageHeader messageHeader, T messageValue, ISourceBlock<T>? source, bool consumeToAccept)
    {
        if (!messageHeader.IsValid)
        {
            throw new ArgumentException("The message header is invalid.", nameof(messageHeader));
        }

        if (source is null && consumeToAccept)
        {
            throw new ArgumentException("consumeToAccept requires a source.", nameof(consumeToAccept));
        }

        return Policy is BackpressurePolicy.DropOldest or BackpressurePolicy.DegradeQuality
            ? OfferEvicting(messageHeader, messageValue, source, consumeToAccept)
            : OfferBounded(messageHeader, messageValue, source, consumeToAccept);
    }

    /// <summary>DropOldest and DegradeQuality always have room: no reservation, and the push runs outside our locks
    /// because it may call the degrader and the eviction callback.</summary>
    private DataflowMessageStatus OfferEvicting(DataflowMessageHeader header, T value, ISourceBlock<T>? source, bool consumeToAccept)
    {
        if (Volatile.Read(ref _declining))
        {
            return DataflowMessageStatus.DecliningPermanently;
        }

        if (consumeToAccept)
        {
            value = source!.ConsumeMessage(header, this, out var consumed)!;
            if (!consumed)
            {
                return DataflowMessageStatus.NotAvailable;
            }
        }

        var result = _buffer.TryPush(value);
        if (result.IsAccepted)
        {
            OnPushed();
            return DataflowMessageStatus.Accepted;
        }

        if (result.Status != PushStatus.Closed)
        {
            // Missing or throwing degrader: the engine counted the item as rejected; the block faults, as a Dataflow
            // block does when its user code throws.
            FaultCore(_buffer.CreateException(result));
        }

        return DataflowMessageStatus.DecliningPermanently;
    }

    /// <summary>PauseUpstream and Fail: room is decided under the input lock, counting room reserved for messages
    /// being consumed from their sources, so a consumed message always finds its place.</summary>
    private DataflowMessageStatus OfferBounded(DataflowMessageHeader header, T value, ISourceBlock<T>? source, bool consumeToAccept)
    {
        // PauseUpstream fast path: with nothing postponed and no room reserved, the engine's own atomic decision is
        // enough (a full buffer returns Full and takes nothing), so the input lock is skipped. A reservation that starts
        // concurrently is still safe: its push parks in the engine if this one took the room (see ConsumeFrom).
        if (!consumeToAccept && Policy == BackpressurePolicy.PauseUpstream &&
            Volatile.Read(ref _postponedCount) == 0 && Volatile.Read(ref _reservedRoom) == 0 && !Volatile.Read(ref _declining))
        {
            var fast = _buffer.TryPush(value);
            if (fast.IsAccepted)
            {
                OnPushed();
                return DataflowMessageStatus.Accepted;
            }

            if (fast.Status == PushStatus.Closed)
            {
                return DataflowMessageStatus.DecliningPermanently;
            }
        }

        lock (_incoming)
        {
            if (_declining)
            {
                return DataflowMessageStatus.DecliningPermanently;
            }

            // Under PauseUpstream a message still being consumed from its source (reserved room) also makes new offers
            // wait, as Dataflow's bounded blocks do with outstanding transfers: otherwise a source's next message, offered
            // as soon as the previous one was consumed, could enter before it.
            var full = _buffer.Depth + _reservedRoom >= Capacity ||
                (Policy == BackpressurePolicy.PauseUpstream && (_postponed.Count > 0 || _reservedRoom > 0));
            if (full)
            {
                if (Policy == BackpressurePolicy.Fail)
                {
                    _buffer.CountFailOverflow();
                    return DataflowMessageStatus.Declined;
                }

                if (source is null)
                {
                    // Post: no source to come back to.
                    return DataflowMessageStatus.Declined;
                }

                Postpone(source, header);
                Interlocked.MemoryBarrier();
                if (_buffer.Depth + _reservedRoom < Capacity && !_consumingPostponed)
                {
                    // A read made room between the check above and the postponement, and saw no postponed offer.
                    _consumingPostponed = true;
                    ThreadPool.UnsafeQueueUserWorkItem(_consumePostponedWork, preferLocal: false);
                }

                return DataflowMessageStatus.Postponed;
            }

            if (!consumeToAccept)
            {
                PushIntoRoom(value);
            }
            else
            {
                _reservedRoom++;
            }
        }

        if (consumeToAccept && !ConsumeFrom(source!, header))
        {
            return DataflowMessageStatus.NotAvailable;
        }

        OnPushed();
        return DataflowMessageStatus.Accepted;
    }

    private void Postpone(ISourceBlock<T> source, DataflowMessageHeader header)
    {
        // One postponed message per source, as Dataflow's own blocks keep: a source re-offering its head replaces it.
        for (var i = 0; i < _postponed.Count; i++)
        {
            if (_postponed[i].Key == source)
            {
                _postponed[i] = new(source, header);
                return;
            }
        }

        _postponed.Add(new(source, header));
        Volatile.Write(ref _postponedCount, _postponed.Count);
        _buffer.CountPauseUpstreamBlock();
    }

    /// <summary>Consumes a message into room already reserved under the input lock; releases the reservation.</summary>
    private bool ConsumeFrom(ISourceBlock<T> source, DataflowMessageHeader header)
    {
        T value = default!;
        var consumed = false;
        try
        {
            value = source.ConsumeMessage(header, this, out consumed)!;
        }
        finally
        {
            var startPostponed = false;
            lock (_incoming)
            {
                // Push before releasing the reservation: the lock-free fast path runs only while nothing is reserved,
                // so the source's next message (offered once this one was consumed) cannot enter before it.
                if (consumed)
                {
                    PushIntoRoom(value);
                }

                Volatile.Write(ref _reservedRoom, _reservedRoom - 1);

                // Offers postponed while this transfer was outstanding may fit now, and no read may come to start them.
                if (_postponed.Count > 0 && !_consumingPostponed && _buffer.Depth + _reservedRoom < Capacity)
                {
                    _consumingPostponed = startPostponed = true;
                }
            }

            if (startPostponed)
            {
                ThreadPool.UnsafeQueueUserWorkItem(_consumePostponedWork, preferLocal: false);
            }
        }

        if (!consumed)
        {
            TryCompleteBlock();
        }

        return consumed;
    }

    /// <summary>
    /// Pushes a message the block has taken (accepted or consumed) into room checked under the input lock: enqueued, or
    /// rejected as closed (and counted) if the block was completed meanwhile. Only the lock-free PauseUpstream fast path
    /// can take that room first; the message then parks in the engine as a waiting writer and enters, in order, at the
    /// next read, so a consumed message is never lost.
    /// </summary>
    private void PushIntoRoom(T value)
    {
        var result = _buffer.TryPush(value);
        if (result.Status == PushStatus.Full)
        {
            _ = ParkAsync(_buffer, value);
        }

        static async Task ParkAsync(BoundedBuffer<T> buffer, T value)
        {
            try
            {
                await buffer.PushAsync(value, CancellationToken.None).ConfigureAwait(false);
            }
            catch (StreamClosedException)
            {
                // Completed while parked: the engine counted the message as rejected.
            }
        }
    }

    /// <summary>PauseUpstream: consumes postponed offers, oldest first, while there is room.</summary>
    private void ConsumePostponed()
    {
        while (true)
        {
            KeyValuePair<ISourceBlock<T>, DataflowMessageHeader> next;
            lock (_incoming)
            {
                if (_declining || _postponed.Count == 0 || _buffer.Depth + _reservedRoom >= Capacity)
                {
                    // Decided under the lock a reader's trigger takes, so a read after this point starts a new pass.
                    _consumingPostponed = false;
                    return;
                }

                next = _postponed[0];
                _postponed.RemoveAt(0);
                Volatile.Write(ref _postponedCount, _postponed.Count);
                _reservedRoom++;
            }

            if (ConsumeFrom(next.Key, next.Value))
            {
                OnPushed();
            }
        }
    }

    /// <summary>
    /// After a read: room appeared for postponed offers, and a completing block may now be empty. Postponed offers are
    /// consumed on a work item of their own, as Dataflow's blocks do: the reader may be a target holding its own lock,
    /// and a consumed SendAsync resumes its producer, which must not run inside our offering loop.
    /// </summary>
    private void OnRead()
    {
        if (Policy == BackpressurePolicy.PauseUpstream && HasPostponedAfterRead())
        {
            var start = false;
            lock (_incoming)
            {
                if (_postponed.Count > 0 && !_consumingPostponed)
                {
                    _consumingPostponed = true;
                    start = true;
                }
            }

            if (start)
            {
                ThreadPool.UnsafeQueueUserWorkItem(_consumePostponedWork, preferLocal: false);
            }
        }

        if (Volatile.Read(ref _declining))
        {
            TryCompleteBlock();
        }
    }

    private bool HasPostponedAfterRead()
    {
        Interlocked.MemoryBarrier();
        return Volatile.Read(ref _postponedCount) > 0;
    }

    // ---- Completion ----------------------------------------------------------------------------------------------

    /// <summary>
    /// Stops accepting messages: every later offer is declined permanently and postponed offers are dropped; the block
    /// completes once its buffered messages have been consumed.
    /// </summary>
    public void Complete()
    {
        lock (_incoming)
        {
            if (_declining)
            {
                return;
            }

            _declining = true;
            _postponed.Clear();
            Volatile.Write(ref _postponedCount, 0);
        }

        _buffer.TryComplete(null);
        TryCompleteBlock();
    }

    /// <summary>Completes the block at once in the faulted state with <paramref name="exception"/>; buffered messages are dropped.</summary>
    /// <param name="exception">The fault.</param>
    /// <exception cref="ArgumentNullException"><paramref name="exception"/> is null.</exception>
    public void Fault(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        FaultCore(exception);
    }

    private void FaultCore(Exception exception)
    {
        lock (_incoming)
        {
            if (_fault is not null || _completed != 0)
            {
                return;
            }

            _fault = exception;
            _declining = true;
            _postponed.Clear();
            Volatile.Write(ref _postponedCount, 0);
        }

        _buffer.TryComplete(exception);
        TryCompleteBlock();
    }

    private void TryCompleteBlock()
    {
        Exception? fault;
        lock (_incoming)
        {
            if (!_declining)
            {
                return;
            }

            fault = _fault;
            if (fault is null && (_buffer.Depth > 0 || _reservedRoom > 0))
            {
                return;
            }
        }

        if (Interlocked.Exchange(ref _completed, 1) != 0)
        {
            return;
        }

        Link[] links;
        lock (_outgoing)
        {
            links = _links;
            _links = [];
        }

        foreach (var link in links)
        {
            if (link.PropagateCompletion)
            {
                Propagate(link.Target, fault);
            }
        }

        if (fault is null)
        {
            _completion.TrySetResult();
        }
        else
        {
            _completion.TrySetException(fault);
        }
    }

    private static void Propagate(ITargetBlock<T> target, Exception? fault)
    {
        if (fault is null)
        {
            target.Complete();
        }
        else
        {
            target.Fault(fault);
        }
    }

    // ---- Source side ---------------------------------------------------------------------------------------------

    /// <inheritdoc />
    public IDisposable LinkTo(ITargetBlock<T> target, DataflowLinkOptions linkOptions)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(linkOptions);
        var link = new Link(this, target, linkOptions.PropagateCompletion, linkOptions.MaxMessages);
        lock (_outgoing)
        {
            if (Volatile.Read(ref _completed) == 0)
            {
                _links = linkOptions.Append ? [.. _links, link] : [link, .. _links];
                _hasLimitedLinks |= linkOptions.MaxMessages != DataflowBlockOptions.Unbounded;
                link = null;
            }
        }

        if (link is not null)
        {
            // Already completed: a propagating link learns it at once; nothing will ever be offered.
            if (link.PropagateCompletion)
            {
                Propagate(target, Completion.Exception?.InnerException);
            }

            return link;
        }

        ScheduleOffering();
        return new Unlinker(this, target);
    }

    private void Unlink(Link link)
    {
        lock (_outgoing)
        {
            var index = Array.IndexOf(_links, link);
            if (index >= 0)
            {
                _links = [.. _links.AsSpan(0, index), .. _links.AsSpan(index + 1)];
            }
        }
    }

    // A push restarts an idle offering loop but does not make a running one go round again: a loop that stopped
    // because every target postponed the oldest message would only re-offer it to targets that come back anyway.
    private void OnPushed()
    {
        if (Volatile.Read(ref _offering) == 0 && Volatile.Read(ref _links).Length > 0 &&
            Interlocked.CompareExchange(ref _offering, 1, 0) == 0)
        {
            QueueOfferLoop();
        }
    }

    /// <summary>
    /// Something the offering loop may have missed changed (a link, a released reservation, a target consuming on its
    /// own): start the loop, or make a running one look again before it stops.
    /// </summary>
    private void ScheduleOffering()
    {
        Volatile.Write(ref _offerAgain, 1);
        if (Interlocked.CompareExchange(ref _offering, 1, 0) == 0)
        {
            QueueOfferLoop();
        }
    }

    private void QueueOfferLoop() =>
        ThreadPool.UnsafeQueueUserWorkItem(_offerWork, preferLocal: false);

    /// <summary>Stops the offering loop unless a request arrived while it ran; true when it really stopped.</summary>
    private bool TryStopOffering()
    {
        Interlocked.Exchange(ref _offering, 0);
        return Interlocked.Exchange(ref _offerAgain, 0) == 0 || Interlocked.CompareExchange(ref _offering, 1, 0) != 0;
    }

    /// <summary>
    /// Offers the oldest message to the links in order, with <c>consumeToAccept</c>, so no lock is held while a target
    /// runs: a target that accepts consumes the message through <see cref="ConsumeMessage"/>, which reads it only if
    /// it is still the oldest. Stops when the buffer is empty, when no target takes the message (a postponing target
    /// comes back through <see cref="ConsumeMessage"/>; a new push starts a new round), or while a message is reserved.
    /// </summary>
    private void OfferLoop()
    {
        t_offering = this;
        try
        {
            while (true)
            {
                // Requests made from here on are seen when the loop tries to stop.
                Volatile.Write(ref _offerAgain, 0);
                var links = Volatile.Read(ref _links);
                if (links.Length == 0 || Volatile.Read(ref _reservedBy) is not null)
                {
                    if (TryStopOffering())
                    {
                        return;
                    }

                    continue;
                }

                if (!_buffer.TryPeekHead(out var item, out var position))
                {
                    TryCompleteBlock();

                    // A push between the peek and the stop saw the loop running and did not start one: look again.
                    if (TryStopOffering() && !(_buffer.Depth > 0 && Interlocked.CompareExchange(ref _offering, 1, 0) == 0))
                    {
                        return;
                    }

                    continue;
                }

                var header = new DataflowMessageHeader(position + 1);
                var taken = false;
                var changed = false;
                foreach (var link in links)
                {
                    var status = link.Target.OfferMessage(header, item, this, consumeToAccept: true);
                    if (status == DataflowMessageStatus.Accepted)
                    {
                        taken = true;
                        break;
                    }

                    if (status == DataflowMessageStatus.DecliningPermanently)
                    {
                        Unlink(link);
                    }
                    else if (status == DataflowMessageStatus.NotAvailable)
                    {
                        // The message was evicted or read meanwhile: offer the new oldest one.
                        changed = true;
                        break;
                    }
                }

                if (taken)
                {
                    OnRead();
                }
                else if (!changed && TryStopOffering())
                {
                    return;
                }
            }
        }
        finally
        {
            t_offering = null;
        }
    }

    /// <inheritdoc />
    public T? ConsumeMessage(DataflowMessageHeader messageHeader, ITargetBlock<T> target, out bool messageConsumed)
    {
        if (!messageHeader.IsValid)
        {
            throw new ArgumentException("The message header is invalid.", nameof(messageHeader));
        }

        ArgumentNullException.ThrowIfNull(target);
        if (Volatile.Read(ref _reservedBy) is not null)
        {
            lock (_outgoing)
            {
                if (_reservedBy is not null)
                {
                    if (_reservedBy != target || _reservedId != messageHeader.Id)
                    {
                        messageConsumed = false;
                        return default;
                    }

                    _reservedBy = null;
                }
            }
        }

        T value = default!;
        if (_buffer.TryReadMany(new Span<T>(ref value), messageHeader.Id - 1) == 0)
        {
            messageConsumed = false;

            // The target held a stale message (evicted or read by someone else): make sure it hears of the new oldest.
            if (t_offering != this)
            {
                ScheduleOffering();
            }

            return default;
        }

        messageConsumed = true;
        if (Volatile.Read(ref _hasLimitedLinks))
        {
            CountForLink(target);
        }

        if (t_offering != this)
        {
            // A target consuming a message it postponed earlier, on its own thread: the offering loop stopped then, so
            // restart it, and let room reach postponed offers.
            OnRead();
            ScheduleOffering();
        }

        return value;
    }

    /// <inheritdoc />
    public bool ReserveMessage(DataflowMessageHeader messageHeader, ITargetBlock<T> target)
    {
        if (!messageHeader.IsValid)
        {
            throw new ArgumentException("The message header is invalid.", nameof(messageHeader));
        }

        ArgumentNullException.ThrowIfNull(target);
        lock (_outgoing)
        {
            if (_reservedBy is not null || !_buffer.TryPeekHead(out _, out var position) || position + 1 != messageHeader.Id)
            {
                return false;
            }

            _reservedBy = target;
            _reservedId = messageHeader.Id;
            return true;
        }
    }

    /// <inheritdoc />
    public void ReleaseReservation(DataflowMessageHeader messageHeader, ITargetBlock<T> target)
    {
        if (!messageHeader.IsValid)
        {
            throw new ArgumentException("The message header is invalid.", nameof(messageHeader));
        }

        ArgumentNullException.ThrowIfNull(target);
        lock (_outgoing)
        {
            if (_reservedBy != target || _reservedId != messageHeader.Id)
            {
                throw new InvalidOperationException($"Block '{Name}' holds no reservation of message {messageHeader.Id} for this target.");
            }

            _reservedBy = null;
        }

        ScheduleOffering();
    }

    /// <inheritdoc />
    public bool TryReceive(Predicate<T>? filter, out T item)
    {
        if (Volatile.Read(ref _reservedBy) is null && _buffer.TryPeekHead(out var head, out var position) && (filter is null || filter(head)))
        {
            T value = default!;
            if (_buffer.TryReadMany(new Span<T>(ref value), position) == 1)
            {
                item = value;
                OnRead();
                return true;
            }
        }

        item = default!;
        return false;
    }

    /// <inheritdoc />
    public bool TryReceiveAll([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out IList<T>? items)
    {
        items = null;
        if (Volatile.Read(ref _reservedBy) is not null)
        {
            return false;
        }

        var chunk = new T[Math.Min(Capacity, ReceiveAllChunk)];
        List<T>? all = null;
        int count;
        while ((count = _buffer.TryReadMany(chunk)) > 0)
        {
            all ??= new List<T>(count);
            all.AddRange(chunk.AsSpan(0, count));
        }

        if (all is null)
        {
            return false;
        }

        items = all;
        OnRead();
        return true;
    }

    private void CountForLink(ITargetBlock<T> target)
    {
        foreach (var link in Volatile.Read(ref _links))
        {
            if (link.Target == target)
            {
                if (link.CountOne())
                {
                    Unlink(link);
                }

                return;
            }
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name} ({Policy}, {Count}/{Capacity})";

    private sealed class WorkItem(BackpressureBlock<T> block, Action<BackpressureBlock<T>> work) : IThreadPoolWorkItem
    {
        public void Execute() => work(block);
    }

    /// <summary>One link: its target, whether it propagates completion, and how many messages it may still take.</summary>
    private sealed class Link(BackpressureBlock<T> owner, ITargetBlock<T> target, bool propagateCompletion, int maxMessages) : IDisposable
    {
        private int _remaining = maxMessages;

        public ITargetBlock<T> Target { get; } = target;

        public bool PropagateCompletion { get; } = propagateCompletion;

        /// <summary>Counts a message taken through this link; true when that was its last one.</summary>
        public bool CountOne() => _remaining != DataflowBlockOptions.Unbounded && Interlocked.Decrement(ref _remaining) == 0;

        public void Dispose() => owner.Unlink(this);
    }

    private sealed class Unlinker(BackpressureBlock<T> owner, ITargetBlock<T> target) : IDisposable
    {
        public void Dispose()
        {
            foreach (var link in Volatile.Read(ref owner._links))
            {
                if (link.Target == target)
                {
                    owner.Unlink(link);
                    return;
                }
            }
        }
    }
}
