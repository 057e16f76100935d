using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Reactive.Streams.Generators.Internal;

/// <summary>
/// The fully qualified names, with nullable annotations, that generated code writes for types: a union's variants repeat
/// a handful of types, so each is displayed once per union, and the C# keyword types are not displayed at all.
/// </summary>
internal sealed class TypeNames
{
    private static readonly SymbolDisplayFormat s_format = SymbolDisplayFormat.FullyQualifiedFormat
        .AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    private readonly Dictionary<ITypeSymbol, string> _names = new(SymbolEqualityComparer.IncludeNullability);
    private readonly Dictionary<(SyntaxNode Scope, string Text), ITypeSymbol?> _bound = new();

    /// <summary>
    /// The type <paramref name="syntax"/> binds to. With a <paramref name="scope"/> (a declaration every use shares the
    /// lookups of), the same text bound there before is not bound again.
    /// </summary>
    public ITypeSymbol? Bind(SemanticModel model, TypeSyntax syntax, SyntaxNode? scope, CancellationToken cancellationToken)
    {
        // A keyword type (int, string, string?, long?) means its special type wherever it is written: no lookup to do.
        // Roslyn re-runs the transform for every union on each edit, and these are most of a union's parameter types.
        if (KeywordType(model.Compilation, syntax) is { } keywordType)
        {
            return keywordType;
        }

        if (scope is null)
        {
            return model.GetTypeInfo(syntax, cancellationToken).Type;
        }

        var key = (scope, syntax.ToString());
        if (!_bound.TryGetValue(key, out var type))
        {
            type = model.GetTypeInfo(syntax, cancellationToken).Type;
            _bound.Add(key, type);
        }

        return type;
    }

    private static ITypeSymbol? KeywordType(Compilation compilation, TypeSyntax syntax)
    {
        switch (syntax)
        {
            case PredefinedTypeSyntax predefined when SpecialTypeOf(predefined.Keyword.Kind()) is var special and not SpecialType.None:
                return compilation.GetSpecialType(special);
            case NullableTypeSyntax { ElementType: PredefinedTypeSyntax element } when SpecialTypeOf(element.Keyword.Kind()) is var special and not SpecialType.None:
                var type = compilation.GetSpecialType(special);
                return type.IsValueType ? compilation.GetSpecialType(SpecialType.System_Nullable_T).Construct(type) : type;
            default:
                return null;
        }
    }

    private static SpecialType SpecialTypeOf(SyntaxKind keyword) => keyword switch
    {
        SyntaxKind.ObjectKeyword => SpecialType.System_Object,
        SyntaxKind.StringKeyword => SpecialType.System_String,
        SyntaxKind.BoolKeyword => SpecialType.System_Boolean,
        SyntaxKind.CharKeyword => SpecialType.System_Char,
        SyntaxKind.SByteKeyword => SpecialType.System_SByte,
        SyntaxKind.ByteKeyword => SpecialType.System_Byte,
        SyntaxKind.ShortKeyword => SpecialType.System_Int16,
        SyntaxKind.UShortKeyword => SpecialType.System_UInt16,
        SyntaxKind.IntKeyword => SpecialType.System_Int32,
        SyntaxKind.UIntKeyword => SpecialType.System_UInt32,
        SyntaxKind.LongKeyword => SpecialType.System_Int64,
        SyntaxKind.ULongKeyword => SpecialType.System_UInt64,
        SyntaxKind.FloatKeyword => SpecialType.System_Single,
        SyntaxKind.DoubleKeyword => SpecialType.System_Double,
        SyntaxKind.DecimalKeyword => SpecialType.System_Decimal,
        _ => SpecialType.None,
    };

    public string Of(ITypeSymbol type)
    {
        if (Keyword(type.SpecialType) is { } keyword)
        {
            return type.IsReferenceType && type.NullableAnnotation == NullableAnnotation.Annotated ? keyword + "?" : keyword;
        }

        if (!_names.TryGetValue(type, out var name))
        {
            name = type.ToDisplayString(s_format);
            _names.Add(type, name);
        }

        return name;
    }

    // What FullyQualifiedFormat (which uses the special types' keywords) writes for them.
    private static string? Keyword(SpecialType type) => type switch
    {
        SpecialType.System_Object => "object",
        SpecialType.System_String => "string",
        SpecialType.System_Boolean => "bool",
        SpecialType.System_Char => "char",
        SpecialType.System_SByte => "sbyte",
        SpecialType.System_Byte => "byte",
        SpecialType.System_Int16 => "short",
        SpecialType.System_UInt16 => "ushort",
        SpecialType.System_Int32 => "int",
        SpecialType.System_UInt32 => "uint",
        SpecialType.System_Int64 => "long",
        SpecialType.System_UInt64 => "ulong",
        SpecialType.System_Single => "float",
        SpecialType.System_Double => "double",
        SpecialType.System_Decimal => "decimal",
        _ => null,
    };
}
