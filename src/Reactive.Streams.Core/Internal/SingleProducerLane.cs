using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Reactive.Streams.Internal;

/// <summary>
/// The engine's lock-free mode for a buffer with exactly one producer and one consumer at a time: an Rx policy operator
/// or <c>SubscribeAsync</c> (the Rx grammar serializes the source's <c>OnNext</c> calls, and one drain reads), or a
/// stream or channel whose options promise a single writer and a single reader. It makes the same
/// decisions as the locked mode (<see cref="SingleLaneBuffer{T}"/> and <see cref="SharedLaneBuffer{T}"/> own it and delegate to it) and keeps the
/// same counters, but a push costs no lock: the producer publishes an item with one atomic exchange, and the consumer
/// takes a batch with one compare-and-swap.
/// </summary>
/// <remarks>
/// <para>
/// Hand-written because nothing in the runtime fits: <c>ConcurrentQueue</c> is unbounded and cannot evict its oldest item
/// for the producer, and <c>BoundedChannel</c> takes a lock on every operation, which is what this mode avoids. With a
/// lock, a consumer preempted while it holds it stalls a producer that BenchmarkDotNet runs at a higher priority, and
/// the operator's time became bimodal (docs/benchmarks.md).
/// </para>
/// <para>
/// The ring is Vyukov's bounded queue reduced to one producer: positions only grow; a slot is claimed by advancing the
/// head with a compare-and-swap (the consumer claims a batch, the producer claims the oldest item to evict it under
/// DropOldest and DegradeQuality), read and cleared by its claimant, and released through its sequence number, which the
/// producer waits for before it writes the slot again. The producer owns the tail and its counters; the consumer owns the
/// delivered count. Each side's fields sit on a cache line of their own.
/// </para>
/// <para>
/// Counters are exact whenever both sides are quiescent (<c>pushed = delivered + evicted + failed + depth</c>); a snapshot
/// taken while items move may be torn by the items in flight, like the locked mode's racy Meter reads.
/// </para>
/// </remarks>
internal sealed class SingleProducerLane<T>
{
    /// <summary>The largest capacity that gets a lane; its ring is allocated whole, where the locked ring grows on demand.</summary>
    internal const int MaxCapacity = 1 << 16;

    // How long (in Thread.SpinWait(1) calls, a few microseconds in all) an evicting producer lets a batch claim land.
    private const int MaxYieldSpins = 128;

    private readonly Slot[] _slots;
    private readonly int _mask;
    private readonly int _capacity;
    private readonly bool _sharedConsumers;
    private LaneCursors _cursors;
    private ReadSignal? _signal;

    /// <param name="capacity">The most items buffered.</param>
    /// <param name="sharedConsumers">
    /// Whether several consumers may read at once (the engine's shared mode, <see cref="BufferMode.SharedLane"/>): claims
    /// are compare-and-swaps on the head either way, so only the delivered count needs an atomic add.
    /// </param>
    public SingleProducerLane(int capacity, bool sharedConsumers = false)
    {
        _capacity = capacity;
        _sharedConsumers = sharedConsumers;
        var size = (int)BitOperations.RoundUpToPowerOf2((uint)capacity);
        _slots = new Slot[size];
        for (var i = 0; i < size; i++)
        {
            _slots[i].Sequence = i;
        }

        _mask = size - 1;
    }

    // ---- Producer side ----------------------------------------------------------------------------------------

    /// <summary>Whether the buffer has room for one more item; refreshes the producer's cached head only when it looks full.</summary>
    // The push path (HasRoom, Enqueue, EnqueueLocked, the decision and PushResult.Enqueued) is inlined whatever the
    // profile says. With tiered PGO, a process that collected its profile while the buffer was full (an Rx operator's
    // consumer thread not yet running, so every push evicted) compiled the enqueue path as cold and left these as calls,
    // and the operator ran about 1.6 times as long in that process as in the next (docs/benchmarks.md).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool HasRoom()
    {
        ref var c = ref _cursors;
        if (c.Tail - c.HeadCache < _capacity)
        {
            return true;
        }

        c.HeadCache = Volatile.Read(ref c.Head);
        return c.Tail - c.HeadCache < _capacity;
    }

