namespace Reactive.Streams.Generators;

/// <summary>
/// Constant names of the pipeline steps, so incrementality tests can find each step in the driver's
/// tracked steps and assert it stayed cached.
/// </summary>
internal static class TrackingNames
{
    public const string UnionResult = nameof(UnionResult);
    public const string UnionModel = nameof(UnionModel);
    public const string UnionDiagnostics = nameof(UnionDiagnostics);
    public const string UnionNames = nameof(UnionNames);
    public const string StrayCandidate = nameof(StrayCandidate);
    public const string StrayVariant = nameof(StrayVariant);
    public const string SinkResult = nameof(SinkResult);
    public const string SinkModel = nameof(SinkModel);
    public const string SinkDiagnostics = nameof(SinkDiagnostics);
}
