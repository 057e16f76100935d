using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Reactive.Streams;

/// <summary>
/// An <see cref="IStreamLog"/> held in this process's memory: for tests and single-process use. Nothing survives
/// the process; payloads are copied on append. Tails wake as soon as an append returns.
/// </summary>
public sealed partial class InMemoryStreamLog : StreamLog
{
    private readonly ConcurrentDictionary<string, StreamState> _streams = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, StreamId> _checkpoints = new(StringComparer.Ordinal);

    /// <summary>Creates an empty log.</summary>
    /// <param name="options">The options; null for the defaults. Read once, here: changing the object later changes nothing.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public InMemoryStreamLog(StreamLogOptions? options = null)
        : base(options is null ? new StreamLogOptions() : new StreamLogOptions(options))
    {
    }

    /// <inheritdoc/>
    protected override ValueTask<AppendResult> AppendCoreAsync(
        string stream, ReadOnlyMemory<byte> frame, AppendMode mode, IReadOnlyDictionary<string, string>? headers, JsonNode? patch, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<AppendResult>(cancellationToken);
        }

        // Copied before the stream is touched: reading the caller's memory or headers can throw (a pooled buffer whose
        // owner was disposed), and then nothing has changed.
        var payload = frame.ToArray();
        var copied = headers is null ? null : FrameHeaders.Copy(headers);
        var state = _streams.GetOrAdd(stream, static _ => new StreamState());
        // The clock is read outside the lock (it is the caller's code); a stale reading just takes the next sequence.
        var nowMs = NowMilliseconds();
        AppendResult result;
        lock (state.Gate)
        {
            state.AssertInvariants();
            var summaries = state.PlanSummaries(mode == AppendMode.DurableSummary ? [patch] : null);
            var id = state.Append(payload, copied, mode, summaries?[0], nowMs, Options.LiveRetention);
            result = new AppendResult(id, state.Frames.Count, state.SummaryVersion);
        }

