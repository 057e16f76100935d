namespace Reactive.Streams;

/// <summary>
/// A <see cref="IStreamLog"/> whose streams can be shared by consumer groups: a named group on a stream hands each frame
/// to one member (a named consumer, in any process) at a time, keeps the frames handed out and not yet acknowledged in
/// a pending list (holder, time since handed out, delivery count), and lets any member reclaim a frame whose holder
/// did not acknowledge it within a claim timeout. The operations map one to one onto Redis/Valkey Streams:
/// <see cref="CreateGroupAsync"/> is <c>XGROUP CREATE</c>, <see cref="ClaimAsync"/> is <c>XAUTOCLAIM</c> then
/// <c>XREADGROUP … &gt;</c>, <see cref="ClaimOwnPendingAsync"/> is <c>XREADGROUP</c> with an id (a consumer reading
/// its own history), <see cref="AcknowledgeAsync"/> is <c>XACK</c>, <see cref="ReadPendingAsync"/> is the
/// extended <c>XPENDING</c> and <see cref="ReadGroupAsync"/> is <c>XINFO GROUPS</c>/<c>XINFO CONSUMERS</c>. Most users
/// consume a group through <see cref="ConsumerGroupCanal"/>. Every member is safe to call concurrently, from any
/// number of log instances on the same storage.
/// </summary>
/// <remarks>
/// Group and consumer names follow the rules of stream names (1 to <see cref="StreamLog.MaxStreamNameLength"/>
/// characters, no control characters, no unpaired surrogates). Bad input throws <see cref="ArgumentException"/> (or
/// <see cref="ArgumentOutOfRangeException"/>) naming the parameter, and an unknown group throws
/// <see cref="ConsumerGroupNotFoundException"/>, before anything is written. Times (the claim timeout, idle times) are
/// measured by the log's clock (<see cref="StreamLogOptions.TimeProvider"/>) where the backend stores them; a backend
/// whose server keeps them (Redis) says so.
/// </remarks>
public interface IConsumerGroupLog : IStreamLog
{
    /// <summary>
    /// Creates <paramref name="group"/> on <paramref name="stream"/> if it does not exist (the stream need not exist
    /// yet). An existing group is left exactly as it is, whatever <paramref name="start"/> says.
    /// </summary>
    /// <param name="stream">The stream's name.</param>
    /// <param name="group">The group's name.</param>
    /// <param name="start">Which frames the new group delivers first.</param>
    /// <param name="cancellationToken">Cancels the call; a call cancelled after it was sent may or may not have created the group.</param>
    /// <returns>True when this call created the group, false when it existed.</returns>
    /// <exception cref="ArgumentException">A name is invalid; nothing is written.</exception>
    ValueTask<bool> CreateGroupAsync(string stream, string group, ConsumerGroupStart start, CancellationToken cancellationToken = default);

    /// <summary>
    /// Hands frames to <paramref name="consumer"/>, up to <paramref name="limit"/>, in one atomic step: first pending
    /// frames whose holder (any member, this one too) took them at least <paramref name="claimTimeout"/> ago, oldest id
    /// first, each with its delivery count raised by one; then frames after the group's last delivered id, each with
    /// delivery count 1, advancing that id. The returned frames are in id order and are pending on
    /// <paramref name="consumer"/> until acknowledged or reclaimed. No frame is handed to two members by claims whose
    /// timeouts have not passed. Never waits for frames: an empty result means none was due.
    /// </summary>
    /// <param name="stream">The stream's name.</param>
    /// <param name="group">The group's name; it must exist.</param>
    /// <param name="consumer">The member claiming.</param>
    /// <param name="limit">The most frames to hand out, at least 1; capped by <see cref="StreamLogOptions.MaxReadCount"/>.</param>
    /// <param name="claimTimeout">How long a holder has to acknowledge before its frames may be reclaimed; positive.</param>
    /// <param name="cancellationToken">Cancels the call; a claim cancelled after it was sent may or may not have taken frames (they are then reclaimed after the timeout).</param>
    /// <returns>The frames with their delivery counts, and the group's last delivered id after the claim.</returns>
    /// <exception cref="ArgumentException">A name is invalid; nothing is written.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="limit"/> is below 1 or <paramref name="claimTimeout"/> is not positive.</exception>
    /// <exception cref="ConsumerGroupNotFoundException">The group does not exist; nothing is written.</exception>
    ValueTask<ConsumerGroupClaim> ClaimAsync(string stream, string group, string consumer, int limit, TimeSpan claimTimeout, CancellationToken cancellationToken = default);

