using System.Runtime.CompilerServices;
using Reactive.Streams.Canal;
using Reactive.Streams.Internal;

namespace Reactive.Streams;

/// <summary>Settings of a <see cref="ConsumerGroupCanal"/>.</summary>
public sealed class ConsumerGroupCanalOptions
{
    /// <summary>The default <see cref="ClaimTimeout"/>: 30 seconds.</summary>
    public static readonly TimeSpan DefaultClaimTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The default <see cref="MaxDeliveries"/>: 10.</summary>
    public const int DefaultMaxDeliveries = 10;

    private TimeSpan _claimTimeout = DefaultClaimTimeout;
    private int _maxDeliveries = DefaultMaxDeliveries;
    private TimeProvider _timeProvider = TimeProvider.System;
    private string? _deadLetterStream;

    /// <summary>
    /// How long this member has to acknowledge a frame before another member may reclaim it. Longer than the slowest
    /// batch's handling, or frames are handled twice. Default <see cref="DefaultClaimTimeout"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive.</exception>
    public TimeSpan ClaimTimeout
    {
        get => _claimTimeout;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(value, TimeSpan.Zero, nameof(ClaimTimeout));
            _claimTimeout = value;
        }
    }

    /// <summary>
    /// The most times a frame is handed out: a frame claimed for a further time is appended to
    /// <see cref="DeadLetterStream"/> and acknowledged instead of returned. Default <see cref="DefaultMaxDeliveries"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is below 1.</exception>
    public int MaxDeliveries
    {
        get => _maxDeliveries;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1, nameof(MaxDeliveries));
            _maxDeliveries = value;
        }
    }

    /// <summary>
    /// The stream that receives frames past <see cref="MaxDeliveries"/> (their payload and headers, appended
    /// <see cref="AppendMode.Durable"/>). Default: null, meaning <c>"{stream}:{group}:dead-letter"</c>. It must not be the
    /// group's own stream (<see cref="ConsumerGroupCanal.OpenAsync"/> refuses it: the frame would be handed out again).
    /// </summary>
    /// <exception cref="ArgumentException">
    /// Set to a name the log refuses (empty, longer than <see cref="StreamLog.MaxStreamNameLength"/>, or with a control
    /// character or an unpaired surrogate).
    /// </exception>
    public string? DeadLetterStream
    {
        get => _deadLetterStream;
        set
        {
            if (value is not null)
            {
                StreamLog.ValidateName(value, nameof(DeadLetterStream), "dead-letter stream name");
            }

            _deadLetterStream = value;
        }
    }

    /// <summary>
    /// Whether the canal's first pulls take back, at once, the frames pending on this member's name (from a previous
    /// run that did not acknowledge them) before they claim anything else, with
    /// <see cref="IConsumerGroupLog.ClaimOwnPendingAsync"/>: a restarted worker resumes its own unfinished work at once,
    /// as a Redis consumer does by reading its history with <c>XREADGROUP … 0</c> (and a Kafka consumer by resuming at
    /// its committed offset), instead of waiting for their <see cref="ClaimTimeout"/> to pass. Each frame taken back has
    /// its delivery count raised, so one past <see cref="MaxDeliveries"/> is parked as a reclaimed one is (a frame that
    /// crashes its worker every time ends in the dead-letter stream). False leaves them to be reclaimed, by this member
    /// or another, once their claim timeout passes. Default true.
    /// </summary>
    public bool ClaimOwnPendingFirst { get; set; } = true;

    /// <summary>Where the group starts if opening the canal creates it; an existing group is unchanged. Default <see cref="ConsumerGroupStart.Beginning"/>.</summary>
    public ConsumerGroupStart Start { get; set; } = ConsumerGroupStart.Beginning;

    /// <summary>The clock that measures pull deadlines and reclaim checks; use the log's clock. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider
    {
        get => _timeProvider;
        set
        {
            ArgumentNullException.ThrowIfNull(value, nameof(TimeProvider));
            _timeProvider = value;
        }
    }

    internal ConsumerGroupCanalOptions Copy() => new()
    {
        ClaimTimeout = ClaimTimeout, MaxDeliveries = MaxDeliveries, DeadLetterStream = DeadLetterStream,
        ClaimOwnPendingFirst = ClaimOwnPendingFirst, Start = Start, TimeProvider = TimeProvider,
    };
}

