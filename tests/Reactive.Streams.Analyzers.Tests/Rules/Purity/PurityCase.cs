namespace Reactive.Streams.Analyzers.Tests.Rules.Purity;

/// <summary>
/// One degrader and the declarations it uses, with the verdict the prover must reach. <see cref="Why"/> is
/// <see langword="null"/> for a pure degrader; otherwise it is the message's explanation without the location, and the
/// line holding the effect is marked with <c>/*!*/</c> in <see cref="Degrader"/> or <see cref="Declarations"/>.
/// </summary>
public sealed record PurityCase(string Name, string Type, string Degrader, string Declarations, string? Why)
{
    internal const string EffectMarker = "/*!*/";

    /// <summary>A degrader the prover must accept.</summary>
    internal static PurityCase Pure(string name, string type, string degrader, string declarations = "") =>
        new(name, type, degrader, declarations, Why: null);

    /// <summary>A degrader the prover must reject with <paramref name="why"/> at the marked line.</summary>
    internal static PurityCase Impure(string name, string type, string degrader, string declarations, string why) =>
        new(name, type, degrader, declarations, why);

    /// <summary>The test file: the usual usings, the declarations, and one probe class passing the degrader.</summary>
    internal string Source =>
        $$"""
        using System;
        using System.Collections.Generic;
        using System.Collections.Immutable;
        using System.Linq;
        using System.Text;
        using System.Threading.Tasks;
        using Reactive.Streams;

        {{Declarations}}

        sealed partial class Probe
        {
            object M() => StubFactory.DegradeQuality<{{Type}}>(4, {{Degrader}});
        }
        """;

    /// <summary>The 1-based line of the effect marker.</summary>
    internal int EffectLine
    {
        get
        {
            var lines = Source.Split('\n');
            var index = Array.FindIndex(lines, l => l.Contains(EffectMarker, StringComparison.Ordinal));
            return index < 0 ? throw new InvalidOperationException(Name + ": an impure case must mark its effect's line with " + EffectMarker) : index + 1;
        }
    }

    /// <inheritdoc/>
    public override string ToString() => Name;
}
