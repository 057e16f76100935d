using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Reactive.Streams.Generators.Model;

/// <summary>
/// Where a diagnostic points, as plain data: a <see cref="Location"/> holds its syntax tree, which would
/// keep every model that carries one from ever comparing equal across compilations. The mapped path and line span are
/// where a <c>#line</c> directive says the text comes from (the file's own path and lines without one), so that the
/// diagnostic is shown where the compiler shows its own errors in that file.
/// </summary>
internal sealed record LocationInfo(string FilePath, TextSpan Span, LinePositionSpan LineSpan, string MappedPath, LinePositionSpan MappedLineSpan)
{
    public Location ToLocation() => Location.Create(FilePath, Span, LineSpan, MappedPath, MappedLineSpan);

    public static LocationInfo? From(Location? location)
    {
        if (location is null || location.SourceTree is null)
        {
            return null;
        }

        var mapped = location.GetMappedLineSpan();
        return new LocationInfo(location.SourceTree.FilePath, location.SourceSpan, location.GetLineSpan().Span, mapped.Path, mapped.Span);
    }

    public static LocationInfo? From(SyntaxNode node) => From(node.GetLocation());
}

/// <summary>A diagnostic to report, held as value-equal data (descriptor id, location, message arguments).</summary>
internal sealed record DiagnosticInfo(string Id, LocationInfo? Location, EquatableArray<string> MessageArgs)
{
    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, LocationInfo? location, params string[] messageArgs)
        => new(descriptor.Id, location, new EquatableArray<string>(messageArgs));

    public Diagnostic ToDiagnostic()
        => Diagnostic.Create(
            Diagnostics.ById(Id),
            Location?.ToLocation(),
            MessageArgs.Select(static a => (object?)a).ToArray());
}
