using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Reactive.Streams.Analyzers.Tests.Infrastructure;

namespace Reactive.Streams.Analyzers.Tests.Realistic;

/// <summary>
/// Every analyzer over a few thousand lines of Rx application code written in the shapes Rx-heavy libraries use
/// (Corpus/, plus feature modules built from one template with different types): the code compiles, no analyzer
/// crashes (AD0001), RXS0004 says nothing where no degrader is passed, and RXS0002 is reported on exactly the lines
/// marked "expect RXS0002". Nothing is downloaded and no third-party source is copied in.
/// </summary>
public sealed class RealisticCodeTests
{
    private const string Marker = "// expect RXS0002";

    private static readonly string[] s_entities = { "Order", "Invoice", "Shipment", "Customer", "Ticket", "Sensor", "Alert", "Build", "Deployment", "Payment", "Review", "Session" };

    [Fact]
    public async Task The_analyzers_report_only_the_marked_unbounded_boundaries_on_realistic_Rx_code()
    {
        var sources = Corpus();
        Assert.True(sources.Sum(static s => s.Text.Split('\n').Length) >= 2000, "the corpus should be a few thousand lines");

        var analyzers = typeof(Reactive.Streams.Analyzers.Rules.ImpureDegraderAnalyzer).Assembly.GetTypes()
            .Where(static t => typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && !t.IsAbstract)
            .Select(static t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!)
            .ToImmutableArray();
        var (errors, diagnostics) = await AnalyzerRunner.RunWithErrorsAsync(analyzers, withLibrary: true, sources.Select(static s => s.Text).ToArray());

        Assert.True(errors.IsEmpty, string.Join("\n", errors.Take(10)));
        Assert.DoesNotContain(diagnostics, static d => d.Id == "AD0001");
        Assert.DoesNotContain(diagnostics, static d => d.Id == DiagnosticIds.ImpureDegrader);

        var expected = sources.SelectMany((s, file) => s.Text.Split('\n')
                .Select((line, index) => (line, index))
                .Where(static l => l.line.TrimEnd().EndsWith(Marker, StringComparison.Ordinal))
                .Select(l => $"Test{file}.cs:{(l.index + 1).ToString(CultureInfo.InvariantCulture)}"))
            .OrderBy(static s => s, StringComparer.Ordinal)
            .ToList();
        var actual = diagnostics.Where(static d => d.Id == DiagnosticIds.UnboundedBoundary)
            .Select(static d => d.Location.GetLineSpan())
            .Select(static span => $"{span.Path}:{(span.StartLinePosition.Line + 1).ToString(CultureInfo.InvariantCulture)}")
            .OrderBy(static s => s, StringComparer.Ordinal)
            .ToList();
        Assert.True(expected.Count >= 20, "expected markers: " + expected.Count.ToString(CultureInfo.InvariantCulture));
        Assert.Equal(expected, actual);
        Assert.Empty(diagnostics.Where(static d => d.Id is not (DiagnosticIds.UnboundedBoundary or "AD0001")).Select(static d => d.ToString()));
    }

    private static List<(string Name, string Text)> Corpus()
    {
        var directory = Path.Combine(AppContext.BaseDirectory, "Realistic", "Corpus");
        var files = Directory.GetFiles(directory, "*.cs").OrderBy(static f => f, StringComparer.Ordinal)
            .Select(static f => (Path.GetFileName(f), File.ReadAllText(f)))
            .ToList();
        files.AddRange(s_entities.Select((entity, i) => (entity + ".cs", Module(entity, i))));
        return files;
    }

    // One feature module per entity: a store over subjects, a change feed, a view model, a reporting service.
    private static string Module(string entity, int seed)
    {
        var lower = char.ToLowerInvariant(entity[0]) + entity[1..];
        var builder = new StringBuilder(Template);
        builder.Replace("Entity", entity).Replace("entity", lower).Replace("SEED", seed.ToString(CultureInfo.InvariantCulture));
        return builder.ToString();
    }

