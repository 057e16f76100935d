using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Reactive.Streams.Generators.Internal;
using Reactive.Streams.Generators.Model;

namespace Reactive.Streams.Generators.Unions;

/// <summary>Turns an <c>[EventUnion]</c> declaration into a <see cref="UnionModel"/> and its diagnostics.</summary>
internal static class UnionParser
{
    public const string EventUnionAttribute = "Reactive.Streams.EventUnionAttribute";
    public const string WireNameAttribute = "Reactive.Streams.WireNameAttribute";
    private const string JsonPropertyNameAttribute = "System.Text.Json.Serialization.JsonPropertyNameAttribute";

    private static readonly SymbolDisplayFormat s_typeFormat = SymbolDisplayFormat.FullyQualifiedFormat
        .AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    /// <summary>Members the generator adds to the union; a shared accessor of the same name is not lifted.</summary>
    private static readonly HashSet<string> s_generatedMembers = new(StringComparer.Ordinal)
    {
        "Kind", "WireName", "ToWire", "FromWire", "Match", "Switch", "MatchAsync", "SwitchAsync", "Unknown", "Other",
        "EqualityContract",
    };

    public static UnionResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        var union = (INamedTypeSymbol)context.TargetSymbol;
        var syntax = (TypeDeclarationSyntax)context.TargetNode;
        var diagnostics = new List<DiagnosticInfo>();
        var identifier = LocationInfo.From(syntax.Identifier.GetLocation());

