using System.Collections.Concurrent;
using System.Diagnostics;

namespace Reactive.Streams.Storage.Tests;

/// <summary>
/// Records the library's spans that belong to traces this recorder started, and only those: its listener samples a
/// <see cref="StreamTracing.ActivitySourceName"/> span only when its parent or a link is in one of the recorder's
/// traces, so tests running in parallel (which start no such trace) see no span and no injected header.
/// </summary>
public sealed class TraceRecorder : IDisposable
{
    private static readonly ActivitySource s_testSource = new("Reactive.Streams.Tests.Producer");
    private readonly ConcurrentDictionary<ActivityTraceId, bool> _traces = new();
    private readonly ConcurrentQueue<Activity> _stopped = new();
    private readonly ActivityListener _listener;

    public TraceRecorder()
    {
        // Read first: were the source created inside ShouldListenTo (a lazy static), this listener would miss it.
        var testSource = s_testSource;
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is StreamTracing.ActivitySourceName || source == testSource,
            Sample = Sample,
            ActivityStopped = activity =>
            {
                // Only the spans this recorder sampled: with another test's listener beside it, the library's spans of
                // that test's traces stop here too.
                if (activity.Source.Name == StreamTracing.ActivitySourceName && IsRecorded(activity))
                {
                    _stopped.Enqueue(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(_listener);
    }

    /// <summary>The library spans stopped so far, in stop order.</summary>
    public IReadOnlyList<Activity> Spans => [.. _stopped];

    /// <summary>Starts a producer's own span (the root of a recorded trace); it becomes <see cref="Activity.Current"/>.</summary>
    public Activity StartTrace(string name = "producer")
    {
        var activity = s_testSource.StartActivity(name, ActivityKind.Internal)!;
        _traces[activity.TraceId] = true;
        return activity;
    }

    public Activity Single(string name) => Assert.Single(Spans, s => s.DisplayName == name);

    public void Dispose() => _listener.Dispose();

    /// <summary>Whether <see cref="Sample"/> took <paramref name="activity"/>: in a recorded trace, or linked to one.</summary>
    private bool IsRecorded(Activity activity)
    {
        if (_traces.ContainsKey(activity.TraceId))
        {
            return true;
        }

        foreach (var link in activity.Links)
        {
            if (_traces.ContainsKey(link.Context.TraceId))
            {
                return true;
            }
        }

        return false;
    }

    private ActivitySamplingResult Sample(ref ActivityCreationOptions<ActivityContext> options)
    {
        if (options.Source == s_testSource)
        {
            return ActivitySamplingResult.AllDataAndRecorded;
        }

        if (_traces.ContainsKey(options.Parent.TraceId))
        {
            return ActivitySamplingResult.AllDataAndRecorded;
        }

        foreach (var link in options.Links ?? [])
        {
            if (_traces.ContainsKey(link.Context.TraceId))
            {
                return ActivitySamplingResult.AllDataAndRecorded;
            }
        }

        return ActivitySamplingResult.None;
    }
}
