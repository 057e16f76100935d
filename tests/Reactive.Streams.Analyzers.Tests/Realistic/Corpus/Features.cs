// Test input for RealisticCodeTests (not compiled into the test assembly): view models and services over Rx.
using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
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

namespace Realistic.Features;

public sealed record Quote(string Symbol, decimal Bid, decimal Ask, DateTimeOffset At)
{
    public decimal Mid => (Bid + Ask) / 2;
}

public sealed record SearchResult(string Title, string Url, double Score);

public interface ISearchService
{
    Task<IReadOnlyList<SearchResult>> SearchAsync(string query, CancellationToken cancellationToken);
}

public interface IQuoteFeed
{
    IObservable<Quote> Quotes { get; }
}

/// <summary>Search as you type: Throttle, DistinctUntilChanged, Switch to the latest request, results on the UI.</summary>
public sealed class SearchViewModel : IDisposable
{
    private readonly Lifetime _lifetime = new();
    private readonly ReactiveValue<string> _query = new(string.Empty);
    private readonly ObservableCollection<SearchResult> _results = new();
    private readonly BehaviorSubject<bool> _busy = new(false);

    public SearchViewModel(ISearchService service, ISchedulerProvider schedulers)
    {
        var results = _query
            .Throttle(TimeSpan.FromMilliseconds(300), schedulers.Background)
            .Select(static q => q.Trim())
            .DistinctUntilChanged()
            .Where(static q => q.Length >= 2)
            .Do(_ => _busy.OnNext(true))
            .SelectLatest(q => Observable.FromAsync(ct => service.SearchAsync(q, ct), schedulers.Background))
            .Do(_ => _busy.OnNext(false))
            .Shared();

        _lifetime.Track(results
            .ObserveOn(schedulers.MainThread) // expect RXS0002
            .Subscribe(list =>
            {
                _results.Clear();
                foreach (var item in list.OrderByDescending(static r => r.Score))
                {
                    _results.Add(item);
                }
            }));

        ResultCount = results.Select(static r => r.Count).StartWith(0);
    }

    public string Query
    {
        get => _query.Value;
        set => _query.Value = value;
    }

    public IReadOnlyList<SearchResult> Results => _results;

    public IObservable<int> ResultCount { get; }

    public IObservable<bool> IsBusy => _busy.DistinctUntilChanged();

    public void Dispose()
    {
        _lifetime.Dispose();
        _query.Dispose();
        _busy.Dispose();
    }
}

/// <summary>A ticker: one shared feed, sampled per symbol, spreads computed with Scan and CombineLatest.</summary>
public sealed class TickerViewModel : IDisposable
{
    private readonly CompositeDisposable _subscriptions = new();

    public TickerViewModel(IQuoteFeed feed, IReadOnlyList<string> symbols, ISchedulerProvider schedulers)
    {
        var shared = feed.Quotes.Publish().RefCount();
        foreach (var symbol in symbols)
        {
            var bySymbol = shared.Where(q => q.Symbol == symbol);
            _subscriptions.Add(bySymbol
                .Sample(TimeSpan.FromMilliseconds(250), schedulers.Background)
                .Pairwise()
                .Select(static pair => pair.Current.Mid - pair.Previous.Mid)
                .OnMain(schedulers)
                .Subscribe(change => Changes[symbol] = change));
        }

        Spread = shared
            .GroupBy(static q => q.Symbol)
            .SelectMany(static group => group.Select(static q => q.Ask - q.Bid).Scan(static (a, b) => Math.Max(a, b)))
            .Replay(1)
            .RefCount();
        Heartbeat = Observable.Interval(TimeSpan.FromSeconds(1), schedulers.Background).ToSignal();
    }

    public Dictionary<string, decimal> Changes { get; } = new();

    public IObservable<decimal> Spread { get; }

    public IObservable<Unit> Heartbeat { get; }

    public void Dispose() => _subscriptions.Dispose();
}

/// <summary>Chat rooms: a Subject per room, merged timelines, windows of messages, replay for late joiners.</summary>
public sealed class ChatService : IDisposable
{
    private readonly Dictionary<string, ReplaySubject<ChatMessage>> _rooms = new();
    private readonly Subject<ChatMessage> _all = new();
    private readonly IScheduler _scheduler;

    public ChatService(IScheduler scheduler) => _scheduler = scheduler;