    /// <summary>Writes <paramref name="item"/> at the tail and publishes it; the caller has seen <see cref="HasRoom"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Enqueue(T item)
    {
        ref var c = ref _cursors;
        var tail = c.Tail;
        WriteSlot(tail, item);

        // Publishing with a full fence (an exchange) keeps the read of the signal below from passing the store. The
        // consumer arms its signal with a full fence too, then looks at the tail again (ArmReadSignal): either it sees
        // this item, or this read sees its signal. The alternative, no fence here and a process-wide fence when the
        // consumer parks, cost a trickling stream about 13 µs of CPU per park (the fence interrupts every core running
        // the process) and 15% more time; with the consumer reading the tail only when its cached copy runs out
        // (TryReadMany), this exchange rarely waits for the line and streams as fast.
        Interlocked.Exchange(ref c.Tail, tail + 1);
        Volatile.Write(ref c.Pushed, c.Pushed + 1);
        EndEviction(ref c);

        if (Volatile.Read(ref _signal) is not null && Interlocked.Exchange(ref _signal, null) is { } signal)
        {
            signal.OnReadable();
        }
    }

    /// <summary>
    /// <see cref="Enqueue"/> for a producer that holds the engine's lock (<see cref="BufferMode.SharedLane"/>): readers
    /// park under that lock, so the lock's release publishes the item to them, and there is no read signal to check.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void EnqueueLocked(T item)
    {
        ref var c = ref _cursors;
        var tail = c.Tail;
        WriteSlot(tail, item);
        Volatile.Write(ref c.Tail, tail + 1);
        Volatile.Write(ref c.Pushed, c.Pushed + 1);
        EndEviction(ref c);
    }

    /// <summary>
    /// After the enqueue that follows an eviction (<see cref="TryEvictOldest"/>): the replacement is published, so the
    /// eviction is over (<see cref="LaneCursors.EvictionSeq"/> even again). A read of the producer's own field otherwise.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void EndEviction(ref LaneCursors c)
    {
        if ((c.EvictionSeq & 1) != 0)
        {
            // After the tail's store: a consumer that sees the eviction over sees the replacement too.
            Volatile.Write(ref c.EvictionSeq, c.EvictionSeq + 1);
        }
    }

    private void WriteSlot(long tail, T item)
    {
        ref var slot = ref _slots[(int)tail & _mask];
        if (Volatile.Read(ref slot.Sequence) != tail)
        {
            // The slot's previous item was claimed (the room is real) but its claimant is still copying it out.
            WaitForRelease(ref slot, tail);
        }

        slot.Item = item;
    }

    private static void WaitForRelease(ref Slot slot, long position)
    {
        var spinner = default(SpinWait);
        while (Volatile.Read(ref slot.Sequence) != position)
        {
            spinner.SpinOnce();
        }
    }

    /// <summary>
    /// Claims the oldest item to evict it. Returns false if the buffer is no longer full (the consumer took items):
    /// the caller then enqueues without evicting. Returns true with the eviction begun: the caller enqueues the
    /// replacement next (<see cref="Enqueue"/> or <see cref="EnqueueLocked"/>), which ends it. Between the two the buffer
    /// holds one item less than it will (none at capacity 1): a consumer that found it so asks
    /// <see cref="IsEmptyBetweenEvictions"/> before it reports an empty buffer.
    /// </summary>
    public bool TryEvictOldest(out T evicted)
    {
        ref var c = ref _cursors;

        // Odd while an eviction is half done. The claim's compare-and-swap below is a full fence: a consumer that sees
        // the head it moves sees the eviction begun.
        Volatile.Write(ref c.EvictionSeq, c.EvictionSeq + 1);

        // Let a batch claim in progress land first. A producer that evicts on every push (a full buffer, a faster
        // producer) moves the head every few nanoseconds, and the consumer's compare-and-swap, which needs the head's
        // cache line back, would fail again and again: the consumer starved while the producer evicted nearly
        // everything. A bounded wait keeps a preempted consumer from stalling the producer.
        for (var spins = 0; Volatile.Read(ref c.ConsumerClaiming) != 0 && spins < MaxYieldSpins; spins++)
        {
            Thread.SpinWait(1);
        }

        while (true)
        {
            var head = Volatile.Read(ref c.Head);
            c.HeadCache = head;
            if (c.Tail - head < _capacity)
            {
                Volatile.Write(ref c.EvictionSeq, c.EvictionSeq + 1);
                evicted = default!;
                return false;
            }

            if (Interlocked.CompareExchange(ref c.Head, head + 1, head) == head)
            {
                AssertClaimed(head, head + 1);
                evicted = Release(head);
                return true;
            }
        }
    }

