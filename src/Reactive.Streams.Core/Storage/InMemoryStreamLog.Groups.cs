using System.Collections.Concurrent;

namespace Reactive.Streams;

/// <summary>Consumer groups of the in-memory log: each group's state under its own lock, frames read under the stream's.</summary>
public sealed partial class InMemoryStreamLog : IConsumerGroupLog
{
    private readonly ConcurrentDictionary<(string Stream, string Group), GroupState> _groups = new();

    /// <inheritdoc/>
    public ValueTask<bool> CreateGroupAsync(string stream, string group, ConsumerGroupStart start, CancellationToken cancellationToken = default)
    {
        ConsumerGroupArgs.Names(stream, group);
        ConsumerGroupArgs.Start(start);
        ThrowIfDisposed();
        if (cancellationToken.IsCancellationRequested)
        {
            // As every backend: a token already cancelled gives a cancelled task, not an exception at the call.
            return ValueTask.FromCanceled<bool>(cancellationToken);
        }

        if (_groups.ContainsKey((stream, group)))
        {
            return ValueTask.FromResult(false);
        }

        var last = start.Kind switch
        {
            ConsumerGroupStartKind.End => LastIdOf(stream),
            ConsumerGroupStartKind.After => start.Id,
            _ => StreamId.Min,
        };

        // TryAdd, not GetOrAdd: GetOrAdd may run its factory for several racing callers, and each would say it created the group.
        return ValueTask.FromResult(_groups.TryAdd((stream, group), new GroupState(last)));
    }

    /// <inheritdoc/>
    public ValueTask<ConsumerGroupClaim> ClaimAsync(string stream, string group, string consumer, int limit, TimeSpan claimTimeout, CancellationToken cancellationToken = default)
    {
        ConsumerGroupArgs.Claim(stream, group, consumer, limit, claimTimeout);
        ThrowIfDisposed();
        if (cancellationToken.IsCancellationRequested)
        {
            // As every backend: a token already cancelled gives a cancelled task, not an exception at the call.
            return ValueTask.FromCanceled<ConsumerGroupClaim>(cancellationToken);
        }

        var state = Group(stream, group);
        limit = Math.Min(limit, Options.MaxReadCount);
        var now = NowMilliseconds();
        var due = now - ConsumerGroupArgs.Milliseconds(claimTimeout);
        var claimed = new List<ClaimedFrame>();
        lock (state.Gate)
        {
            // Reclaim: pending frames (oldest id first) handed out at least the timeout ago.
            foreach (var (id, entry) in state.Pending.ToArray())
            {
                if (claimed.Count >= limit)
                {
                    break;
                }

                if (entry.DeliveredMs > due)
                {
                    continue;
                }

                if (FrameAt(stream, id) is not { } frame)
                {
                    state.Pending.Remove(id); // trimmed while pending: nothing left to hand out
                    continue;
                }

                var next = entry with { Consumer = consumer, DeliveredMs = now, Deliveries = entry.Deliveries + 1 };
                state.Pending[id] = next;
                claimed.Add(new ClaimedFrame(frame, next.Deliveries));
            }

            if (claimed.Count < limit)
            {
                var fresh = ReadCoreAsync(stream, state.LastDelivered.Successor(), StreamId.Max, limit - claimed.Count, TailVisibility.All, CancellationToken.None).Result;
                foreach (var frame in fresh)
                {
                    state.Pending[frame.Id] = new PendingEntry(consumer, now, 1);
                    claimed.Add(new ClaimedFrame(frame, 1));
                    state.LastDelivered = frame.Id;
                }
            }

            state.Members[consumer] = now;
            return ValueTask.FromResult(new ConsumerGroupClaim(claimed, state.LastDelivered));
        }
    }

    /// <inheritdoc/>
    public ValueTask<ConsumerGroupClaim> ClaimOwnPendingAsync(string stream, string group, string consumer, StreamId after, int limit, CancellationToken cancellationToken = default)
    {
        ConsumerGroupArgs.ClaimOwnPending(stream, group, consumer, limit);
        ThrowIfDisposed();
        if (cancellationToken.IsCancellationRequested)
        {
            // As every backend: a token already cancelled gives a cancelled task, not an exception at the call.
            return ValueTask.FromCanceled<ConsumerGroupClaim>(cancellationToken);
        }

        var state = Group(stream, group);
        limit = Math.Min(limit, Options.MaxReadCount);
        var now = NowMilliseconds();
        var claimed = new List<ClaimedFrame>();
        lock (state.Gate)
        {
            // The member's own pending frames after the cursor, oldest id first, whatever their claim time.
            foreach (var (id, entry) in state.Pending.ToArray())
            {
                if (claimed.Count >= limit)
                {
                    break;
                }

                if (id <= after || entry.Consumer != consumer)
                {
                    continue;
                }

                if (FrameAt(stream, id) is not { } frame)
                {
                    state.Pending.Remove(id); // trimmed while pending: nothing left to hand out, as a reclaim finds it
                    continue;
                }

                var next = entry with { DeliveredMs = now, Deliveries = entry.Deliveries + 1 };
                state.Pending[id] = next;
                claimed.Add(new ClaimedFrame(frame, next.Deliveries));
            }

            state.Members[consumer] = now;
            return ValueTask.FromResult(new ConsumerGroupClaim(claimed, state.LastDelivered));
        }
    }