    private const string Template = """
        using System;
        using System.Collections.Generic;
        using System.Linq;
        using System.Reactive;
        using System.Reactive.Concurrency;
        using System.Reactive.Disposables;
        using System.Reactive.Linq;
        using System.Reactive.Subjects;
        using System.Threading;
        using System.Threading.Tasks;
        using Realistic.ChangeSets;
        using Realistic.Infrastructure;

        namespace Realistic.Modules.Entity;

        public sealed record Entity(string Id, string Title, int Version, decimal Amount, DateTimeOffset Updated)
        {
            public Entity Touch(DateTimeOffset at) => this with { Version = Version + 1, Updated = at };
        }

        public enum EntityEventKind
        {
            Created,
            Changed,
            Deleted,
        }

        public sealed record EntityEvent(EntityEventKind Kind, Entity Item);

        public interface IEntityApi
        {
            Task<IReadOnlyList<Entity>> LoadAsync(int page, CancellationToken cancellationToken);

            Task SaveAsync(Entity entity, CancellationToken cancellationToken);
        }

        /// <summary>The store: a cache of entities, its events as a hot observable, reloads on demand.</summary>
        public sealed class EntityStore : IDisposable
        {
            private readonly SourceCache<Entity, string> _cache = new(static x => x.Id);
            private readonly Subject<EntityEvent> _events = new();
            private readonly Subject<int> _reloads = new();
            private readonly CompositeDisposable _subscriptions = new();
            private readonly IEntityApi _api;
            private readonly ISchedulerProvider _schedulers;

            public EntityStore(IEntityApi api, ISchedulerProvider schedulers)
            {
                _api = api;
                _schedulers = schedulers;
                _subscriptions.Add(_reloads
                    .Throttle(TimeSpan.FromMilliseconds(100 + SEED), schedulers.Background)
                    .Select(page => Observable.FromAsync(ct => api.LoadAsync(page, ct), schedulers.Background))
                    .Switch()
                    .RetryWithBackoff(2, TimeSpan.FromSeconds(1), schedulers.Background)
                    .Subscribe(items => _cache.AddOrUpdate(items)));
                Events = _events.Publish().RefCount();
                Changes = _cache.Connect().Shared();
            }

            public IObservable<EntityEvent> Events { get; }

            public IObservable<ChangeSet<Entity, string>> Changes { get; }

            public IObservable<EntityEvent> EventsOnUi => Events.ObserveOn(_schedulers.MainThread); // expect RXS0002

            public void Reload(int page) => _reloads.OnNext(page);

            public async Task SaveAsync(Entity entity, CancellationToken cancellationToken)
            {
                await _api.SaveAsync(entity, cancellationToken).ConfigureAwait(false);
                _cache.AddOrUpdate(new[] { entity });
                _events.OnNext(new EntityEvent(EntityEventKind.Changed, entity));
            }

            public void Delete(Entity entity)
            {
                _cache.Remove(entity.Id);
                _events.OnNext(new EntityEvent(EntityEventKind.Deleted, entity));
            }

            public void Dispose()
            {
                _subscriptions.Dispose();
                _cache.Dispose();
                _events.Dispose();
                _reloads.Dispose();
            }
        }

        /// <summary>The list screen: filter, page, select, totals.</summary>
        public sealed class EntityListViewModel : IDisposable
        {
            private readonly Lifetime _lifetime = new();
            private readonly ReactiveValue<string> _filter = new(string.Empty);
            private readonly ReactiveValue<Entity?> _selected = new(null);
            private readonly List<Entity> _visible = new();

            public EntityListViewModel(EntityStore store, ISchedulerProvider schedulers)
            {
                var predicate = _filter
                    .Debounced(TimeSpan.FromMilliseconds(250), schedulers.Background)
                    .Select(static text => (Func<Entity, bool>)(x => x.Title.Contains(text, StringComparison.OrdinalIgnoreCase)));
                var visible = store.Changes.FilterDynamic(predicate).Publish();

                _lifetime.Track(visible.OnUi(schedulers.MainThread).Bind(_visible));
                _lifetime.Track(visible.Connect());
                Total = visible
                    .ToSortedCollection(static x => x.Amount)
                    .Select(static list => list.Sum(static x => x.Amount))
                    .Replay(1)
                    .RefCount();
                SelectionChanged = _selected.Changes.WhereNotNull().DistinctBy(static x => x.Id);
                Details = SelectionChanged
                    .SelectLatest(x => store.Events.Where(e => e.Item.Id == x.Id).Select(static e => e.Item).StartWith(x))
                    .ObserveOn(schedulers.MainThread); // expect RXS0002
                Saving = new AsyncCommand<Entity, Unit>(
                    async (x, ct) =>
                    {
                        await store.SaveAsync(x.Touch(DateTimeOffset.UnixEpoch), ct).ConfigureAwait(false);
                        return Unit.Default;
                    },
                    _selected.Select(static x => x is not null),
                    schedulers.Background);
            }

            public IReadOnlyList<Entity> Visible => _visible;

            public IObservable<decimal> Total { get; }

            public IObservable<Entity> SelectionChanged { get; }

            public IObservable<Entity> Details { get; }

            public AsyncCommand<Entity, Unit> Saving { get; }

            public string Filter
            {
                get => _filter.Value;
                set => _filter.Value = value;
            }

            public Entity? Selected
            {
                get => _selected.Value;
                set => _selected.Value = value;
            }

            public void Dispose()
            {
                _lifetime.Dispose();
                _filter.Dispose();
                _selected.Dispose();
                Saving.Dispose();
            }
        }

        /// <summary>Reporting: windows of events, per-kind counts, a sampled activity gauge.</summary>
        public sealed class EntityReports
        {
            private readonly EntityStore _store;
            private readonly IScheduler _scheduler;

            public EntityReports(EntityStore store, IScheduler scheduler)
            {
                _store = store;
                _scheduler = scheduler;
            }

            public IObservable<IDictionary<EntityEventKind, int>> CountsPerMinute() =>
                _store.Events
                    .Buffer(TimeSpan.FromMinutes(1), _scheduler)
                    .Select(static batch => (IDictionary<EntityEventKind, int>)batch.GroupBy(static e => e.Kind).ToDictionary(static g => g.Key, static g => g.Count()));

            public IObservable<double> Activity() =>
                _store.Events
                    .Window(TimeSpan.FromSeconds(10), _scheduler)
                    .SelectMany(static window => window.Count())
                    .Scan(0.0, static (average, count) => (average * 0.8) + (count * 0.2))
                    .Sample(TimeSpan.FromSeconds(5), _scheduler);

            public IObservable<Entity> Largest() =>
                _store.Events
                    .Select(static e => e.Item)
                    .Scan(static (best, x) => x.Amount > best.Amount ? x : best)
                    .DistinctUntilChanged(static x => x.Id);

            public IObservable<(Entity Previous, Entity Current)> Revisions(string id) =>
                _store.Events.Where(e => e.Item.Id == id).Select(static e => e.Item).Pairwise();

            public IObservable<string> Headlines(SynchronizationContext context) =>
                _store.Events
                    .Where(static e => e.Kind == EntityEventKind.Created)
                    .Select(static e => $"{e.Item.Title} ({e.Item.Amount:C})")
                    .ObserveOn(context); // expect RXS0002

            public IObservable<Unit> Alerts(decimal threshold) =>
                _store.Events
                    .Where(e => e.Item.Amount > threshold)
                    .Throttle(TimeSpan.FromSeconds(30), _scheduler)
                    .ToSignal();

            public IObservable<int> Merged(IObservable<int> other) =>
                Observable.Merge(_store.Events.Select(static e => e.Item.Version), other)
                    .SubscribeOn(_scheduler);
        }
        """;
}
