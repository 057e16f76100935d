using StackExchange.Redis;

namespace Reactive.Streams.Storage.Redis;

/// <summary>Consumer groups on Redis's native stream consumer groups (see <see cref="GroupScripts"/>).</summary>
public sealed partial class RedisStreamLog : IConsumerGroupLog
{
    // At most how many due entries a claim considers for reclaiming at a time (it reads pages of them until its limit
    // is met or none is left), and how many of the oldest pending entries it examines for entries another client
    // handed out (XAUTOCLAIM's COUNT defaults to 100).
    private const int ReclaimScan = 1000;

    // Up to how many due entries a claim takes the oldest ids among all of them (as the other backends do), reading and
    // sorting their ids; with more due at once (a backlog of dead members), it takes the longest-held first, a page at
    // a time, so that one script's work stays bounded. As many as one claim may hand out at most by default.
    private const int ReclaimById = StreamLogOptions.DefaultMaxReadCount;

    private static readonly byte[] CreateHash = Scripts.Hash(GroupScripts.Create);
    private static readonly byte[] ClaimHash = Scripts.Hash(GroupScripts.Claim);
    private static readonly byte[] ClaimOwnPendingHash = Scripts.Hash(GroupScripts.ClaimOwnPending);
    private static readonly byte[] AcknowledgeHash = Scripts.Hash(GroupScripts.Acknowledge);
    private static readonly byte[] PendingHash = Scripts.Hash(GroupScripts.Pending);
    private static readonly byte[] InfoHash = Scripts.Hash(GroupScripts.Info);

    /// <inheritdoc/>
    /// <remarks>On Redis: <c>XGROUP CREATE … MKSTREAM</c> on the stream's durable and best-effort entries, in one script.</remarks>
    public ValueTask<bool> CreateGroupAsync(string stream, string group, ConsumerGroupStart start, CancellationToken cancellationToken = default)
    {
        ConsumerGroupArgs.Names(stream, group);
        ConsumerGroupArgs.Start(start);
        ThrowIfDisposed();
        // Validated before the first await: a bad argument throws from this call, not from the returned task.
        return CreateGroupCoreAsync(stream, group, start, cancellationToken);
    }

    private async ValueTask<bool> CreateGroupCoreAsync(string stream, string group, ConsumerGroupStart start, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var position = start.Kind switch
        {
            ConsumerGroupStartKind.Beginning => "0",
            ConsumerGroupStartKind.End => "$",
            _ => start.Id.ToString(),
        };
        var keys = new RedisKey[] { DurableKey(stream), LiveKey(stream) };
        var args = new RedisValue[] { group, position, position };
        var created = await SendAsync(() => EvaluateAsync(CreateHash, GroupScripts.Create, keys, args), cancellationToken).ConfigureAwait(false);
        return (long)created == 1;
    }

    /// <inheritdoc/>
    /// <remarks>
    /// On Redis: one script runs <c>XPENDING</c> and <c>XCLAIM</c> for the due pending entries, then
    /// <c>XREADGROUP … &gt;</c> (never <c>BLOCK</c>) for new ones, on the durable and the best-effort entries.
    /// </remarks>
    public ValueTask<ConsumerGroupClaim> ClaimAsync(string stream, string group, string consumer, int limit, TimeSpan claimTimeout, CancellationToken cancellationToken = default)
    {
        ConsumerGroupArgs.Claim(stream, group, consumer, limit, claimTimeout);
        ThrowIfDisposed();
        // Validated before the first await: a bad argument throws from this call, not from the returned task.
        return ClaimCoreAsync(stream, group, consumer, limit, claimTimeout, cancellationToken);
    }