    /// <summary>
    /// Hands <paramref name="consumer"/> its own pending frames back, up to <paramref name="limit"/>, in one atomic step,
    /// however recently it took them: the frames pending on it with ids after <paramref name="after"/>, oldest id first,
    /// each with its claim time reset to now and its delivery count raised by one, as Redis's
    /// <c>XREADGROUP GROUP g c COUNT n STREAMS s 0</c> reads a consumer's history. Frames other members hold are not
    /// touched, no new frame is claimed, and the group's last delivered id does not move. A member restarted under its
    /// old name calls it to resume at once the frames its previous run left unacknowledged, instead of waiting for their
    /// claim timeout; it pages through them with the last id returned as <paramref name="after"/>. A pending frame that
    /// best-effort retention trimmed is dropped from the pending list, as <see cref="ClaimAsync"/> drops it, and does not
    /// count toward the limit: fewer than <paramref name="limit"/> frames (below the log's cap) means none is left after
    /// them. Never waits.
    /// </summary>
    /// <param name="stream">The stream's name.</param>
    /// <param name="group">The group's name; it must exist.</param>
    /// <param name="consumer">The member whose pending frames are handed back to it.</param>
    /// <param name="after">The cursor (exclusive): <see cref="StreamId.Min"/> for all of them, else the last id an earlier call returned.</param>
    /// <param name="limit">The most frames to hand back, at least 1; capped by <see cref="StreamLogOptions.MaxReadCount"/>.</param>
    /// <param name="cancellationToken">Cancels the call; a call cancelled after it was sent may or may not have taken frames back (they stay pending on <paramref name="consumer"/> either way).</param>
    /// <returns>The frames in id order with their delivery counts, and the group's last delivered id (unchanged).</returns>
    /// <exception cref="ArgumentException">A name is invalid; nothing is written.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="limit"/> is below 1.</exception>
    /// <exception cref="ConsumerGroupNotFoundException">The group does not exist; nothing is written.</exception>
    ValueTask<ConsumerGroupClaim> ClaimOwnPendingAsync(string stream, string group, string consumer, StreamId after, int limit, CancellationToken cancellationToken = default);

    /// <summary>
    /// Removes <paramref name="ids"/> from the group's pending list, whoever holds them (a frame handled by a member
    /// whose claim had run out still counts as handled). Ids that are not pending are ignored.
    /// </summary>
    /// <param name="stream">The stream's name.</param>
    /// <param name="group">The group's name; it must exist.</param>
    /// <param name="ids">The handled frames' ids.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>How many of the ids were pending.</returns>
    /// <exception cref="ArgumentException">A name is invalid; nothing is written.</exception>
    /// <exception cref="ConsumerGroupNotFoundException">The group does not exist.</exception>
    ValueTask<long> AcknowledgeAsync(string stream, string group, IReadOnlyList<StreamId> ids, CancellationToken cancellationToken = default);

    /// <summary>Reads the group's pending frames, oldest id first: who holds each, for how long, and how often it was handed out.</summary>
    /// <param name="stream">The stream's name.</param>
    /// <param name="group">The group's name; it must exist.</param>
    /// <param name="consumer">Only this member's frames; null for every member's.</param>
    /// <param name="limit">The most entries to return, at least 1; capped by <see cref="StreamLogOptions.MaxReadCount"/>.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The pending entries.</returns>
    /// <exception cref="ArgumentException">A name is invalid.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="limit"/> is below 1.</exception>
    /// <exception cref="ConsumerGroupNotFoundException">The group does not exist.</exception>
    ValueTask<IReadOnlyList<PendingFrame>> ReadPendingAsync(string stream, string group, string? consumer, int limit, CancellationToken cancellationToken = default);

    /// <summary>Reads the group's state: last delivered id, pending count, lag and members.</summary>
    /// <param name="stream">The stream's name.</param>
    /// <param name="group">The group's name.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The state, or null when the group does not exist.</returns>
    /// <exception cref="ArgumentException">A name is invalid.</exception>
    ValueTask<ConsumerGroupInfo?> ReadGroupAsync(string stream, string group, CancellationToken cancellationToken = default);
}

/// <summary>What <see cref="ConsumerGroupStart"/> a new group starts from.</summary>
public enum ConsumerGroupStartKind
{
    /// <summary>Every frame of the stream, from the first (Redis <c>0</c>).</summary>
    Beginning = 0,

    /// <summary>Only frames appended after the group is created (Redis <c>$</c>).</summary>
    End = 1,

    /// <summary>Frames after a given id, exclusive (Redis's explicit id).</summary>
    After = 2,
}

