using Microsoft.CodeAnalysis;

namespace Reactive.Streams.Analyzers;

/// <summary>The descriptors of every diagnostic this package reports, each with a help link to its rule page.</summary>
internal static class Descriptors
{
    /// <summary>Where the rule pages live; a test checks that every help link names an existing page.</summary>
    internal const string HelpLinkBase = "https://github.com/reactive-streams-dotnet/reactive-streams/blob/main/docs/rules/";

    private const string BackpressureCategory = "Reactive.Streams.Backpressure";
    private const string PurityCategory = "Reactive.Streams.Purity";
    private const string UnionsCategory = "Reactive.Streams.Unions";

    internal static readonly DiagnosticDescriptor MissingBackpressureAttribute = Create(
        DiagnosticIds.MissingBackpressureAttribute,
        "Declaration needs a [Backpressure] attribute",
        "'{0}' is a {1} and needs a [Backpressure(...)] attribute declaring its backpressure policy",
        BackpressureCategory,
        DiagnosticSeverity.Error,
        "The library reads the backpressure policy of this declaration from its [Backpressure] attribute; without it the stream would have no policy.");

    internal static readonly DiagnosticDescriptor UnboundedBoundary = Create(
        DiagnosticIds.UnboundedBoundary,
        "Unbounded asynchronous boundary",
        "{0} queues without bound; {1}",
        BackpressureCategory,
        DiagnosticSeverity.Warning,
        "An asynchronous boundary with an unbounded queue lets a fast producer grow memory without limit. Use a Reactive.Streams policy operator, a bounded block or a policy channel.");

    internal static readonly DiagnosticDescriptor MissingDegrader = Create(
        DiagnosticIds.MissingDegrader,
        "DegradeQuality without a degrader",
        "{0} declares DegradeQuality but no degrader; the first overflow would fail with MissingDegraderException",
        BackpressureCategory,
        DiagnosticSeverity.Error,
        "A DegradeQuality stream replaces the newest item by degrader(item) on overflow; without a degrader every overflow is an error.");

    internal static readonly DiagnosticDescriptor ImpureDegrader = Create(
        DiagnosticIds.ImpureDegrader,
        "Degrader is not provably pure",
        "Degrader '{0}' is not pure: {1}",
        PurityCategory,
        DiagnosticSeverity.Error,
        "A degrader runs on the producer's thread at overflow time, under the buffer's ordering guarantees; it must not write shared state, perform I/O, read clocks or randomness, lock or await.");

    internal static readonly DiagnosticDescriptor CapacityBelowOne = Create(
        DiagnosticIds.CapacityBelowOne,
        "Invalid constant capacity",
        "{0} {1} is invalid; {2}",
        BackpressureCategory,
        DiagnosticSeverity.Error,
        "A bounded buffer with a capacity below 1 cannot hold an item; the library rejects it at run time. TPL Dataflow likewise rejects a BoundedCapacity that is neither 1 or more nor DataflowBlockOptions.Unbounded (-1).");

    internal static readonly DiagnosticDescriptor NonExhaustiveUnionSwitch = Create(
        DiagnosticIds.NonExhaustiveUnionSwitch,
        "Switch over an event union misses variants",
        "The switch over '{0}' does not handle {1} and has no default arm",
        UnionsCategory,
        DiagnosticSeverity.Warning,
        "An [EventUnion] is a closed family of variants; a switch that misses one silently ignores those events.");

    internal static readonly DiagnosticDescriptor UnionConverterHiddenFromJsonContext = Create(
        DiagnosticIds.UnionConverterHiddenFromJsonContext,
        "A JsonSerializerContext would write an event union as {}",
        "'{0}' reaches event union '{1}'{2}, whose generated converter System.Text.Json's source generator cannot see: the context would write it as {{}} and could not read it. Declare [JsonConverter(typeof(EventUnionConverter<{1}>))] on '{1}'.",
        UnionsCategory,
        DiagnosticSeverity.Warning,
        "The source generator attaches a union's converter in generated code, which System.Text.Json's source generator does not see; a context used as is treats the abstract union as an object with no properties. The union must declare [JsonConverter(typeof(EventUnionConverter<TUnion>))] itself.");

    private static DiagnosticDescriptor Create(
        string id, string title, string message, string category, DiagnosticSeverity severity, string description) =>
        new(id, title, message, category, severity, isEnabledByDefault: true, description, HelpLinkBase + id + ".md");
}
