using System.Diagnostics;

namespace Reactive.Streams;

/// <summary>
/// The library's tracing: one <see cref="ActivitySource"/>, named <see cref="ActivitySourceName"/>, for the stream log
/// (append, read, tail), the cursor canal (pull) and its worker (process), and the delivery dispatcher (dispatch, each
/// sink write with its retries, dead letters). Spans follow the OpenTelemetry messaging semantic conventions
/// (docs/tracing.md). An append injects the W3C trace context into the frame's headers
/// (<see cref="FrameHeaders.TraceParent"/>), and the canal and the dispatcher restore it, so a trace started by a
/// producer continues in the consumer. With no listener on the source nothing is allocated and no header is added.
/// </summary>
public static class StreamTracing
{
    /// <summary>The name of the library's <see cref="ActivitySource"/> (add it to OpenTelemetry with <c>AddSource</c>).</summary>
    public const string ActivitySourceName = "Reactive.Streams";

    /// <summary>The <c>messaging.system</c> attribute of every span: <c>reactive_streams</c>.</summary>
    public const string MessagingSystem = "reactive_streams";

    internal static readonly ActivitySource Source = new(ActivitySourceName, typeof(StreamTracing).Assembly.GetName().Version?.ToString());

    // Reads a field of a frame's headers for the propagator.
    private static readonly DistributedContextPropagator.PropagatorGetterCallback s_getter =
        static (object? carrier, string fieldName, out string? fieldValue, out IEnumerable<string>? fieldValues) =>
        {
            fieldValues = null;
            fieldValue = null;
            if (carrier is IReadOnlyDictionary<string, string> map && map.TryGetValue(fieldName, out var value))
            {
                fieldValue = value;
            }
        };

    /// <summary>Whether a span could be recorded now: instrumentation is on and someone listens to the source.</summary>
    internal static bool IsActive => Telemetry.Enabled && Source.HasListeners();

    /// <summary>
    /// Starts a messaging span named <c>{operation} {destination}</c>; null when nobody samples it. Call only when
    /// <see cref="IsActive"/>. The span does not stay <see cref="Activity.Current"/> unless <paramref name="makeCurrent"/>.
    /// A component that starts many spans passes its precomputed <paramref name="spanName"/>, so a listener that samples
    /// nothing costs it no allocation.
    /// </summary>
    internal static Activity? Start(
        string operationName, string operationType, ActivityKind kind, string destination, ActivityContext parent = default,
        IEnumerable<ActivityLink>? links = null, bool makeCurrent = true, string? spanName = null)
    {
        var previous = Activity.Current;
        var activity = Source.StartActivity(spanName ?? $"{operationName} {destination}", kind, parent, tags: null, links);
        if (activity is null)
        {
            return null;
        }

        if (!makeCurrent)
        {
            Activity.Current = previous;
        }

        if (activity.IsAllDataRequested)
        {
            activity.SetTag("messaging.system", MessagingSystem);
            activity.SetTag("messaging.destination.name", destination);
            activity.SetTag("messaging.operation.type", operationType);
            activity.SetTag("messaging.operation.name", operationName);
        }

        return activity;
    }

    /// <summary>Ends a span that is not <see cref="Activity.Current"/> without changing <see cref="Activity.Current"/> (which <see cref="Activity.Stop"/> would set to the span's parent).</summary>
    internal static void StopDetached(Activity? activity)
    {
        if (activity is null)
        {
            return;
        }

        var current = Activity.Current;
        activity.Dispose();
        Activity.Current = current;
    }

    /// <summary>Marks a span failed: status Error and <c>error.type</c>, the exception's full type name.</summary>
    internal static void SetError(Activity? activity, Exception error)
    {
        if (activity is null)
        {
            return;
        }

        activity.SetStatus(ActivityStatusCode.Error, error.Message);
        activity.SetTag("error.type", error.GetType().FullName);
    }

    /// <summary>
    /// Marks a span failed, unless <paramref name="error"/> is the cancellation its caller asked for through
    /// <paramref name="cancellationToken"/>: the OpenTelemetry conventions count a cancellation as no error, so that span
    /// ends with its status unset.
    /// </summary>
    internal static void SetError(Activity? activity, Exception error, CancellationToken cancellationToken)
    {
        if (error is OperationCanceledException && cancellationToken.IsCancellationRequested)
        {
            return;
        }

        SetError(activity, error);
    }

    /// <summary>
    /// A copy of <paramref name="headers"/> with <paramref name="activity"/>'s context injected by the current propagator
    /// (W3C). When the propagator injects a <c>traceparent</c>, the context replaces the headers' own whole: a
    /// <c>tracestate</c> or <c>baggage</c> the headers carried (a frame forwarded from another trace) goes too, since it
    /// describes that trace, not this one.
    /// </summary>
    internal static IReadOnlyDictionary<string, string> Inject(Activity activity, IReadOnlyDictionary<string, string>? headers)
    {
        var injected = new Dictionary<string, string>(2, StringComparer.Ordinal);
        DistributedContextPropagator.Current.Inject(activity, injected, static (state, key, value) =>
        {
            if (state is Dictionary<string, string> map && key is not null && value is not null)
            {
                map[key] = value;
            }
        });

        if (headers is null || headers.Count == 0)
        {
            return injected;
        }

        var carrier = new Dictionary<string, string>(headers, StringComparer.Ordinal);
        if (injected.ContainsKey(FrameHeaders.TraceParent))
        {
            // Every field the propagator carries (tracestate, baggage) describes the headers' old trace, not this one.
            foreach (var field in DistributedContextPropagator.Current.Fields)
            {
                carrier.Remove(field);
            }
        }

        foreach (var (key, value) in injected)
        {
            carrier[key] = value;
        }

        return carrier;
    }