/// <summary>Where a new consumer group starts: <see cref="Beginning"/>, <see cref="End"/> or <see cref="After(StreamId)"/> an id.</summary>
public readonly record struct ConsumerGroupStart
{
    private ConsumerGroupStart(ConsumerGroupStartKind kind, StreamId id)
    {
        Kind = kind;
        Id = id;
    }

    /// <summary>Deliver every frame of the stream.</summary>
    public static ConsumerGroupStart Beginning => new(ConsumerGroupStartKind.Beginning, StreamId.Min);

    /// <summary>Deliver only frames appended after the group is created.</summary>
    public static ConsumerGroupStart End => new(ConsumerGroupStartKind.End, StreamId.Min);

    /// <summary>Deliver frames with ids after <paramref name="id"/> (exclusive, like a tail's cursor).</summary>
    /// <param name="id">The last id the group counts as delivered.</param>
    /// <returns>The start.</returns>
    public static ConsumerGroupStart After(StreamId id) => new(ConsumerGroupStartKind.After, id);

    /// <summary>Which start this is.</summary>
    public ConsumerGroupStartKind Kind { get; }

    /// <summary>For <see cref="ConsumerGroupStartKind.After"/>, the id; otherwise <see cref="StreamId.Min"/>.</summary>
    public StreamId Id { get; }
}

/// <summary>A frame handed to a consumer-group member.</summary>
/// <param name="Frame">The frame.</param>
/// <param name="DeliveryCount">How many times the group has handed it out, this time included (1 on the first delivery).</param>
/// <exception cref="ArgumentNullException"><paramref name="Frame"/> is null.</exception>
public sealed record ClaimedFrame(StreamFrame Frame, long DeliveryCount)
{
    private readonly StreamFrame _frame = Frame ?? throw new ArgumentNullException(nameof(Frame));

    /// <summary>The frame.</summary>
    /// <exception cref="ArgumentNullException">Set to null.</exception>
    public StreamFrame Frame
    {
        get => _frame;
        init => _frame = value ?? throw new ArgumentNullException(nameof(Frame));
    }
}

/// <summary>What <see cref="IConsumerGroupLog.ClaimAsync"/> or <see cref="IConsumerGroupLog.ClaimOwnPendingAsync"/> handed out.</summary>
/// <param name="Frames">The frames, in id order: reclaimed ones first (all older than the new ones), then new ones.</param>
/// <param name="LastDeliveredId">The group's last delivered id after the claim: frames after it are new to the group.</param>
/// <exception cref="ArgumentNullException"><paramref name="Frames"/> is null.</exception>
public sealed record ConsumerGroupClaim(IReadOnlyList<ClaimedFrame> Frames, StreamId LastDeliveredId)
{
    private readonly IReadOnlyList<ClaimedFrame> _frames = Frames ?? throw new ArgumentNullException(nameof(Frames));

    /// <summary>The frames, in id order: reclaimed ones first (all older than the new ones), then new ones.</summary>
    /// <exception cref="ArgumentNullException">Set to null.</exception>
    public IReadOnlyList<ClaimedFrame> Frames
    {
        get => _frames;
        init => _frames = value ?? throw new ArgumentNullException(nameof(Frames));
    }
}

/// <summary>An entry of a group's pending list: a frame handed out and not yet acknowledged.</summary>
/// <param name="Id">The frame's id.</param>
/// <param name="Consumer">The member holding it.</param>
/// <param name="Idle">How long ago it was last handed out (the log's clock).</param>
/// <param name="DeliveryCount">How many times it was handed out.</param>
/// <exception cref="ArgumentNullException"><paramref name="Consumer"/> is null.</exception>
public sealed record PendingFrame(StreamId Id, string Consumer, TimeSpan Idle, long DeliveryCount)
{
    private readonly string _consumer = Consumer ?? throw new ArgumentNullException(nameof(Consumer));

    /// <summary>The member holding it.</summary>
    /// <exception cref="ArgumentNullException">Set to null.</exception>
    public string Consumer
    {
        get => _consumer;
        init => _consumer = value ?? throw new ArgumentNullException(nameof(Consumer));
    }
}

/// <summary>A member of a consumer group, as <see cref="IConsumerGroupLog.ReadGroupAsync"/> reports it.</summary>
/// <param name="Name">The consumer's name.</param>
/// <param name="PendingCount">How many frames it holds unacknowledged.</param>
/// <param name="Idle">How long ago it last claimed (the log's clock).</param>
/// <exception cref="ArgumentNullException"><paramref name="Name"/> is null.</exception>
public sealed record ConsumerGroupMember(string Name, long PendingCount, TimeSpan Idle)
{
    private readonly string _name = Name ?? throw new ArgumentNullException(nameof(Name));

    /// <summary>The consumer's name.</summary>
    /// <exception cref="ArgumentNullException">Set to null.</exception>
    public string Name
    {
        get => _name;
        init => _name = value ?? throw new ArgumentNullException(nameof(Name));
    }
}