        var problem = UnionShapeProblem(union, syntax);
        if (problem is not null)
        {
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.UnionNotPartial, identifier, union.Name, problem));
            return new UnionResult(null, diagnostics.ToEquatableArray());
        }

        var variants = new List<VariantModel>();
        var unusable = false;
        var wireNames = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var member in union.GetTypeMembers())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!SymbolEqualityComparer.Default.Equals(member.BaseType, union))
            {
                continue;
            }

            var memberLocation = LocationInfo.From(member.Locations.FirstOrDefault());
            if (!member.IsSealed)
            {
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.VariantNotSealedOrNested, memberLocation, member.Name, union.Name, "must be sealed"));
            }

            if (member.Name is "Unknown" or "Other")
            {
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.VariantNotSealedOrNested, memberLocation, member.Name, union.Name, "uses a name reserved for the generated fallback variant"));
                continue;
            }

            if (member.IsGenericType)
            {
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.VariantNotSealedOrNested, memberLocation, member.Name, union.Name, "must not be generic"));
                continue;
            }

            if (VariantNameProblem(member.Name) is { } nameProblem)
            {
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.UnusableName, memberLocation, member.Name, "event union '" + union.Name + "'", nameProblem));
                unusable = true;
                continue;
            }

            var wireName = WireNameOf(member) ?? Naming.ToSnakeCase(member.Name);
            if (wireNames.TryGetValue(wireName, out var first))
            {
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.DuplicateWireName, memberLocation, first, member.Name, union.Name, wireName));
            }
            else
            {
                wireNames.Add(wireName, member.Name);
            }

            var properties = PositionalProperties(member).ToEquatableArray();
            var positional = new HashSet<string>(properties.Select(static p => p.Name), StringComparer.Ordinal);
            foreach (var (property, jsonProblem) in JsonProblems(member, positional))
            {
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.UnsupportedJson, LocationInfo.From(property.Locations.FirstOrDefault()) ?? memberLocation, member.Name + "." + property.Name, union.Name, jsonProblem));
                unusable = true;
            }

            foreach (var property in properties)
            {
                if (PropertyNameProblem(property) is { } propertyProblem)
                {
                    diagnostics.Add(DiagnosticInfo.Create(Diagnostics.UnusableName, memberLocation, member.Name + "." + property.Name, "event union '" + union.Name + "'", propertyProblem));
                    unusable = true;
                }
            }

            variants.Add(new VariantModel(member.Name, wireName, properties, ReadOnlyProperties(member, positional).ToEquatableArray()));
        }

        foreach (var generated in new[] { union.Name + "Kind", union.Name + "JsonConverter" })
        {
            if (TypeNameTaken(union, generated))
            {
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.UnusableName, identifier, generated, "event union '" + union.Name + "'", "is the name of a type the generator adds beside the union, and a type of that name exists"));
                unusable = true;
            }
        }

        if (unusable)
        {
            return new UnionResult(null, diagnostics.ToEquatableArray());
        }

        var payloadless = variants.All(static v => v.Properties.Count == 0);
        var shared = payloadless ? new List<PropertyModel>() : SharedAccessors(union, variants);

        var model = new UnionModel(
            Namespace: union.ContainingNamespace.IsGlobalNamespace ? string.Empty : union.ContainingNamespace.ToDisplayString(),
            ContainingTypes: ContainingTypes(union).ToEquatableArray(),
            Name: union.Name,
            IsPublic: IsEffectivelyPublic(union),
            Variants: variants.ToEquatableArray(),
            SharedAccessors: shared.ToEquatableArray(),
            IsPayloadless: payloadless);
        return new UnionResult(model, diagnostics.ToEquatableArray());
    }

    public static bool IsRecordWithBaseList(SyntaxNode node, CancellationToken cancellationToken)
        => node is RecordDeclarationSyntax { BaseList.Types.Count: > 0 } record && !record.ClassOrStructKeyword.IsKind(SyntaxKind.StructKeyword);

    /// <summary>
    /// The syntactic half of RXS1002 for a record that derives from a union without being nested in it: the simple name
    /// its base type is written with, unless the record is nested in a type of that name (a variant in its union).
    /// Binds nothing, so a project without unions pays only for walking its records.
    /// </summary>
    public static StrayCandidate? StrayCandidateOf(GeneratorSyntaxContext context, CancellationToken cancellationToken)
        => StrayCandidateOf((RecordDeclarationSyntax)context.Node);

    /// <summary>The syntactic half itself: it is handed the declaration and nothing to bind it with.</summary>
    internal static StrayCandidate? StrayCandidateOf(RecordDeclarationSyntax record)
    {
        var baseName = SimpleName(record.BaseList!.Types[0].Type);
        if (baseName is null || (record.Parent is TypeDeclarationSyntax parent && parent.Identifier.ValueText == baseName))
        {
            return null;
        }

        return LocationInfo.From(record.Identifier.GetLocation()) is { } identifier ? new StrayCandidate(baseName, identifier) : null;
    }

    private static string? SimpleName(TypeSyntax type) => type switch
    {
        SimpleNameSyntax simple => simple.Identifier.ValueText,
        QualifiedNameSyntax qualified => qualified.Right.Identifier.ValueText,
        AliasQualifiedNameSyntax aliased => aliased.Name.Identifier.ValueText,
        _ => null,
    };

    /// <summary>
    /// The semantic half: RXS1002 when the candidate's base type really is an <c>[EventUnion]</c> (the name may belong to
    /// another type). Runs only for candidates named like a union. A base written through a <c>using</c> alias is not
    /// seen here; the generated union rejects such a variant at run time instead.
    /// </summary>
    public static DiagnosticInfo? ParseStrayVariant(StrayCandidate candidate, Compilation compilation, CancellationToken cancellationToken)
    {
        foreach (var tree in compilation.SyntaxTrees)
        {
            if (tree.FilePath != candidate.Identifier.FilePath
                || tree.GetRoot(cancellationToken).FindToken(candidate.Identifier.Span.Start).Parent is not RecordDeclarationSyntax syntax)
            {
                continue;
            }

            var model = Binding.SemanticModel(compilation, tree);
            if (model.GetDeclaredSymbol(syntax, cancellationToken) is not { } record ||
                record.BaseType is not { } baseType ||
                SymbolEqualityComparer.Default.Equals(record.ContainingType, baseType) ||
                !baseType.GetAttributes().Any(static a => a.AttributeClass?.ToDisplayString() == EventUnionAttribute))
            {
                continue;
            }

            return DiagnosticInfo.Create(
                Diagnostics.VariantNotSealedOrNested,
                candidate.Identifier,
                record.Name,
                baseType.Name,
                "must be declared inside the union");
        }

        return null;
    }

    /// <summary>
    /// Why a variant cannot have this name in generated code: a C# keyword (written <c>@class</c> in source), or the name
    /// of a member the generator adds to the union, or of the type parameters of the <c>Match</c>/<c>Switch</c> overloads.
    /// </summary>
    internal static string? VariantNameProblem(string name)
    {
        if (SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None)
        {
            return "is a C# keyword, which the generated members cannot name";
        }

        return s_reservedVariantNames.Contains(name)
            ? "is the name of a member or type parameter the generator adds to the union"
            : null;
    }

    private static readonly HashSet<string> s_reservedVariantNames = new(StringComparer.Ordinal)
    {
        "Kind", "WireName", "ToWire", "FromWire", "Match", "Switch", "MatchAsync", "SwitchAsync", "NotAVariant",
        "TState", "TResult", "RawValue", "RawWireName", "RawPayload",
    };

    private const string JsonIgnoreAttribute = "System.Text.Json.Serialization.JsonIgnoreAttribute";
    private const string JsonConverterAttribute = "System.Text.Json.Serialization.JsonConverterAttribute";

    /// <summary>
    /// What the generated converter would write differently from System.Text.Json on the same hierarchy, refused rather
    /// than written wrong: <c>[JsonIgnore]</c> or <c>[JsonConverter]</c> on a positional property (the converter writes and
    /// reads every positional parameter with the type's own converter), and a settable or <c>init</c> property that is not
    /// positional (the converter would drop its value).
    /// </summary>
    internal static IEnumerable<(IPropertySymbol Property, string Problem)> JsonProblems(INamedTypeSymbol variant, HashSet<string> positional)
    {
        foreach (var property in variant.GetMembers().OfType<IPropertySymbol>())
        {
            if (property.IsStatic || property.IsImplicitlyDeclared || property.IsIndexer || property.DeclaredAccessibility != Accessibility.Public)
            {
                continue;
            }

            var attributes = property.GetAttributes();
            var ignored = attributes.Any(static a => a.AttributeClass?.ToDisplayString() == JsonIgnoreAttribute);
            if (positional.Contains(property.Name))
            {
                if (ignored)
                {
                    yield return (property, "has [JsonIgnore], which the union's converter does not honour (it writes every positional parameter); keep the value out of the event instead");
                }
                else if (attributes.Any(static a => a.AttributeClass?.ToDisplayString() == JsonConverterAttribute))
                {
                    yield return (property, "has [JsonConverter], which the union's converter does not honour (it uses the converter of the property's type)");
                }
            }
            else if (!ignored && property.SetMethod is { DeclaredAccessibility: Accessibility.Public })
            {
                yield return (property, "is a settable or init property that is not a positional parameter, which the union's converter would not write; make it a positional parameter or mark it [JsonIgnore]");
            }
        }
    }

    /// <summary>
    /// The public read-only instance properties of a variant that are not positional and not <c>[JsonIgnore]</c>d (a
    /// computed <c>Mid =&gt; (Bid + Ask) / 2</c>): System.Text.Json writes them on any object, so the converter does too.
    /// </summary>
    internal static IEnumerable<PropertyModel> ReadOnlyProperties(INamedTypeSymbol variant, HashSet<string> positional)
    {
        foreach (var property in variant.GetMembers().OfType<IPropertySymbol>())
        {
            if (property.IsStatic || property.IsImplicitlyDeclared || property.IsIndexer || property.DeclaredAccessibility != Accessibility.Public
                || property.GetMethod is not { DeclaredAccessibility: Accessibility.Public }
                || property.SetMethod is { DeclaredAccessibility: Accessibility.Public }
                || positional.Contains(property.Name)
                || property.GetAttributes().Any(static a => a.AttributeClass?.ToDisplayString() == JsonIgnoreAttribute))
            {
                continue;
            }

            var jsonName = property.GetAttributes()
                .FirstOrDefault(static a => a.AttributeClass?.ToDisplayString() == JsonPropertyNameAttribute)?
                .ConstructorArguments.FirstOrDefault().Value as string;
            yield return Property(property.Name, property.Type, jsonName ?? Naming.ToSnakeCase(property.Name), hasExplicitJsonName: jsonName is not null);
        }
    }

    // A positional property the union's generated members would hide or clash with, or one written as the discriminator.
    private static string? PropertyNameProblem(PropertyModel property)
    {
        if (property.Name is "Kind" or "WireName")
        {
            return "is a positional property named like the '" + property.Name + "' the generator adds to the union (and so to every variant)";
        }

        return property.JsonName == "type"
            ? "is written to JSON as \"type\", the name of the discriminator; rename it or give it [property: JsonPropertyName(...)]"
            : null;
    }

    // The kind enum and the converter are declared beside the union (in its namespace or containing type).
    private static bool TypeNameTaken(INamedTypeSymbol union, string name)
        => union.ContainingType is { } container
            ? !container.GetTypeMembers(name).IsEmpty
            : !union.ContainingNamespace.GetTypeMembers(name).IsEmpty;

    /// <summary>The variants of <paramref name="union"/> as the union parser sees them (fallback names excluded).</summary>
    internal static IEnumerable<INamedTypeSymbol> VariantSymbols(INamedTypeSymbol union)
        => union.GetTypeMembers().Where(m =>
            SymbolEqualityComparer.Default.Equals(m.BaseType, union) && !m.IsGenericType && m.Name is not ("Unknown" or "Other"));

    /// <summary>Whether every variant is parameterless (the union gets <c>Other</c> rather than <c>Unknown</c>).</summary>
    internal static bool IsPayloadless(INamedTypeSymbol union)
    {
        // A union from a referenced assembly carries its generated fallback (and no syntax to find positional
        // parameters in); a union in this compilation does not have it yet.
        var fallback = union.GetTypeMembers().FirstOrDefault(m =>
            m.Name is "Unknown" or "Other" && SymbolEqualityComparer.Default.Equals(m.BaseType, union) &&
            m.DeclaringSyntaxReferences.IsEmpty);
        return fallback is not null
            ? fallback.Name == "Other"
            : VariantSymbols(union).All(static v => !PositionalProperties(v).Any());
    }

    internal static string? UnionShapeProblem(INamedTypeSymbol union, TypeDeclarationSyntax syntax)
    {
        if (!union.IsRecord || union.TypeKind != TypeKind.Class)
        {
            return "a record class (an 'abstract partial record')";
        }

        if (!union.IsAbstract)
        {
            return "abstract";
        }

        return TypeShape.PartialNonGenericProblem(union, syntax);
    }

    private static string? WireNameOf(INamedTypeSymbol variant)
    {
        foreach (var attribute in variant.GetAttributes())
        {
            if (attribute.AttributeClass?.ToDisplayString() == WireNameAttribute &&
                attribute.ConstructorArguments.Length == 1 &&
                attribute.ConstructorArguments[0].Value is string { Length: > 0 } name)
            {
                return name;
            }
        }

        return null;
    }

    internal static IEnumerable<PropertyModel> PositionalProperties(INamedTypeSymbol variant)
    {
        var primary = variant.InstanceConstructors.FirstOrDefault(static c =>
            c.DeclaringSyntaxReferences.Any(static r => r.GetSyntax() is RecordDeclarationSyntax));
        if (primary is null)
        {
            yield break;
        }

        foreach (var parameter in primary.Parameters)
        {
            var property = variant.GetMembers(parameter.Name).OfType<IPropertySymbol>().FirstOrDefault();
            var jsonName = property?.GetAttributes()
                .FirstOrDefault(static a => a.AttributeClass?.ToDisplayString() == JsonPropertyNameAttribute)?
                .ConstructorArguments.FirstOrDefault().Value as string;
            yield return Property(parameter.Name, parameter.Type, jsonName ?? Naming.ToSnakeCase(parameter.Name), hasExplicitJsonName: jsonName is not null);
        }
    }

    private static PropertyModel Property(string name, ITypeSymbol type, string jsonName, bool hasExplicitJsonName)
    {
        var isNullableValueType = type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T };
        var valueType = isNullableValueType ? ((INamedTypeSymbol)type).TypeArguments[0] : type;
        var isNullable = isNullableValueType || (type.IsReferenceType && type.NullableAnnotation == NullableAnnotation.Annotated);
        return new PropertyModel(
            Name: name,
            TypeName: type.ToDisplayString(s_typeFormat),
            ValueTypeName: valueType.WithNullableAnnotation(NullableAnnotation.NotAnnotated).ToDisplayString(s_typeFormat),
            JsonName: jsonName,
            Kind: KindOf(valueType),
            IsNullable: isNullable,
            IsNullableValueType: isNullableValueType,
            IsReferenceType: type.IsReferenceType,
            HasExplicitJsonName: hasExplicitJsonName);
    }

    private static ValueKind KindOf(ITypeSymbol type)
    {
        switch (type.SpecialType)
        {
            case SpecialType.System_String: return ValueKind.String;
            case SpecialType.System_Boolean: return ValueKind.Boolean;
            case SpecialType.System_Byte: return ValueKind.Byte;
            case SpecialType.System_Int16: return ValueKind.Int16;
            case SpecialType.System_Int32: return ValueKind.Int32;
            case SpecialType.System_Int64: return ValueKind.Int64;
            case SpecialType.System_UInt16: return ValueKind.UInt16;
            case SpecialType.System_UInt32: return ValueKind.UInt32;
            case SpecialType.System_UInt64: return ValueKind.UInt64;
            case SpecialType.System_Single: return ValueKind.Single;
            case SpecialType.System_Double: return ValueKind.Double;
            case SpecialType.System_Decimal: return ValueKind.Decimal;
            case SpecialType.System_DateTime: return ValueKind.DateTime;
        }

        return type.ToDisplayString() switch
        {
            "System.Guid" => ValueKind.Guid,
            "System.DateTimeOffset" => ValueKind.DateTimeOffset,
            _ => ValueKind.Other,
        };
    }

    private static List<PropertyModel> SharedAccessors(INamedTypeSymbol union, List<VariantModel> variants)
    {
        var shared = new List<PropertyModel>();
        if (variants.Count == 0)
        {
            return shared;
        }

        foreach (var candidate in variants[0].Properties)
        {
            var inEvery = variants.All(v => v.Properties.Any(p => p.Name == candidate.Name && p.TypeName == candidate.TypeName));
            if (inEvery && !s_generatedMembers.Contains(candidate.Name) && union.GetMembers(candidate.Name).IsEmpty)
            {
                shared.Add(candidate);
            }
        }

        return shared;
    }

    internal static IEnumerable<string> ContainingTypes(INamedTypeSymbol union)
    {
        var containers = new Stack<string>();
        for (var container = union.ContainingType; container is not null; container = container.ContainingType)
        {
            var keyword = container switch
            {
                { IsRecord: true, TypeKind: TypeKind.Struct } => "record struct",
                { IsRecord: true } => "record",
                { TypeKind: TypeKind.Struct } => "struct",
                { TypeKind: TypeKind.Interface } => "interface",
                _ => "class",
            };
            containers.Push($"partial {keyword} {container.Name}");
        }

        return containers;
    }

    private static bool IsEffectivelyPublic(INamedTypeSymbol type)
    {
        for (ISymbol? current = type; current is INamedTypeSymbol; current = current.ContainingType)
        {
            if (current.DeclaredAccessibility != Accessibility.Public)
            {
                return false;
            }
        }

        return true;
    }
}
