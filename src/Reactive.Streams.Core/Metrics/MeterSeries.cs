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
/// <para>
/// Components are held weakly, so registering one keeps nothing alive. When a component is collected, its
/// registration's finalizer folds its last counts into the series' retired totals (the component is still reachable
/// from the finalizer then), so counters never go down when a component ends; gauges (depth) of ended components
/// count as zero. Hand-written because System.Diagnostics.Metrics aggregates recorded measurements, not observed ones.
/// </para>
/// <para>
/// A series whose name the library generated (<c>stream-N</c>, <c>delivery-N</c>: see
/// <see cref="Registry.Register"/>'s <c>endedName</c>) does not outlive its components: when its last one retires, the
/// series leaves the registry and its retired counters are added to the series named <c>endedName</c> with the same
/// second tag (<c>stream-*</c> and the policy, say), created on the first such fold. The sum over all series of a
/// counter never goes down, and the number of series stays bounded by the live unnamed components plus a few shared
/// ones, however many unnamed components come and go. A listener stops exporting a series its callback no longer
/// reports (OpenTelemetry exports only the attribute sets a callback observed). A component that registers under a
/// generated name whose components have all ended (an operator subscribed again) starts a new series from zero; the
/// ended ones stay reported in the shared series, where they fold once collected, so no series goes down.
/// </para>
/// </remarks>
internal sealed class MeterSeries
{
    private readonly HashSet<WeakReference<Registration>> _live = new(ReferenceEqualityComparer.Instance);
    private readonly long[] _retired;
    private readonly ulong _gauges;
    private readonly Registry _registry;
    private readonly (string Kind, string First, string Second) _key;

    // The first tag's value of the series this one folds into once its last component retires; null keeps the series
    // for the life of its meter (a name some component's owner chose). Written under the registry's lock.
    private string? _endedName;

    private MeterSeries(Registry registry, (string Kind, string First, string Second) key, KeyValuePair<string, object?>[] tags, int width, ulong gauges, string? endedName)
    {
        _registry = registry;
        _key = key;
        Tags = tags;
        _retired = new long[width];
        _gauges = gauges;
        _endedName = endedName;
    }

    /// <summary>The series' tags.</summary>
    public KeyValuePair<string, object?>[] Tags { get; }

    /// <summary>Adds the series' totals now to <paramref name="totals"/>: the retired counts plus every live component's. Under the registry's lock.</summary>
    private void AddTo(Span<long> totals)
    {
        for (var i = 0; i < _retired.Length; i++)
        {
            totals[i] += _retired[i];
        }

        Span<long> ended = stackalloc long[_retired.Length];
        foreach (var weak in _live)
        {
            if (!weak.TryGetTarget(out var registration))
            {
                continue;
            }

            if (!registration.IsEnded)
            {
                registration.Source.AddCountersTo(totals);
                continue;
            }

            // Ended (disposed) but not yet collected: its counters, not its gauges, as after the fold.
            ended.Clear();
            registration.Source.AddCountersTo(ended);
            for (var i = 0; i < ended.Length; i++)
            {
                if ((_gauges & (1UL << i)) == 0)
                {
                    totals[i] += ended[i];
                }
            }
        }
    }

    /// <summary>
    /// Whether the series is reported under its shared series' name now: its name was generated and every component
    /// still in it has ended (been disposed) without being collected yet, which then folds it there. Under the registry's lock.
    /// </summary>
    private bool ReportsAsEnded
    {
        get
        {
            if (_endedName is null || _live.Count == 0)
            {
                return false;
            }

            foreach (var weak in _live)
            {
                if (weak.TryGetTarget(out var registration) && !registration.IsEnded)
                {
                    return false;
                }
            }

            return true;
        }
    }

    /// <summary>Adds the counters (not the gauges) of <paramref name="counts"/> to the retired totals. Under the registry's lock.</summary>
    private void AddRetired(ReadOnlySpan<long> counts)
    {
        for (var i = 0; i < counts.Length; i++)
        {
            if ((_gauges & (1UL << i)) == 0)
            {
                _retired[i] += counts[i];
            }
        }
    }

    private void Retire(Registration registration)
    {
        Span<long> last = stackalloc long[_retired.Length];
        registration.Source.AddCountersTo(last);
        _registry.Retire(this, registration, last);
    }

    /// <summary>
    /// The series of one meter (<see cref="LibraryMeter"/>), keyed by kind and tags. One lock guards the set of series,
    /// their members and their retired totals: registering, retiring (with the fold of a generated-name series into its
    /// shared one) and observing are each atomic, so a listener never sees a fold half done (a removed series whose
    /// counts are not yet in the shared one), and a component never joins a series that is being removed (it finds
    /// the series still there and keeps it, or creates it anew). Registering happens once per component, observing once
    /// per instrument and collection; neither is on a hot path.
    /// </summary>
    internal sealed class Registry
    {
        /// <summary>The most counters a kind of component has (a bit each in a <see cref="ulong"/> of gauges).</summary>
        private const int MaxWidth = 64;

        private readonly Lock _lock = new();
        private readonly Dictionary<(string Kind, string First, string Second), MeterSeries> _series = [];