/// <summary>A consumer group's state.</summary>
/// <param name="Stream">The stream.</param>
/// <param name="Group">The group's name.</param>
/// <param name="LastDeliveredId">The id of the newest frame the group has handed out (or its start position before any).</param>
/// <param name="PendingCount">Frames handed out and not acknowledged.</param>
/// <param name="Lag">Frames in the stream after <see cref="LastDeliveredId"/>: not yet handed to any member.</param>
/// <param name="Members">The members that have claimed, in ordinal (<see cref="StringComparer.Ordinal"/>) order of their names.</param>
/// <exception cref="ArgumentNullException"><paramref name="Stream"/>, <paramref name="Group"/> or <paramref name="Members"/> is null.</exception>
public sealed record ConsumerGroupInfo(string Stream, string Group, StreamId LastDeliveredId, long PendingCount, long Lag, IReadOnlyList<ConsumerGroupMember> Members)
{
    private readonly string _stream = Stream ?? throw new ArgumentNullException(nameof(Stream));

    /// <summary>The stream.</summary>
    /// <exception cref="ArgumentNullException">Set to null.</exception>
    public string Stream
    {
        get => _stream;
        init => _stream = value ?? throw new ArgumentNullException(nameof(Stream));
    }

    private readonly string _group = Group ?? throw new ArgumentNullException(nameof(Group));

    /// <summary>The group's name.</summary>
    /// <exception cref="ArgumentNullException">Set to null.</exception>
    public string Group
    {
        get => _group;
        init => _group = value ?? throw new ArgumentNullException(nameof(Group));
    }

    private readonly IReadOnlyList<ConsumerGroupMember> _members = Members ?? throw new ArgumentNullException(nameof(Members));

    /// <summary>The members that have claimed, in ordinal (<see cref="StringComparer.Ordinal"/>) order of their names.</summary>
    /// <exception cref="ArgumentNullException">Set to null.</exception>
    public IReadOnlyList<ConsumerGroupMember> Members
    {
        get => _members;
        init => _members = value ?? throw new ArgumentNullException(nameof(Members));
    }
}

/// <summary>A consumer-group operation named a group that does not exist on the stream.</summary>
public sealed class ConsumerGroupNotFoundException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="stream">The stream.</param>
    /// <param name="group">The group.</param>
    /// <exception cref="ArgumentNullException"><paramref name="stream"/> or <paramref name="group"/> is null.</exception>
    public ConsumerGroupNotFoundException(string stream, string group)
        : base($"Consumer group '{group}' does not exist on stream '{stream}'; create it with CreateGroupAsync (or open a ConsumerGroupCanal, which does).")
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(group);
        Stream = stream;
        Group = group;
    }

    /// <summary>The stream.</summary>
    public string Stream { get; }

    /// <summary>The group.</summary>
    public string Group { get; }
}

/// <summary>The argument checks every <see cref="IConsumerGroupLog"/> backend makes before touching storage.</summary>
internal static class ConsumerGroupArgs
{
    public static void Names(string stream, string group, string? consumer = null, bool consumerRequired = false)
    {
        StreamLog.ValidateStream(stream);
        StreamLog.ValidateName(group, nameof(group), "consumer group name");
        if (consumer is not null || consumerRequired)
        {
            StreamLog.ValidateName(consumer!, nameof(consumer), "consumer name");
        }
    }

    public static void Start(ConsumerGroupStart start)
    {
        if (start.Kind is not (ConsumerGroupStartKind.Beginning or ConsumerGroupStartKind.End or ConsumerGroupStartKind.After))
        {
            throw new ArgumentOutOfRangeException(nameof(start), start.Kind, "Unknown consumer group start.");
        }
    }

    public static void Claim(string stream, string group, string consumer, int limit, TimeSpan claimTimeout)
    {
        Names(stream, group, consumer, consumerRequired: true);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(claimTimeout, TimeSpan.Zero);
    }

    public static void ClaimOwnPending(string stream, string group, string consumer, int limit)
    {
        Names(stream, group, consumer, consumerRequired: true);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
    }

    public static void Acknowledge(string stream, string group, IReadOnlyList<StreamId> ids)
    {
        Names(stream, group);
        ArgumentNullException.ThrowIfNull(ids);
    }

    public static void Pending(string stream, string group, string? consumer, int limit)
    {
        Names(stream, group, consumer);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
    }

    /// <summary>Milliseconds of a positive timeout, at least 1.</summary>
    public static long Milliseconds(TimeSpan timeout) => Math.Max(1, (long)Math.Ceiling(timeout.TotalMilliseconds));
}
