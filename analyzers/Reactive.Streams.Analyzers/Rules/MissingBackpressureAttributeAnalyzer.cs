using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Reactive.Streams.Analyzers.Infrastructure;

namespace Reactive.Streams.Analyzers.Rules;

/// <summary>
/// RXS0001: a declaration whose policy the library reads from metadata (a <c>[StreamSink]</c> class) must declare it
/// with <c>[Backpressure(...)]</c>.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class MissingBackpressureAttributeAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(Descriptors.MissingBackpressureAttribute);

    /// <inheritdoc/>
    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCode.Flags);
        context.RegisterCompilationStartAction(start =>
        {
            if (KnownTypes.TryCreate(start.Compilation) is not { StreamSinkAttribute: { } streamSink } types)
            {
                return;
            }

            start.RegisterSymbolAction(symbolContext => Analyze(symbolContext, types, streamSink), SymbolKind.NamedType);
        });
    }

    private static void Analyze(SymbolAnalysisContext context, KnownTypes types, INamedTypeSymbol streamSink)
    {
        AttributeData? sink = null;
        foreach (var attribute in context.Symbol.GetAttributes())
        {
            if (SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, types.BackpressureAttribute))
            {
                return;
            }

            if (SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, streamSink))
            {
                sink = attribute;
            }
        }

        if (sink is null)
        {
            return;
        }

        // Report on the name of the declaration part that carries [StreamSink].
        var location = sink.ApplicationSyntaxReference?.GetSyntax(context.CancellationToken)
            .FirstAncestorOrSelf<BaseTypeDeclarationSyntax>() is { } declaration
            ? declaration.Identifier.GetLocation()
            : context.Symbol.Locations[0];
        context.ReportDiagnostic(Diagnostic.Create(
            Descriptors.MissingBackpressureAttribute, location, context.Symbol.Name, "[StreamSink] class"));
    }
}
