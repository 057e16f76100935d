using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Reactive.Streams.Analyzers.Infrastructure;
using Reactive.Streams.Analyzers.Purity;
using Reactive.Streams.Analyzers.Tests.Infrastructure;

namespace Reactive.Streams.Analyzers.Tests.Rules.Purity;

/// <summary>
/// The known-API lists are matched against symbols without building their names (<see cref="KnownTypes.HasFullName"/>);
/// the oracle here is the name built the slow way, from Roslyn's own display string.
/// </summary>
public sealed class TypeNameMatchingTests
{
    private static readonly Compilation s_compilation = CSharpCompilation.Create(
        "Names",
        [CSharpSyntaxTree.ParseText("""
            public class Global { public class Nested<T> { public class Inner { } } }
            namespace A.B { public class C<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11> { } public class System { } }
            namespace System.Text { public class Local { } }
            """)],
        TestReferences.Runtime,
        new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));

    private static readonly string[] s_names =
    [
        "System.Collections.Generic.List`1",
        "System.Collections.Generic.Dictionary`2+KeyCollection",
        "System.Collections.Immutable.ImmutableArray`1+Builder",
        "System.ValueTuple`8",
        "System.Diagnostics.Stopwatch",
        "System.Threading.Tasks.Task`1",
        "System.Text.Local",
        "Global",
        "Global+Nested`1+Inner",
        "A.B.C`11",
        "A.B.System",
    ];

    public static TheoryData<string> Types() => new(s_names);

    [Theory]
    [MemberData(nameof(Types))]
    public void A_type_has_exactly_its_own_full_name(string fullName)
    {
        var type = s_compilation.GetTypeByMetadataName(fullName);
        Assert.NotNull(type);
        Assert.Equal(fullName, SlowFullName(type));
        Assert.True(KnownTypes.HasFullName(type, fullName));

        foreach (var other in s_names.Where(n => n != fullName))
        {
            Assert.False(KnownTypes.HasFullName(type, other), other);
        }

        foreach (var near in NearMisses(fullName).Where(n => n != fullName))
        {
            Assert.False(KnownTypes.HasFullName(type, near), near);
        }
    }

    [Fact]
    public void A_namespace_matches_only_its_whole_dotted_name()
    {
        var ns = s_compilation.GetTypeByMetadataName("System.Collections.Generic.List`1")!.ContainingNamespace;
        Assert.True(KnownTypes.IsNamespace(ns, "System.Collections.Generic"));
        foreach (var near in new[] { "Collections.Generic", "Generic", "System.Collections", "XSystem.Collections.Generic", "System.Collections.Generic.", ".System.Collections.Generic", "System.Collections+Generic", string.Empty })
        {
            Assert.False(KnownTypes.IsNamespace(ns, near), near);
        }

        Assert.True(KnownTypes.IsNamespace(s_compilation.GlobalNamespace, string.Empty));
        Assert.False(KnownTypes.IsNamespace(s_compilation.GlobalNamespace, "System"));
        Assert.False(KnownTypes.IsNamespace(null, "System"));
    }

    [Fact]
    public void A_type_table_finds_entries_by_symbol_and_nothing_else()
    {
        var table = TypeTable<string>.Create(new Dictionary<string, string>
        {
            ["System.Collections.Generic.List`1"] = "1",
            ["A.B.System"] = "2",
            ["Global+Nested`1+Inner"] = "3",
        });

        foreach (var (name, expected) in new[] { ("System.Collections.Generic.List`1", "1"), ("A.B.System", "2"), ("Global+Nested`1+Inner", "3") })
        {
            Assert.True(table.TryGetValue(s_compilation.GetTypeByMetadataName(name)!, out var value), name);
            Assert.Equal(expected, value);
        }

        Assert.False(table.TryGetValue(s_compilation.GetTypeByMetadataName("System.Collections.Generic.LinkedList`1")!, out _));
        Assert.False(table.TryGetValue(s_compilation.GetTypeByMetadataName("System.Collections.Immutable.ImmutableList`1")!, out _));
        Assert.False(table.TryGetValue(s_compilation.GetTypeByMetadataName("System.Text.Local")!, out _));
    }

    // Names that differ from the real one by a namespace segment, a separator, the arity or a prefix.
    private static IEnumerable<string> NearMisses(string fullName)
    {
        yield return "X" + fullName;
        yield return "X." + fullName;
        yield return "." + fullName;
        yield return fullName + ".";
        yield return fullName + "`1";
        yield return fullName.Replace('+', '.');
        var dot = fullName.IndexOf('.');
        if (dot > 0)
        {
            yield return fullName[(dot + 1)..];
            yield return fullName.Remove(dot, 1).Insert(dot, "+");
        }

        var tick = fullName.LastIndexOf('`');
        if (tick > 0)
        {
            yield return fullName[..tick];
            yield return fullName[..tick] + "`" + (int.Parse(fullName[(tick + 1)..].Split('+')[0], System.Globalization.CultureInfo.InvariantCulture) + 1) + fullName[(tick + 1)..].Substring(fullName[(tick + 1)..].Split('+')[0].Length);
        }
    }

    private static string SlowFullName(INamedTypeSymbol type)
    {
        var prefix = type.ContainingType is { } outer ? SlowFullName(outer) + "+"
            : type.ContainingNamespace.IsGlobalNamespace ? string.Empty : type.ContainingNamespace.ToDisplayString() + ".";
        return type.Arity == 0 ? prefix + type.Name : prefix + type.Name + "`" + type.Arity.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}