    /// <summary>
    /// Checks, in DEBUG builds, what a claim of the positions from <paramref name="from"/> up to <paramref name="to"/> must
    /// satisfy, and what it leaves behind whoever runs beside it (<see cref="AssertBounded"/>). Every lock-free claim of
    /// the lane modes (a read's, an eviction's) ends here.
    /// </summary>
    [System.Diagnostics.Conditional("DEBUG")]
    private void AssertClaimed(long from, long to)
    {
        System.Diagnostics.Debug.Assert(from <= to && to - from <= _capacity, "A claim takes at most a whole buffer.");
        System.Diagnostics.Debug.Assert(to <= Volatile.Read(ref _cursors.Tail), "Only published items are claimed.");
        System.Diagnostics.Debug.Assert(Volatile.Read(ref _cursors.Head) >= to, "The head has moved past every claimed position.");
        AssertBounded();
    }

    /// <summary>
    /// Checks, in DEBUG builds, what holds at any moment whoever runs beside the caller: the buffer never holds more than
    /// its capacity, and nothing leaves that was not pushed. Each is read in the order that makes it exact under
    /// concurrency: the tail before the head (the producer writes only below the head it saw plus the capacity, and the
    /// head only grows), the counts of what left before the pushed count (every count only grows), with one item of slack
    /// for the item a producer has published but not yet counted.
    /// </summary>
    [System.Diagnostics.Conditional("DEBUG")]
    public void AssertBounded()
    {
        ref var c = ref _cursors;
        var tail = Volatile.Read(ref c.Tail);
        System.Diagnostics.Debug.Assert(tail - Volatile.Read(ref c.Head) <= _capacity, "The buffer never holds more than its capacity.");
        var left = Volatile.Read(ref c.Delivered) + Volatile.Read(ref c.DropOldestHits) + Volatile.Read(ref c.DegradeHits) +
            Volatile.Read(ref c.FailOverflows) + Volatile.Read(ref c.Rejected);
        System.Diagnostics.Debug.Assert(left <= Volatile.Read(ref c.Pushed) + 1, "Nothing leaves that was not pushed.");
    }

    public void CountEvicted(bool degraded)
    {
        ref var c = ref _cursors;
        if (degraded)
        {
            Volatile.Write(ref c.DegradeHits, c.DegradeHits + 1);
        }
        else
        {
            Volatile.Write(ref c.DropOldestHits, c.DropOldestHits + 1);
        }
    }

    public void CountRejected(bool overflow)
    {
        ref var c = ref _cursors;
        Volatile.Write(ref c.Pushed, c.Pushed + 1);
        if (overflow)
        {
            Volatile.Write(ref c.FailOverflows, c.FailOverflows + 1);
        }
        else
        {
            Volatile.Write(ref c.Rejected, c.Rejected + 1);
        }
    }

    /// <summary>Counts a push that the decision (<see cref="PushDecision"/>) rejected; the producer's call.</summary>
    public void CountRejection(PushAction rejection)
    {
        if (rejection == PushAction.RejectTimedOut)
        {
            CountPauseBlock();
        }

        CountRejected(overflow: rejection == PushAction.RejectOverflow);
    }

    /// <summary>
    /// Counts an item the producer handed straight to a waiting consumer without publishing it (the shared mode's parked
    /// ReadAsync): pushed, then delivered. Only with shared consumers, whose delivered count is an atomic add, so the
    /// producer's add cannot lose a consumer's.
    /// </summary>
    public void CountHandedOver()
    {
        System.Diagnostics.Debug.Assert(_sharedConsumers, "Only the shared mode hands items over, and only its delivered count is atomic.");
        ref var c = ref _cursors;
        Volatile.Write(ref c.Pushed, c.Pushed + 1);
        Interlocked.Increment(ref c.Delivered);
    }

    public void CountPauseBlock() => Volatile.Write(ref _cursors.PauseBlocks, _cursors.PauseBlocks + 1);

    // ---- Consumer side ----------------------------------------------------------------------------------------