    private async ValueTask<ConsumerGroupClaim> ClaimCoreAsync(string stream, string group, string consumer, int limit, TimeSpan claimTimeout, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        limit = Math.Min(limit, Options.MaxReadCount);
        var keys = new RedisKey[] { DurableKey(stream), LiveKey(stream), GroupKey(stream, group, "z"), GroupKey(stream, group, "c") };
        var args = new RedisValue[]
        {
            group, consumer, limit, ConsumerGroupArgs.Milliseconds(claimTimeout), NowMilliseconds(), Math.Min(ReclaimScan, Math.Max(limit, 100)), ReclaimById,
        };
        var reply = (RedisResult[])(await SendAsync(() => EvaluateAsync(ClaimHash, GroupScripts.Claim, keys, args), cancellationToken).ConfigureAwait(false))!;
        ThrowIfNoGroup(reply, stream, group);
        var reclaimed = (RedisResult[])reply[2]!;
        var counts = (RedisResult[])reply[3]!;
        var fresh = (RedisResult[])reply[4]!;
        var frames = new List<ClaimedFrame>(reclaimed.Length + fresh.Length);
        for (var i = 0; i < reclaimed.Length; i++)
        {
            frames.Add(new ClaimedFrame(ParseEntry(reclaimed[i]), (long)counts[i]));
        }

        // Each part comes from the two halves one after the other; every reclaimed id is older than every new one.
        frames.Sort(static (a, b) => a.Frame.Id.CompareTo(b.Frame.Id));
        var reclaimedCount = frames.Count;
        foreach (var entry in fresh)
        {
            frames.Add(new ClaimedFrame(ParseEntry(entry), 1));
        }

        frames.Sort(reclaimedCount, frames.Count - reclaimedCount, Comparer<ClaimedFrame>.Create(static (a, b) => a.Frame.Id.CompareTo(b.Frame.Id)));

        return new ConsumerGroupClaim(frames, StreamId.Parse((string)reply[1]!));
    }

    /// <inheritdoc/>
    /// <remarks>
    /// On Redis: one script runs <c>XREADGROUP GROUP g c COUNT n STREAMS s <i>after</i></c> (the consumer's history) on the
    /// durable and the best-effort entries, taking from each as many as <c>XPENDING</c> of the consumer says come next
    /// across both.
    /// </remarks>
    public ValueTask<ConsumerGroupClaim> ClaimOwnPendingAsync(string stream, string group, string consumer, StreamId after, int limit, CancellationToken cancellationToken = default)
    {
        ConsumerGroupArgs.ClaimOwnPending(stream, group, consumer, limit);
        ThrowIfDisposed();
        // Validated before the first await: a bad argument throws from this call, not from the returned task.
        return ClaimOwnPendingCoreAsync(stream, group, consumer, after, limit, cancellationToken);
    }

    private async ValueTask<ConsumerGroupClaim> ClaimOwnPendingCoreAsync(string stream, string group, string consumer, StreamId after, int limit, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        limit = Math.Min(limit, Options.MaxReadCount);
        var keys = new RedisKey[] { DurableKey(stream), LiveKey(stream), GroupKey(stream, group, "z"), GroupKey(stream, group, "c") };
        var args = new RedisValue[] { group, consumer, after.ToString(), limit, NowMilliseconds() };
        var reply = (RedisResult[])(await SendAsync(() => EvaluateAsync(ClaimOwnPendingHash, GroupScripts.ClaimOwnPending, keys, args), cancellationToken).ConfigureAwait(false))!;
        ThrowIfNoGroup(reply, stream, group);
        var entries = (RedisResult[])reply[2]!;
        var counts = (RedisResult[])reply[3]!;
        var frames = new List<ClaimedFrame>(entries.Length);
        for (var i = 0; i < entries.Length; i++)
        {
            frames.Add(new ClaimedFrame(ParseEntry(entries[i]), (long)counts[i]));
        }

        // The two halves come one after the other.
        frames.Sort(static (a, b) => a.Frame.Id.CompareTo(b.Frame.Id));
        return new ConsumerGroupClaim(frames, StreamId.Parse((string)reply[1]!));
    }

    /// <inheritdoc/>
    /// <remarks>On Redis: <c>XACK</c>.</remarks>
    public ValueTask<long> AcknowledgeAsync(string stream, string group, IReadOnlyList<StreamId> ids, CancellationToken cancellationToken = default)
    {
        ConsumerGroupArgs.Acknowledge(stream, group, ids);
        ThrowIfDisposed();
        // Validated before the first await: a bad argument throws from this call, not from the returned task.
        return AcknowledgeCoreAsync(stream, group, ids, cancellationToken);
    }

    private async ValueTask<long> AcknowledgeCoreAsync(string stream, string group, IReadOnlyList<StreamId> ids, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var keys = new RedisKey[] { DurableKey(stream), LiveKey(stream), GroupKey(stream, group, "z") };
        var args = new RedisValue[1 + ids.Count];
        args[0] = group;
        for (var i = 0; i < ids.Count; i++)
        {
            args[1 + i] = ids[i].ToString();
        }

        // Acknowledging is idempotent, so after a lost connection it is retried like a read.
        var reply = (RedisResult[])(await RetryTransientAsync(() => EvaluateAsync(AcknowledgeHash, GroupScripts.Acknowledge, keys, args), cancellationToken).ConfigureAwait(false))!;
        ThrowIfNoGroup(reply, stream, group);
        return (long)reply[1];
    }

