using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Threading.Tasks.Dataflow;
using Reactive.Streams.Internal;

namespace Reactive.Streams;

/// <summary>
/// A TPL Dataflow propagator block on the library's bounded-buffer engine: it links with any Dataflow block, and its
/// input follows a backpressure policy, so <c>SendAsync</c> gets real backpressure and every policy behaves as it does
/// on <see cref="BoundedStream{T}"/>, <see cref="BackpressureChannel"/> and the Rx operators. Wherever the policy does
/// not call for a difference it behaves as <see cref="BufferBlock{T}"/> with <c>BoundedCapacity</c>.
/// </summary>
/// <remarks>
/// <para>Offers (<see cref="OfferMessage"/>, hence <c>Post</c>, <c>SendAsync</c> and linked sources) when the buffer is full:
/// <list type="bullet">
/// <item><description>PauseUpstream is <see cref="BufferBlock{T}"/>'s own behaviour: the message is postponed
/// (<c>SendAsync</c> keeps waiting; a linked source holds it) and postponed messages are consumed, oldest first, as room
/// appears; while any wait, later offers wait behind them. <c>Post</c> has no source to come back to, so it is declined
/// (<c>Post</c> returns false) and nothing is counted. A postponed offer whose message its source no longer has when the
/// block comes to take it (a cancelled <c>SendAsync</c>, a message a linked block evicted meanwhile) is counted here as a
/// rejected push, so a loss upstream can show in both blocks' counters (see docs/metrics.md, "Counts are per
/// component"). With a <c>PauseTimeout</c>, a postponed offer that times out is counted as rejected and its source's
/// next offer of it declined (a <c>SendAsync</c> completes with false); a zero <c>PauseTimeout</c> postpones nothing: an
/// offer from a source into a full block is declined at once and counted as a pause and a rejected push, as a push into
/// a full stream with a zero timeout fails at once. A linked block keeps a declined message and
/// offers it again only when its own oldest message changes (Dataflow's rule), so a chain can stall with that message
/// in the source even once this block has room. Where a chain must drain, give the block linked after it no
/// <c>PauseTimeout</c>.</description></item>
/// <item><description>Fail declines (<c>Post</c> returns false, <c>SendAsync</c> completes with false). A refusal of an
/// offer without a source (<c>Post</c>, and <c>SendAsync</c>'s first offer) counts one
/// <c>reactive_streams.stream.overflows</c> and is final: the offer is answered
/// <see cref="DataflowMessageStatus.DecliningPermanently"/> (for that message only; the block takes later offers as
/// usual), so <c>SendAsync</c> completes with false at once instead of offering the counted message again with a
/// source. An offer from a source is declined without counting, because the source keeps the message and
/// may offer it again (so a declined <c>SendAsync</c> counts one, and a linked source's held messages none). A linked
/// source offers a declined message again only when its own oldest message changes (Dataflow's rule, which
/// <see cref="BufferBlock{T}"/> and this block follow as sources), so a Fail block linked after another block can leave
/// the last declined message in its source after the source completes: where a chain must drain, link to a
/// PauseUpstream block instead.</description></item>
/// <item><description>DropOldest and DegradeQuality accept, evicting the oldest buffered message (DegradeQuality buffers
/// <c>degrader(message)</c>). A missing or throwing degrader faults the block with the rejection's exception (the message
/// is counted as rejected; conservation holds).</description></item>
/// </list>
/// An offer with <c>consumeToAccept</c> consumes the message from its source only when the buffer would take it now; if a
/// concurrent offer takes that room first, the consumed message is pushed like any other (under PauseUpstream it waits
/// in the buffer's queue of writers, without the pause timeout (it was accepted), and enters at the next read; under
/// Fail it is counted as an overflow).</para>
/// <para>Output: messages are offered to linked targets in link order, oldest first; when no link takes the oldest one,
/// offering stops until it changes (a read, an eviction, a new link, a released reservation). Offers carry
/// <c>consumeToAccept</c> (the block offers without holding its lock), so a target takes a message by consuming it; a
/// target written against <see cref="BufferBlock{T}"/>, which offers without it, may answer Accepted without consuming:
/// the block then takes the message for it (counted against its link's <c>MaxMessages</c>), so it gets each message
/// once, and a NotAvailable from a target that did not take the message is a decline, as on <see cref="BufferBlock{T}"/>. Disposing a link, as on
/// <see cref="BufferBlock{T}"/>, returns once an offer under way to its target has returned (unless the target disposes it
/// from inside that offer), and no offer reaches the target through it afterwards. <see cref="TryReceive"/>
/// and <see cref="TryReceiveAll"/> read directly. Every read counts as delivered. Under DropOldest and DegradeQuality a
/// message offered or reserved earlier may have been evicted by the time a target consumes it; <see cref="ConsumeMessage"/>
/// then reports <c>consumed = false</c> (and <see cref="ReleaseReservation"/> of such a reservation by its target does
/// nothing) and the block offers its new oldest message. A reservation therefore does not
/// hold a message against eviction, unlike <see cref="BufferBlock{T}"/>'s: a target that reserves before it consumes (a
/// <see cref="BatchBlock{T}"/> or <see cref="JoinBlock{T1, T2}"/> with <c>Greedy = false</c>) faults ("failed to consume
/// a message it had successfully reserved") when its reserved message is evicted. Link such targets to a PauseUpstream
/// or Fail block.</para>
/// <para>Completion: after <see cref="Complete"/> the block declines every offer permanently (counted as rejected, as a
/// push to a completed stream is), releases its postponed offers (a pending <c>SendAsync</c> completes with false), lets
/// its buffered messages be consumed, then completes; links made with <see cref="DataflowLinkOptions.PropagateCompletion"/>
/// are completed in turn. <see cref="Fault"/> does the same but completes the block at once in the faulted state and
/// drops the buffered messages (nothing more can be received; they are counted as rejected, so the depth is 0 and the
/// counters still add up), and the fault
/// propagates to such links. As on <see cref="BufferBlock{T}"/>, a message a target reserved before the fault is the
/// exception: it stays that target's to consume (or to release, which drops it), and the block completes faulted once
/// the reservation is over. A fault after <see cref="Complete"/> is ignored, as on <see cref="BufferBlock{T}"/>. A source
/// that throws while the block releases its postponed offer (or times it out) faults the block with that exception, after
/// the fault if there is one; the other postponed offers are still released, as on <see cref="BufferBlock{T}"/>.</para>
/// </remarks>
/// <typeparam name="T">The message type.</typeparam>
[DebuggerDisplay("{ToString(),nq}")]
public sealed class BackpressureBlock<T> : IPropagatorBlock<T, T>, IReceivableSourceBlock<T>, IMeteredStream
{
    private readonly LockedBuffer<T> _buffer;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Guards the Dataflow state the engine does not keep: postponed offers, the links, the one reservation, completion.
    // Taken before the engine's lock, never after it; no foreign code (a source, a target, a filter) runs under it.
    private readonly Lock _lock = new();
    private readonly List<KeyValuePair<ISourceBlock<T>, DataflowMessageHeader>> _postponed = [];
    private Link[] _links = [];