/// <summary>
/// One member of a consumer group on a stream of an <see cref="IConsumerGroupLog"/>, as a canal: each pull claims
/// frames for this member (frames other members took and did not acknowledge within the claim timeout first, then
/// frames new to the group), so members in any number of processes share the stream's work, each frame handled by one
/// member at a time, at least once. A frame counts as handled when it is acknowledged: through
/// <see cref="CommitAsync"/> (a <see cref="CanalWorker"/> calls it after each handled batch) or the
/// <see cref="IAckToken"/> of each frame (<see cref="AckTokenFor"/>), sent at the next pull, on
/// <see cref="FlushAcknowledgementsAsync"/> and on <see cref="DisposeAsync"/>.
/// </summary>
/// <remarks>
/// <para>Order: each batch is in id order, and a member's batches of new frames come in id order. Across members
/// there is no order: two members handle neighbouring frames at the same time, and a reclaimed frame is handled after
/// newer ones. See docs/consumer-groups.md.</para>
/// <para>A pull that finds nothing waits on the log's tail wake-up after the group's last delivered id, and re-claims
/// at least every quarter of the claim timeout while it waits, so frames of a dead member are reclaimed without any
/// append. A frame claimed for the <see cref="ConsumerGroupCanalOptions.MaxDeliveries"/>+1-th time is appended to the
/// dead-letter stream and then acknowledged: at least once there (a crash between the two appends it again when it is
/// next reclaimed).</para>
/// <para>A member restarted under its old name takes back the frames its previous run left unacknowledged with its
/// first pulls, before anything else (<see cref="ConsumerGroupCanalOptions.ClaimOwnPendingFirst"/>), each with its
/// delivery count raised.</para>
/// <para>Cancellation interrupts only waiting: a claim that was sent completes, and the frames it took are returned
/// first by the next pull on this canal while their claim is live; once the claim timeout has passed they are left to
/// the claims, which take them again (this member's or another's) with their delivery count raised. Disposal flushes
/// acknowledgements; frames this member holds unacknowledged are reclaimed by other members after the claim timeout.</para>
/// </remarks>
public sealed class ConsumerGroupCanal : ICommittableCanal<StreamFrame>, IRequeueCanal<StreamFrame>, IStreamCanal, IDisposable
{
    private const int MaxCommitMarks = 16;
    private static readonly TimeSpan MinReclaimEvery = TimeSpan.FromMilliseconds(1);

    // The logs keep a claim's time in whole milliseconds (the millisecond it was in), so by the log's clock a claim may run
    // out up to a millisecond before the claim timeout has passed on this canal's.
    private static readonly TimeSpan LogClockResolution = TimeSpan.FromMilliseconds(1);
    private static readonly Func<ReadyFrame, StreamId> ReadyId = static r => r.Claimed.Frame.Id;
    private static readonly Func<HeldFrame, StreamId> HeldId = static h => h.Id;
    private readonly IConsumerGroupLog _log;
    private readonly ConsumerGroupCanalOptions _options;
    private readonly TimeSpan _claimTimeout;

    // How long a frame kept for a later pull may still be handed out after the claim that took it was sent: the claim
    // timeout less the logs' resolution (a quarter of it for a claim timeout below 4 ms, so a lingering pull still hands
    // its frames out at half the claim timeout, before they are given up).
    private readonly TimeSpan _keepFor;
    private readonly int _maxDeliveries;
    private readonly string _deadLetterStream;
    private readonly TimeProvider _clock;
    private readonly Lock _gate = new();

    // Frames returned by pulls and not yet acknowledged, in id order, with their delivery counts; acks waiting to be
    // sent; frames taken by a claim but not yet returned (a cancelled pull, a requeued batch), in id order. _held is a
    // sorted list, not a SortedDictionary: pulls hand frames out in id order, so they append (a tree cost a node and a
    // descent per frame, half a microsecond each once a member held thousands), and only a reclaimed frame older than
    // one held is inserted.
    private readonly List<HeldFrame> _held = [];
    private readonly List<StreamId> _acked = [];
    private readonly List<ReadyFrame> _ready = [];
    private readonly CancellationTokenSource _closing = new();

    // Serializes acknowledgement flushes: a flush keeps its ids in _acked until the log has stored them, so a flush that
    // waits here (disposal behind a pull's flush that the disposal cancels) sends whatever the other did not store.
    private readonly SemaphoreSlim _flushGate = new(1, 1);
    private StreamId _lastDelivered;

    // How many batches this canal has handed out: each held frame records the number of the batch that first handed it
    // out, so a commit acknowledges nothing a later batch handed out (a frame reclaimed late is older than frames of the
    // batches before it). Under _gate.
    private long _batches;

    // Commits of frames this canal held, as (id, number of the batch that handed the frame out): that commit
    // acknowledged every frame up to the id handed out in that batch or an earlier one, so a frame no longer held that
    // one of them covers (a batch committed again, as a periodic commit of the last handled frame does) acknowledges
    // nothing of a later batch. Only marks no other one covers are kept (a later commit of a later frame replaces the
    // others), at most MaxCommitMarks: past that the oldest goes, and a frame only it covered is treated as one the
    // canal never held. Under _gate.
    private readonly List<(StreamId Id, long Batch)> _commits = [];

    // While the first pulls take back this member's own pending frames: the last id taken back (the next call reads on
    // after it, so a frame taken back and not yet acknowledged is not taken again). Set to false when a call finds no more.
    private bool _claimingOwn;
    private StreamId _ownAfter;
    private int _pulling;
    private volatile bool _disposed;

    // The first DisposeAsync's work; a later call waits for it rather than returning while acknowledgements are sent.
    private OnceDisposal? _disposal;

    private ConsumerGroupCanal(IConsumerGroupLog log, string stream, string group, string consumer, ConsumerGroupCanalOptions options, string deadLetterStream)
    {
        _log = log;
        Stream = stream;
        Group = group;
        Consumer = consumer;
        _options = options;
        _claimTimeout = options.ClaimTimeout;
        _keepFor = _claimTimeout - (_claimTimeout / 4 < LogClockResolution ? _claimTimeout / 4 : LogClockResolution);
        _maxDeliveries = options.MaxDeliveries;
        _clock = options.TimeProvider;
        _deadLetterStream = deadLetterStream;
        _claimingOwn = options.ClaimOwnPendingFirst;
    }

