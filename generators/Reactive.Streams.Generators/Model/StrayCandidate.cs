namespace Reactive.Streams.Generators.Model;

/// <summary>
/// A record outside any type of its base's name whose first base type is written with the simple name
/// <paramref name="BaseName"/>: read from syntax alone, so listing every such record costs no binding. Only a candidate
/// whose base name is the name of a union in the compilation is looked at semantically.
/// </summary>
internal sealed record StrayCandidate(string BaseName, LocationInfo Identifier);
