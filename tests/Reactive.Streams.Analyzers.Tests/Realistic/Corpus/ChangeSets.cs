// Test input for RealisticCodeTests (not compiled into the test assembly): change-set pipelines in the DynamicData shape.
using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Reactive;
using System.Reactive.Concurrency;
using System.Reactive.Disposables;
using System.Reactive.Linq;
using System.Reactive.Subjects;

namespace Realistic.ChangeSets;

public enum ChangeReason
{
    Add,
    Update,
    Remove,
    Refresh,
}

public readonly record struct Change<TObject, TKey>(ChangeReason Reason, TKey Key, TObject Current, TObject? Previous = default)
    where TKey : notnull;

public sealed class ChangeSet<TObject, TKey> : List<Change<TObject, TKey>>
    where TKey : notnull
{
    public ChangeSet()
    {
    }

    public ChangeSet(IEnumerable<Change<TObject, TKey>> changes)
        : base(changes)
    {
    }

    public int Adds => this.Count(static c => c.Reason == ChangeReason.Add);

    public int Removes => this.Count(static c => c.Reason == ChangeReason.Remove);

    public static ChangeSet<TObject, TKey> Empty { get; } = new();
}

/// <summary>A keyed cache that publishes its changes, like a SourceCache.</summary>
public sealed class SourceCache<TObject, TKey> : IDisposable
    where TKey : notnull
{
    private readonly Dictionary<TKey, TObject> _items = new();
    private readonly Func<TObject, TKey> _keySelector;
    private readonly Subject<ChangeSet<TObject, TKey>> _changes = new();
    private readonly object _gate = new();

    public SourceCache(Func<TObject, TKey> keySelector) => _keySelector = keySelector;

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _items.Count;
            }
        }
    }

    public IObservable<ChangeSet<TObject, TKey>> Connect() =>
        Observable.Create<ChangeSet<TObject, TKey>>(observer =>
        {
            lock (_gate)
            {
                var initial = new ChangeSet<TObject, TKey>(_items.Select(kv => new Change<TObject, TKey>(ChangeReason.Add, kv.Key, kv.Value)));
                if (initial.Count > 0)
                {
                    observer.OnNext(initial);
                }

                return _changes.Subscribe(observer);
            }
        });

    public void AddOrUpdate(IEnumerable<TObject> items)
    {
        var changes = new ChangeSet<TObject, TKey>();
        lock (_gate)
        {
            foreach (var item in items)
            {
                var key = _keySelector(item);
                if (_items.TryGetValue(key, out var previous))
                {
                    changes.Add(new Change<TObject, TKey>(ChangeReason.Update, key, item, previous));
                }
                else
                {
                    changes.Add(new Change<TObject, TKey>(ChangeReason.Add, key, item));
                }

                _items[key] = item;
            }
        }

        if (changes.Count > 0)
        {
            _changes.OnNext(changes);
        }
    }

    public void Remove(TKey key)
    {
        TObject? removed;
        lock (_gate)
        {
            if (!_items.Remove(key, out removed))
            {
                return;
            }
        }

        _changes.OnNext(new ChangeSet<TObject, TKey> { new(ChangeReason.Remove, key, removed) });
    }

    public void Dispose() => _changes.Dispose();
}

/// <summary>The operators a change-set pipeline is built from; generic and extension-based throughout.</summary>
public static class ChangeSetOperators
{
    public static IObservable<ChangeSet<TObject, TKey>> Filter<TObject, TKey>(this IObservable<ChangeSet<TObject, TKey>> source, Func<TObject, bool> predicate)
        where TKey : notnull =>
        source.Select(changes => new ChangeSet<TObject, TKey>(changes.Where(c => c.Reason == ChangeReason.Remove || predicate(c.Current))))
            .Where(static changes => changes.Count > 0);

    public static IObservable<ChangeSet<TOut, TKey>> Transform<TObject, TKey, TOut>(this IObservable<ChangeSet<TObject, TKey>> source, Func<TObject, TOut> transform)
        where TKey : notnull =>
        source.Select(changes => new ChangeSet<TOut, TKey>(changes.Select(c => new Change<TOut, TKey>(c.Reason, c.Key, transform(c.Current)))));

    public static IObservable<ChangeSet<TObject, TKey>> FilterDynamic<TObject, TKey>(this IObservable<ChangeSet<TObject, TKey>> source, IObservable<Func<TObject, bool>> predicates)
        where TKey : notnull =>
        predicates.Select(predicate => source.Filter(predicate)).Switch();

    public static IObservable<IReadOnlyList<TObject>> ToSortedCollection<TObject, TKey, TSort>(this IObservable<ChangeSet<TObject, TKey>> source, Func<TObject, TSort> sortKey)
        where TKey : notnull =>
        source.Scan(
                ImmutableDictionary<TKey, TObject>.Empty,
                static (state, changes) =>
                {
                    foreach (var change in changes)
                    {
                        state = change.Reason == ChangeReason.Remove ? state.Remove(change.Key) : state.SetItem(change.Key, change.Current);
                    }

                    return state;
                })
            .Select(state => (IReadOnlyList<TObject>)state.Values.OrderBy(sortKey).ToList());

    public static IObservable<int> CountChanges<TObject, TKey>(this IObservable<ChangeSet<TObject, TKey>> source)
        where TKey : notnull =>
        source.Scan(0, static (count, changes) => count + changes.Adds - changes.Removes);

    public static IObservable<ChangeSet<TObject, TKey>> BatchChanges<TObject, TKey>(this IObservable<ChangeSet<TObject, TKey>> source, TimeSpan window, IScheduler scheduler)
        where TKey : notnull =>
        source.Buffer(window, scheduler)
            .Where(static batches => batches.Count > 0)
            .Select(static batches => new ChangeSet<TObject, TKey>(batches.SelectMany(static b => b)));

    public static IObservable<ChangeSet<TObject, TKey>> OnUi<TObject, TKey>(this IObservable<ChangeSet<TObject, TKey>> source, IScheduler ui)
        where TKey : notnull =>
        source.ObserveOn(ui); // expect RXS0002

    public static IDisposable Bind<TObject, TKey>(this IObservable<ChangeSet<TObject, TKey>> source, IList<TObject> target)
        where TKey : notnull =>
        source.Subscribe(changes =>
        {
            foreach (var change in changes)
            {
                switch (change.Reason)
                {
                    case ChangeReason.Add:
                        target.Add(change.Current);
                        break;
                    case ChangeReason.Remove:
                        target.Remove(change.Current);
                        break;
                    case ChangeReason.Update when change.Previous is { } previous:
                        var index = target.IndexOf(previous);
                        if (index >= 0)
                        {
                            target[index] = change.Current;
                        }

                        break;
                }
            }
        });

    public static IObservable<IGroupedObservable<TGroup, ChangeSet<TObject, TKey>>> GroupChanges<TObject, TKey, TGroup>(this IObservable<ChangeSet<TObject, TKey>> source, Func<TObject, TGroup> group)
        where TKey : notnull =>
        source.SelectMany(changes => changes.GroupBy(c => group(c.Current)).Select(g => (g.Key, Set: new ChangeSet<TObject, TKey>(g))))
            .GroupBy(static pair => pair.Key, static pair => pair.Set);
}