        NotifyAppended(stream);
        return new ValueTask<AppendResult>(result);
    }

    /// <inheritdoc/>
    protected override ValueTask<AppendBatchResult> AppendBatchCoreAsync(
        string stream, IReadOnlyList<ReadOnlyMemory<byte>> frames, AppendMode mode, IReadOnlyList<IReadOnlyDictionary<string, string>?>? headers, JsonNode?[]? patches,
        CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<AppendBatchResult>(cancellationToken);
        }

        // Every frame is copied before the first is stored: reading a frame's memory or headers can throw (a pooled
        // buffer whose owner was disposed), and a batch is written whole or not at all.
        var payloads = new byte[frames.Count][];
        var copied = headers is null ? null : new IReadOnlyDictionary<string, string>?[frames.Count];
        for (var i = 0; i < payloads.Length; i++)
        {
            payloads[i] = frames[i].ToArray();
            if (copied is not null && headers![i] is { } own)
            {
                copied[i] = FrameHeaders.Copy(own);
            }
        }

        var state = _streams.GetOrAdd(stream, static _ => new StreamState());
        var nowMs = NowMilliseconds();
        AppendBatchResult result;
        lock (state.Gate)
        {
            state.AssertInvariants();
            // Every summary is computed before the first frame is stored, so a patch that fails writes nothing.
            var summaries = state.PlanSummaries(patches);
            var first = default(StreamId);
            var last = default(StreamId);
            for (var i = 0; i < payloads.Length; i++)
            {
                last = state.Append(payloads[i], copied?[i], mode, summaries?[i], nowMs, Options.LiveRetention);
                if (i == 0)
                {
                    first = last;
                }
            }

            result = new AppendBatchResult(first, last, state.Frames.Count, state.SummaryVersion);
        }

        NotifyAppended(stream);
        return new ValueTask<AppendBatchResult>(result);
    }

    /// <inheritdoc/>
    protected override ValueTask<IReadOnlyList<StreamFrame>> ReadCoreAsync(string stream, StreamId from, StreamId to, int limit, TailVisibility visibility, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<IReadOnlyList<StreamFrame>>(cancellationToken);
        }

        if (!_streams.TryGetValue(stream, out var state))
        {
            return new ValueTask<IReadOnlyList<StreamFrame>>([]);
        }

        StreamFrame[] result;
        lock (state.Gate)
        {
            state.AssertInvariants();

            // Counted first, so the result is one array of the exact size (none when nothing matches): a tail that
            // finds nothing or one frame allocates nothing or the one small array.
            var start = state.IndexOfFirstAtOrAfter(from);
            var count = 0;
            for (var i = start; i < state.Frames.Count && count < limit && state.Frames[i].Id <= to; i++)
            {
                if (IsVisible(state.Frames[i], visibility))
                {
                    count++;
                }
            }

            if (count == 0)
            {
                return new ValueTask<IReadOnlyList<StreamFrame>>(Array.Empty<StreamFrame>());
            }

            result = new StreamFrame[count];
            for (int i = start, taken = 0; taken < count; i++)
            {
                if (IsVisible(state.Frames[i], visibility))
                {
                    result[taken++] = state.Frames[i];
                }
            }
        }

        return new ValueTask<IReadOnlyList<StreamFrame>>(result);
    }

    private protected override bool TryReadReadyInto(string stream, StreamId from, int limit, TailVisibility visibility, List<StreamFrame> into)
    {
        if (!_streams.TryGetValue(stream, out var state))
        {
            return true;
        }

        lock (state.Gate)
        {
            state.AssertInvariants();
            var taken = 0;
            for (var i = state.IndexOfFirstAtOrAfter(from); i < state.Frames.Count && taken < limit; i++)
            {
                if (IsVisible(state.Frames[i], visibility))
                {
                    into.Add(state.Frames[i]);
                    taken++;
                }
            }
        }

        return true;
    }

    private static bool IsVisible(StreamFrame frame, TailVisibility visibility) =>
        visibility == TailVisibility.All || frame.Mode != AppendMode.BestEffortLive;

    /// <inheritdoc/>
    protected override ValueTask<StreamSummary?> ReadSummaryCoreAsync(string stream, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<StreamSummary?>(cancellationToken);
        }

        if (!_streams.TryGetValue(stream, out var state))
        {
            return new ValueTask<StreamSummary?>((StreamSummary?)null);
        }

        string json;
        long version;
        DateTimeOffset first, last;
        lock (state.Gate)
        {
            if (state.SummaryVersion == 0)
            {
                return new ValueTask<StreamSummary?>((StreamSummary?)null);
            }

            json = JsonMergePatch.Serialize(state.Summary);
            (version, first, last) = (state.SummaryVersion, state.FirstUpdated, state.LastUpdated);
        }

        using var document = JsonDocument.Parse(json);
        return new ValueTask<StreamSummary?>(new StreamSummary(document.RootElement.Clone(), version, first, last));
    }

    /// <inheritdoc/>
    protected override ValueTask<StreamId?> ReadCheckpointCoreAsync(string checkpointId, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<StreamId?>(cancellationToken);
        }

        return new ValueTask<StreamId?>(_checkpoints.TryGetValue(checkpointId, out var position) ? position : null);
    }

    /// <inheritdoc/>
    protected override ValueTask WriteCheckpointCoreAsync(string checkpointId, StreamId position, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        _checkpoints[checkpointId] = position;
        return ValueTask.CompletedTask;
    }

    private sealed class StreamState
    {
        public readonly Lock Gate = new();

        // Ordered by id; the lock protects everything below.
        public readonly List<StreamFrame> Frames = [];
        public StreamId? LastId;
        public int BestEffortCount;
        public JsonNode? Summary;
        public long SummaryVersion;
        public DateTimeOffset FirstUpdated;
        public DateTimeOffset LastUpdated;
        public double? Rate;
        public long RateMs;

        /// <summary>The summary after each patch in turn, computed without changing the stream; null when there are no patches.</summary>
        public JsonNode?[]? PlanSummaries(JsonNode?[]? patches)
        {
            if (patches is null)
            {
                return null;
            }

            var summaries = new JsonNode?[patches.Length];
            var summary = Summary;
            for (var i = 0; i < patches.Length; i++)
            {
                summary = summaries[i] = JsonMergePatch.Apply(summary, patches[i]);
            }

            return summaries;
        }

        /// <summary>
        /// Stores one frame: <paramref name="payload"/> and <paramref name="headers"/> are the log's own copies, so nothing
        /// here reads the caller's memory (and nothing can fail half-way). <paramref name="summaryAfter"/> is its planned
        /// summary when the mode is DurableSummary.
        /// </summary>
        public StreamId Append(
            byte[] payload, IReadOnlyDictionary<string, string>? headers, AppendMode mode, JsonNode? summaryAfter, long nowMs, LiveRetentionOptions retention)
        {
            var id = NextId(LastId, nowMs);
            if (mode == AppendMode.DurableSummary)
            {
                // Milliseconds, as the SQLite and PostgreSQL logs store them.
                var now = DateTimeOffset.FromUnixTimeMilliseconds(nowMs);
                Summary = summaryAfter;
                if (SummaryVersion++ == 0)
                {
                    FirstUpdated = now;
                }

                LastUpdated = now;
            }

            Frames.Add(headers is null
                ? new StreamFrame(id, payload, mode)
                : new StreamFrame(id, payload, mode) { Headers = headers });
            LastId = id;
            if (mode == AppendMode.BestEffortLive)
            {
                BestEffortCount++;
                Rate = retention.NextRate(Rate, RateMs, nowMs);
                // The next interval runs from this append, even when the clock went back: not from the latest time seen.
                RateMs = nowMs;
                TrimBestEffort(retention.RetainedLength(Rate.Value));
            }

            return id;
        }

        public int IndexOfFirstAtOrAfter(StreamId from)
        {
            int lo = 0, hi = Frames.Count;
            while (lo < hi)
            {
                var mid = (lo + hi) >>> 1;
                if (Frames[mid].Id < from)
                {
                    lo = mid + 1;
                }
                else
                {
                    hi = mid;
                }
            }

            return lo;
        }

        [Conditional("DEBUG")]
        public void AssertInvariants()
        {
            Debug.Assert(Gate.IsHeldByCurrentThread);
            Debug.Assert(Frames.Count == 0 || Frames[^1].Id == LastId);
            Debug.Assert(BestEffortCount <= Frames.Count);
        }

        private void TrimBestEffort(int keep)
        {
            var excess = BestEffortCount - keep;
            if (excess <= 0)
            {
                return;
            }

            // One compaction pass: drop the oldest `excess` best-effort frames, keep everything else in order.
            var write = 0;
            for (var read = 0; read < Frames.Count; read++)
            {
                var frame = Frames[read];
                if (excess > 0 && frame.Mode == AppendMode.BestEffortLive)
                {
                    excess--;
                    BestEffortCount--;
                    continue;
                }

                Frames[write++] = frame;
            }

            Frames.RemoveRange(write, Frames.Count - write);
        }
    }
}