    /// <summary>The trace context a frame carries (its creation context), or default when it carries none.</summary>
    internal static ActivityContext Extract(StreamFrame frame)
    {
        var headers = frame.Headers;
        if (headers.Count == 0)
        {
            return default;
        }

        DistributedContextPropagator.Current.ExtractTraceIdAndState(headers, s_getter, out var traceParent, out var traceState);
        return ActivityContext.TryParse(traceParent, traceState, isRemote: true, out var context) ? context : default;
    }

    /// <summary>
    /// Adds the baggage <paramref name="frame"/> carries (the producer's, injected beside its context) to
    /// <paramref name="activity"/>, a span whose parent is that frame's context: as ASP.NET Core does for a request, the
    /// consumer's span, and what runs under it, sees the producer's baggage.
    /// </summary>
    internal static void RestoreBaggage(Activity activity, StreamFrame frame)
    {
        if (DistributedContextPropagator.Current.ExtractBaggage(frame.Headers, s_getter) is { } baggage)
        {
            AddBaggage(activity, baggage);
        }
    }

    /// <summary>
    /// Adds <paramref name="baggage"/> to <paramref name="activity"/> in its order (<see cref="Activity.AddBaggage"/>
    /// puts each item first, so they are added last to first). Allocates nothing when there is none.
    /// </summary>
    internal static void AddBaggage(Activity activity, IEnumerable<KeyValuePair<string, string?>> baggage)
    {
        List<KeyValuePair<string, string?>>? items = null;
        foreach (var item in baggage)
        {
            (items ??= []).Add(item);
        }

        for (var i = (items?.Count ?? 0) - 1; i >= 0; i--)
        {
            activity.AddBaggage(items![i].Key, items[i].Value);
        }
    }

    /// <summary>
    /// A canal's pull as a "receive" (CLIENT) span on <paramref name="stream"/>, linked to the trace context of every
    /// frame it returns; <paramref name="group"/> names a consumer group's pull. A pull cancelled through
    /// <paramref name="cancellationToken"/> (the caller's) is no error.
    /// </summary>
    internal static async ValueTask<CanalBatch<StreamFrame>> TracePullAsync<TState>(
        string stream, string? group, TState state, Func<TState, ValueTask<CanalBatch<StreamFrame>>> pull, CancellationToken cancellationToken)
    {
        using var activity = Start("pull", "receive", ActivityKind.Client, stream);
        if (group is not null && activity is { IsAllDataRequested: true })
        {
            // Known before the pull: a pull that ends with no batch (cancelled, failed) names its group too.
            activity.SetTag("messaging.consumer.group.name", group);
        }

        try
        {
            var batch = await pull(state).ConfigureAwait(false);
            if (activity is { IsAllDataRequested: true })
            {
                activity.SetTag("messaging.batch.message_count", batch.Count);
                if (batch.Count == 1)
                {
                    activity.SetTag("messaging.message.id", batch[0].Id.ToString());
                }

                foreach (var link in LinksOf(batch) ?? [])
                {
                    activity.AddLink(link);
                }
            }

            return batch;
        }
        catch (Exception error)
        {
            SetError(activity, error, cancellationToken);
            throw;
        }
    }

    /// <summary>Links to the distinct trace contexts the frames carry; null when none carries one.</summary>
    internal static List<ActivityLink>? LinksOf<T>(IReadOnlyList<T> items)
    {
        if (typeof(T) != typeof(StreamFrame))
        {
            return null;
        }

        List<ActivityLink>? links = null;
        for (var i = 0; i < items.Count; i++)
        {
            var context = Extract((StreamFrame)(object)items[i]!);
            if (context != default && (links is null || !Links(links, context)))
            {
                (links ??= []).Add(new ActivityLink(context));
            }
        }

        return links;
    }

    // A loop, not List.Exists with a lambda: the lambda's closure over the context was allocated for every frame.
    private static bool Links(List<ActivityLink> links, ActivityContext context)
    {
        foreach (var link in links)
        {
            if (link.Context == context)
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>
/// The switch behind every instrumentation hook (tracing and the per-item metric work). On unless the
/// <c>Reactive.Streams.DisableTelemetry</c> AppContext switch is set before the library is first used: the benchmarks
/// set it to measure the instrumentation's cost in the same run. A static readonly field, so the JIT folds the check.
/// </summary>
internal static class Telemetry
{
    public static readonly bool Enabled = !(AppContext.TryGetSwitch("Reactive.Streams.DisableTelemetry", out var disabled) && disabled);
}
