using System.Text;
using Microsoft.CodeAnalysis.CSharp;

namespace Reactive.Streams.Generators.Internal;

internal static class Naming
{
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

    /// <summary>A member name as C# source writes it: escaped with <c>@</c> when it is a keyword (<c>@class</c>).</summary>
    public static string Identifier(string name)
        => SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None ? "@" + name : name;

    /// <summary>A C# string literal for <paramref name="value"/>.</summary>
    public static string Literal(string value)
        => SymbolDisplay.FormatLiteral(value, quote: true);

    /// <summary>A hint name that is a valid file name for any type name.</summary>
    public static string HintName(string fullName, string suffix)
    {
        var builder = new StringBuilder(fullName.Length + suffix.Length);
        foreach (var c in fullName.Replace("global::", string.Empty))
        {
            builder.Append(char.IsLetterOrDigit(c) || c == '.' || c == '_' ? c : '_');
        }

        return builder.Append(suffix).ToString();
    }
}
