namespace Reactive.Streams.Analyzers.Tests.Infrastructure;

/// <summary>
/// Library-shaped calls for the rules to key on: methods in namespace <c>Reactive.Streams</c> with parameters named
/// <c>policy</c>, <c>capacity</c> and <c>degrader</c>, and options with <c>Capacity</c>/<c>Degrader</c> properties —
/// exactly what the rules recognise, with names that never collide with Core's own types.
/// </summary>
internal static class Stubs
{
    internal const string Source = """
        namespace Reactive.Streams
        {
            public static class StubFactory
            {
                public static int Create<T>(BackpressurePolicy policy, int capacity, System.Func<T, T>? degrader = null) => 0;
                public static int DegradeQuality<T>(int capacity, System.Func<T, T> degrader, string? name = null) => 0;
                public static int DropOldest<T>(int capacity, string? name = null) => 0;
                public static int Policy(BackpressurePolicy policy) => 0;
            }

            public sealed class StubOptions<T>
            {
                public StubOptions(BackpressurePolicy policy, int capacity) { }
                public System.Func<T, T>? Degrader { get; init; }
                public string? Name { get; init; }
            }

            public sealed class StubBlockOptions
            {
                public int Capacity { get; init; }
            }
        }
        """;

    /// <summary>
    /// The Rx policy operators with the signatures fixed in the design, used only while Core does not have them yet
    /// (<see cref="RxOperatorsSource"/> is empty once it does, so the real ones are tested).
    /// </summary>
    internal static readonly string? RxOperatorsSource =
        typeof(BackpressurePolicy).Assembly.GetType("Reactive.Streams.ObservableBackpressureExtensions") is not null
            ? null
            : """
            namespace Reactive.Streams
            {
                public static class ObservableBackpressureExtensions
                {
                    public static System.IObservable<T> WithBackpressure<T>(this System.IObservable<T> source, BackpressurePolicy policy, int capacity, System.Reactive.Concurrency.IScheduler scheduler, System.Func<T, T>? degrader = null) => source;
                    public static System.IObservable<T> DropOldest<T>(this System.IObservable<T> source, int capacity, System.Reactive.Concurrency.IScheduler scheduler) => source;
                    public static System.IObservable<T> DegradeQuality<T>(this System.IObservable<T> source, int capacity, System.Func<T, T> degrader, System.Reactive.Concurrency.IScheduler scheduler) => source;
                    public static System.IObservable<T> PauseUpstream<T>(this System.IObservable<T> source, int capacity, System.Reactive.Concurrency.IScheduler scheduler, System.TimeSpan? timeout = null) => source;
                    public static System.IObservable<T> FailOnOverflow<T>(this System.IObservable<T> source, int capacity, System.Reactive.Concurrency.IScheduler scheduler) => source;
                }
            }
            """;
}
