using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Reactive.Streams.Generators.Internal;

internal static class Naming
{
    /// <summary>
    /// Whether the type (a union or a sink), or a type or namespace around it, has a sibling whose name differs from its
    /// own in case only (<c>Order</c> beside <c>ORDER</c>, a namespace <c>Shop</c> beside <c>SHOP</c>): two such types
    /// would get hint names that Roslyn, comparing them ignoring case, refuses as one name added twice, failing the whole
    /// generator (CS8785). Such a type's hint name ends with a hash of its exact name. Whichever of two such types is
    /// parsed later sees the other, so their hint names differ even when one of them is cached.
    /// </summary>
    internal static bool HasCaseTwin(INamedTypeSymbol type)
    {
        ISymbol current = type;
        while (current.ContainingSymbol is { } container && current is not INamespaceSymbol { IsGlobalNamespace: true })
        {
            if (s_namesWithCaseTwins.GetValue(container, NamesWithCaseTwins).Contains(current.Name))
            {
                return true;
            }

            current = container;
        }

        return false;
    }

    // The names among a container's members that have a twin differing in case only, built once per container: Roslyn
    // re-runs the transforms for every union and sink of the project on each edit, and comparing each with all of its
    // siblings made that quadratic in the size of a namespace. Symbols belong to one compilation, so the weak table
    // holds nothing past it.
    private static readonly ConditionalWeakTable<ISymbol, HashSet<string>> s_namesWithCaseTwins = new();

    private static HashSet<string> NamesWithCaseTwins(ISymbol container)
    {
        var members = container switch
        {
            INamespaceSymbol ns => ns.GetMembers().Cast<ISymbol>(),
            INamedTypeSymbol outer => outer.GetTypeMembers(),
            _ => Enumerable.Empty<ISymbol>(),
        };
        var firstSpelling = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var twins = new HashSet<string>(StringComparer.Ordinal);
        foreach (var member in members)
        {
            if (!firstSpelling.TryGetValue(member.Name, out var first))
            {
                firstSpelling.Add(member.Name, member.Name);
            }
            else if (!string.Equals(first, member.Name, StringComparison.Ordinal))
            {
                twins.Add(first);
                twins.Add(member.Name);
            }
        }

        return twins;
    }