    /// <inheritdoc/>
    public ValueTask<long> AcknowledgeAsync(string stream, string group, IReadOnlyList<StreamId> ids, CancellationToken cancellationToken = default)
    {
        ConsumerGroupArgs.Acknowledge(stream, group, ids);
        ThrowIfDisposed();
        if (cancellationToken.IsCancellationRequested)
        {
            // As every backend: a token already cancelled gives a cancelled task, not an exception at the call.
            return ValueTask.FromCanceled<long>(cancellationToken);
        }

        var state = Group(stream, group);
        long removed = 0;
        lock (state.Gate)
        {
            foreach (var id in ids)
            {
                removed += state.Pending.Remove(id) ? 1 : 0;
            }
        }

        return ValueTask.FromResult(removed);
    }

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<PendingFrame>> ReadPendingAsync(string stream, string group, string? consumer, int limit, CancellationToken cancellationToken = default)
    {
        ConsumerGroupArgs.Pending(stream, group, consumer, limit);
        ThrowIfDisposed();
        if (cancellationToken.IsCancellationRequested)
        {
            // As every backend: a token already cancelled gives a cancelled task, not an exception at the call.
            return ValueTask.FromCanceled<IReadOnlyList<PendingFrame>>(cancellationToken);
        }

        var state = Group(stream, group);
        limit = Math.Min(limit, Options.MaxReadCount);
        var now = NowMilliseconds();
        lock (state.Gate)
        {
            IReadOnlyList<PendingFrame> result = state.Pending
                .Where(p => consumer is null || p.Value.Consumer == consumer)
                .Take(limit)
                .Select(p => new PendingFrame(p.Key, p.Value.Consumer, Idle(now, p.Value.DeliveredMs), p.Value.Deliveries))
                .ToArray();
            return ValueTask.FromResult(result);
        }
    }

    /// <inheritdoc/>
    public ValueTask<ConsumerGroupInfo?> ReadGroupAsync(string stream, string group, CancellationToken cancellationToken = default)
    {
        ConsumerGroupArgs.Names(stream, group);
        ThrowIfDisposed();
        if (cancellationToken.IsCancellationRequested)
        {
            // As every backend: a token already cancelled gives a cancelled task, not an exception at the call.
            return ValueTask.FromCanceled<ConsumerGroupInfo?>(cancellationToken);
        }

        if (!_groups.TryGetValue((stream, group), out var state))
        {
            return ValueTask.FromResult<ConsumerGroupInfo?>(null);
        }

        var now = NowMilliseconds();
        lock (state.Gate)
        {
            var members = state.Members
                .OrderBy(m => m.Key, StringComparer.Ordinal)
                .Select(m => new ConsumerGroupMember(m.Key, state.Pending.Values.Count(p => p.Consumer == m.Key), Idle(now, m.Value)))
                .ToArray();
            var lag = 0L;
            if (_streams.TryGetValue(stream, out var frames))
            {
                lock (frames.Gate)
                {
                    lag = frames.Frames.Count - frames.IndexOfFirstAtOrAfter(state.LastDelivered.Successor());
                }
            }

            return ValueTask.FromResult<ConsumerGroupInfo?>(new ConsumerGroupInfo(stream, group, state.LastDelivered, state.Pending.Count, lag, members));
        }
    }

    private static TimeSpan Idle(long now, long since) => TimeSpan.FromMilliseconds(Math.Max(0, now - since));

    private GroupState Group(string stream, string group) =>
        _groups.TryGetValue((stream, group), out var state) ? state : throw new ConsumerGroupNotFoundException(stream, group);

    private StreamId LastIdOf(string stream)
    {
        if (!_streams.TryGetValue(stream, out var state))
        {
            return StreamId.Min;
        }

        lock (state.Gate)
        {
            return state.LastId ?? StreamId.Min;
        }
    }

    private StreamFrame? FrameAt(string stream, StreamId id)
    {
        if (!_streams.TryGetValue(stream, out var state))
        {
            return null;
        }

        lock (state.Gate)
        {
            var i = state.IndexOfFirstAtOrAfter(id);
            return i < state.Frames.Count && state.Frames[i].Id == id ? state.Frames[i] : null;
        }
    }

    private readonly record struct PendingEntry(string Consumer, long DeliveredMs, long Deliveries);

    private sealed class GroupState(StreamId lastDelivered)
    {
        public readonly Lock Gate = new();

        // Guarded by Gate.
        public readonly SortedDictionary<StreamId, PendingEntry> Pending = [];
        public readonly Dictionary<string, long> Members = new(StringComparer.Ordinal);
        public StreamId LastDelivered = lastDelivered;
    }
}
