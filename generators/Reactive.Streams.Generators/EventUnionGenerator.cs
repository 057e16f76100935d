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
        // The model carries its file's language version: a union's output is its model alone, with no Combine. (Roslyn 4.14
        // drops every output of a ForAttributeWithMetadataName combined with another provider once an unrelated file is
        // edited into an unfinished attribute, "[X": IncrementalityTests.)
        context.RegisterSourceOutput(unionModels, static (spc, model) =>
            spc.AddSource(UnionEmitter.HintName(model), UnionEmitter.Emit(model, model.CSharp11, model.FileScopedNamespaces)));

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
        // A sink of a union the generator refuses gets no model (SinkParser), and its file's language version is in its model:
        // like a union's, a sink's output is its model alone.
        context.RegisterSourceOutput(sinkModels, static (spc, model) =>
            spc.AddSource(SinkEmitter.HintName(model), SinkEmitter.Emit(model, model.FileScopedNamespace)));

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
