// Test input for RealisticCodeTests: application code in the shapes Rx-heavy libraries use. Not compiled into the
// test assembly. A line that must carry RXS0002 ends with the marker comment "expect RXS0002".
using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Reactive;
using System.Reactive.Concurrency;
using System.Reactive.Disposables;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using System.Threading;
using System.Threading.Tasks;

namespace Realistic.Infrastructure;

/// <summary>Schedulers handed around instead of reached for statically, as testable Rx code does.</summary>
public interface ISchedulerProvider
{
    IScheduler MainThread { get; }

    IScheduler Background { get; }

    IScheduler Immediate { get; }
}

public sealed class DefaultSchedulers : ISchedulerProvider
{
    public IScheduler MainThread { get; } = CurrentThreadScheduler.Instance;

    public IScheduler Background { get; } = TaskPoolScheduler.Default;

    public IScheduler Immediate { get; } = ImmediateScheduler.Instance;
}

/// <summary>Generic helpers and extension methods of the kind every Rx codebase grows.</summary>
public static class ObservableExtensions
{
    public static IObservable<T> WhereNotNull<T>(this IObservable<T?> source)
        where T : class =>
        source.Where(static x => x is not null).Select(static x => x!);

    public static IObservable<TResult> SelectLatest<T, TResult>(this IObservable<T> source, Func<T, IObservable<TResult>> selector) =>
        source.Select(selector).Switch();

    public static IObservable<T> OnMain<T>(this IObservable<T> source, ISchedulerProvider schedulers) =>
        source.ObserveOn(schedulers.MainThread); // expect RXS0002

    public static IObservable<T> Shared<T>(this IObservable<T> source) => source.Publish().RefCount();

    public static IObservable<T> Replayed<T>(this IObservable<T> source, int count) => source.Replay(count).RefCount();

    public static IObservable<IList<T>> Batches<T>(this IObservable<T> source, TimeSpan window, int size, IScheduler scheduler) =>
        source.Buffer(window, size, scheduler).Where(static b => b.Count > 0);

    public static IObservable<T> Debounced<T>(this IObservable<T> source, TimeSpan quiet, IScheduler scheduler) =>
        source.Throttle(quiet, scheduler);

    public static IObservable<T> RetryWithBackoff<T>(this IObservable<T> source, int attempts, TimeSpan delay, IScheduler scheduler) =>
        source.Catch<T, Exception>(error => Observable.Timer(delay, scheduler).SelectMany(_ => Observable.Throw<T>(error)))
            .Retry(attempts);

    public static IObservable<(T Previous, T Current)> Pairwise<T>(this IObservable<T> source) =>
        source.Scan((Previous: default(T)!, Current: default(T)!, Count: 0), static (acc, x) => (acc.Current, x, acc.Count + 1))
            .Where(static t => t.Count > 1)
            .Select(static t => (t.Previous, t.Current));

    public static IObservable<Unit> ToSignal<T>(this IObservable<T> source) => source.Select(static _ => Unit.Default);

    public static IDisposable SubscribeSafe<T>(this IObservable<T> source, Action<T> onNext, Action<Exception> onError) =>
        source.Subscribe(onNext, onError);

    public static IObservable<T> DistinctBy<T, TKey>(this IObservable<T> source, Func<T, TKey> key) =>
        source.DistinctUntilChanged(key);

    public static IObservable<TAccumulate> ScanFrom<T, TAccumulate>(this IObservable<T> source, TAccumulate seed, Func<TAccumulate, T, TAccumulate> step) =>
        source.Scan(seed, step).StartWith(seed);
}

/// <summary>A disposable bag, as view models keep one per activation.</summary>
public sealed class Lifetime : IDisposable
{
    private readonly CompositeDisposable _disposables = new();

    public T Track<T>(T disposable)
        where T : IDisposable
    {
        _disposables.Add(disposable);
        return disposable;
    }

    public void Dispose() => _disposables.Dispose();
}

/// <summary>A reactive property: a BehaviorSubject with change notification and validation.</summary>
public sealed class ReactiveValue<T> : IObservable<T>, IDisposable
{
    private readonly BehaviorSubject<T> _subject;
    private readonly IEqualityComparer<T> _comparer;

    public ReactiveValue(T initial, IEqualityComparer<T>? comparer = null)
    {
        _subject = new BehaviorSubject<T>(initial);
        _comparer = comparer ?? EqualityComparer<T>.Default;
    }

    public T Value
    {
        get => _subject.Value;
        set
        {
            if (!_comparer.Equals(_subject.Value, value))
            {
                _subject.OnNext(value);
            }
        }
    }

    public IObservable<T> Changes => _subject.Skip(1);

    public IDisposable Subscribe(IObserver<T> observer) => _subject.DistinctUntilChanged(_comparer).Subscribe(observer);

    public void Dispose() => _subject.Dispose();
}

/// <summary>A command: executes on a scheduler, exposes IsExecuting and errors as observables.</summary>
public sealed class AsyncCommand<TParam, TResult> : IDisposable
{
    private readonly Func<TParam, CancellationToken, Task<TResult>> _execute;
    private readonly BehaviorSubject<bool> _isExecuting = new(false);
    private readonly Subject<Exception> _errors = new();
    private readonly Subject<TResult> _results = new();
    private readonly IScheduler _scheduler;

    public AsyncCommand(Func<TParam, CancellationToken, Task<TResult>> execute, IObservable<bool> canExecute, IScheduler scheduler)
    {
        _execute = execute;
        _scheduler = scheduler;
        CanExecute = canExecute.CombineLatest(_isExecuting, static (can, busy) => can && !busy).DistinctUntilChanged().Replay(1).RefCount();
    }

    public IObservable<bool> CanExecute { get; }

    public IObservable<bool> IsExecuting => _isExecuting.AsObservable();

    public IObservable<Exception> ThrownExceptions => _errors.AsObservable();

    public IObservable<TResult> Results => _results.ObserveOn(_scheduler); // expect RXS0002

    public IObservable<TResult> Execute(TParam parameter) =>
        Observable.FromAsync(ct => _execute(parameter, ct), _scheduler)
            .Do(_ => { }, error => _errors.OnNext(error))
            .Finally(() => _isExecuting.OnNext(false))
            .Do(result => _results.OnNext(result))
            .SubscribeOn(_scheduler)
            .Publish()
            .RefCount();

    public void Dispose()
    {
        _isExecuting.Dispose();
        _errors.Dispose();
        _results.Dispose();
    }
}

/// <summary>A message bus over a Subject, keyed by type, as MVVM frameworks ship one.</summary>
public sealed class MessageBus
{
    private readonly Dictionary<Type, object> _subjects = new();
    private readonly object _gate = new();

    public IObservable<T> Listen<T>() => Subject<T>().AsObservable();

    public IObservable<T> ListenOn<T>(IScheduler scheduler) => Subject<T>().ObserveOn(scheduler); // expect RXS0002

    public void Send<T>(T message) => Subject<T>().OnNext(message);

    private ISubject<T> Subject<T>()
    {
        lock (_gate)
        {
            if (!_subjects.TryGetValue(typeof(T), out var subject))
            {
                subject = System.Reactive.Subjects.Subject.Synchronize(new Subject<T>());
                _subjects.Add(typeof(T), subject);
            }

            return (ISubject<T>)subject;
        }
    }
}
