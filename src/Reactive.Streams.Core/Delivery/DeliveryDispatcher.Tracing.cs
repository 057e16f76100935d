using System.Diagnostics;

namespace Reactive.Streams;

/// <summary>The dispatcher's "dispatch" spans (docs/tracing.md).</summary>
public sealed partial class DeliveryDispatcher<T>
{
    private string? _dispatchSpanName;

    /// <summary>
    /// Starts the PRODUCER span of one dispatch, on the dispatcher. Its parent is the caller's current span; a
    /// <see cref="StreamFrame"/> item that carries a trace context parents it instead (so each frame's trace continues
    /// even when a batch handler dispatches it), and the caller's span, if any, is linked. The span is not left current.
    /// </summary>
    private Activity? StartDispatch(T item)
    {
        ActivityContext parent = default;
        ActivityLink[]? links = null;
        if (item is StreamFrame frame && StreamTracing.Extract(frame) is var context && context != default)
        {
            parent = context;
            if (Activity.Current is { } current && current.Context != context)
            {
                links = [new ActivityLink(current.Context)];
            }
        }

        var activity = StreamTracing.Start(
            "dispatch", "send", ActivityKind.Producer, Name, parent, links, makeCurrent: false, _dispatchSpanName ??= $"dispatch {Name}");
        if (activity is { IsAllDataRequested: true } && item is StreamFrame withId)
        {
            activity.SetTag("messaging.message.id", withId.Id.ToString());
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
            StreamTracing.SetError(dispatch, error);
            throw;
        }
        finally
        {
            StreamTracing.StopDetached(dispatch);
        }
    }
}