    /// <summary>Takes up to <c>destination.Length</c> of the oldest items; returns how many.</summary>
    public int TryReadMany(Span<T> destination)
    {
        ref var c = ref _cursors;
        var head = Volatile.Read(ref c.Head);

        // The tail as last seen (TailCache) is enough while it is ahead: looking at the real tail on every read would pull
        // its cache line away from the producer, which writes it on every push, and stall its publishing exchange.
        var tail = c.TailCache;
        if (tail <= head)
        {
            tail = c.TailCache = Volatile.Read(ref c.Tail);
            if (tail == head)
            {
                return 0;
            }
        }

        // Tells an evicting producer to hold off until the claim lands (TryEvictOldest).
        Volatile.Write(ref c.ConsumerClaiming, 1);
        int count;
        while (true)
        {
            count = (int)Math.Min(tail - head, destination.Length);
            var seen = Interlocked.CompareExchange(ref c.Head, head + count, head);
            if (seen == head)
            {
                break;
            }

            // The producer evicted the oldest item meanwhile (or, with shared consumers, another consumer claimed
            // items): claim again from the new head. Nothing claims past a tail it has seen, so the new head is still at
            // or before the real tail; when it reached the tail this claim saw (which may be an old one, from the cache),
            // the real tail is looked at again, or the claim would come back empty from a buffer that holds items.
            head = seen;
            if (tail <= head)
            {
                tail = c.TailCache = Volatile.Read(ref c.Tail);
            }
        }

        Volatile.Write(ref c.ConsumerClaiming, 0);
        AssertClaimed(head, head + count);
        for (var i = 0; i < count; i++)
        {
            destination[i] = Release(head + i);
        }

        if (_sharedConsumers)
        {
            Interlocked.Add(ref c.Delivered, count);
        }
        else
        {
            Volatile.Write(ref c.Delivered, c.Delivered + count);
        }

        return count;
    }

