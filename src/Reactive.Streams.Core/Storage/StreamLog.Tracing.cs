using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;

namespace Reactive.Streams;

/// <summary>The log's spans (docs/tracing.md); taken only while <see cref="StreamTracing.IsActive"/>.</summary>
public abstract partial class StreamLog
{
    // An append is a "send" (PRODUCER) span; its context goes into the frame's headers, so consumers continue the trace.
    private async ValueTask<AppendResult> AppendTracedAsync(
        string stream, ReadOnlyMemory<byte> frame, AppendMode mode, IReadOnlyDictionary<string, string>? headers, JsonNode? patch, CancellationToken cancellationToken)
    {
        using var activity = StreamTracing.Start("append", "send", ActivityKind.Producer, stream);
        if (activity is not null)
        {
            headers = WithContext(activity, headers);
        }

        try
        {
            var result = await AppendCoreAsync(stream, frame, mode, headers, patch, cancellationToken).ConfigureAwait(false);
            if (activity is { IsAllDataRequested: true })
            {
                activity.SetTag("messaging.message.id", result.Id.ToString());
            }

            return result;
        }
        catch (Exception error)
        {
            StreamTracing.SetError(activity, error, cancellationToken);
            throw;
        }
    }

    // A batch is one "send" span; every frame carries its context (the spans' creation context, shared by the batch).
    private async ValueTask<AppendBatchResult> AppendBatchTracedAsync(
        string stream, IReadOnlyList<ReadOnlyMemory<byte>> frames, AppendMode mode, IReadOnlyList<IReadOnlyDictionary<string, string>?>? headers, JsonNode?[]? patches,
        CancellationToken cancellationToken)
    {
        using var activity = StreamTracing.Start("append", "send", ActivityKind.Producer, stream);
        if (activity is not null)
        {
            var traced = new IReadOnlyDictionary<string, string>?[frames.Count];
            for (var i = 0; i < traced.Length; i++)
            {
                traced[i] = WithContext(activity, headers?[i]);
            }

            headers = traced;
            if (activity.IsAllDataRequested)
            {
                activity.SetTag("messaging.batch.message_count", frames.Count);
            }
        }

        try
        {
            return await AppendBatchCoreAsync(stream, frames, mode, headers, patches, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception error)
        {
            StreamTracing.SetError(activity, error, cancellationToken);
            throw;
        }
    }

    /// <summary>
    /// The frame's headers with the span's context injected, when that fits the header rules; otherwise the frame's own
    /// headers alone (already validated), as an append without a listener would store them: the headers were valid, so
    /// tracing must not make the append fail (a frame with <see cref="FrameHeaders.MaxCount"/> headers, or near
    /// <see cref="FrameHeaders.MaxLength"/>, has no room for <c>traceparent</c>).
    /// </summary>
    private static IReadOnlyDictionary<string, string>? WithContext(Activity activity, IReadOnlyDictionary<string, string>? headers)
    {
        var traced = StreamTracing.Inject(activity, headers);
        try
        {
            FrameHeaders.Validate(traced, nameof(headers));
            return traced;
        }
        catch (ArgumentException)
        {
            return headers;
        }
    }

    private async ValueTask<IReadOnlyList<StreamFrame>> ReadTracedAsync(string stream, StreamId from, StreamId to, int limit, CancellationToken cancellationToken)
    {
        using var activity = StreamTracing.Start("read", "receive", ActivityKind.Client, stream);
        try
        {
            return Received(activity, await ReadCoreAsync(stream, from, to, limit, TailVisibility.All, cancellationToken).ConfigureAwait(false));
        }
        catch (Exception error)
        {
            StreamTracing.SetError(activity, error, cancellationToken);
            throw;
        }
    }

    private async ValueTask<IReadOnlyList<StreamFrame>> TailTracedAsync(
        string stream, StreamId after, TimeSpan block, int limit, TailVisibility visibility, CancellationToken cancellationToken)
    {
        using var activity = StreamTracing.Start("tail", "receive", ActivityKind.Client, stream);
        try
        {
            return Received(activity, await TailValidatedAsync(stream, after, block, limit, visibility, cancellationToken).ConfigureAwait(false));
        }
        catch (Exception error)
        {
            StreamTracing.SetError(activity, error, cancellationToken);
            throw;
        }
    }

    private static IReadOnlyList<StreamFrame> Received(Activity? activity, IReadOnlyList<StreamFrame> frames)
    {
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("messaging.batch.message_count", frames.Count);
            if (frames.Count == 1)
            {
                activity.SetTag("messaging.message.id", frames[0].Id.ToString());
            }
        }

        return frames;
    }
}