        // Series of a generated name whose components had all ended (and so were reported in their shared series) when a
        // new component registered under the same name (an operator subscribed again, as Retry and Repeat do): they
        // keep being reported in the shared series until their components are collected and folded there, and the new
        // component starts a series of its own from zero, so no series takes back counts already reported in another.
        private readonly List<MeterSeries> _detached = [];

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
        /// <param name="endedName">
        /// When the library generated the name in <paramref name="firstTag"/>: the value of the first tag of the shared
        /// series the series' retired counters are folded into once its last component retires (<c>stream-*</c>), after
        /// which the series is removed. Null when the name was given by the user: the series is kept for the life of the
        /// meter. A series that any component registers to with a null <paramref name="endedName"/> is kept.
        /// </param>
        /// <returns>The registration.</returns>
        public object Register(
            string kind, int width, ulong gauges, IMeteredSource source, KeyValuePair<string, object?> firstTag, KeyValuePair<string, object?> secondTag,
            string? endedName)
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThan(width, MaxWidth);
            var key = (kind, firstTag.Value?.ToString() ?? string.Empty, secondTag.Value?.ToString() ?? string.Empty);
            lock (_lock)
            {
                if (_series.TryGetValue(key, out var series) && series.ReportsAsEnded)
                {
                    _series.Remove(key);
                    _detached.Add(series);
                    series = null;
                }

                if (series is null)
                {
                    series = new MeterSeries(this, key, [firstTag, secondTag], width, gauges, endedName);
                    _series.Add(key, series);
                }
                else if (endedName is null)
                {
                    // A name the user chose that a generated one (or a shared one) equals: the user's series is kept.
                    series._endedName = null;
                }

                var registration = new Registration(series, source);
                series._live.Add(registration.Self);
                return registration;
            }
        }

        /// <summary>One measurement per series of <paramref name="kind"/>, of the counter at <paramref name="index"/>.</summary>
        public IEnumerable<Measurement<long>> Observe(string kind, int index)
        {
            // Keyed by the tags reported: a generated-name series whose components have all ended is reported in its
            // shared series (as it will be once they are collected), so an exporter sees it leave at once.
            var reported = new Dictionary<(string First, string Second), (long Value, KeyValuePair<string, object?>[] Tags)>();
            Span<long> totals = stackalloc long[MaxWidth];
            lock (_lock)
            {
                foreach (var series in _series.Values)
                {
                    Add(series, totals);
                }

                foreach (var series in _detached)
                {
                    Add(series, totals);
                }
            }

            void Add(MeterSeries series, Span<long> totals)
            {
                var key = series._key;
                if (key.Kind != kind)
                {
                    return;
                }

                var width = totals[..series._retired.Length];
                width.Clear();
                series.AddTo(width);
                var (first, tags) = series.ReportsAsEnded
                    ? (series._endedName!, new KeyValuePair<string, object?>[] { new(series.Tags[0].Key, series._endedName), series.Tags[1] })
                    : (key.First, series.Tags);
                reported[(first, key.Second)] = reported.TryGetValue((first, key.Second), out var sum)
                    ? (sum.Value + width[index], sum.Tags)
                    : (width[index], tags);
            }

            var measurements = new List<Measurement<long>>(reported.Count);
            foreach (var (value, tags) in reported.Values)
            {
                measurements.Add(new Measurement<long>(value, tags));
            }

            return measurements;
        }

        /// <summary>
        /// Takes <paramref name="registration"/> out of <paramref name="series"/>, keeping its <paramref name="last"/>
        /// counts; when that was the last member of a series with a generated name, folds the series into its shared one.
        /// </summary>
        internal void Retire(MeterSeries series, Registration registration, ReadOnlySpan<long> last)
        {
            lock (_lock)
            {
                series._live.Remove(registration.Self);
                series.AddRetired(last);
                if (series._live.Count > 0 || series._endedName is not { } endedName)
                {
                    return;
                }

                if (!_detached.Remove(series))
                {
                    _series.Remove(series._key);
                }

                var sharedKey = (series._key.Kind, endedName, series._key.Second);
                if (!_series.TryGetValue(sharedKey, out var shared))
                {
                    shared = new MeterSeries(
                        this, sharedKey, [new(series.Tags[0].Key, endedName), series.Tags[1]], series._retired.Length, series._gauges, endedName: null);
                    _series.Add(sharedKey, shared);
                }

                shared.AddRetired(series._retired);
            }
        }
    }

    /// <summary>A component's membership; finalized with the component, when it folds the last counts in.</summary>
    internal sealed class Registration
    {
        private readonly MeterSeries _series;
        private bool _ended;

        public Registration(MeterSeries series, IMeteredSource source)
        {
            _series = series;
            Source = source;

            // Long weak: the series still reads the component between its collection and this finalizer's fold.
            Self = new WeakReference<Registration>(this, trackResurrection: true);
        }

        ~Registration() => _series.Retire(this);

        public IMeteredSource Source { get; }

        /// <summary>
        /// Whether the component has ended for good (<see cref="End"/>): the series counts its counters but not its
        /// gauges, as it will once the component is collected and folded.
        /// </summary>
        public bool IsEnded => Volatile.Read(ref _ended);

        public WeakReference<Registration> Self { get; }

        /// <summary>
        /// Marks the component ended (disposed) while it may still be referenced: its depth leaves the series now, and a
        /// series under a generated name is reported in its shared one. Its counters stay read live (a push racing the
        /// disposal is still counted) until the collection folds them in.
        /// </summary>
        public void End() => Volatile.Write(ref _ended, true);
    }
}