    public IObservable<ChatMessage> Room(string name)
    {
        if (!_rooms.TryGetValue(name, out var room))
        {
            room = new ReplaySubject<ChatMessage>(50, _scheduler);
            _rooms.Add(name, room);
        }

        return room.AsObservable();
    }

    public IObservable<ChatMessage> Timeline(IEnumerable<string> rooms) => rooms.Select(Room).Merge();

    public IObservable<IList<ChatMessage>> Digest(TimeSpan every) => _all.Buffer(every, _scheduler);

    public IObservable<IObservable<ChatMessage>> Windows(int size) => _all.Window(size);

    public IObservable<ChatMessage> Mentions(string user) =>
        _all.Where(m => m.Text.Contains("@" + user, StringComparison.OrdinalIgnoreCase))
            .Timeout(TimeSpan.FromMinutes(5), Observable.Empty<ChatMessage>(), _scheduler);

    public IObservable<ChatMessage> Delivered(IScheduler ui) => _all.ObserveOn(ui).Where(static m => m.Text.Length > 0); // expect RXS0002

    public void Post(string room, string user, string text)
    {
        var message = new ChatMessage(room, user, text);
        if (_rooms.TryGetValue(room, out var subject))
        {
            subject.OnNext(message);
        }

        _all.OnNext(message);
    }

    public void Dispose()
    {
        foreach (var room in _rooms.Values)
        {
            room.Dispose();
        }

        _all.Dispose();
    }
}

public sealed record ChatMessage(string Room, string User, string Text);

/// <summary>An inventory screen over a change-set pipeline: filter by a text box, sort, bind, count.</summary>
public sealed class InventoryViewModel : IDisposable
{
    private readonly SourceCache<Product, string> _products = new(static p => p.Sku);
    private readonly ReactiveValue<string> _filter = new(string.Empty);
    private readonly CompositeDisposable _subscriptions = new();

    public InventoryViewModel(ISchedulerProvider schedulers)
    {
        var predicates = _filter
            .Throttle(TimeSpan.FromMilliseconds(200), schedulers.Background)
            .Select(static text => (Func<Product, bool>)(p => p.Name.Contains(text, StringComparison.OrdinalIgnoreCase)));

        var filtered = _products.Connect()
            .FilterDynamic(predicates)
            .BatchChanges(TimeSpan.FromMilliseconds(50), schedulers.Background)
            .Publish();

        _subscriptions.Add(filtered.OnUi(schedulers.MainThread).Bind(Visible));
        _subscriptions.Add(filtered.CountChanges().Subscribe(count => Count = count));
        _subscriptions.Add(filtered
            .Transform(static p => p with { Name = p.Name.ToUpperInvariant() })
            .ToSortedCollection(static p => p.Name)
            .Subscribe(sorted => Sorted = sorted));
        _subscriptions.Add(filtered.Connect());
    }

    public List<Product> Visible { get; } = new();

    public IReadOnlyList<Product> Sorted { get; private set; } = Array.Empty<Product>();

    public int Count { get; private set; }

    public string Filter
    {
        get => _filter.Value;
        set => _filter.Value = value;
    }

    public void Load(IEnumerable<Product> products) => _products.AddOrUpdate(products);

    public void Dispose()
    {
        _subscriptions.Dispose();
        _products.Dispose();
        _filter.Dispose();
    }
}

public sealed record Product(string Sku, string Name, decimal Price, int Stock);

/// <summary>Background sync: SubscribeOn a pool, retry with backoff, progress reported on a context.</summary>
public sealed class SyncService
{
    private readonly IScheduler _background;

    public SyncService(IScheduler background) => _background = background;

    public IObservable<int> Run(Func<CancellationToken, Task<int>> pull, SynchronizationContext ui) =>
        Observable.Defer(() => Observable.FromAsync(pull, _background))
            .RetryWithBackoff(3, TimeSpan.FromSeconds(2), _background)
            .Repeat()
            .Take(10)
            .SubscribeOn(_background)
            .ObserveOn(ui); // expect RXS0002

    public IObservable<long> Ticks(TimeSpan period) =>
        Observable.Timer(TimeSpan.Zero, period, _background)
            .TakeUntil(Observable.Timer(TimeSpan.FromHours(1), _background));

    public IObservable<T> Cached<T>(Func<IObservable<T>> factory) =>
        Observable.Using(() => new CancellationDisposable(), _ => factory()).Replayed(1);
}
