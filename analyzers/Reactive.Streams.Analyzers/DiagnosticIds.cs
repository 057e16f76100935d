namespace Reactive.Streams.Analyzers;

/// <summary>
/// The diagnostic IDs this package reports. They are public surface: users set their severities by ID in
/// <c>.editorconfig</c>, so an ID is never reused or renumbered.
/// </summary>
public static class DiagnosticIds
{
    /// <summary>A declaration whose policy the library reads from metadata lacks <c>[Backpressure]</c>.</summary>
    public const string MissingBackpressureAttribute = "RXS0001";

    /// <summary>An unbounded asynchronous boundary (Rx ObserveOn, an unbounded Dataflow block or channel).</summary>
    public const string UnboundedBoundary = "RXS0002";

    /// <summary>A constant DegradeQuality policy with no degrader.</summary>
    public const string MissingDegrader = "RXS0003";

    /// <summary>A degrader that is not provably pure.</summary>
    public const string ImpureDegrader = "RXS0004";

    /// <summary>A capacity that is a compile-time constant below 1.</summary>
    public const string CapacityBelowOne = "RXS0005";

    /// <summary>A switch over an event union that misses variants and has no default arm.</summary>
    public const string NonExhaustiveUnionSwitch = "RXS0006";

    /// <summary>
    /// A source-generated <c>JsonSerializerContext</c> reaches an event union whose converter System.Text.Json's source
    /// generator cannot see (the union declares no <c>[JsonConverter]</c> itself).
    /// </summary>
    public const string UnionConverterHiddenFromJsonContext = "RXS0007";
}