    /// <inheritdoc/>
    /// <remarks>On Redis: the extended <c>XPENDING</c>; idle times are on the log's clock.</remarks>
    public ValueTask<IReadOnlyList<PendingFrame>> ReadPendingAsync(string stream, string group, string? consumer, int limit, CancellationToken cancellationToken = default)
    {
        ConsumerGroupArgs.Pending(stream, group, consumer, limit);
        ThrowIfDisposed();
        // Validated before the first await: a bad argument throws from this call, not from the returned task.
        return ReadPendingCoreAsync(stream, group, consumer, limit, cancellationToken);
    }

    private async ValueTask<IReadOnlyList<PendingFrame>> ReadPendingCoreAsync(string stream, string group, string? consumer, int limit, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var keys = new RedisKey[] { DurableKey(stream), LiveKey(stream), GroupKey(stream, group, "z") };
        var args = new RedisValue[] { group, Math.Min(limit, Options.MaxReadCount), NowMilliseconds(), consumer ?? string.Empty };
        var reply = (RedisResult[])(await RetryTransientAsync(() => EvaluateAsync(PendingHash, GroupScripts.Pending, keys, args), cancellationToken).ConfigureAwait(false))!;
        ThrowIfNoGroup(reply, stream, group);
        var entries = (RedisResult[])reply[1]!;
        var pending = new PendingFrame[entries.Length];
        for (var i = 0; i < entries.Length; i++)
        {
            var e = (RedisResult[])entries[i]!;
            pending[i] = new PendingFrame(StreamId.Parse((string)e[0]!), (string)e[1]!, TimeSpan.FromMilliseconds((long)e[2]), (long)e[3]);
        }

        return pending;
    }

    /// <inheritdoc/>
    /// <remarks>On Redis: <c>XINFO GROUPS</c> and <c>XINFO CONSUMERS</c>; idle times are on the log's clock.</remarks>
    public ValueTask<ConsumerGroupInfo?> ReadGroupAsync(string stream, string group, CancellationToken cancellationToken = default)
    {
        ConsumerGroupArgs.Names(stream, group);
        ThrowIfDisposed();
        // Validated before the first await: a bad argument throws from this call, not from the returned task.
        return ReadGroupCoreAsync(stream, group, cancellationToken);
    }

    private async ValueTask<ConsumerGroupInfo?> ReadGroupCoreAsync(string stream, string group, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var keys = new RedisKey[] { DurableKey(stream), LiveKey(stream), GroupKey(stream, group, "c") };
        var args = new RedisValue[] { group, NowMilliseconds() };
        var reply = (RedisResult[])(await RetryTransientAsync(() => EvaluateAsync(InfoHash, GroupScripts.Info, keys, args), cancellationToken).ConfigureAwait(false))!;
        if ((long)reply[0] == -2)
        {
            return null;
        }

        var members = ((RedisResult[])reply[4]!)
            .Select(m => (RedisResult[])m!)
            .Select(m => new ConsumerGroupMember((string)m[0]!, (long)m[1], TimeSpan.FromMilliseconds((long)m[2])))
            .OrderBy(m => m.Name, StringComparer.Ordinal)
            .ToArray();
        return new ConsumerGroupInfo(stream, group, StreamId.Parse((string)reply[1]!), (long)reply[2], (long)reply[3], members);
    }

    private static void ThrowIfNoGroup(RedisResult[] reply, string stream, string group)
    {
        if ((long)reply[0] == -2)
        {
            throw new ConsumerGroupNotFoundException(stream, group);
        }
    }

    // A group's keys: "{prefix}{{stream}}:g:{group}:{suffix}", with '%' and '}' in the group's name escaped (%25, %7D), so
    // that the last '}' of a key always closes the stream's name and no two (stream, group) pairs share a key (stream
    // "a" with group "b}:g:c" against stream "a}:g:b" with group "c").
    private RedisKey GroupKey(string stream, string group, string suffix) =>
        string.Concat(StreamKeyPrefix(stream), "g:", group.Replace("%", "%25", StringComparison.Ordinal).Replace("}", "%7D", StringComparison.Ordinal), ":", suffix);

}