    // Targets whose MaxMessages link took its last message and which have no link since. The offering loop reads the
    // links without the lock, so it can still offer such a target a message (from a snapshot taken just before the
    // link went, when the link's last message was consumed on another thread while the loop was about to offer through
    // it); a consume or reservation from it is refused, as BufferBlock, which offers under its lock, never makes that
    // offer. Weak, so a target dropped by the user is not kept alive; set only once a link has a MaxMessages.
    private ConditionalWeakTable<ITargetBlock<T>, object>? _exhaustedTargets;
    private ITargetBlock<T>? _reservedBy;
    private long _reservedId;

    // The last reservation dropped because its message was evicted: its target may still release it (it cannot know).
    private ITargetBlock<T>? _evictedReservationBy;
    private long _evictedReservationId;
    private bool _consumingPostponed;
    private bool _completed;

    // Complete() was called (1): every later offer is declined permanently. The engine itself completes only once no
    // message taken from its source is still on its way in (_entering), so a message whose SendAsync returned true, or
    // whose source gave it up to us, is never lost to a completion that raced with its entry; BufferBlock likewise
    // keeps what it consumed before it completes.
    private int _completeRequested;
    private int _entering;
    private int _completeFinished;

    // Postponed offers plus those being consumed: while any wait, new offers wait behind them (read without the lock).
    private int _waiting;

    // The PauseUpstream timeout of each postponed offer (one per source, as the offers), and the sources whose offer timed
    // out: their re-offer, when the release makes them offer again, is declined once (a SendAsync then completes false).
    private readonly Dictionary<ISourceBlock<T>, PauseWait> _pauseTimers = [];
    private readonly HashSet<ISourceBlock<T>> _timedOut = [];
    private int _timedOutCount;

    // What sources threw when the block released their postponed offers: the block faults with them, after its own fault.
    private List<Exception>? _releaseErrors;

    // The offering loop runs while _offering is 1. _declined is the position of the oldest message when no link took it
    // (-1 otherwise): until that message changes, new messages behind it are not offered. _offerAgain counts requests to
    // offer it again all the same (a new link, a released reservation).
    private int _offering;
    private long _declined = -1;
    private int _offerAgain;

    // Each loop runs as at most one queued work item at a time, so one cached work item apiece is reused.
    private readonly IThreadPoolWorkItem _offerWork;
    private readonly IThreadPoolWorkItem _consumePostponedWork;

    /// <summary>Creates a block whose buffer follows <paramref name="options"/>.</summary>
    /// <param name="options">The policy, capacity, name, degrader and eviction callback. PauseUpstream postpones
    /// offers instead of waiting; the options' <c>PauseTimeout</c> (on their <c>TimeProvider</c>) bounds how long an offer
    /// stays postponed: then it is counted as rejected and declined (a <c>SendAsync</c> completes with false).</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    public BackpressureBlock(BoundedStreamOptions<T> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _buffer = new LockedBuffer<T>(options);
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

    /// <summary>How many messages can be received now: the buffered ones, none after a fault.</summary>
    public int Count => _buffer.CompletionError is null ? _buffer.Depth : 0;

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

        if (Volatile.Read(ref _completeRequested) != 0 && !_buffer.IsCompleted)
        {
            // Completing while the last consumed messages enter: declined as the completed engine would decline it.
            return DeclineWhileCompleting();
        }

        if (source is not null && Volatile.Read(ref _timedOutCount) > 0 && TakeTimedOut(source))
        {
            return DataflowMessageStatus.Declined;
        }

        if (Volatile.Read(ref _waiting) > 0 && TryWaitBehind(messageHeader, source, out var waiting))
        {
            return waiting;
        }

        if (consumeToAccept)
        {
            // The engine decides before the message leaves its source: a message the buffer would not take stays there.
            // A source keeps a message Fail declines (see the remarks), so an overflow here is not counted.
            var admitted = _buffer.Admit(countRejection: true, countOverflow: false);
            if (!admitted.IsAccepted)
            {
                return Refuse(admitted, messageHeader, source);
            }

            if (!StartEntering())
            {
                return DeclineWhileCompleting();
            }

            bool consumed;
            try
            {
                messageValue = source!.ConsumeMessage(messageHeader, this, out consumed)!;
            }
            catch
            {
                // The source threw: the caller hears of it (as from BufferBlock), and nothing is on its way in.
                EndEntering();
                throw;
            }

            if (!consumed)
            {
                EndEntering();
                return DataflowMessageStatus.NotAvailable;
            }

            Enter(messageValue);
            return DataflowMessageStatus.Accepted;
        }

        if (source is not null && _buffer.Admit(countRejection: false).Status == PushStatus.Overflow)
        {
            // Fail declines, and a source keeps a declined message and may offer it again (SendAsync offers once without
            // a source, then with one): only a refusal nobody comes back from (Post, an offer without a source) is counted.
            return DataflowMessageStatus.Declined;
        }

        // A source's message declined here stays with it (see above), even when a concurrent offer took the room the
        // look-ahead saw: only an offer without a source counts its overflow.
        var result = _buffer.TryPush(messageValue, countOverflow: source is null);
        if (result.IsAccepted)
        {
            OnPushed(result.Status);
            return DataflowMessageStatus.Accepted;
        }