    /// <summary>
    /// snake_case as System.Text.Json's <c>JsonNamingPolicy.SnakeCaseLower</c> writes it for identifiers:
    /// a word starts at an upper-case letter after a lower-case letter or digit, and at the last capital of an
    /// acronym (<c>HTTPTimeout</c> is <c>http_timeout</c>).
    /// </summary>
    public static string ToSnakeCase(string name)
    {
        var builder = new StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c))
            {
                var previous = i > 0 ? name[i - 1] : '\0';
                var next = i + 1 < name.Length ? name[i + 1] : '\0';
                var startsWord = i > 0 && previous != '_' &&
                    (char.IsLower(previous) || char.IsDigit(previous) || (char.IsUpper(previous) && char.IsLower(next)));
                if (startsWord)
                {
                    builder.Append('_');
                }

                builder.Append(char.ToLowerInvariant(c));
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    /// <summary>camelCase for a parameter name, escaped with <c>@</c> when it is a keyword.</summary>
    public static string ToParameterName(string name)
    {
        var camel = name.Length == 0 ? name : char.ToLowerInvariant(name[0]) + name.Substring(1);
        return SyntaxFacts.GetKeywordKind(camel) != SyntaxKind.None
            ? "@" + camel
            : camel;
    }

    /// <summary>
    /// A type or member name as C# source writes it: escaped with <c>@</c> when it is a keyword (<c>@class</c>) or a
    /// contextual keyword (<c>@record</c>, <c>@required</c>, <c>@file</c>, <c>@scoped</c>, <c>@var</c>): C# 11 and later refuse
    /// some of those as an unescaped type name (CS9029, CS9056, CS9062, CS8860), and <c>@</c> is always allowed.
    /// </summary>
    public static string Identifier(string name)
        => SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None || IsContextualKeyword(name) ? "@" + name : name;

    /// <summary>A contextual keyword (<c>var</c>, <c>not</c>, <c>required</c>, ...), which 'var' is without a SyntaxKind of its own.</summary>
    public static bool IsContextualKeyword(string name)
        => name == "var" || SyntaxFacts.GetContextualKeywordKind(name) != SyntaxKind.None;

    /// <summary>A C# string literal for <paramref name="value"/>.</summary>
    public static string Literal(string value)
        => SymbolDisplay.FormatLiteral(value, quote: true);

    /// <summary>
    /// Text for an XML documentation comment: <c>&amp;</c>, <c>&lt;</c> and <c>&gt;</c> as entities, and a control character
    /// (a line break would end the <c>///</c> line) as its C# escape, so a wire or JSON name of any text keeps the comment
    /// well formed (CS1570 otherwise).
    /// </summary>
    public static string XmlText(string value)
    {
        var builder = new StringBuilder(value.Length);
        foreach (var c in value)
        {
            switch (c)
            {
                case '&':
                    builder.Append("&amp;");
                    break;
                case '<':
                    builder.Append("&lt;");
                    break;
                case '>':
                    builder.Append("&gt;");
                    break;
                default:
                    if (char.IsControl(c) || c is '\u2028' or '\u2029' or '\u0085')
                    {
                        builder.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        builder.Append(c);
                    }

                    break;
            }
        }

        return builder.ToString();
    }

    /// <summary>
    /// <paramref name="value"/> as text inside a regular (not verbatim) interpolated string literal: escaped as a string
    /// literal, with the braces doubled.
    /// </summary>
    public static string InterpolatedText(string value)
    {
        var literal = Literal(value);
        return literal.Substring(1, literal.Length - 2).Replace("{", "{{").Replace("}", "}}");
    }

    /// <summary>
    /// A hint name that is a valid file name for any type name. A character other than a letter, a digit, '.' or '_' (a
    /// combining mark, a connector such as '‿', a formatting character, all legal in C# identifiers) becomes '_', and the
    /// name then ends with a hash of the exact type name, so that <c>A‿B</c> and <c>A_B</c> get two files rather than one
    /// hint name twice (an ArgumentException that fails the whole generator, CS8785). The '@' of a keyword used as a name
    /// is left out. Roslyn compares hint names ignoring case (as a file system may), so a name
    /// with a case twin (<paramref name="caseTwin"/>: <c>Shop.Order</c> beside <c>Shop.ORDER</c>, or in a namespace
    /// <c>SHOP</c>) ends with the hash too.
    /// </summary>
    public static string HintName(string fullName, string suffix, bool caseTwin = false)
    {
        var name = fullName.Replace("global::", string.Empty);
        var builder = new StringBuilder(name.Length + suffix.Length + 9);
        var replaced = false;
        foreach (var c in name)
        {
            // The '@' of an escaped keyword (@class, @record) is no part of the name: left out, so the hint name is the type's
            // name ('class'), which no other type can have. Written '_', it was the hint name of a type named _class beside
            // it, and one hint name twice fails the whole generator (CS8785).
            if (c == '@')
            {
                continue;
            }

            var kept = char.IsLetterOrDigit(c) || c == '.' || c == '_';
            replaced |= !kept;
            builder.Append(kept ? c : '_');
        }

        if (replaced || caseTwin)
        {
            // FNV-1a over the UTF-16 code units: stable across processes and runtimes (string.GetHashCode is not).
            var hash = 2166136261u;
            foreach (var c in name)
            {
                hash = unchecked((hash ^ c) * 16777619u);
            }

            builder.Append('.').Append(hash.ToString("x8", System.Globalization.CultureInfo.InvariantCulture));
        }

        return builder.Append(suffix).ToString();
    }
}
