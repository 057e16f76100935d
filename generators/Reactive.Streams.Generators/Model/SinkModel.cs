namespace Reactive.Streams.Generators.Model;

/// <summary>An <c>On{Variant}</c> handler of a sink.</summary>
/// <param name="CaseTypeName">The fully qualified variant type the handler takes.</param>
/// <param name="MethodName">The handler's name.</param>
/// <param name="IsAsync">Returns <c>ValueTask</c> (otherwise <c>void</c>).</param>
/// <param name="TakesCancellationToken">Takes a trailing <c>CancellationToken</c>.</param>
/// <param name="ExperimentalIds">The diagnostic ids of the <c>[Experimental]</c> attributes a call to the handler reports, comma-separated, or empty.</param>
internal sealed record HandlerModel(string CaseTypeName, string MethodName, bool IsAsync, bool TakesCancellationToken, string ExperimentalIds = "");

/// <summary>Everything the emitter needs to write one sink's adapters, with no symbol, syntax, location or compilation.</summary>
/// <param name="Namespace">The containing namespace, or empty.</param>
/// <param name="ContainingTypes">Declarations of the containing types, outermost first.</param>
/// <param name="Name">The sink class's name.</param>
/// <param name="UnionTypeName">The fully qualified union type.</param>
/// <param name="Handlers">One handler per variant, in the union's declaration order.</param>
/// <param name="FallbackTypeName">The fully qualified <c>Unknown</c>/<c>Other</c> type.</param>
/// <param name="FallbackHandler">The optional <c>OnUnknown</c>/<c>OnOther</c> handler.</param>
/// <param name="Policy">The <c>BackpressurePolicy</c> member name, or null without <c>[Backpressure]</c>.</param>
/// <param name="Capacity">The declared capacity.</param>
/// <param name="DegraderName">The degrader method, when it names a static <c>TUnion M(TUnion)</c> on the sink.</param>
/// <param name="HasDataflowBlock">The compilation has <c>Reactive.Streams.BackpressureBlock&lt;T&gt;</c>, so the Dataflow target can be emitted.</param>
/// <param name="FileScopedNamespace">The sink's file is C# 10 or later: the generated file uses a file-scoped namespace.</param>
/// <param name="SuppressedWarnings">
/// The warnings the generated file raises because the union, a type containing it, a variant or the degrader is
/// <c>[Obsolete]</c> (CS0612, CS0618) or <c>[Experimental]</c> (its id), comma-separated; the file suppresses them. Empty
/// for most sinks.
/// </param>
/// <param name="HasCaseTwin">
/// The sink's name, or a namespace or type around it, differs only in case from a sibling's: its hint name ends with a
/// hash of its exact name, since Roslyn compares hint names ignoring case.
/// </param>
internal sealed record SinkModel(
    string Namespace,
    EquatableArray<string> ContainingTypes,
    string Name,
    string UnionTypeName,
    EquatableArray<HandlerModel> Handlers,
    string FallbackTypeName,
    HandlerModel? FallbackHandler,
    string? Policy,
    int Capacity,
    string? DegraderName,
    bool HasDataflowBlock,
    bool FileScopedNamespace = true,
    string SuppressedWarnings = "",
    bool HasCaseTwin = false);

/// <summary>What the parser found for one <c>[StreamSink]</c>: a model when code can be generated, and diagnostics.</summary>
internal sealed record SinkResult(SinkModel? Model, EquatableArray<DiagnosticInfo> Diagnostics);
