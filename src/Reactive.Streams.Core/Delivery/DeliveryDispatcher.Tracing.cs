using System.Diagnostics;

namespace Reactive.Streams;

/// <summary>The dispatcher's "dispatch" spans (docs/tracing.md).</summary>
public sealed partial class DeliveryDispatcher<T>
{
    private string? _dispatchSpanName;

    /// <summary>
    /// Starts the PRODUCER span of one dispatch, on the dispatcher. Its parent is the caller's current span; a
    /// <see cref="StreamFrame"/> item that carries a trace context parents it instead (so each frame's trace continues
    /// even when a batch handler dispatches it), and the caller's span, if any, is linked; so does the frame an item was
    /// made from (<paramref name="origin"/>) unless the caller's span is in that frame's trace already. The span is not left current.
    /// </summary>
    private Activity? StartDispatch(T item, StreamFrame? origin)
    {
        ActivityContext parent = default;
        ActivityLink[]? links = null;
        var source = item as StreamFrame ?? origin;
        if (source is { } frame && StreamTracing.Extract(frame) is var context && context != default
            && (item is StreamFrame || Activity.Current?.TraceId != context.TraceId))
        {
            // A mapped item whose caller already runs in the frame's trace (a worker's process span for a single
            // frame is its child) keeps the caller as its parent; one dispatched from a batch's span joins its frame's.
            parent = context;
            if (Activity.Current is { } current && current.Context != context)
            {
                links = [new ActivityLink(current.Context)];
            }
        }

        var activity = StreamTracing.Start(
            "dispatch", "send", ActivityKind.Producer, Name, parent, links, makeCurrent: false, _dispatchSpanName ??= $"dispatch {Name}");
        if (activity is { IsAllDataRequested: true } && source is { } withId)
        {
            activity.SetTag("messaging.message.id", withId.Id.ToString());
        }

        if (activity is not null && parent != default)
        {
            // The frame's trace continues here, with the baggage its producer set (the caller's span is only linked).
            StreamTracing.RestoreBaggage(activity, source!);
        }

        return activity;
    }

    private static Exception DispatchFailed(Activity? dispatch, Exception error)
    {
        StreamTracing.SetError(dispatch, error);
        StreamTracing.StopDetached(dispatch);
        return error;
    }

    private async ValueTask DispatchTracedSlowAsync(ValueTask pending, DeliveryEnvelope<T> envelope, int index, Activity dispatch, CancellationToken cancellationToken)
    {
        try
        {
            await DispatchSlowAsync(pending, envelope, index, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception error)
        {
            // A dispatch its caller cancelled while it waited for room is no failure (docs/tracing.md).
            StreamTracing.SetError(dispatch, error, cancellationToken);
            throw;
        }
        finally
        {
            StreamTracing.StopDetached(dispatch);
        }
    }
}
