using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Reactive.Streams.Analyzers.Infrastructure;

namespace Reactive.Streams.Analyzers.Rules;

/// <summary>
/// RXS0007: a <c>[JsonSerializable(typeof(X))]</c> on a <c>JsonSerializerContext</c> where X is, or reaches through the
/// members System.Text.Json writes (public properties, <c>[JsonInclude]</c> members, public fields under
/// <c>IncludeFields</c>), constructor parameters, type arguments (collections, <c>Nullable&lt;T&gt;</c>) or array elements, an
/// <c>[EventUnion]</c> declared in this compilation that declares no <c>[JsonConverter]</c> itself. The generator attaches
/// the union's converter in generated code, which System.Text.Json's source generator cannot see, so the context would
/// write the union as <c>{}</c> and fail to read it. The walk stops at types from metadata (other than unions, whose
/// compiled attribute System.Text.Json does see), at unions and at types that declare a converter.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class JsonContextUnionAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(Descriptors.UnionConverterHiddenFromJsonContext);

    /// <inheritdoc/>
    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCode.Flags);
        context.RegisterCompilationStartAction(start =>
        {
            if (KnownTypes.TryCreate(start.Compilation) is not { EventUnionAttribute: { } eventUnion } types)
            {
                return;
            }

            var compilation = start.Compilation;
            var json = new JsonTypes(
                eventUnion,
                compilation.GetTypeByMetadataName("System.Text.Json.Serialization.JsonSerializerContext"),
                compilation.GetTypeByMetadataName("System.Text.Json.Serialization.JsonSerializableAttribute"),
                compilation.GetTypeByMetadataName("System.Text.Json.Serialization.JsonConverterAttribute"),
                compilation.GetTypeByMetadataName("System.Text.Json.Serialization.JsonIgnoreAttribute"),
                compilation.GetTypeByMetadataName("System.Text.Json.Serialization.JsonIncludeAttribute"),
                compilation.GetTypeByMetadataName("System.Text.Json.Serialization.JsonSourceGenerationOptionsAttribute"),
                compilation.GetTypeByMetadataName("System.Text.Json.Serialization.JsonConverter`1"),
                KnownTypes.Resolve(compilation, "Reactive.Streams.EventUnionConverter`1", types.BackpressureAttribute.ContainingAssembly));
            if (json.Context is null || json.Serializable is null || json.Converter is null)
            {
                return;
            }

            start.RegisterSymbolAction(c => Analyze(c, json), SymbolKind.NamedType);
        });
    }

    private sealed class JsonTypes
    {
        internal JsonTypes(
            INamedTypeSymbol eventUnion,
            INamedTypeSymbol? context,
            INamedTypeSymbol? serializable,
            INamedTypeSymbol? converter,
            INamedTypeSymbol? ignore,
            INamedTypeSymbol? include,
            INamedTypeSymbol? options,
            INamedTypeSymbol? typedConverter,
            INamedTypeSymbol? unionConverter)
        {
            EventUnion = eventUnion;
            Context = context;
            Serializable = serializable;
            Converter = converter;
            Ignore = ignore;
            Include = include;
            Options = options;
            TypedConverter = typedConverter;
            UnionConverter = unionConverter;
        }

        internal INamedTypeSymbol EventUnion { get; }

        internal INamedTypeSymbol? Context { get; }

        internal INamedTypeSymbol? Serializable { get; }

        internal INamedTypeSymbol? Converter { get; }

        internal INamedTypeSymbol? Ignore { get; }

        internal INamedTypeSymbol? Include { get; }

        internal INamedTypeSymbol? Options { get; }

        internal INamedTypeSymbol? TypedConverter { get; }

        internal INamedTypeSymbol? UnionConverter { get; }
    }

    private static void Analyze(SymbolAnalysisContext context, JsonTypes json)
    {
        var type = (INamedTypeSymbol)context.Symbol;
        if (type.TypeKind != TypeKind.Class || !KnownTypes.DerivesFrom(type, json.Context!))
        {
            return;
        }

        var optionsConverters = OptionsConverters(type, json);
        var includeFields = IncludesFields(type, json);
        foreach (var attribute in type.GetAttributes())
        {
            if (!SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, json.Serializable)
                || attribute.ConstructorArguments.Length == 0
                || attribute.ConstructorArguments[0].Value is not ITypeSymbol root
                || attribute.ApplicationSyntaxReference?.GetSyntax(context.CancellationToken) is not AttributeSyntax syntax)
            {
                continue;
            }

            var found = new List<(INamedTypeSymbol Union, string Path)>();
            Walk(root, string.Empty, new HashSet<ITypeSymbol>(optionsConverters, SymbolEqualityComparer.Default), found, json, includeFields, context.CancellationToken);
            foreach (var (union, path) in found)
            {
                var declaration = UnionDeclaration(union, json.EventUnion, context.CancellationToken);
                context.ReportDiagnostic(Diagnostic.Create(
                    Descriptors.UnionConverterHiddenFromJsonContext,
                    syntax.GetLocation(),
                    declaration is null ? null : new[] { declaration },
                    type.Name,
                    union.Name,
                    path.Length == 0 ? string.Empty : " through '" + path + "'"));
            }
        }
    }

    /// <summary>
    /// The types the context's <c>[JsonSourceGenerationOptions(Converters = ...)]</c> gives a converter, which
    /// System.Text.Json's source generator instantiates and consults before it looks at a type's members:
    /// <c>EventUnionConverter&lt;T&gt;</c> covers <c>T</c>, a <c>JsonConverter&lt;T&gt;</c> of the user's covers <c>T</c>.
    /// The converter the generator emits for a union is not one of them (System.Text.Json cannot see generated types:
    /// SYSLIB1220), and a factory of the user's could cover anything, so it covers nothing here.
    /// </summary>
    private static IEnumerable<ITypeSymbol> OptionsConverters(INamedTypeSymbol context, JsonTypes json)
    {
        if (json.Options is null)
        {
            yield break;
        }

        foreach (var attribute in context.GetAttributes())
        {
            if (!SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, json.Options))
            {
                continue;
            }

            foreach (var argument in attribute.NamedArguments)
            {
                if (argument.Key != "Converters" || argument.Value.Kind != TypedConstantKind.Array || argument.Value.IsNull)
                {
                    continue;
                }

                foreach (var element in argument.Value.Values)
                {
                    if (element.Value is INamedTypeSymbol converter && ConvertedType(converter, json) is { } converted)
                    {
                        yield return converted;
                    }
                }
            }
        }
    }

    private static ITypeSymbol? ConvertedType(INamedTypeSymbol converter, JsonTypes json)
    {
        if (json.UnionConverter is not null && SymbolEqualityComparer.Default.Equals(converter.OriginalDefinition, json.UnionConverter))
        {
            return converter.TypeArguments[0];
        }

        for (var current = converter.BaseType; current is not null && json.TypedConverter is not null; current = current.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(current.OriginalDefinition, json.TypedConverter))
            {
                var converted = current.TypeArguments[0];
                return converted is INamedTypeSymbol union && IsGeneratedConverter(converter, union) ? null : converted;
            }
        }

        return null;
    }

    private static void Walk(ITypeSymbol type, string path, HashSet<ITypeSymbol> visited, List<(INamedTypeSymbol, string)> found, JsonTypes json, bool includeFields, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (!visited.Add(type))
        {
            return;
        }

        if (type is IArrayTypeSymbol array)
        {
            Walk(array.ElementType, path, visited, found, json, includeFields, cancellationToken);
            return;
        }

        if (type is not INamedTypeSymbol named)
        {
            return;
        }

        var attributes = named.GetAttributes();
        if (attributes.Any(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, json.EventUnion)))
        {
            if (!ConverterVisible(named, attributes, json))
            {
                found.Add((named, path));
            }

            return;
        }

        // A type with a converter of its own is written by that converter: its members are not System.Text.Json's to walk.
        if (attributes.Any(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, json.Converter)))
        {
            return;
        }

        // A polymorphic base: System.Text.Json writes the members of each [JsonDerivedType] listed on it.
        foreach (var attribute in attributes)
        {
            if (attribute.AttributeClass is { Name: "JsonDerivedTypeAttribute" }
                && attribute.ConstructorArguments.Length > 0
                && attribute.ConstructorArguments[0].Value is ITypeSymbol derived)
            {
                Walk(derived, path, visited, found, json, includeFields, cancellationToken);
            }
        }

        // List<T>, Dictionary<K, V>, Nullable<T>, ImmutableArray<T>, ...: the element types. A generic type of the
        // project is written through its members (below), which use its type arguments or not (EntityId<Order>).
        if (!named.Locations.Any(static l => l.IsInSource))
        {
            foreach (var argument in named.TypeArguments)
            {
                Walk(argument, path, visited, found, json, includeFields, cancellationToken);
            }

            return;
        }

        // A type of the project that is a collection (OrderList : List<Order>, or a class of its own implementing
        // IEnumerable<Order> or IReadOnlyDictionary<string, Order>) is written as one: its elements, not its members.
        var collection = false;
        foreach (var implemented in named.AllInterfaces)
        {
            if (implemented.OriginalDefinition.SpecialType == SpecialType.System_Collections_Generic_IEnumerable_T)
            {
                collection = true;
                Walk(implemented, path, visited, found, json, includeFields, cancellationToken);
            }
        }

        if (collection)
        {
            return;
        }

        // A class of the project deriving from a generic type of another assembly is written through its type arguments too.
        var baseFromMetadata = named.BaseType;
        while (baseFromMetadata is not null && baseFromMetadata.Locations.Any(static l => l.IsInSource))
        {
            baseFromMetadata = baseFromMetadata.BaseType;
        }

        if (baseFromMetadata is { TypeArguments.Length: > 0 })
        {
            Walk(baseFromMetadata, path, visited, found, json, includeFields, cancellationToken);
        }

        // Properties and fields first (the path a message names is the member's), then the constructor's parameters.
        // A member with a [JsonConverter] of its own is written and read by that converter, and so is the constructor
        // parameter that binds to it (by name, ignoring case): System.Text.Json does not look at its type.
        var prefix = path.Length == 0 ? named.Name : path;
        var ownConverter = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var current = named; current is not null && current.Locations.Any(static l => l.IsInSource); current = current.BaseType)
        {
            foreach (var member in current.GetMembers())
            {
                if (member.GetAttributes().Any(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, json.Converter)))
                {
                    ownConverter.Add(member.Name);
                }
                else if (Written(member, json, includeFields) is { } memberType)
                {
                    Walk(memberType, prefix + "." + member.Name, visited, found, json, includeFields, cancellationToken);
                }
            }
        }

        foreach (var constructor in named.InstanceConstructors)
        {
            if (constructor.DeclaredAccessibility == Accessibility.Public)
            {
                foreach (var parameter in constructor.Parameters.Where(p => !ownConverter.Contains(p.Name)))
                {
                    Walk(parameter.Type, prefix + "(" + parameter.Name + ")", visited, found, json, includeFields, cancellationToken);
                }
            }
        }
    }

    /// <summary>
    /// The type of a member System.Text.Json writes or reads: a public instance property (one with a setter only is
    /// read), a public field when the context's options say <c>IncludeFields</c>, or any property or field marked
    /// <c>[JsonInclude]</c>; not one whose <c>[JsonIgnore]</c> ignores it always.
    /// </summary>
    private static ITypeSymbol? Written(ISymbol member, JsonTypes json, bool includeFields)
    {
        if (member.IsStatic || Ignored(member, json))
        {
            return null;
        }

        var included = json.Include is not null
            && member.GetAttributes().Any(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, json.Include));
        var isPublic = member.DeclaredAccessibility == Accessibility.Public;
        return member switch
        {
            IPropertySymbol { IsIndexer: false } property when isPublic || included => property.Type,
            IFieldSymbol { IsConst: false } field when (isPublic && includeFields) || included => field.Type,
            _ => null,
        };
    }

    // [JsonIgnore] ignores a member always unless its Condition says otherwise: WhenWritingNull, WhenWritingDefault and
    // Never write it (JsonIgnoreCondition.Always is 1, the attribute's default).
    private static bool Ignored(ISymbol member, JsonTypes json)
    {
        if (json.Ignore is null)
        {
            return false;
        }

        foreach (var attribute in member.GetAttributes())
        {
            if (SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, json.Ignore))
            {
                return !attribute.NamedArguments.Any(static a => a.Key == "Condition" && a.Value.Value is int condition && condition != 1);
            }
        }

        return false;
    }

    // Whether the context's [JsonSourceGenerationOptions] says IncludeFields = true: public fields are then written too.
    private static bool IncludesFields(INamedTypeSymbol context, JsonTypes json)
        => json.Options is not null && context.GetAttributes().Any(a =>
            SymbolEqualityComparer.Default.Equals(a.AttributeClass, json.Options)
            && a.NamedArguments.Any(static n => n.Key == "IncludeFields" && n.Value.Value is true));

    /// <summary>
    /// Whether System.Text.Json's source generator sees a converter on <paramref name="union"/>: the union comes from
    /// metadata (its compiled attribute is visible), or it declares a <c>[JsonConverter]</c> that does not name the
    /// converter the generator adds (the attribute the generator writes, and a converter type only generated code
    /// declares, are both invisible to it).
    /// </summary>
    private static bool ConverterVisible(INamedTypeSymbol union, ImmutableArray<AttributeData> attributes, JsonTypes json)
    {
        if (!union.Locations.Any(static l => l.IsInSource))
        {
            return true;
        }

        foreach (var attribute in attributes)
        {
            if (SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, json.Converter)
                && !(attribute.ConstructorArguments.Length == 1
                    && attribute.ConstructorArguments[0].Value is INamedTypeSymbol converter
                    && IsGeneratedConverter(converter, union)))
            {
                return true;
            }
        }

        return false;
    }

    // The converter the generator emits beside a union: declared only in generated code, which System.Text.Json cannot see.
    private static bool IsGeneratedConverter(INamedTypeSymbol converter, INamedTypeSymbol union)
        => converter.Name == union.Name + "JsonConverter"
            && SymbolEqualityComparer.Default.Equals(converter.ContainingSymbol, union.ContainingSymbol);

    // The name of the declaration that carries [EventUnion]: where the code fix adds the attribute.
    private static Location? UnionDeclaration(INamedTypeSymbol union, INamedTypeSymbol eventUnion, CancellationToken cancellationToken)
    {
        foreach (var attribute in union.GetAttributes())
        {
            if (SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, eventUnion)
                && attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken).FirstAncestorOrSelf<TypeDeclarationSyntax>() is { } declaration)
            {
                return declaration.Identifier.GetLocation();
            }
        }

        return null;
    }
}
