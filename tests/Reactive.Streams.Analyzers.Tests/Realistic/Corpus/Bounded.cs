// Test input for RealisticCodeTests (not compiled into the test assembly): the same pipelines with a declared policy,
// which the analyzers accept (pure degraders, bounded boundaries).
using System;
using System.Reactive.Concurrency;
using System.Reactive.Linq;
using Reactive.Streams;
using Realistic.Features;

namespace Realistic.Bounded;

public static class BoundedPipelines
{
    private const decimal Tick = 0.01m;

    public static IObservable<Quote> Coarse(IObservable<Quote> quotes, IScheduler ui) =>
        quotes.DegradeQuality(256, static q => q with { Bid = Math.Round(q.Bid / Tick) * Tick, Ask = Math.Round(q.Ask / Tick) * Tick }, ui);

    public static IObservable<ChatMessage> Latest(IObservable<ChatMessage> messages, IScheduler ui) =>
        messages.DropOldest(1024, ui);

    public static IObservable<Product> Paused(IObservable<Product> products, IScheduler ui) =>
        products.PauseUpstream(512, TimeSpan.FromSeconds(5), ui);

    public static IObservable<SearchResult> Trimmed(IObservable<SearchResult> results, IScheduler ui) =>
        results.DegradeQuality(64, Shorten, ui);

    private static SearchResult Shorten(SearchResult r) =>
        r.Title.Length <= 40 ? r : r with { Title = string.Concat(r.Title.AsSpan(0, 37), "...") };
}
