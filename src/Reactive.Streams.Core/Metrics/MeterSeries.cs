using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Reactive.Streams;

/// <summary>A component whose counters a <see cref="MeterSeries"/> sums.</summary>
internal interface IMeteredSource
{
    /// <summary>Adds the component's current counters (read without its lock) to <paramref name="totals"/>, in the series' order.</summary>
    void AddCountersTo(Span<long> totals);
}

/// <summary>
/// One time series on the <c>Reactive.Streams</c> meter: the sum over every component that shares its tags (two streams
/// named alike with one policy, a Rx operator subscribed twice, a generated sink instantiated twice). A listener
/// (OpenTelemetry, dotnet-counters) keeps one value per instrument and tag set, so publishing each component under the
/// same tags would make it keep one and drop the others' counts; summing here is what makes the series add up.
/// </summary>
/// <remarks>
/// Components are held weakly, so registering one keeps nothing alive. When a component is collected, its
/// registration's finalizer folds its last counts into the series' retired totals (the component is still reachable
/// from the finalizer then), so counters never go down when a component ends; gauges (depth) of ended components
/// count as zero. Hand-written because System.Diagnostics.Metrics aggregates recorded measurements, not observed ones.
/// </remarks>
internal sealed class MeterSeries
{
    private readonly Lock _lock = new();
    private readonly HashSet<WeakReference<Registration>> _live = new(ReferenceEqualityComparer.Instance);
    private readonly long[] _retired;
    private readonly ulong _gauges;

    private MeterSeries(KeyValuePair<string, object?>[] tags, int width, ulong gauges)
    {
        Tags = tags;
        _retired = new long[width];
        _gauges = gauges;
    }

    /// <summary>The series' tags.</summary>
    public KeyValuePair<string, object?>[] Tags { get; }

    /// <summary>The series' totals now: the retired counts plus every live component's.</summary>
    public long[] Sum()
    {
        var totals = new long[_retired.Length];
        lock (_lock)
        {
            _retired.CopyTo(totals, 0);
            foreach (var weak in _live)
            {
                if (weak.TryGetTarget(out var registration))
                {
                    registration.Source.AddCountersTo(totals);
                }
            }
        }

        return totals;
    }

    /// <summary>The series of one meter (<see cref="LibraryMeter"/>), keyed by kind and tags.</summary>
    internal sealed class Registry
    {
        private readonly ConcurrentDictionary<(string Kind, string First, string Second), MeterSeries> _series = new();

        /// <summary>Every series of one kind (streams, delivery sinks), for the instruments' callbacks.</summary>
        public IEnumerable<MeterSeries> All(string kind)
        {
            foreach (var (key, series) in _series)
            {
                if (key.Kind == kind)
                {
                    yield return series;
                }
            }
        }

        /// <summary>
        /// Adds <paramref name="source"/> to the series of <paramref name="kind"/> tagged <paramref name="firstTag"/> and
        /// <paramref name="secondTag"/>. The returned registration must be kept by the source (a field): it lives and dies
        /// with the source.
        /// </summary>
        /// <param name="kind">The kind of component, which fixes the counters' order and width.</param>
        /// <param name="width">How many counters the source adds.</param>
        /// <param name="gauges">A bit per counter that is a gauge (not kept once its component ends).</param>
        /// <param name="source">The component.</param>
        /// <param name="firstTag">The series' first tag (a name).</param>
        /// <param name="secondTag">The series' second tag.</param>
        /// <returns>The registration.</returns>
        public object Register(
            string kind, int width, ulong gauges, IMeteredSource source, KeyValuePair<string, object?> firstTag, KeyValuePair<string, object?> secondTag)
        {
            var key = (kind, firstTag.Value?.ToString() ?? string.Empty, secondTag.Value?.ToString() ?? string.Empty);
            var series = _series.GetOrAdd(key, static (_, state) => new MeterSeries([state.First, state.Second], state.Width, state.Gauges),
                (First: firstTag, Second: secondTag, Width: width, Gauges: gauges));
            var registration = new Registration(series, source);
            lock (series._lock)
            {
                series._live.Add(registration.Self);
            }

            return registration;
        }

        /// <summary>One measurement per series of <paramref name="kind"/>, of the counter at <paramref name="index"/>.</summary>
        public IEnumerable<Measurement<long>> Observe(string kind, int index)
        {
            foreach (var series in All(kind))
            {
                yield return new Measurement<long>(series.Sum()[index], series.Tags);
            }
        }
    }

    private void Retire(Registration registration)
    {
        Span<long> last = stackalloc long[_retired.Length];
        registration.Source.AddCountersTo(last);
        lock (_lock)
        {
            _live.Remove(registration.Self);
            for (var i = 0; i < last.Length; i++)
            {
                if ((_gauges & (1UL << i)) == 0)
                {
                    _retired[i] += last[i];
                }
            }
        }
    }

    /// <summary>A component's membership; finalized with the component, when it folds the last counts in.</summary>
    private sealed class Registration
    {
        private readonly MeterSeries _series;

        public Registration(MeterSeries series, IMeteredSource source)
        {
            _series = series;
            Source = source;
            
            // Long weak: the series still reads the component between its collection and this finalizer's fold.
            Self = new WeakReference<Registration>(this, trackResurrection: true);
        }

        ~Registration() => _series.Retire(this);

        public IMeteredSource Source { get; }

        public WeakReference<Registration> Self { get; }
    }
}