    /// <summary>The stream.</summary>
    public string Stream { get; }

    /// <summary>The group.</summary>
    public string Group { get; }

    /// <summary>This member's name.</summary>
    public string Consumer { get; }

    /// <summary>The stream that receives frames handed out more than <see cref="ConsumerGroupCanalOptions.MaxDeliveries"/> times.</summary>
    public string DeadLetterStream => _deadLetterStream;

    /// <summary>How many frames this canal returned that are not acknowledged yet.</summary>
    public int Unacknowledged
    {
        get
        {
            lock (_gate)
            {
                return _held.Count;
            }
        }
    }

    /// <summary>
    /// Opens a member of <paramref name="group"/> on <paramref name="stream"/>, creating the group (at
    /// <see cref="ConsumerGroupCanalOptions.Start"/>) if it does not exist.
    /// </summary>
    /// <param name="log">The log.</param>
    /// <param name="stream">The stream.</param>
    /// <param name="group">The group.</param>
    /// <param name="consumer">This member's name: unique among the group's live members (two live canals with one name share one pending list).</param>
    /// <param name="options">Claim timeout, dead-letter route, start and clock; defaults if null. Read once, here.</param>
    /// <param name="cancellationToken">Cancels opening.</param>
    /// <returns>The canal.</returns>
    /// <exception cref="ArgumentException">A name is invalid (including a default dead-letter stream name that would be too long), or the dead-letter stream is <paramref name="stream"/> itself; nothing is written.</exception>
    public static ValueTask<ConsumerGroupCanal> OpenAsync(
        IConsumerGroupLog log, string stream, string group, string consumer, ConsumerGroupCanalOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(log);
        ConsumerGroupArgs.Names(stream, group, consumer, consumerRequired: true);
        // Read once, here: the canal keeps this copy, so changing the caller's object later (even while the group is
        // being created) changes nothing it does.
        options = options?.Copy() ?? new ConsumerGroupCanalOptions();
        var deadLetter = options.DeadLetterStream ?? $"{stream}:{group}:dead-letter";
        try
        {
            StreamLog.ValidateName(deadLetter, nameof(options), "dead-letter stream name");
        }
        catch (ArgumentException e) when (options.DeadLetterStream is null)
        {
            throw new ArgumentException(
                $"The default dead-letter stream name '{{stream}}:{{group}}:dead-letter' is invalid here ({e.Message}); set {nameof(ConsumerGroupCanalOptions)}.{nameof(ConsumerGroupCanalOptions.DeadLetterStream)}.",
                nameof(options), e);
        }

        if (string.Equals(deadLetter, stream, StringComparison.Ordinal))
        {
            throw new ArgumentException(
                $"{nameof(ConsumerGroupCanalOptions)}.{nameof(ConsumerGroupCanalOptions.DeadLetterStream)} is '{stream}', the stream the group reads: a frame past {nameof(ConsumerGroupCanalOptions.MaxDeliveries)} would be appended to it and handed out again. Name another stream.",
                nameof(options));
        }

        // Validated above, before the first await: a bad argument throws from this call, not from the returned task.
        return OpenCoreAsync(log, stream, group, consumer, options, deadLetter, cancellationToken);
    }

    private static async ValueTask<ConsumerGroupCanal> OpenCoreAsync(
        IConsumerGroupLog log, string stream, string group, string consumer, ConsumerGroupCanalOptions options, string deadLetter, CancellationToken cancellationToken)
    {
        await log.CreateGroupAsync(stream, group, options.Start, cancellationToken).ConfigureAwait(false);
        return new ConsumerGroupCanal(log, stream, group, consumer, options, deadLetter);
    }

    /// <summary>How many times <paramref name="frame"/> has been handed out (1 on its first delivery); 0 when this canal does not hold it.</summary>
    /// <param name="frame">A frame this canal returned.</param>
    /// <returns>The delivery count.</returns>
    public long DeliveryCountOf(StreamFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        lock (_gate)
        {
            var at = FindHeld(frame.Id);
            return at >= 0 ? _held[at].DeliveryCount : 0;
        }
    }

    /// <inheritdoc />
    public ValueTask<CanalBatch<StreamFrame>> PullBatchAsync(int max, TimeSpan deadline, CancellationToken cancellationToken = default) =>
        PullBatchAsync(max, deadline, CanalLinger.None, cancellationToken);

    /// <inheritdoc />
    public ValueTask<CanalBatch<StreamFrame>> PullBatchAsync(int max, TimeSpan deadline, CanalLinger linger, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(deadline, TimeSpan.Zero);
        // A pull on a disposed canal is refused before it starts and records no span, as a call on a disposed log
        // (docs/tracing.md): a worker whose canal closed would otherwise end with a failed pull span.
        return StreamTracing.IsActive && !_disposed
            ? StreamTracing.TracePullAsync(Stream, Group, (this, max, deadline, linger, cancellationToken), static s => s.Item1.PullCoreAsync(s.max, s.deadline, s.linger, s.cancellationToken), cancellationToken)
            : PullCoreAsync(max, deadline, linger, cancellationToken);
    }

