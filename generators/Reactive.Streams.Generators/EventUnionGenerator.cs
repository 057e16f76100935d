using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Reactive.Streams.Generators.Model;
using Reactive.Streams.Generators.Sinks;
using Reactive.Streams.Generators.Unions;

namespace Reactive.Streams.Generators;

/// <summary>
/// Generates typed event unions (<c>[EventUnion]</c>) and typed sink adapters (<c>[StreamSink]</c>). Each
/// annotated type is parsed into a value-equal model; source is emitted from models only, and diagnostics go
/// through their own output, so an edit that does not touch an annotated type re-emits nothing.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class EventUnionGenerator : IIncrementalGenerator
{
    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var unions = context.SyntaxProvider
            .ForAttributeWithMetadataName(UnionParser.EventUnionAttribute, static (node, _) => node is TypeDeclarationSyntax, UnionParser.Parse)
            .WithTrackingName(TrackingNames.UnionResult);

        var unionModels = unions
            .Select(static (r, _) => r.Model)
            .Where(static m => m is not null)
            .Select(static (m, _) => m!)
            .WithTrackingName(TrackingNames.UnionModel);
        // A project pinned below C# 11 gets the same code without UTF-8 string literals and without IEventUnion<T> (static
        // abstract interface members), and below C# 10 with block-scoped namespaces (records, and so unions, exist from C# 9).
        var csharp11 = context.ParseOptionsProvider
            .Select(static (options, _) => options is not CSharpParseOptions { LanguageVersion: < LanguageVersion.CSharp11 });
        var fileScopedNamespaces = context.ParseOptionsProvider
            .Select(static (options, _) => options is not CSharpParseOptions { LanguageVersion: < LanguageVersion.CSharp10 });
        context.RegisterSourceOutput(unionModels.Combine(csharp11).Combine(fileScopedNamespaces), static (spc, pair) =>
            spc.AddSource(UnionEmitter.HintName(pair.Left.Left), UnionEmitter.Emit(pair.Left.Left, pair.Left.Right, pair.Right)));

        var unionDiagnostics = unions
            .Select(static (r, _) => r.Diagnostics)
            .Where(static d => d.Count > 0)
            .WithTrackingName(TrackingNames.UnionDiagnostics);
        context.RegisterSourceOutput(unionDiagnostics, static (spc, diagnostics) => Report(spc, diagnostics));

        // RXS1002 for a variant declared outside its union. Every step until a record's base is known to carry a union's
        // name is syntactic; only such records are bound, so a project without unions does no semantic work here. The
        // verdicts are collected with their nulls so that each record bound is one tracked run of StrayVariant.
        // The names come from the parse results: a second ForAttributeWithMetadataName would bind every union's attribute
        // again on each compilation.
        var unionNames = unions
            .Select(static (r, _) => r.Name)
            .Collect()
            .Select(static (names, _) => names.Distinct(StringComparer.Ordinal).OrderBy(static n => n, StringComparer.Ordinal).ToEquatableArray())
            .WithTrackingName(TrackingNames.UnionNames);
        var strayVariants = context.SyntaxProvider
            .CreateSyntaxProvider(UnionParser.IsRecordWithBaseList, UnionParser.StrayCandidateOf)
            .Where(static c => c is not null)
            .WithTrackingName(TrackingNames.StrayCandidate)
            .Combine(unionNames)
            .Where(static pair => pair.Right.Contains(pair.Left!.BaseName))
            .Select(static (pair, _) => pair.Left!)
            .Combine(context.CompilationProvider)
            .Select(static (pair, cancellationToken) => UnionParser.ParseStrayVariant(pair.Left, pair.Right, cancellationToken))
            .WithTrackingName(TrackingNames.StrayVariant)
            .Collect();
        context.RegisterSourceOutput(strayVariants, static (spc, diagnostics) =>
        {
            foreach (var diagnostic in diagnostics)
            {
                if (diagnostic is not null)
                {
                    spc.ReportDiagnostic(diagnostic.ToDiagnostic());
                }
            }
        });

        var sinks = context.SyntaxProvider
            .ForAttributeWithMetadataName(SinkParser.StreamSinkAttribute, static (node, _) => node is TypeDeclarationSyntax, SinkParser.Parse)
            .WithTrackingName(TrackingNames.SinkResult);

        var sinkModels = sinks
            .Select(static (r, _) => r.Model)
            .Where(static m => m is not null)
            .Select(static (m, _) => m!)
            .WithTrackingName(TrackingNames.SinkModel);
        // A sink over a union of this compilation that the generator refused (its diagnostics say why) gets no code
        // either: its adapters would name the union's generated members (Unknown/Other), which do not exist.
        var refusedUnions = unions
            .Where(static r => r.Model is null)
            .Select(static (r, _) => r.FullName)
            .Collect()
            .Select(static (names, _) => names.Distinct(StringComparer.Ordinal).OrderBy(static n => n, StringComparer.Ordinal).ToEquatableArray());
        context.RegisterSourceOutput(sinkModels.Combine(refusedUnions).Combine(fileScopedNamespaces), static (spc, pair) =>
        {
            var model = pair.Left.Left;
            if (!pair.Left.Right.Contains(model.UnionTypeName))
            {
                spc.AddSource(SinkEmitter.HintName(model), SinkEmitter.Emit(model, pair.Right));
            }
        });

        var sinkDiagnostics = sinks
            .Select(static (r, _) => r.Diagnostics)
            .Where(static d => d.Count > 0)
            .WithTrackingName(TrackingNames.SinkDiagnostics);
        context.RegisterSourceOutput(sinkDiagnostics, static (spc, diagnostics) => Report(spc, diagnostics));
    }

    private static void Report(SourceProductionContext context, EquatableArray<DiagnosticInfo> diagnostics)
    {
        foreach (var diagnostic in diagnostics)
        {
            context.ReportDiagnostic(diagnostic.ToDiagnostic());
        }
    }
}