        return Refuse(result, messageHeader, source);
    }

    /// <summary>What an offer the engine did not take becomes: each engine outcome maps to one Dataflow status.</summary>
    private DataflowMessageStatus Refuse(PushResult result, DataflowMessageHeader header, ISourceBlock<T>? source)
    {
        switch (result.Status)
        {
            case PushStatus.Full:
                // The policy waits: a source can be come back to; Post cannot.
                if (source is null)
                {
                    return DataflowMessageStatus.Declined;
                }

                if (_buffer.TryRejectTimedOut())
                {
                    // A zero PauseTimeout: the wait is over before it starts, so the offer is declined at once (a SendAsync
                    // completes with false), as a push times out at once, instead of waiting for a timer to fire.
                    return DataflowMessageStatus.Declined;
                }

                lock (_lock)
                {
                    // Completed since the engine's answer: the postponed offers were released, so this one is declined.
                    if (_completeRequested != 0 || _buffer.IsCompleted)
                    {
                        return DataflowMessageStatus.DecliningPermanently;
                    }

                    Postpone(source, header);
                }

                ConsumePostponedIfRoom();
                return DataflowMessageStatus.Postponed;

            case PushStatus.Overflow:
                // Fail: an offer without a source (Post, SendAsync's first offer) was counted as an overflow, so its
                // refusal is final. SendAsync comes back with a source after Declined, and a read between the two offers
                // would let the second one in (the item counted as an overflow and as delivered, SendAsync true), so it
                // hears DecliningPermanently, after which it completes false. A source keeps a declined message.
                return source is null ? DataflowMessageStatus.DecliningPermanently : DataflowMessageStatus.Declined;

            case PushStatus.Closed:
                return DataflowMessageStatus.DecliningPermanently;

            default:
                // Missing or throwing degrader: the engine counted the message as rejected; the block faults, as a
                // Dataflow block does when its user code throws.
                CompleteCore(_buffer.CreateException(result));
                return DataflowMessageStatus.DecliningPermanently;
        }
    }

    /// <summary>While earlier offers wait, a new one waits behind them, so postponed messages enter in order.</summary>
    private bool TryWaitBehind(DataflowMessageHeader header, ISourceBlock<T>? source, out DataflowMessageStatus status)
    {
        lock (_lock)
        {
            // A completed block declines through the engine's decision instead.
            if (_waiting == 0 || _completeRequested != 0 || _buffer.IsCompleted)
            {
                status = default;
                return false;
            }

            if (source is null)
            {
                status = DataflowMessageStatus.Declined;
                return true;
            }

            if (_buffer.TryRejectTimedOut())
            {
                // A zero PauseTimeout behind waiting offers: declined at once, as in Refuse.
                status = DataflowMessageStatus.Declined;
                return true;
            }

            Postpone(source, header);
        }

        ConsumePostponedIfRoom();
        status = DataflowMessageStatus.Postponed;
        return true;
    }

    private void Postpone(ISourceBlock<T> source, DataflowMessageHeader header)
    {
        Debug.Assert(_lock.IsHeldByCurrentThread, "The postponed offers are guarded by the block's lock.");

        // One postponed message per source, as Dataflow's own blocks keep: a source re-offering replaces its entry. The
        // same message offered again keeps its wait; another message (the earlier one went elsewhere) starts its own.
        for (var i = 0; i < _postponed.Count; i++)
        {
            if (_postponed[i].Key == source)
            {
                var replaced = _postponed[i].Value;
                _postponed[i] = new(source, header);
                if (replaced != header)
                {
                    TakePauseTimer(source)?.Dispose();
                    StartPauseTimer(source);
                }

                return;
            }
        }

        _postponed.Add(new(source, header));
        Interlocked.Increment(ref _waiting);
        _buffer.CountPauseUpstreamBlock();
        StartPauseTimer(source);
    }

    /// <summary>Under the block's lock: starts the PauseUpstream timeout of <paramref name="source"/>'s postponed offer.</summary>
    private void StartPauseTimer(ISourceBlock<T> source)
    {
        if (_buffer.PauseTimeout is { } timeout)
        {
            // The engine's PauseUpstream timeout, on its clock: a postponed offer waits no longer than a push would. The
            // callback is this wait's own: it may run after the wait ended (a callback already under way is not stopped
            // by Dispose) and the source's next offer was postponed, which has a wait of its own.
            var wait = new PauseWait(this, source);
            _pauseTimers[source] = wait;
            wait.Timer = _buffer.TimeProvider.CreateTimer(
                static state => ((PauseWait)state!).Block.OnPauseTimeout((PauseWait)state!),
                wait,
                timeout,
                Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>
    /// A postponed offer waited as long as the PauseUpstream timeout allows: it is dropped from the postponed offers,
    /// counted as a push that was rejected while it waited, and released, so its source offers it again and is declined
    /// (a <c>SendAsync</c> completes with false, as a timed-out push fails).
    /// </summary>
    private void OnPauseTimeout(PauseWait wait)
    {
        var source = wait.Source;
        DataflowMessageHeader header = default;
        lock (_lock)
        {
            if (!_pauseTimers.TryGetValue(source, out var current) || current != wait)
            {
                // This wait ended (consumed, released) before its callback got here; whoever ended it stopped its timer.
                // The source's offer postponed since, if any, has its own wait.
                return;
            }

            _pauseTimers.Remove(source);
            var index = _postponed.FindIndex(p => p.Key == source);
            if (index >= 0)
            {
                header = _postponed[index].Value;
                _postponed.RemoveAt(index);
                Interlocked.Decrement(ref _waiting);
                _timedOut.Add(source);
                _timedOutCount = _timedOut.Count;
            }
        }

        wait.Timer?.Dispose();
        if (!header.IsValid)
        {
            // Consumed or released meanwhile.
            return;
        }

        _buffer.CountRejectedPush();
        try
        {
            if (source.ReserveMessage(header, this))
            {
                source.ReleaseReservation(header, this);
            }
            else
            {
                // The source no longer holds the message (a cancelled SendAsync, a message another target took): it will
                // not offer it again, so its next offer, of another message that never waited, is not the one to decline.
                TakeTimedOut(source);
            }
        }
        catch (Exception error)
        {
            // A source that throws faults the block, as from ConsumeMessage; on a timer thread it would end the process.
            CompleteCore(error);
            return;
        }

        // The offer behind it may be first now.
        ConsumePostponedIfRoom();
    }

    /// <summary>Whether <paramref name="source"/>'s offer timed out (then its re-offer is declined, once).</summary>
    private bool TakeTimedOut(ISourceBlock<T> source)
    {
        lock (_lock)
        {
            if (!_timedOut.Remove(source))
            {
                return false;
            }

            _timedOutCount = _timedOut.Count;
            return true;
        }
    }

    /// <summary>Under the block's lock: stops the timeout of <paramref name="source"/>'s postponed offer, which is over.</summary>
    private ITimer? TakePauseTimer(ISourceBlock<T> source) =>
        _pauseTimers.Count > 0 && _pauseTimers.Remove(source, out var wait) ? wait.Timer : null;

    /// <summary>
    /// Pushes a message already taken from its source. The room the engine admitted it to may have been taken by a
    /// concurrent offer; under PauseUpstream it then waits in the engine's queue of writers (the one wait primitive)
    /// and enters, in order, at the next read. Any other outcome is the engine's, counted by it.
    /// </summary>
    private void Enter(T value)
    {
        var result = _buffer.TryPush(value);
        if (result.Status == PushStatus.Full)
        {
            _ = EnterWhenRoomAsync(value);
            return;
        }

        EndEntering();
        if (result.IsAccepted)
        {
            OnPushed(result.Status);
        }
        else if (result.Status is PushStatus.MissingDegrader or PushStatus.DegraderFailed)
        {
            CompleteCore(_buffer.CreateException(result));
        }
    }

    private async Task EnterWhenRoomAsync(T value)
    {
        try
        {
            // Accepted already (its source gave it up): it waits for room without the options' pause timeout.
            await _buffer.PushAcceptedAsync(value).ConfigureAwait(false);
        }
        catch (StreamClosedException)
        {
            // Faulted while waiting: the engine counted the message as rejected, as a fault drops what is buffered.
            EndEntering();
            return;
        }

        EndEntering();
        OnPushed(PushStatus.Enqueued);
    }

    /// <summary>An offer after <see cref="Complete"/>: counted as a push the engine rejected, as a completed engine counts it.</summary>
    private DataflowMessageStatus DeclineWhileCompleting()
    {
        _buffer.CountRejectedPush();
        return DataflowMessageStatus.DecliningPermanently;
    }

    /// <summary>
    /// Before a message is taken from its source: counts it as on its way in, so a concurrent <see cref="Complete"/>
    /// waits for it. False once completion was requested (the offer is then declined permanently).
    /// </summary>
    private bool StartEntering()
    {
        // Interlocked on both sides (here and in Complete): one of the two sees the other's write.
        Interlocked.Increment(ref _entering);
        if (Volatile.Read(ref _completeRequested) == 0)
        {
            return true;
        }

        EndEntering();
        return false;
    }

    /// <summary>A message is in the engine, or will never be: the last one completes a requested completion.</summary>
    private void EndEntering()
    {
        if (Interlocked.Decrement(ref _entering) == 0 && Volatile.Read(ref _completeRequested) != 0)
        {
            FinishComplete();
        }
    }

    /// <summary>
    /// Starts consuming postponed offers if there are some, the buffer would take one, and no pass runs. With
    /// <paramref name="inline"/> (a user's own read: <see cref="TryReceive"/>, <see cref="TryReceiveAll"/>) the pass runs on
    /// this thread, which holds no lock of anyone's, so the read returns with the room it made already filled and a
    /// withdrawn offer (a cancelled <c>SendAsync</c>) already counted; otherwise it runs on a work item of its own.
    /// </summary>
    private void ConsumePostponedIfRoom(bool inline = false)
    {
        // A running pass looks again when it ends (ConsumePostponed), so it needs no start.
        if (Volatile.Read(ref _waiting) == 0 || Volatile.Read(ref _consumingPostponed) || !_buffer.Admit(countRejection: false).IsAccepted)
        {
            return;
        }

        lock (_lock)
        {
            if (_consumingPostponed || _postponed.Count == 0)
            {
                return;
            }

            _consumingPostponed = true;
        }

        if (inline)
        {
            ConsumePostponed();
            return;
        }

        ThreadPool.UnsafeQueueUserWorkItem(_consumePostponedWork, preferLocal: false);
    }

    /// <summary>
    /// Consumes postponed offers, oldest first, while the engine would take them. Runs on a work item of its own, as
    /// Dataflow's blocks do: the reader that made room may be a target holding its own lock, and a consumed
    /// <c>SendAsync</c> resumes its producer, which must not run inside the offering loop.
    /// </summary>
    private void ConsumePostponed()
    {
        try
        {
            ConsumePostponedPass();
        }
        catch (Exception error)
        {
            // A source threw from ConsumeMessage: the block faults, as Dataflow's blocks do.
            CompleteCore(error);
            return;
        }

        // A read between the engine's answer and the end of the pass saw the pass running and did not start one.
        ConsumePostponedIfRoom();
    }

    private void ConsumePostponedPass()
    {
        while (true)
        {
            var admitted = _buffer.Admit(countRejection: false).IsAccepted;
            KeyValuePair<ISourceBlock<T>, DataflowMessageHeader> next;
            ITimer? timer;
            lock (_lock)
            {
                if (!admitted || _postponed.Count == 0)
                {
                    _consumingPostponed = false;
                    return;
                }

                // Still counted in _waiting until it is in, so new offers keep waiting behind it. Counted as entering
                // under the lock Complete takes to release the postponed offers, so a completion sees it and waits.
                next = _postponed[0];
                _postponed.RemoveAt(0);
                Interlocked.Increment(ref _entering);
                timer = TakePauseTimer(next.Key);
            }

            timer?.Dispose();

            try
            {
                T? value;
                bool consumed;
                try
                {
                    value = next.Key.ConsumeMessage(next.Value, this, out consumed);
                }
                catch
                {
                    EndEntering();
                    throw;
                }

                if (consumed)
                {
                    Enter(value!);
                }
                else
                {
                    // The source withdrew the message while it waited (a cancelled SendAsync): counted as a push that was
                    // rejected while it waited, as a cancelled PushAsync is.
                    EndEntering();
                    _buffer.CountRejectedPush();
                }
            }
            finally
            {
                Interlocked.Decrement(ref _waiting);
            }
        }
    }

    // ---- Completion ----------------------------------------------------------------------------------------------

    /// <summary>
    /// Stops accepting messages: every later offer is declined permanently and postponed offers are released (a pending
    /// <c>SendAsync</c> completes with false); the block completes once its buffered messages have been consumed.
    /// </summary>
    public void Complete()
    {
        lock (_lock)
        {
            if (Interlocked.Exchange(ref _completeRequested, 1) != 0)
            {
                return;
            }
        }

        if (!ReleasePostponed() && Volatile.Read(ref _entering) == 0)
        {
            FinishComplete();
        }
    }

    /// <summary>Completes the engine once the messages on their way in have entered (see <see cref="_entering"/>).</summary>
    private void FinishComplete()
    {
        if (Interlocked.Exchange(ref _completeFinished, 1) == 0)
        {
            CompleteCore(null);
        }
    }

    /// <summary>
    /// Completes the block at once in the faulted state with <paramref name="exception"/>: postponed offers are released,
    /// buffered messages are dropped, and links that propagate completion are faulted. A message a target has reserved
    /// stays that target's to consume or release, and the block completes once it does (as <see cref="BufferBlock{T}"/>).
    /// Ignored after <see cref="Complete"/>.
    /// </summary>
    /// <param name="exception">The fault.</param>
    /// <exception cref="ArgumentNullException"><paramref name="exception"/> is null.</exception>
    public void Fault(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        if (Volatile.Read(ref _completeRequested) != 0)
        {
            // After Complete (even while the last messages are still entering) a fault is ignored, as on BufferBlock.
            return;
        }

        CompleteCore(exception);
    }

    private void CompleteCore(Exception? fault)
    {
        if (fault is not null)
        {
            // A fault is at once: later offers are declined permanently as after Complete. The completion without an
            // error that the last message on its way in would finish (FinishComplete) is claimed first, so a message
            // that enters between these lines and the engine's completion below cannot complete it without the fault.
            Interlocked.Exchange(ref _completeFinished, 1);
            Interlocked.Exchange(ref _completeRequested, 1);
        }

        // The engine's completion is the block's: it declines every later offer, and its error (the fault) closes reads.
        if (_buffer.TryComplete(fault))
        {
            if (fault is not null)
            {
                // A fault drops what is buffered, as BufferBlock's does; the engine counts the dropped items as rejected.
                // A message a target reserved before the fault stays its own to consume (or to release, which drops it),
                // as on BufferBlock: a non-greedy target faults when it cannot consume what it reserved.
                lock (_lock)
                {
                    _buffer.DiscardBuffered(keepHead: IsHeldByOther(target: null));
                }
            }

            ReleasePostponed();
        }

        TryCompleteBlock();
    }

    /// <summary>
    /// Releases postponed offers the Dataflow way, by reserving and releasing each: a source re-offers a released
    /// message, and the completed block declines it permanently (a <c>SendAsync</c> then completes with false). A message
    /// its source withdrew meanwhile (a cancelled <c>SendAsync</c>) cannot be reserved, and is counted as rejected here.
    /// A source that throws is counted the same way, the others are still released, and the block faults with what the
    /// sources threw (after its own fault, if it has one), as <see cref="BufferBlock{T}"/> does. True when a source threw.
    /// </summary>
    private bool ReleasePostponed()
    {
        KeyValuePair<ISourceBlock<T>, DataflowMessageHeader>[] postponed;
        ITimer[] timers;
        lock (_lock)
        {
            postponed = [.. _postponed];
            _postponed.Clear();
            Interlocked.Add(ref _waiting, -postponed.Length);
            timers = [.. _pauseTimers.Values.Select(wait => wait.Timer!)];
            _pauseTimers.Clear();
        }

        foreach (var timer in timers)
        {
            timer.Dispose();
        }

        List<Exception>? errors = null;
        foreach (var (source, header) in postponed)
        {
            try
            {
                if (source.ReserveMessage(header, this))
                {
                    source.ReleaseReservation(header, this);
                    continue;
                }
            }
            catch (Exception error)
            {
                (errors ??= []).Add(error);
            }

            // The source withdrew the message while it waited (a cancelled SendAsync), or threw: counted as a push
            // rejected while it waited, as the consuming pass counts a withdrawn message and as a cancelled PushAsync is.
            _buffer.CountRejectedPush();
        }

        if (errors is null)
        {
            return false;
        }

        lock (_lock)
        {
            (_releaseErrors ??= []).AddRange(errors);
        }

        CompleteCore(errors[0]);
        return true;
    }

    /// <summary>Completes the block once writing is over and nothing is left to give (at once after a fault).</summary>
    private void TryCompleteBlock()
    {
        if (!_buffer.IsCompleted)
        {
            return;
        }

        var fault = _buffer.CompletionError;
        Link[] links;
        lock (_lock)
        {
            // Not while the offering loop runs: a target that consumed the last message inside our offer adds it to its
            // own buffer only when the offer returns, and completion propagated before that would make it drop it. Not
            // while a target holds a reservation either, faulted or not (the reserved message is its to consume).
            if (_completed || Volatile.Read(ref _offering) != 0 || IsHeldByOther(target: null) || (fault is null && _buffer.Depth > 0))
            {
                return;
            }

            _completed = true;
            links = _links;
            _links = [];

            // Under the lock that LinkTo looks at _completed under: a link made from now on propagates at once, from
            // Completion, which must already say how the block ended (a fault, not a completion). Its continuations run
            // asynchronously, so nothing foreign runs here.
            if (fault is null)
            {
                _completion.TrySetResult();
            }
            else if (_releaseErrors is null)
            {
                _completion.TrySetException(fault);
            }
            else
            {
                _completion.TrySetException(WithReleaseErrors(fault, _releaseErrors));
            }
        }

        foreach (var link in links)
        {
            if (link.PropagateCompletion)
            {
                PropagateCompletion(link.Target);
            }
        }
    }

    /// <summary>
    /// The block's fault, then what sources threw as their postponed offers were released. A method of its own: a lambda
    /// capturing <c>fault</c> in <see cref="TryCompleteBlock"/> made the compiler allocate its closure on every call, at
    /// the start of the method, that is once per message read (24 bytes a message in the Dataflow benchmark).
    /// </summary>
    private static List<Exception> WithReleaseErrors(Exception fault, List<Exception> releaseErrors)
    {
        var errors = new List<Exception>(releaseErrors.Count + 1) { fault };
        foreach (var error in releaseErrors)
        {
            if (error != fault)
            {
                errors.Add(error);
            }
        }

        return errors;
    }

    /// <summary>Completes or faults a linked target as Dataflow's blocks do: a fault travels as the completion's aggregate.</summary>
    private void PropagateCompletion(ITargetBlock<T> target)
    {
        if (Completion.Exception is { } error)
        {
            target.Fault(error);
        }
        else
        {
            target.Complete();
        }
    }

    // ---- Source side ---------------------------------------------------------------------------------------------

    /// <inheritdoc />
    public IDisposable LinkTo(ITargetBlock<T> target, DataflowLinkOptions linkOptions)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(linkOptions);
        var link = new Link(this, target, linkOptions.PropagateCompletion, linkOptions.MaxMessages);
        bool linked;
        lock (_lock)
        {
            linked = !_completed;
            if (linked)
            {
                _links = linkOptions.Append ? [.. _links, link] : [link, .. _links];
                if (linkOptions.MaxMessages != DataflowBlockOptions.Unbounded)
                {
                    _exhaustedTargets ??= new();
                }

                // Linked again: the target takes messages through its new link.
                _exhaustedTargets?.Remove(target);
            }
        }

        if (linked)
        {
            OfferAgain();
        }
        else if (link.PropagateCompletion)
        {
            // Already completed: a propagating link learns it at once; nothing will ever be offered.
            PropagateCompletion(target);
        }

        return link;
    }

    /// <summary>Removes <paramref name="link"/>: the offering loop, which may hold an older snapshot, skips it from now on.</summary>
    private void Unlink(Link link)
    {
        link.MarkRemoved();
        lock (_lock)
        {
            var index = Array.IndexOf(_links, link);
            if (index >= 0)
            {
                _links = [.. _links.AsSpan(0, index), .. _links.AsSpan(index + 1)];
            }
        }
    }

    /// <summary>A push went in: an eviction changed the oldest message; an enqueue behind a declined one changes nothing.</summary>
    private void OnPushed(PushStatus status)
    {
        if (status != PushStatus.Enqueued || Volatile.Read(ref _declined) < 0)
        {
            StartOffering();
        }
    }

    /// <summary>After a read: the oldest message changed, room appeared for postponed offers, a completing block may be empty.</summary>
    private void OnRead(bool direct = false)
    {
        StartOffering();

        // No fence needed: the postponing side adds to _waiting before it asks the engine for room under the engine's
        // lock, so either it sees the room this read made, or this read took the lock after it and sees _waiting.
        ConsumePostponedIfRoom(inline: direct);
        TryCompleteBlock();
    }

    /// <summary>A link was added or a reservation released: the oldest message is worth offering again, even if declined.</summary>
    private void OfferAgain()
    {
        // A full fence, paired with the loop's second look after stopping (HasNewOldest): one of the two sees the other.
        Interlocked.Increment(ref _offerAgain);
        StartOffering();
    }

    /// <summary>
    /// Starts the offering loop if it is idle. A running loop is left alone (a read costs it nothing): after it stops it
    /// looks once more (<see cref="HasNewOldest"/>), and a push or read it could miss took the engine's lock after that
    /// look's lock, so it saw the loop stopped and started it.
    /// </summary>
    private void StartOffering()
    {
        if (Volatile.Read(ref _offering) == 0 && Volatile.Read(ref _links).Length > 0 && Interlocked.CompareExchange(ref _offering, 1, 0) == 0)
        {
            ThreadPool.UnsafeQueueUserWorkItem(_offerWork, preferLocal: false);
        }
    }

    /// <summary>
    /// Offers the oldest message to the links until none takes it, the buffer is empty, the block has no link, or a
    /// target holds a reservation; then stops, unless something changed while it was stopping.
    /// </summary>
    private void OfferLoop()
    {
        try
        {
            int requests;
            do
            {
                do
                {
                    requests = Volatile.Read(ref _offerAgain);
                }
                while (OfferOldest(requests));

                Interlocked.Exchange(ref _offering, 0);
            }
            while (HasNewOldest(requests) && Interlocked.CompareExchange(ref _offering, 1, 0) == 0);
        }
        catch (Exception error)
        {
            // A target threw from OfferMessage: the block faults, as Dataflow's blocks do.
            Volatile.Write(ref _offering, 0);
            CompleteCore(error);
        }

        // The block never completes while the loop runs (see TryCompleteBlock), so the loop looks when it stops.
        TryCompleteBlock();
    }

    /// <summary>
    /// Whether, since the loop stopped, there is something to offer: an oldest message no link has declined, or one to
    /// offer again (<see cref="OfferAgain"/> requests made after <paramref name="requests"/>), to a link, unreserved.
    /// </summary>
    /// <remarks>
    /// An empty buffer forgets the declined message. It is gone, but it may have gone while the loop was still offering
    /// it (a target that postponed it consumed it at once), so the read that took it found the loop running and did
    /// not start it, and the loop recorded the decline afterwards. Kept, that stale decline would stop every later push
    /// from starting the loop (<see cref="OnPushed"/>), and the block would hold its messages until the next read: two
    /// blocks in a chain stalled that way. The decline is forgotten with a full fence before the buffer is looked at
    /// again, and pushes enqueue under the engine's lock before they look at the decline: either this look sees the
    /// push's message, or the push sees no decline and starts the loop.
    /// </remarks>
    private bool HasNewOldest(int requests)
    {
        if (Volatile.Read(ref _links).Length == 0 || IsReserved() || _buffer.CompletionError is not null)
        {
            return false;
        }

        if (_buffer.TryPeekHead(out _, out var position))
        {
            return position != Volatile.Read(ref _declined) || Volatile.Read(ref _offerAgain) != requests;
        }

        if (Volatile.Read(ref _declined) < 0)
        {
            return false;
        }

        Interlocked.Exchange(ref _declined, -1);
        return _buffer.TryPeekHead(out _, out _);
    }

    /// <summary>
    /// Offers the oldest message to the links in order, with <c>consumeToAccept</c>, so a target that accepts takes it
    /// through <see cref="ConsumeMessage"/>, which reads it only if it is still the oldest (it may have been evicted or
    /// received meanwhile). True when the oldest message changed and the loop should offer the next one.
    /// </summary>
    private bool OfferOldest(int requests)
    {
        var links = Volatile.Read(ref _links);
        if (links.Length == 0 || IsReserved() || _buffer.CompletionError is not null)
        {
            return false;
        }

        var found = _buffer.TryPeekHead(out var item, out var position);
        if (Volatile.Read(ref _declined) >= 0 && (!found || position != _declined))
        {
            // The declined message is gone (read or evicted): a push must start offering again.
            Volatile.Write(ref _declined, -1);
        }

        if (!found)
        {
            return false;
        }

        var header = new DataflowMessageHeader(position + 1);
        foreach (var link in links)
        {
            if (!link.BeginOffer())
            {
                // Unlinked since the snapshot was read: its target hears of nothing more (see Link.Dispose).
                continue;
            }

            DataflowMessageStatus status;
            try
            {
                status = link.Target.OfferMessage(header, item!, this, consumeToAccept: true);
            }
            finally
            {
                link.EndOffer();
            }

            switch (status)
            {
                case DataflowMessageStatus.Accepted:
                    if (IsOldest(position))
                    {
                        // The target accepted without consuming: it ignored consumeToAccept, as a target can that was
                        // written against BufferBlock, which offers without it under its lock and dequeues what a target
                        // accepts. The message is the target's, taken for it as its own consume would (its link's
                        // MaxMessages counts it), instead of being offered to it again and again.
                        Consume(header, link.Target, link, out _);
                    }

                    return true;

                case DataflowMessageStatus.NotAvailable when !IsOldest(position):
                    // The target tried to consume a message that was gone (read or evicted meanwhile): offer the new one.
                    return true;

                case DataflowMessageStatus.DecliningPermanently:
                    Unlink(link);
                    break;

                default:
                    if (IsReserved())
                    {
                        // The target reserved it: it comes back to consume or release it.
                        return false;
                    }

                    break;
            }
        }

        if (Volatile.Read(ref _offerAgain) != requests)
        {
            // A link was added or a reservation released during the round: offer the message again.
            return true;
        }

        // Until the oldest message changes, a push (which enqueues behind it) does not restart offering.
        Volatile.Write(ref _declined, position);
        return false;
    }

    /// <summary>Whether the oldest message is still the one at <paramref name="position"/> (nobody took it).</summary>
    private bool IsOldest(long position) => _buffer.TryPeekHead(out _, out var head) && head == position;

    private bool IsReserved()
    {
        if (Volatile.Read(ref _reservedBy) is null)
        {
            return false;
        }

        lock (_lock)
        {
            return IsHeldByOther(target: null);
        }
    }

    /// <summary>
    /// Whether the oldest message is reserved for a target other than <paramref name="target"/>. A reservation whose
    /// message was evicted (DropOldest, DegradeQuality) no longer holds anything and is dropped.
    /// </summary>
    private bool IsHeldByOther(ITargetBlock<T>? target)
    {
        Debug.Assert(_lock.IsHeldByCurrentThread, "The reservation is guarded by the block's lock.");
        if (_reservedBy is null || _reservedBy == target)
        {
            return false;
        }

        if (_buffer.TryPeekHead(out _, out var position) && position + 1 == _reservedId)
        {
            return true;
        }

        _evictedReservationBy = _reservedBy;
        _evictedReservationId = _reservedId;
        _reservedBy = null;
        return false;
    }

    /// <inheritdoc />
    public T? ConsumeMessage(DataflowMessageHeader messageHeader, ITargetBlock<T> target, out bool messageConsumed) =>
        Consume(messageHeader, target, via: null, out messageConsumed);

    /// <summary>
    /// <see cref="ConsumeMessage"/>, for a message offered through <paramref name="via"/> when the block knows the link (a
    /// target that accepted without consuming); otherwise the link offering to the target on this thread, if any, counts it.
    /// </summary>
    private T? Consume(DataflowMessageHeader messageHeader, ITargetBlock<T> target, Link? via, out bool messageConsumed)
    {
        Validate(messageHeader, target);
        T value = default!;
        lock (_lock)
        {
            // Ids are positions + 1; an id below 1 names no message (and a negative position would read any). After a
            // fault only the message a target reserved before it is left, for that target.
            Link? counted = null;
            messageConsumed = messageHeader.Id > 0 && !IsExhausted(target, via, out counted) &&
                (_buffer.CompletionError is null ? !IsHeldByOther(target) : _reservedBy == target && _reservedId == messageHeader.Id) &&
                _buffer.TryReadMany(new Span<T>(ref value), messageHeader.Id - 1) == 1;
            if (messageConsumed && counted is not null)
            {
                CountOne(counted);
            }

            if (_reservedBy == target && (messageConsumed || _reservedId == messageHeader.Id))
            {
                // Consumed, or its message was evicted: either way the reservation is over.
                _reservedBy = null;
            }

            if (_evictedReservationBy == target && _evictedReservationId == messageHeader.Id)
            {
                // The target came back for the evicted message it had reserved: it now knows it is gone.
                _evictedReservationBy = null;
            }
        }

        if (!messageConsumed)
        {
            // The target held a stale message (evicted or read by someone else): it must hear of the new oldest one.
            StartOffering();
            return default;
        }

        OnRead();
        return value;
    }

    /// <inheritdoc />
    public bool ReserveMessage(DataflowMessageHeader messageHeader, ITargetBlock<T> target)
    {
        Validate(messageHeader, target);
        lock (_lock)
        {
            if (_reservedBy is not null || _buffer.CompletionError is not null || IsExhausted(target, via: null, out _) ||
                !_buffer.TryPeekHead(out _, out var position) || position + 1 != messageHeader.Id)
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
        Validate(messageHeader, target);
        lock (_lock)
        {
            if (_reservedBy != target || _reservedId != messageHeader.Id)
            {
                if (_evictedReservationBy == target && _evictedReservationId == messageHeader.Id)
                {
                    // Its message was evicted, which ended the reservation: nothing is left to release.
                    _evictedReservationBy = null;
                    return;
                }

                throw new InvalidOperationException($"Block '{Name}' holds no reservation of message {messageHeader.Id} for this target.");
            }

            _reservedBy = null;
            if (_buffer.CompletionError is not null)
            {
                // Faulted: the message kept for the reservation is dropped now, as the fault dropped the others.
                _buffer.DiscardBuffered(keepHead: false);
            }
        }

        OfferAgain();
        TryCompleteBlock();
    }

    /// <inheritdoc />
    public bool TryReceive(Predicate<T>? filter, [MaybeNullWhen(false)] out T item)
    {
        // The filter is foreign code: it runs on a peeked message outside the lock, and the read then takes that message
        // only if it is still the oldest. A message a target reserved is nobody else's to look at: as on BufferBlock, the
        // read is refused without running the filter (which could otherwise throw, or count, on a message it cannot take).
        var position = -1L;
        if (filter is not null && (IsReserved() || !(_buffer.TryPeekHead(out var head, out position) && filter(head))))
        {
            item = default;
            return false;
        }

        T value = default!;
        bool received;
        lock (_lock)
        {
            received = _buffer.CompletionError is null && !IsHeldByOther(target: null) &&
                _buffer.TryReadMany(new Span<T>(ref value), position) == 1;
        }

        if (!received)
        {
            item = default;
            return false;
        }

        item = value;
        OnRead(direct: true);
        return true;
    }

    /// <inheritdoc />
    public bool TryReceiveAll([NotNullWhen(true)] out IList<T>? items)
    {
        items = null;
        if (_buffer.Depth == 0)
        {
            return false;
        }

        var all = new List<T>();
        lock (_lock)
        {
            if (_buffer.CompletionError is null && !IsHeldByOther(target: null))
            {
                // Each batch lets as many waiting writers in; those are taken too, as BufferBlock takes all it holds.
                while (_buffer.TryReadBatch(all, Math.Min(Capacity, 64)) > 0)
                {
                }
            }
        }

        if (all.Count == 0)
        {
            return false;
        }

        items = all;
        OnRead(direct: true);
        return true;
    }

    private static void Validate(DataflowMessageHeader messageHeader, ITargetBlock<T> target)
    {
        if (!messageHeader.IsValid)
        {
            throw new ArgumentException("The message header is invalid.", nameof(messageHeader));
        }

        ArgumentNullException.ThrowIfNull(target);
    }

    /// <summary>
    /// Whether <paramref name="target"/> may take no more messages: its MaxMessages link took its last one and it has no
    /// link since. Otherwise <paramref name="counted"/> is the link the message it takes counts against (null when that
    /// link has no MaxMessages): the link the message was offered through (<paramref name="via"/>, or the one offering to
    /// the target on this thread), as <see cref="BufferBlock{T}"/> registers a target linked again as a link of its own
    /// and counts a message against the link it went through; else its first link with a MaxMessages.
    /// </summary>
    private bool IsExhausted(ITargetBlock<T> target, Link? via, out Link? counted)
    {
        Debug.Assert(_lock.IsHeldByCurrentThread, "The links' counts are guarded by the block's lock.");
        counted = null;
        if (_exhaustedTargets is null)
        {
            // No link ever had a MaxMessages: nothing to count.
            return false;
        }

        var linked = false;
        foreach (var link in _links)
        {
            if (link.Target != target)
            {
                continue;
            }

            linked = true;
            if (link == via || (via is null && link.IsOfferingOnThisThread))
            {
                // Taken through this link: an unbounded one counts nothing, even when the target has a MaxMessages link too.
                counted = link.MaxMessages != DataflowBlockOptions.Unbounded ? link : null;
                return false;
            }

            if (counted is null && link.MaxMessages != DataflowBlockOptions.Unbounded)
            {
                counted = link;
            }
        }

        return !linked && _exhaustedTargets.TryGetValue(target, out _);
    }

    /// <summary>Counts a message taken through <paramref name="link"/>; its last one removes it.</summary>
    private void CountOne(Link link)
    {
        Debug.Assert(_lock.IsHeldByCurrentThread, "The links' counts are guarded by the block's lock.");
        if (--link.Remaining == 0)
        {
            Unlink(link);
            // A loop, not a lambda: a lambda capturing the parameter allocates its closure on every call, at entry.
            var linkedElsewhere = false;
            foreach (var other in _links)
            {
                linkedElsewhere |= other.Target == link.Target;
            }

            if (!linkedElsewhere)
            {
                _exhaustedTargets!.AddOrUpdate(link.Target, link);
            }
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name} ({Policy}, {Count}/{Capacity})";

    /// <summary>One postponed offer's PauseUpstream timeout: its timer is set under the block's lock, before its callback can look.</summary>
    private sealed class PauseWait(BackpressureBlock<T> block, ISourceBlock<T> source)
    {
        public BackpressureBlock<T> Block { get; } = block;

        public ISourceBlock<T> Source { get; } = source;

        public ITimer? Timer { get; set; }
    }

    private sealed class WorkItem(BackpressureBlock<T> block, Action<BackpressureBlock<T>> work) : IThreadPoolWorkItem
    {
        public void Execute() => work(block);
    }

    /// <summary>
    /// One link: its target, whether it propagates completion, how many messages it may still take, and whether an offer
    /// to its target is under way, so that disposing it is a barrier, as on <see cref="BufferBlock{T}"/>.
    /// </summary>
    private sealed class Link(BackpressureBlock<T> owner, ITargetBlock<T> target, bool propagateCompletion, int maxMessages) : IDisposable
    {
        // The managed thread id of the offering loop while it offers to this link's target, 0 otherwise; and whether the
        // link was removed. Each side writes its own with a full fence before it reads the other's, so either the loop
        // sees the removal and does not offer, or the removal sees the offer and (in Dispose) waits for it to return.
        private int _offeringThread;
        private int _removed;

        public ITargetBlock<T> Target { get; } = target;

        public bool PropagateCompletion { get; } = propagateCompletion;

        public int MaxMessages { get; } = maxMessages;

        /// <summary>How many messages the link may still take (with a MaxMessages; read and written under the block's lock).</summary>
        public int Remaining { get; set; } = maxMessages;

        /// <summary>
        /// Removes the link and returns once an offer under way to its target has returned, so that no message reaches the
        /// target through this link afterwards: <see cref="BufferBlock{T}"/> offers under the lock its unlinking takes.
        /// From inside that offer (the target disposing its own link) it does not wait.
        /// </summary>
        public void Dispose()
        {
            owner.Unlink(this);
            var offering = Volatile.Read(ref _offeringThread);
            if (offering == 0 || offering == Environment.CurrentManagedThreadId)
            {
                return;
            }

            // Rare (a disposal racing an offer to this very target) and as short as the target's OfferMessage.
            var spinner = default(SpinWait);
            while (Volatile.Read(ref _offeringThread) != 0)
            {
                spinner.SpinOnce();
            }
        }

        /// <summary>Marks the link removed: an offer not yet begun will not be made.</summary>
        public void MarkRemoved() => Interlocked.Exchange(ref _removed, 1);

        /// <summary>Announces an offer to the target; false (nothing announced) if the link was removed.</summary>
        public bool BeginOffer()
        {
            Interlocked.Exchange(ref _offeringThread, Environment.CurrentManagedThreadId);
            if (Volatile.Read(ref _removed) == 0)
            {
                return true;
            }

            Volatile.Write(ref _offeringThread, 0);
            return false;
        }

        /// <summary>The offer to the target returned (or threw).</summary>
        public void EndOffer() => Volatile.Write(ref _offeringThread, 0);

        /// <summary>Whether this thread is offering a message to the target through this link (the target consumes inside it).</summary>
        public bool IsOfferingOnThisThread => Volatile.Read(ref _offeringThread) == Environment.CurrentManagedThreadId;
    }
}