    /// <summary>Reads the oldest item without taking it; the consumer's call, so only an eviction can move the head meanwhile.</summary>
    public bool TryPeek([System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out T item)
    {
        ref var c = ref _cursors;
        while (true)
        {
            var head = Volatile.Read(ref c.Head);
            if (Volatile.Read(ref c.Tail) == head)
            {
                item = default;
                return false;
            }

            item = _slots[(int)head & _mask].Item;

            // The copy must be done before the head is looked at again: if the head has not moved, nobody claimed the
            // slot, so nobody could have cleared or rewritten it. If it moved, the copy may be torn; try again.
            Interlocked.MemoryBarrier();
            if (Volatile.Read(ref c.Head) == head)
            {
                return true;
            }
        }
    }

    /// <summary>Reads and clears the claimed slot at <paramref name="position"/>, then hands it back to the producer.</summary>
    private T Release(long position)
    {
        ref var slot = ref _slots[(int)position & _mask];
        var item = slot.Item;
        if (RuntimeHelpers.IsReferenceOrContainsReferences<T>())
        {
            slot.Item = default!;
        }

        Volatile.Write(ref slot.Sequence, position + _slots.Length);
        return item;
    }

    /// <summary>The items buffered; exact when both sides are quiescent.</summary>
    public int Depth
    {
        get
        {
            var head = Volatile.Read(ref _cursors.Head);
            var depth = Volatile.Read(ref _cursors.Tail) - head;
            return (int)Math.Clamp(depth, 0, _capacity);
        }
    }

    /// <summary>Whether nothing is buffered (the consumer's view: the producer evicts only from a full buffer).</summary>
    public bool IsEmpty => Volatile.Read(ref _cursors.Tail) == Volatile.Read(ref _cursors.Head);

    /// <summary>
    /// Whether the buffer was empty at a moment when no eviction was half done (<see cref="TryEvictOldest"/>): false
    /// when it holds items, and when an eviction overlapped the look (the buffer may have looked one item short, empty
    /// at capacity 1). A consumer whose claim or peek found nothing asks this before it reports an empty buffer; on
    /// false it looks again where no eviction can be half done (the shared mode: under the writers' lock).
    /// </summary>
    public bool IsEmptyBetweenEvictions
    {
        get
        {
            ref var c = ref _cursors;
            var before = Volatile.Read(ref c.EvictionSeq);
            return (before & 1) == 0 && IsEmpty && Volatile.Read(ref c.EvictionSeq) == before;
        }
    }

    /// <summary>
    /// <see cref="Depth"/> read while no eviction was half done; false (and no depth) when one overlapped the read,
    /// whose depth may be one item short.
    /// </summary>
    public bool TryReadDepthBetweenEvictions(out int depth)
    {
        ref var c = ref _cursors;
        var before = Volatile.Read(ref c.EvictionSeq);
        depth = Depth;
        return (before & 1) == 0 && Volatile.Read(ref c.EvictionSeq) == before;
    }

    /// <summary>
    /// The depth as the producer last saw it (its tail against its cached head): never below the real depth, and read
    /// from the producer's own cache line only, so a producer can ask "probably full?" on every push without pulling
    /// the consumer's line across cores. A racy hint; the decision under the lock re-reads the head when it matters.
    /// </summary>
    public int ProducerDepthHint => (int)Math.Min(_cursors.Tail - _cursors.HeadCache, _capacity);

    /// <summary>
    /// Arms the consumer's one-shot signal on an empty buffer (see <see cref="BoundedBuffer{T}.ArmReadSignal"/>); the
    /// caller has checked that writing is not over. Returns false if an item arrived, or writing ended
    /// (<paramref name="owner"/> completed), before the signal was armed for good: the caller drains now.
    /// </summary>
    public bool ArmReadSignal(ReadSignal signal, SingleLaneBuffer<T> owner)
    {
        if (!IsEmpty)
        {
            return false;
        }

        if (Volatile.Read(ref _signal) is { } armed && armed != signal)
        {
            // A second consumer: the lane has room for one. Caught here on a best-effort basis (a promise broken by
            // overlapping reads elsewhere is not detected).
            throw owner.SecondReader();
        }

        // A full fence between arming and looking again, as the producer has one between publishing and looking at the
        // signal (Enqueue): either the look below sees its item, or it sees the signal and fires it.
        Interlocked.Exchange(ref _signal, signal);
        if (IsEmpty && !owner.IsCompleted)
        {
            return true;
        }

        // Something arrived: take the signal back, unless the producer (or the completion) already took it to fire it,
        // in which case it stays armed from the caller's point of view.
        return Interlocked.CompareExchange(ref _signal, null, signal) != signal;
    }

    /// <summary>Unarms <paramref name="signal"/>; returns whether it was armed.</summary>
    public bool DisarmReadSignal(ReadSignal signal) => Interlocked.CompareExchange(ref _signal, null, signal) == signal;

    /// <summary>Takes the armed signal, if any, for the completing thread to fire.</summary>
    public ReadSignal? TakeSignal() => Interlocked.Exchange(ref _signal, null);

    public StreamMetricsSnapshot ReadCounters()
    {
        ref var c = ref _cursors;

        // Consumer-side values first: an item delivered after this read is still in the depth or the pushed count.
        var delivered = Volatile.Read(ref c.Delivered);
        var depth = Depth;
        return new StreamMetricsSnapshot(
            Volatile.Read(ref c.Pushed),
            delivered,
            Volatile.Read(ref c.DropOldestHits),
            Volatile.Read(ref c.DegradeHits),
            Volatile.Read(ref c.PauseBlocks),
            Volatile.Read(ref c.FailOverflows),
            Volatile.Read(ref c.Rejected),
            depth);
    }

    private struct Slot
    {
        public T Item;

        // The position this slot may be written at next: the producer writes position p when Sequence == p, and the
        // claimant that reads it hands it back by setting p + ring size.
        public long Sequence;
    }
}

/// <summary>The cursors and counters of a <see cref="SingleProducerLane{T}"/> (outside it: a generic type cannot have an explicit layout).</summary>
// Padded like ConcurrentQueue's head and tail: a line of room before the producer's 72 bytes, between them and the
// consumer's, and after, so that however the object is aligned no cache line holds fields of both sides (or of a
// neighbouring object).
[StructLayout(LayoutKind.Explicit, Size = 6 * 64)]
internal struct LaneCursors
{
    // Producer.
    [FieldOffset(64)] public long Tail;
    [FieldOffset(72)] public long HeadCache;
    [FieldOffset(80)] public long Pushed;
    [FieldOffset(88)] public long DropOldestHits;
    [FieldOffset(96)] public long DegradeHits;
    [FieldOffset(104)] public long PauseBlocks;
    [FieldOffset(112)] public long FailOverflows;
    [FieldOffset(120)] public long Rejected;

    // Odd while an eviction is half done (SingleProducerLane.TryEvictOldest); read by consumers only when they found
    // the buffer empty or counted it.
    [FieldOffset(128)] public long EvictionSeq;

    // Consumer (the producer also advances Head to evict).
    [FieldOffset(256)] public long Head;
    [FieldOffset(264)] public long Delivered;
    [FieldOffset(272)] public int ConsumerClaiming;
    [FieldOffset(280)] public long TailCache;
}
