using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Text;

namespace Reactive.Streams.Analyzers.CodeFixes.Fixes;

/// <summary>
/// Fix-all for fixes that each add <c>using Reactive.Streams;</c>: every fix is computed on the original document, and
/// their text changes are merged with identical changes kept once. The batch fixer treats the second identical using as
/// a conflict and drops that whole fix, so a document with several boundaries needed one fix-all run per boundary.
/// A fix whose changes truly conflict with one already taken (overlapping edits) is left for the next run.
/// </summary>
internal static class MergingFixAll
{
    internal static FixAllProvider Provider { get; } = FixAllProvider.Create(FixDocumentAsync);

    private static async Task<Document?> FixDocumentAsync(FixAllContext context, Document document, ImmutableArray<Diagnostic> diagnostics)
    {
        var merged = new List<TextChange>();
        var conflicting = new List<Diagnostic>();
        foreach (var diagnostic in diagnostics.OrderBy(static d => d.Location.SourceSpan.Start))
        {
            var changes = await ChangesOfAsync(context, document, diagnostic).ConfigureAwait(false);
            var fresh = changes.Where(c => !merged.Contains(c)).ToList();
            if (fresh.Any(c => merged.Any(m => Conflict(m, c))))
            {
                conflicting.Add(diagnostic);
                continue;
            }

            merged.AddRange(fresh);
        }

        if (merged.Count == 0)
        {
            return document;
        }

        var text = await document.GetTextAsync(context.CancellationToken).ConfigureAwait(false);
        var ordered = merged.OrderBy(static c => c.Span.Start).ToList();
        document = document.WithText(text.WithChanges(ordered));

        // A fix whose changes only seemed to conflict: the document's text changes come from a syntax diff, which can fold
        // the shared `using` into a neighbouring edit (the first statement of a program, right below the usings), so two
        // fixes' identical usings no longer compare equal. Such a fix is applied to the merged document, its diagnostic
        // moved with the text, so that a fix-all (and `dotnet format`) converges in one run. A diagnostic whose own text
        // an earlier fix edited is left for the next run, as before.
        var pending = conflicting.Select(d => (Diagnostic: d, Span: Map(d.Location.SourceSpan, ordered))).ToList();
        for (var i = 0; i < pending.Count; i++)
        {
            if (pending[i].Span is not { } span
                || await document.GetSyntaxTreeAsync(context.CancellationToken).ConfigureAwait(false) is not { } tree)
            {
                continue;
            }

            var diagnostic = pending[i].Diagnostic;
            var moved = Diagnostic.Create(diagnostic.Descriptor, Location.Create(tree, span), diagnostic.Properties);
            var changes = (await ChangesOfAsync(context, document, moved).ConfigureAwait(false)).OrderBy(static c => c.Span.Start).ToList();
            if (changes.Count == 0)
            {
                continue;
            }

            var current = await document.GetTextAsync(context.CancellationToken).ConfigureAwait(false);
            document = document.WithText(current.WithChanges(changes));
            for (var j = i + 1; j < pending.Count; j++)
            {
                pending[j] = (pending[j].Diagnostic, pending[j].Span is { } later ? Map(later, changes) : null);
            }
        }

        return document;
    }

    // Where `span` is once `changes` (sorted, not overlapping, in the same text as the span) are made, or null when one
    // of them edits it.
    private static TextSpan? Map(TextSpan span, List<TextChange> changes)
    {
        var shift = 0;
        foreach (var change in changes)
        {
            if (change.Span.End <= span.Start)
            {
                shift += (change.NewText?.Length ?? 0) - change.Span.Length;
            }
            else if (change.Span.Start < span.End)
            {
                return null;
            }
        }

        return new TextSpan(span.Start + shift, span.Length);
    }

    // The changes the fix with the fix-all's equivalence key makes to this document for one diagnostic. Without a key,
    // the first fix: `dotnet format analyzers` takes the key of the first fix of the first diagnostic it finds, and
    // passes null when that diagnostic has no fix (an ObserveOn on a SynchronizationContext, a configured channel).
    private static async Task<IReadOnlyList<TextChange>> ChangesOfAsync(FixAllContext context, Document document, Diagnostic diagnostic)
    {
        var actions = new List<CodeAction>();
        var fixContext = new CodeFixContext(document, diagnostic, (action, _) => actions.Add(action), context.CancellationToken);
        await context.CodeFixProvider.RegisterCodeFixesAsync(fixContext).ConfigureAwait(false);
        var chosen = context.CodeActionEquivalenceKey is null
            ? actions.FirstOrDefault()
            : actions.FirstOrDefault(a => a.EquivalenceKey == context.CodeActionEquivalenceKey);
        if (chosen is null)
        {
            return Array.Empty<TextChange>();
        }

        foreach (var operation in await chosen.GetOperationsAsync(context.CancellationToken).ConfigureAwait(false))
        {
            if (operation is ApplyChangesOperation apply && apply.ChangedSolution.GetDocument(document.Id) is { } changed)
            {
                return (await changed.GetTextChangesAsync(document, context.CancellationToken).ConfigureAwait(false)).ToList();
            }
        }

        return Array.Empty<TextChange>();
    }

    // Overlapping edits, or two different insertions at one position (their order would be a guess).
    private static bool Conflict(TextChange taken, TextChange candidate) =>
        (taken.Span.Start < candidate.Span.End && candidate.Span.Start < taken.Span.End)
        || (taken.Span.Start == candidate.Span.Start && (taken.Span.IsEmpty || candidate.Span.IsEmpty));
}
