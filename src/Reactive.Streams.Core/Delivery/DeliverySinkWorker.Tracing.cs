using System.Diagnostics;

namespace Reactive.Streams;

/// <summary>A sink's spans (docs/tracing.md): one CONSUMER span per write, with its retries and dead letters.</summary>
internal sealed partial class DeliverySinkWorker<T>
{
    // The sink queue's name, {dispatcher}/{sink}: the destination of this sink's spans.
    private readonly string _destination;

    // The write span in progress; the worker is single-threaded, so a field carries it to the retry and settle paths.
    private Activity? _span;
    private string? _writeSpanName;

    /// <summary>
    /// Starts the write span of item <paramref name="index"/> (parented to its dispatch span) or of the whole batch
    /// (<paramref name="index"/> -1: linked to every item's dispatch span). It is current while the sink runs, so the
    /// sink's own spans (an HTTP call) are its children.
    /// </summary>
    private Activity? StartWrite(int index)
    {
        ActivityContext parent = default;
        List<ActivityLink>? links = null;
        if (index >= 0)
        {
            if (_batch[index] is TracedDeliveryEnvelope<T> traced)
            {
                parent = traced.Dispatch.Context;
            }
        }
        else
        {
            foreach (var envelope in _batch)
            {
                if (envelope is TracedDeliveryEnvelope<T> traced)
                {
                    (links ??= []).Add(new ActivityLink(traced.Dispatch.Context));
                }
            }
        }

        var activity = StreamTracing.Start("deliver", "process", ActivityKind.Consumer, _destination, parent, links, spanName: _writeSpanName ??= $"deliver {_destination}");
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("reactive_streams.sink.name", Name);
            if (index < 0)
            {
                activity.SetTag("messaging.batch.message_count", _batch.Count);
            }
        }

        if (activity is not null && index >= 0 && _batch[index] is TracedDeliveryEnvelope<T> withBaggage)
        {
            // Parented by the dispatch span's context, not the span: its baggage (the caller's, or the frame's producer's)
            // is carried over, so the sink sees it as a request handler would.
            StreamTracing.AddBaggage(activity, withBaggage.Dispatch.Baggage);
        }

        return activity;
    }

    private void MarkOutcome(Outcome outcome, Exception? error)
    {
        if (_span is not null && outcome == Outcome.Failed && error is not null)
        {
            StreamTracing.SetError(_span, error);
        }
    }

    private void EndWrite()
    {
        _span?.Dispose();
        _span = null;
    }

    /// <summary>Adds a <c>retry</c> event to <paramref name="span"/>: the write's span, or a dead letter's for its own retries.</summary>
    private static void RecordRetry(Activity? span, int attempts, Exception error) =>
        span?.AddEvent(new ActivityEvent("retry", tags: new ActivityTagsCollection
        {
            ["reactive_streams.delivery.attempt"] = attempts,
            ["error.type"] = error.GetType().FullName,
        }));

    private void RecordDiscarded(int count) =>
        _span?.AddEvent(new ActivityEvent("discarded", tags: new ActivityTagsCollection { ["messaging.batch.message_count"] = count }));

    /// <summary>Starts the PRODUCER span of a dead letter, a child of the failed write's span.</summary>
    private Activity? StartDeadLetter(Exception failure)
    {
        var activity = StreamTracing.Start("dead_letter", "send", ActivityKind.Producer, _destination);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("reactive_streams.sink.name", Name);
            activity.SetTag("reactive_streams.delivery.failure.type", failure.GetType().FullName);
        }

        return activity;
    }

    private static void EndDeadLetter(Activity? activity, Outcome outcome, Exception? error)
    {
        if (activity is null)
        {
            return;
        }

        // Failed only: a dead letter the shutdown cancelled (Stopped) is no failure, as for the write's own span.
        if (outcome == Outcome.Failed && error is not null)
        {
            StreamTracing.SetError(activity, error);
        }

        // Its parent (the write span) becomes current again.
        activity.Dispose();
    }
}