    private async ValueTask<CanalBatch<StreamFrame>> PullCoreAsync(int max, TimeSpan deadline, CanalLinger linger, CancellationToken cancellationToken)
    {
        // A token cancelled already cancels before anything is sent (no claim is made, nothing is taken), whatever state
        // the canal is in, as ChannelReader.ReadAsync.
        cancellationToken.ThrowIfCancellationRequested();
        if (_disposed)
        {
            throw Closed();
        }
        if (Interlocked.Exchange(ref _pulling, 1) != 0)
        {
            throw new InvalidOperationException($"Consumer group canal '{Group}/{Consumer}' on '{Stream}' is already being pulled; one consumer pulls at a time.");
        }

        var linked = cancellationToken.CanBeCanceled ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closing.Token) : null;
        var token = linked?.Token ?? _closing.Token;
        try
        {
            // The deadline counts from the call, so sending the acknowledgements below is part of it, as the docs say.
            var start = _clock.GetTimestamp();
            await FlushAcknowledgementsAsync(token).ConfigureAwait(false);
            var firstAt = start;
            // At least a millisecond (the logs measure claim times in milliseconds): a claim timeout below 4 ticks made
            // this zero, and the pull claimed again and again without ever parking.
            var reclaimEvery = _claimTimeout / 4 is var quarter && quarter >= MinReclaimEvery ? quarter : MinReclaimEvery;
            // A claim that the log's cap on one claim, not what is ready, ended is followed by another at once, whatever
            // the deadline and the linger say.
            var capped = false;
            while (true)
            {
                int have;
                TimeSpan handWithin;
                lock (_gate)
                {
                    DropExpired();
                    have = _ready.Count;
                    handWithin = HandWithin();
                }

                var remaining = deadline - _clock.GetElapsedTime(start);
                if (have >= max || (have > 0 && (handWithin <= TimeSpan.Zero || (!capped && (remaining <= TimeSpan.Zero || linger.IsSatisfied(have, max, _clock.GetElapsedTime(firstAt)))))))
                {
                    return Hand(max);
                }

                // Acknowledgements made through tokens while this pull waited go first: a claim takes this member's own
                // frames back once their claim timeout has passed, and a frame acknowledged within it (its sinks
                // committed it while the pull was parked) must not be handed out again for want of a send.
                await FlushAcknowledgementsAsync(token).ConfigureAwait(false);

                // The claim is not cancellable: once sent, what it takes is kept in _ready for this pull or the next.
                token.ThrowIfCancellationRequested();
                var claimedAt = _clock.GetTimestamp();
                ConsumerGroupClaim claim;
                if (_claimingOwn)
                {
                    // First this member's own pending frames (a previous run's), whatever their claim time, in batches
                    // after the last one taken back; then, once none is left, claims as usual.
                    claim = await _log.ClaimOwnPendingAsync(Stream, Group, Consumer, _ownAfter, max - have, CancellationToken.None).ConfigureAwait(false);
                    if (claim.Frames.Count == 0)
                    {
                        _claimingOwn = false;
                        continue;
                    }

                    _ownAfter = claim.Frames[^1].Frame.Id;
                }
                else
                {
                    claim = await _log.ClaimAsync(Stream, Group, Consumer, max - have, _claimTimeout, CancellationToken.None).ConfigureAwait(false);
                }

                _lastDelivered = claim.LastDeliveredId;
                var kept = Kept(claim.Frames);
                lock (_gate)
                {
                    if (have == 0 && kept.Count > 0)
                    {
                        firstAt = _clock.GetTimestamp();
                    }

                    foreach (var frame in kept)
                    {
                        AddReady(new ReadyFrame(frame, claimedAt));
                    }

                    have = _ready.Count;
                    handWithin = HandWithin();
                }

                // The most frames one claim hands out (StreamLogOptions.MaxReadCount, also through the hosting package's
                // registration; unknown for another log). Asked after the claim: the hosting package's log knows its
                // backend's cap only once the backend is open, and this claim may be the one that opened it.
                capped = claim.Frames.Count >= StreamLog.ReadCapOf(_log) && have < max;

                // After the frames to hand out are kept: if parking one fails, the error reaches the caller and the next
                // pull returns them first (a frame not parked stays pending on this member, and is parked when reclaimed).
                if (kept.Count < claim.Frames.Count)
                {
                    await RouteDeadLettersAsync(claim.Frames).ConfigureAwait(false);
                }

                token.ThrowIfCancellationRequested();
                if (kept.Count == 0 && claim.Frames.Count > 0)
                {
                    // Every frame claimed went to the dead-letter stream: claim again at once, more may be due.
                    continue;
                }

                if (kept.Count > 0)
                {
                    // Frames came: loop to return them, or to fill the batch as the linger says.
                    if (have >= max || handWithin <= TimeSpan.Zero || (!capped && linger.IsSatisfied(have, max, _clock.GetElapsedTime(firstAt))))
                    {
                        return Hand(max);
                    }

                    if (_claimingOwn || capped)
                    {
                        // More of its own, or (none left) the usual claim, or what the cap left: before any wait.
                        continue;
                    }
                }

                remaining = deadline - _clock.GetElapsedTime(start);
                if (remaining <= TimeSpan.Zero)
                {
                    return have > 0 ? Hand(max) : CanalBatch<StreamFrame>.Empty;
                }

                var wait = remaining < reclaimEvery ? remaining : reclaimEvery;
                if (have > 0 && linger.Remaining(_clock.GetElapsedTime(firstAt)) is var fill && fill != Timeout.InfiniteTimeSpan && fill < wait)
                {
                    wait = fill;
                }

                if (have > 0 && handWithin < wait)
                {
                    wait = handWithin;
                }

                // Park on the log's own wake-up: returns at once when frames newer than the group's cursor exist (another
                // member may take them first; the next claim says), or when an append comes, or after the wait.
                await _log.TailAsync(Stream, _lastDelivered, wait, 1, TailVisibility.All, token).ConfigureAwait(false);
            }
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
            Volatile.Write(ref _pulling, 0);
        }
    }

    private CanalBatch<StreamFrame> Hand(int max)
    {
        lock (_gate)
        {
            var count = Math.Min(max, _ready.Count);
            if (count == 0)
            {
                return CanalBatch<StreamFrame>.Empty;
            }

            var frames = new StreamFrame[count];
            var batch = ++_batches;
            for (var i = 0; i < count; i++)
            {
                var (claimed, claimedAt) = _ready[i];
                frames[i] = claimed.Frame;
                Hold(claimed.Frame, claimed.DeliveryCount, claimedAt, batch);
            }

            _ready.RemoveRange(0, count);
            return CanalBatch<StreamFrame>.Many(frames);
        }
    }

    /// <summary>The claimed frames within <see cref="ConsumerGroupCanalOptions.MaxDeliveries"/> (<paramref name="frames"/> itself when all are).</summary>
    private IReadOnlyList<ClaimedFrame> Kept(IReadOnlyList<ClaimedFrame> frames)
    {
        List<ClaimedFrame>? kept = null;
        for (var i = 0; i < frames.Count; i++)
        {
            if (frames[i].DeliveryCount <= _maxDeliveries)
            {
                kept?.Add(frames[i]);
            }
            else
            {
                kept ??= [.. frames.Take(i)];
            }
        }

        return kept ?? frames;
    }

    /// <summary>Parks the claimed frames past <see cref="ConsumerGroupCanalOptions.MaxDeliveries"/>: appends each to the dead-letter stream, then acknowledges it.</summary>
    private async ValueTask RouteDeadLettersAsync(IReadOnlyList<ClaimedFrame> frames)
    {
        foreach (var claimed in frames)
        {
            if (claimed.DeliveryCount <= _maxDeliveries)
            {
                continue;
            }

            // Append first, then acknowledge: a crash in between appends it again on the next reclaim (at least once).
            // The frame's headers go with it (its producer's trace context, the caller's own headers), and where it came from.
            await _log.AppendAsync(_deadLetterStream, claimed.Frame.Payload, AppendMode.Durable, ParkedHeaders(claimed), CancellationToken.None).ConfigureAwait(false);
            await _log.AcknowledgeAsync(Stream, Group, [claimed.Frame.Id], CancellationToken.None).ConfigureAwait(false);
            lock (_gate)
            {
                // This canal may hold the frame from an earlier delivery it did not acknowledge, or keep it from one not
                // handed out yet (a pull still lingering, a requeued batch): it is handled now, and not handed out again.
                if (FindHeld(claimed.Frame.Id) is var at && at >= 0)
                {
                    _held.RemoveAt(at);
                }

                if (FindReady(claimed.Frame.Id) is var ready && ready >= 0)
                {
                    _ready.RemoveAt(ready);
                }
            }
        }
    }

    /// <summary>
    /// A parked frame's headers: its own, plus where it came from (<see cref="FrameHeaders.OriginalStream"/> and the
    /// others), replacing those keys if an earlier parking set them. If the additions would take the frame past the
    /// headers' limits, the frame's own headers go alone: they are data, the additions only a convenience, and a frame
    /// that cannot be appended could never be parked.
    /// </summary>
    private IReadOnlyDictionary<string, string>? ParkedHeaders(ClaimedFrame claimed)
    {
        var own = claimed.Frame.Headers;
        var headers = new Dictionary<string, string>(own.Count + 4, StringComparer.Ordinal);
        foreach (var (key, value) in own)
        {
            headers[key] = value;
        }

        headers[FrameHeaders.OriginalStream] = Stream;
        headers[FrameHeaders.OriginalId] = claimed.Frame.Id.ToString();
        headers[FrameHeaders.OriginalGroup] = Group;
        headers[FrameHeaders.DeliveryCount] = claimed.DeliveryCount.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var length = 0;
        foreach (var (key, value) in headers)
        {
            length += key.Length + value.Length;
        }

        return headers.Count <= FrameHeaders.MaxCount && length <= FrameHeaders.MaxLength ? headers : own.Count > 0 ? own : null;
    }

    /// <summary>
    /// Gives back the last batch, unhandled: its frames stay pending on this member and the next pull returns them first
    /// (while their claim is live; after the claim timeout they are claimed again). Called between pulls only.
    /// </summary>
    void IRequeueCanal<StreamFrame>.Requeue(CanalBatch<StreamFrame> batch)
    {
        lock (_gate)
        {
            foreach (var frame in batch)
            {
                var at = FindHeld(frame.Id);
                if (at >= 0)
                {
                    AddReady(new ReadyFrame(new ClaimedFrame(frame, _held[at].DeliveryCount), _held[at].ClaimedAt));
                    _held.RemoveAt(at);
                }
            }
        }
    }

    /// <summary>
    /// Acknowledges every frame this canal returned up to and including <paramref name="handled"/>, and any frame
    /// acknowledged through its token, in one call to the log: the frames it holds with ids up to
    /// <paramref name="handled"/>'s that were handed out in <paramref name="handled"/>'s batch or an earlier one. A frame
    /// of a later batch is not acknowledged, even when its id is older (a frame reclaimed late, after its holder's claim
    /// ran out), since its handling has not been committed. Committing a frame again once a commit acknowledged it (a
    /// periodic commit of the last handled frame) acknowledges nothing of a later batch either. For another frame this
    /// canal does not hold (another member's, one read from the log, or one acknowledged only through its token), every
    /// frame it holds with an id up to that frame's is acknowledged.
    /// </summary>
    /// <param name="handled">The last handled frame of a batch this canal returned.</param>
    /// <param name="cancellationToken">Cancels the call; a call cancelled after it was sent may or may not have acknowledged.</param>
    /// <returns>A task that completes when the acknowledgement is stored.</returns>
    public ValueTask CommitAsync(StreamFrame handled, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(handled);
        lock (_gate)
        {
            // Through the batch that handed out the frame: a later batch's frames are not handled yet, whatever their ids.
            // A frame no longer held that an earlier commit covered: through the batch of that commit, which acknowledged
            // everything of it up to that frame already, so nothing of a later batch (a frame reclaimed late) goes.
            var at = FindHeld(handled.Id);
            long through;
            if (at >= 0)
            {
                through = _held[at].Batch;
                MarkCommit(handled.Id, through);
            }
            else
            {
                through = CommittedThrough(handled.Id);
            }

            for (var i = 0; i < _held.Count && _held[i].Id <= handled.Id; i++)
            {
                if (_held[i].Batch <= through)
                {
                    _acked.Add(_held[i].Id);
                }
            }
        }

        return FlushAcknowledgementsAsync(cancellationToken);
    }

    /// <summary>Records a commit of a held frame, dropping the marks it covers (and the oldest past <see cref="MaxCommitMarks"/>). Under _gate.</summary>
    private void MarkCommit(StreamId id, long batch)
    {
        foreach (var (markId, markBatch) in _commits)
        {
            if (markId >= id && markBatch >= batch)
            {
                return;
            }
        }

        var kept = 0;
        for (var i = 0; i < _commits.Count; i++)
        {
            if (_commits[i].Id > id || _commits[i].Batch > batch)
            {
                _commits[kept++] = _commits[i];
            }
        }

        _commits.RemoveRange(kept, _commits.Count - kept);
        if (_commits.Count == MaxCommitMarks)
        {
            var oldest = 0;
            for (var i = 1; i < _commits.Count; i++)
            {
                oldest = _commits[i].Batch < _commits[oldest].Batch ? i : oldest;
            }

            _commits.RemoveAt(oldest);
        }

        _commits.Add((id, batch));
    }

    /// <summary>
    /// The latest batch an earlier commit acknowledged every frame of up to <paramref name="id"/>; <see cref="long.MaxValue"/>
    /// when no commit covers it (a frame this canal never held, or one acknowledged only through its token). Under _gate.
    /// </summary>
    private long CommittedThrough(StreamId id)
    {
        var through = long.MinValue;
        foreach (var (markId, markBatch) in _commits)
        {
            if (markId >= id && markBatch > through)
            {
                through = markBatch;
            }
        }

        return through == long.MinValue ? long.MaxValue : through;
    }

    /// <summary>
    /// An ack token for <paramref name="frame"/>: when it fires the frame counts as handled, and the acknowledgement is
    /// sent at the next pull (and before each claim of a pull that is waiting), flush or commit, or at the disposal.
    /// Firing it twice is harmless. Firing it after the
    /// canal was disposed throws <see cref="ObjectDisposedException"/> and acknowledges nothing, since nothing would send
    /// it any more (a dispatcher logs that as a failed acknowledgement): the frame stays pending and is reclaimed after
    /// the claim timeout. <see cref="CommitAsync"/> sends at once, so it still acknowledges after the disposal.
    /// </summary>
    /// <param name="frame">
    /// A frame this canal returned. The token of another frame with the id of one this canal holds (another stream's
    /// frame: ids are numbered per stream) acknowledges nothing, as the token of a frame it does not hold.
    /// </param>
    /// <returns>The token.</returns>
    /// <exception cref="ObjectDisposedException">The canal is disposed.</exception>
    public IAckToken AckTokenFor(StreamFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        ObjectDisposedException.ThrowIf(_disposed, this);
        lock (_gate)
        {
            // A frame held under this id but as another object is not the frame this canal handed out: another stream's
            // frame with the same id (ids are numbered per stream), or a copy read from the log. Its token acknowledges
            // nothing, as for any frame the member does not hold. (Told by the object's identity hash: two objects rarely
            // share one, and then the token acknowledges, as every token did before.)
            var at = FindHeld(frame.Id);
            return new FrameAck(this, frame.Id, at < 0 || _held[at].FrameIdentity == RuntimeHelpers.GetHashCode(frame));
        }
    }

    /// <summary>Sends the acknowledgements made since the last flush.</summary>
    /// <param name="cancellationToken">Cancels the call; the acknowledgements are then sent by the next flush. A token already cancelled gives a cancelled task even with nothing to send.</param>
    /// <returns>A task that completes when they are stored.</returns>
    public async ValueTask FlushAcknowledgementsAsync(CancellationToken cancellationToken = default)
    {
        // A token cancelled before the call cancels it even with nothing to send, as Stream.FlushAsync: nothing is sent,
        // and what is acknowledged (a commit's included) stays for the next flush, pull or the disposal.
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            if (_acked.Count == 0)
            {
                return;
            }
        }

        // One flush at a time. The ids stay in _acked until the log has stored them: a flush cancelled or failed leaves
        // them for the next, and a flush that waited here for another (disposal cancelling a pull's) sends what that one
        // did not store. Taken synchronously when free, as a commit between pulls usually finds it.
        if (!_flushGate.Wait(0))
        {
            await _flushGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        try
        {
            int sent;
            StreamId[] ids;
            lock (_gate)
            {
                if (_acked.Count == 0)
                {
                    return;
                }

                sent = _acked.Count;
                ids = [.. _acked];
                Array.Sort(ids);
                ids = Distinct(ids);
            }

            await _log.AcknowledgeAsync(Stream, Group, ids, cancellationToken).ConfigureAwait(false);
            lock (_gate)
            {
                // Acknowledgements made meanwhile were appended after the ones sent; an id among them that was just
                // stored (acknowledged again while the flush was out) needs no second call.
                _acked.RemoveRange(0, sent);
                if (_acked.Count > 0)
                {
                    _acked.RemoveAll(id => Array.BinarySearch(ids, id) >= 0);
                }

                ReleaseHeld(ids);
            }
        }
        finally
        {
            _flushGate.Release();
        }
    }

    /// <summary>Sorted <paramref name="ids"/> without repeats (a frame acknowledged twice, by a commit and by its token, is sent once); the array itself when it has none.</summary>
    private static StreamId[] Distinct(StreamId[] ids)
    {
        var kept = ids.Length == 0 ? 0 : 1;
        for (var i = 1; i < ids.Length; i++)
        {
            if (ids[i] != ids[kept - 1])
            {
                ids[kept++] = ids[i];
            }
        }

        return kept == ids.Length ? ids : ids[..kept];
    }

    private void Acknowledge(StreamId id, bool held)
    {
        lock (_gate)
        {
            // After disposal nothing sends a token's acknowledgement any more: refuse it rather than drop it silently.
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (held && FindHeld(id) >= 0)
            {
                _acked.Add(id);
            }
        }
    }

    private CanalClosedException Closed() => new($"group:{Stream}/{Group}/{Consumer}");

    /// <summary>
    /// Adds a claimed frame to _ready, keeping it in id order (a claim's frames come in id order, after those there, so
    /// they usually append). A frame already there (kept from a cancelled pull or a requeued batch, or taken earlier by a
    /// pull still lingering) whose claim ran out and that a claim took again is replaced, with its new delivery count
    /// and claim time: a batch holds each frame once. Under _gate.
    /// </summary>
    private void AddReady(ReadyFrame frame) => Upsert(_ready, frame, frame.Claimed.Frame.Id, ReadyId);

    /// <summary>
    /// Forgets the frames kept for a later pull whose claim has run out (the claim timeout passed since the claim that
    /// took them was sent, less the millisecond by which the log's clock may count it out earlier): another member may
    /// hold them now, so they are not handed out from here. Those still pending on this member are due, or soon are, and
    /// a later claim takes them again, with their delivery count raised. Under _gate.
    /// </summary>
    private void DropExpired()
    {
        if (_ready.Count > 0)
        {
            _ready.RemoveAll(r => _clock.GetElapsedTime(r.ClaimedAt) >= _keepFor);
        }
    }

    /// <summary>
    /// How long a pull may still linger over the frames it holds: until half the claim timeout has passed since the
    /// oldest of their claims, so the handler has the other half before another member may reclaim them, and a long
    /// linger never lets a claim run out (the frames would be claimed again, their delivery count raised, and parked
    /// past <see cref="ConsumerGroupCanalOptions.MaxDeliveries"/> without reaching the handler). Under _gate.
    /// </summary>
    private TimeSpan HandWithin()
    {
        if (_ready.Count == 0)
        {
            return TimeSpan.MaxValue;
        }

        var oldest = _ready[0].ClaimedAt;
        foreach (var ready in _ready)
        {
            oldest = Math.Min(oldest, ready.ClaimedAt);
        }

        return (_claimTimeout / 2) - _clock.GetElapsedTime(oldest);
    }

    /// <summary>The index of <paramref name="id"/> in _ready, or the bitwise complement of where it would go. Under _gate.</summary>
    private int FindReady(StreamId id) => IndexOf(_ready, id, ReadyId);

    /// <summary>The index of <paramref name="id"/> in _held, or the bitwise complement of where it would go. Under _gate.</summary>
    private int FindHeld(StreamId id) => IndexOf(_held, id, HeldId);

    /// <summary>
    /// Records a frame handed out, with the timestamp (this canal's clock) of the claim that took it and the number of
    /// its batch. A frame this canal still holds and hands out again (its claim ran out and a claim took it back) keeps
    /// the number of the batch that first handed it out: committing that batch acknowledges it. Under _gate.
    /// </summary>
    private void Hold(StreamFrame frame, long deliveryCount, long claimedAt, long batch)
    {
        var id = frame.Id;
        var at = _held.Count > 0 && _held[^1].Id >= id ? FindHeld(id) : -1;
        Upsert(_held, new HeldFrame(id, RuntimeHelpers.GetHashCode(frame), deliveryCount, claimedAt, at >= 0 ? Math.Min(batch, _held[at].Batch) : batch), id, HeldId);
    }

    /// <summary>
    /// The index of <paramref name="id"/> in <paramref name="list"/> (in id order), or the bitwise complement of where it
    /// would go: <see cref="List{T}.BinarySearch(T)"/> needs an item to compare, and these lists are searched by id.
    /// </summary>
    private static int IndexOf<T>(List<T> list, StreamId id, Func<T, StreamId> idOf)
    {
        var (lo, hi) = (0, list.Count - 1);
        while (lo <= hi)
        {
            var mid = lo + ((hi - lo) >> 1);
            var order = idOf(list[mid]).CompareTo(id);
            if (order == 0)
            {
                return mid;
            }

            (lo, hi) = order < 0 ? (mid + 1, hi) : (lo, mid - 1);
        }

        return ~lo;
    }

    /// <summary>
    /// Puts <paramref name="item"/> into <paramref name="list"/> (in id order), replacing the entry of the same id; an id
    /// after the last, the usual case, is appended without a search.
    /// </summary>
    private static void Upsert<T>(List<T> list, T item, StreamId id, Func<T, StreamId> idOf)
    {
        if (list.Count == 0 || idOf(list[^1]) < id)
        {
            list.Add(item);
            return;
        }

        var at = IndexOf(list, id, idOf);
        if (at >= 0)
        {
            list[at] = item;
        }
        else
        {
            list.Insert(~at, item);
        }
    }

    /// <summary>Forgets acknowledged frames (<paramref name="ids"/> in id order), in one pass from the first of them. Under _gate.</summary>
    private void ReleaseHeld(StreamId[] ids)
    {
        if (ids.Length == 0)
        {
            return;
        }

        var start = FindHeld(ids[0]);
        var kept = start >= 0 ? start : ~start;
        var next = 0;
        for (var i = kept; i < _held.Count; i++)
        {
            var id = _held[i].Id;
            while (next < ids.Length && ids[next] < id)
            {
                next++;
            }

            if (next < ids.Length && ids[next] == id)
            {
                continue;
            }

            _held[kept++] = _held[i];
        }

        _held.RemoveRange(kept, _held.Count - kept);
    }

    /// <summary>
    /// Disposes the canal synchronously: blocks until <see cref="DisposeAsync"/> has finished. Prefer
    /// <c>await using</c>; this is for <c>using</c> and for a dependency-injection container disposed synchronously.
    /// </summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>
    /// Closes the canal and sends pending acknowledgements, including those a pull was sending when the disposal
    /// cancelled it (the disposal waits for that pull's call to the log to end). A pull waiting at that moment fails with
    /// <see cref="CanalClosedException"/>; later pulls fail with it too. Unacknowledged frames are reclaimed by other
    /// members after the claim timeout. Disposing again, even while the first disposal runs, completes when that one
    /// does.
    /// </summary>
    /// <returns>A task that completes when the acknowledgements are stored.</returns>
    public ValueTask DisposeAsync() => OnceDisposal.Run(ref _disposal, CloseAsync);

    private async ValueTask CloseAsync()
    {
        // Runs synchronously up to its first await, so the canal is disposed when DisposeAsync returns. Under the lock,
        // so an acknowledgement either lands before the flush below reads its target or is refused.
        lock (_gate)
        {
            _disposed = true;
        }

        await _closing.CancelAsync().ConfigureAwait(false);
        await FlushAcknowledgementsAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// A frame handed out and not yet acknowledged: its id, the identity hash of the object the pull returned (see
    /// <see cref="AckTokenFor"/>; the hash, so that holding a frame keeps no payload alive), its delivery count, its
    /// claim's timestamp and its batch's number.
    /// </summary>
    private readonly record struct HeldFrame(StreamId Id, int FrameIdentity, long DeliveryCount, long ClaimedAt, long Batch);

    /// <summary>A claimed frame kept for a pull, with the timestamp (this canal's clock) taken before the claim that took it was sent.</summary>
    private readonly record struct ReadyFrame(ClaimedFrame Claimed, long ClaimedAt);

    private sealed class FrameAck(ConsumerGroupCanal canal, StreamId id, bool held) : IAckToken
    {
        public void Acknowledge() => canal.Acknowledge(id, held);
    }
}
