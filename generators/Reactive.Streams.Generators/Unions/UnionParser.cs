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
    private const string JsonConverterAttribute = "System.Text.Json.Serialization.JsonConverterAttribute";

    /// <summary>Members the generator adds to the union; a shared accessor of the same name is not lifted.</summary>
    private static readonly HashSet<string> s_generatedMembers = new(StringComparer.Ordinal)
    {
        "Kind", "WireName", "ToWire", "FromWire", "Match", "Switch", "MatchAsync", "SwitchAsync", "Unknown", "Other",
        "EqualityContract", "NotAVariant", "RawWireName", "RawPayload", "RawValue", "GetType", "MemberwiseClone",
    };

    /// <summary>
    /// Whether <paramref name="name"/> is one of the fields the generated <c>Unknown</c> variant keeps its shared values in
    /// (<c>__shared0</c>, <c>__has0</c>, ...): a member of the union of that name, which the <c>Unknown</c> inherits or
    /// overrides, would clash with it (CS0102, CS0108).
    /// </summary>
    internal static bool IsUnknownBackingFieldName(string name)
    {
        var digits = name.StartsWith("__shared", StringComparison.Ordinal) ? "__shared".Length
            : name.StartsWith("__has", StringComparison.Ordinal) ? "__has".Length
            : -1;
        return digits > 0 && name.Length > digits && name.Skip(digits).All(static c => c is >= '0' and <= '9');
    }

    public static UnionResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
        => Parse((INamedTypeSymbol)context.TargetSymbol, (TypeDeclarationSyntax)context.TargetNode, context.SemanticModel, context.Attributes.FirstOrDefault()?.ApplicationSyntaxReference, cancellationToken);

    /// <summary>
    /// Whether the generator generates <paramref name="union"/>'s members (its <c>Unknown</c> or <c>Other</c>, which a sink's
    /// adapters name): a union from a referenced assembly has them; one of this compilation is parsed as its own step parses
    /// it. A sink asks this itself rather than combining its model with the unions' results: Roslyn 4.14 loses the outputs
    /// of a ForAttributeWithMetadataName combined with another provider (IncrementalityTests).
    /// </summary>
    public static bool GeneratesMembers(INamedTypeSymbol union, Compilation compilation, CancellationToken cancellationToken)
    {
        var application = union.GetAttributes().FirstOrDefault(static a => IsAttribute(a, "EventUnionAttribute", EventUnionAttribute))?.ApplicationSyntaxReference;
        if (application is null)
        {
            return union.DeclaringSyntaxReferences.IsEmpty;
        }

        if (application.GetSyntax(cancellationToken).Parent?.Parent is not TypeDeclarationSyntax syntax)
        {
            return false;
        }

        return Parse(union, syntax, Binding.SemanticModel(compilation, syntax.SyntaxTree), application, cancellationToken).Model is not null;
    }

    private static UnionResult Parse(INamedTypeSymbol union, TypeDeclarationSyntax syntax, SemanticModel semanticModel, SyntaxReference? application, CancellationToken cancellationToken)
    {
        var diagnostics = new List<DiagnosticInfo>();
        var identifier = LocationInfo.From(syntax.Identifier.GetLocation());

        // Code the user is still typing (a union without its name, in a namespace without one, deriving from a type that does
        // not resolve) or a second [EventUnion] on another part of the same union (CS0579): the compiler already reports
        // it, and generated code would add errors of its own (or a second file for the same union) to it.
        if (!IsFirstApplication(union, application))
        {
            return new UnionResult(union.Name, union.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat), null, EquatableArray<DiagnosticInfo>.Empty, IsRepeatedAttribute: true);
        }

        if (IsIncomplete(union, syntax))
        {
            return new UnionResult(union.Name, union.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat), null, EquatableArray<DiagnosticInfo>.Empty);
        }

        var problem = UnionShapeProblem(union, syntax);
        if (problem is not null)
        {
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.UnionNotPartial, identifier, union.Name, problem));
            return new UnionResult(union.Name, union.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat), null, diagnostics.ToEquatableArray());
        }

        if (AbstractMember(union, cancellationToken) is var (abstractName, abstractAt))
        {
            diagnostics.Add(DiagnosticInfo.Create(
                Diagnostics.UnionNotPartial,
                abstractAt ?? identifier,
                union.Name,
                $"without abstract members ('{abstractName}' is one), which the generated fallback variant (Unknown or Other) cannot implement; a property every variant has becomes an abstract property of the union without being declared"));
            return new UnionResult(union.Name, union.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat), null, diagnostics.ToEquatableArray());
        }

        // [Obsolete] and [Experimental] on the union or a variant: the generated code names them everywhere, so it suppresses
        // their warnings (and [Experimental]'s errors); an [Obsolete] error cannot be suppressed and is refused instead, unless
        // a type containing the union is itself obsolete (the compiler reports no obsolete use inside one).
        var usage = new DeprecatedUsage();
        var obsoleteContext = false;
        for (var container = union.ContainingType; container is not null; container = container.ContainingType)
        {
            obsoleteContext |= container.GetAttributes().Any(static a => IsAttribute(a, "ObsoleteAttribute", "System.ObsoleteAttribute"));
        }

        if (Deprecation(union, usage) && !obsoleteContext)
        {
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.UnionNotPartial, identifier, union.Name, "free of an [Obsolete] that is an error, which the generated kind enum and converter declared beside it could not compile with (CS0619); make it a warning ([Obsolete] without error: true), which the generated code suppresses"));
            return new UnionResult(union.Name, union.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat), null, diagnostics.ToEquatableArray());
        }

        var variants = new List<VariantModel>();
        var unusable = false;
        var variantTypeNames = new HashSet<string>(StringComparer.Ordinal);

        // Positional properties a variant declares again in its body: not lifted to the union as shared accessors (the
        // variant's own property does not override the generated abstract one).
        var redeclared = new HashSet<string>(StringComparer.Ordinal);
        var wireNames = new Dictionary<string, string>(StringComparer.Ordinal);
        var typeNames = new TypeNames();
        foreach (var member in TypeMembersInDeclarationOrder(union))
        {
            cancellationToken.ThrowIfCancellationRequested();

            if (!IsVariant(member, union))
            {
                continue;
            }

            if (!variantTypeNames.Add(member.Name) || HasUnusableParameterSyntax(member))
            {
                // Two variants of one name (CS0102), or a positional parameter the compiler already rejects or that no
                // generated code can hold (a type that does not resolve, a pointer, a ref struct, a ref parameter).
                return new UnionResult(union.Name, union.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat), null, diagnostics.ToEquatableArray());
            }

            var memberLocation = LocationInfo.From(member.Locations.FirstOrDefault());
            if (!member.IsSealed)
            {
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.VariantNotSealedOrNested, memberLocation, member.Name, union.Name, "must be sealed"));
                if (member.IsAbstract)
                {
                    // The generated members construct every variant (FromWire, the converter): an abstract one cannot be
                    // (CS0144 in the generated file).
                    unusable = true;
                    continue;
                }
            }

            if (member.Name is "Unknown" or "Other")
            {
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.VariantNotSealedOrNested, memberLocation, member.Name, union.Name, "uses a name reserved for the generated fallback variant"));
                continue;
            }

            if (!member.IsGenericType && IsLessAccessibleThan(member, union))
            {
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.VariantNotSealedOrNested, memberLocation, member.Name, union.Name, "is less accessible than its union, whose generated Match and Switch take every variant (CS0051); make it public"));
                unusable = true;
                continue;
            }

            if (member.IsGenericType)
            {
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.VariantNotSealedOrNested, memberLocation, member.Name, union.Name, "must not be generic"));
                continue;
            }

            if (HasAttributeLists(member) && Deprecation(member, usage) && !obsoleteContext)
            {
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.VariantNotSealedOrNested, memberLocation, member.Name, union.Name, "is marked [Obsolete] as an error, which the generated Match, Switch, Kind and converter that name every variant could not compile with (CS0619); make it a warning ([Obsolete] without error: true), which the generated code suppresses"));
                unusable = true;
                continue;
            }

            if ((VariantNameProblem(member.Name, union.Name)
                ?? (InheritedNonTypeMember(union, member.Name) is { } inherited ? $"is the name of a member the union inherits from '{inherited.ContainingType.Name}', which the variant's name means in the generated members' patterns" : null)) is { } nameProblem)
            {
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.UnusableName, memberLocation, member.Name, "event union '" + union.Name + "'", nameProblem));
                unusable = true;
                continue;
            }

            if (HasAttributeLists(member) && HasEmptyWireName(member))
            {
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.UnusableName, memberLocation, member.Name, "event union '" + union.Name + "'", "has a [WireName] that is null or empty, which cannot name the variant in the \"type\" discriminator; give it a name or remove the attribute"));
                unusable = true;
                continue;
            }

            var wireName = (HasAttributeLists(member) ? WireNameOf(member) : null) ?? Naming.ToSnakeCase(member.Name);
            foreach (var (symbol, jsonProblem) in VariantTypeJsonProblems(member))
            {
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.UnsupportedJson, LocationInfo.From(symbol.Locations.FirstOrDefault()) ?? memberLocation, SymbolEqualityComparer.Default.Equals(symbol, member) ? member.Name : member.Name + "." + symbol.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat), union.Name, jsonProblem));
                unusable = true;
            }

            if (wireNames.TryGetValue(wireName, out var first))
            {
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.DuplicateWireName, memberLocation, first, member.Name, union.Name, wireName));
            }
            else
            {
                wireNames.Add(wireName, member.Name);
            }

            // The common variant (positional parameters without attributes, no property declared in its body) is read from
            // its syntax, with each parameter's type bound on its own: the variant's members, which a record synthesizes
            // (equality, printing, cloning), are not built. Any other variant is read from its symbol.
            EquatableArray<PropertyModel> properties;
            EquatableArray<PropertyModel> readOnly;
            if (SyntacticPositionalProperties(member, semanticModel, typeNames, cancellationToken) is { } fromSyntax)
            {
                properties = fromSyntax;
                readOnly = EquatableArray<PropertyModel>.Empty;
            }
            else if (HasUnusableParameterType(member))
            {
                // Checked here only, on the symbol path: the syntactic path binds each parameter's type and falls back to
                // this one for such a type, while asking every variant for its constructors would build the members a
                // record synthesizes, which that path exists to avoid.
                return new UnionResult(union.Name, union.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat), null, diagnostics.ToEquatableArray());
            }
            else
            {
                properties = PositionalProperties(member, typeNames).ToEquatableArray();
                var positional = new HashSet<string>(properties.Select(static p => p.Name), StringComparer.Ordinal);
                foreach (var (property, jsonProblem) in JsonProblems(member, positional))
                {
                    diagnostics.Add(DiagnosticInfo.Create(Diagnostics.UnsupportedJson, LocationInfo.From(property.Locations.FirstOrDefault()) ?? memberLocation, member.Name + "." + property.Name, union.Name, jsonProblem));
                    unusable = true;
                }

                readOnly = ReadOnlyProperties(member, positional, typeNames).ToEquatableArray();
                foreach (var name in positional)
                {
                    if (member.GetMembers(name).OfType<IPropertySymbol>().Any(static p => p.DeclaringSyntaxReferences.Any(static r => r.GetSyntax() is PropertyDeclarationSyntax)))
                    {
                        redeclared.Add(name);
                    }
                }
            }

            var jsonNames = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in properties.Concat(readOnly))
            {
                var propertyProblem = PropertyNameProblem(property);
                if (propertyProblem is null && !jsonNames.Add(property.JsonName))
                {
                    propertyProblem = "is written to JSON as \"" + property.JsonName + "\", like another property of the variant: the converter would write the key twice";
                }

                if (propertyProblem is not null)
                {
                    diagnostics.Add(DiagnosticInfo.Create(Diagnostics.UnusableName, memberLocation, member.Name + "." + property.Name, "event union '" + union.Name + "'", propertyProblem));
                    unusable = true;
                }
            }

            if (properties.Count == 0 && NoParameterlessConstructor(member))
            {
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.VariantNotSealedOrNested, memberLocation, member.Name, union.Name, "has no positional parameters and no public or internal constructor without parameters, which the generated code creates it with (FromWire, the converter); declare its values as positional parameters, or give it such a constructor"));
                unusable = true;
                continue;
            }

            variants.Add(new VariantModel(member.Name, wireName, properties, readOnly));
        }

        foreach (var generated in new[] { union.Name + "Kind", union.Name + "JsonConverter" })
        {
            if (TypeNameTaken(union, generated))
            {
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.UnusableName, identifier, generated, "event union '" + union.Name + "'", "is the name of a type the generator adds beside the union, and a type, namespace or member of that name exists there"));
                unusable = true;
            }
        }

        var payloadless = variants.All(static v => v.Properties.Count == 0);
        if (UnionNameProblem(union.Name, payloadless) is { } unionNameProblem)
        {
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.UnusableName, identifier, union.Name, "event union '" + union.Name + "'", unionNameProblem));
            unusable = true;
        }

        foreach (var (name, at, memberProblem) in UnionMemberProblems(union, variantTypeNames, payloadless))
        {
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.UnusableName, LocationInfo.From(at.GetLocation()) ?? identifier, union.Name + "." + name, "event union '" + union.Name + "'", memberProblem));
            unusable = true;
        }

        foreach (var (attribute, jsonProblem) in UnionAttributeJsonProblems(union))
        {
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.UnsupportedJson, (attribute.ApplicationSyntaxReference is { } applied ? LocationInfo.From(applied.GetSyntax(cancellationToken)) : null) ?? identifier, union.Name, union.Name, jsonProblem));
            unusable = true;
        }

        foreach (var (property, jsonProblem) in UnionJsonProblems(union))
        {
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.UnsupportedJson, LocationInfo.From(property.Locations.FirstOrDefault()) ?? identifier, union.Name + "." + property.Name, union.Name, jsonProblem));
            unusable = true;
        }

        foreach (var (member, jsonProblem) in InheritedJsonProblems(union))
        {
            // A base record's member may be in metadata, or in another type's declaration: the diagnostic is at the union.
            var at = SymbolEqualityComparer.Default.Equals(member.ContainingType, union) ? LocationInfo.From(member.Locations.FirstOrDefault()) : null;
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.UnsupportedJson, at ?? identifier, union.Name + "." + member.Name, union.Name, jsonProblem));
            unusable = true;
        }

        if (unusable)
        {
            return new UnionResult(union.Name, union.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat), null, diagnostics.ToEquatableArray());
        }

        var shared = payloadless ? new List<PropertyModel>() : SharedAccessors(union, variants, redeclared);

        var languageVersion = (syntax.SyntaxTree.Options as CSharpParseOptions)?.LanguageVersion ?? LanguageVersion.Latest;
        var model = new UnionModel(
            Namespace: union.ContainingNamespace.IsGlobalNamespace ? string.Empty : union.ContainingNamespace.ToDisplayString(),
            ContainingTypes: ContainingTypes(union).ToEquatableArray(),
            Name: union.Name,
            Access: SiblingAccess(union),
            Variants: variants.ToEquatableArray(),
            SharedAccessors: shared.ToEquatableArray(),
            IsPayloadless: payloadless,
            DeclaresJsonConverter: DeclaresJsonConverter(union),
            SuppressedWarnings: usage.Warnings(),
            CSharp11: languageVersion >= LanguageVersion.CSharp11,
            FileScopedNamespaces: languageVersion >= LanguageVersion.CSharp10,
            HasCaseTwin: Naming.HasCaseTwin(union));
        return new UnionResult(union.Name, union.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat), model, diagnostics.ToEquatableArray());
    }

    /// <summary>
    /// Whether the declaration is one the user is still typing: the union, a type containing it or a namespace around it
    /// has no name yet, or its base type does not resolve. Nothing is generated for it and nothing is reported: the
    /// compiler's own errors say what is missing.
    /// </summary>
    private static bool IsIncomplete(INamedTypeSymbol union, TypeDeclarationSyntax syntax)
    {
        if (syntax.Identifier.IsMissing || union.Name.Length == 0 || union.BaseType is null or { TypeKind: TypeKind.Error })
        {
            return true;
        }

        foreach (var ancestor in syntax.Ancestors())
        {
            switch (ancestor)
            {
                case BaseTypeDeclarationSyntax type when type.Identifier.IsMissing:
                    return true;
                case BaseNamespaceDeclarationSyntax ns when ns.Name.IsMissing || ns.Name.DescendantTokens().Any(static t => t.IsMissing):
                    return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Whether this node carries the union's first <c>[EventUnion]</c>: the attribute on two parts of one partial union
    /// (CS0579) matches twice, and only one of them generates (one file per union).
    /// </summary>
    private static bool IsFirstApplication(INamedTypeSymbol union, SyntaxReference? mine)
    {
        var first = union.GetAttributes().FirstOrDefault(static a => IsAttribute(a, "EventUnionAttribute", EventUnionAttribute))?.ApplicationSyntaxReference;
        return first is null || mine is null || (first.SyntaxTree == mine.SyntaxTree && first.Span == mine.Span);
    }

    /// <summary>
    /// Whether a positional parameter of <paramref name="variant"/>, as written, is one the generated members cannot name:
    /// it has no name or type yet, or it is passed by reference; or the variant has two parameter lists (declared twice,
    /// CS0102, or two partial parts with one each, CS8863). Syntax only: the compiler reports each of these already.
    /// </summary>
    private static bool HasUnusableParameterSyntax(INamedTypeSymbol variant)
    {
        var parameterLists = 0;
        foreach (var reference in variant.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax() is RecordDeclarationSyntax { ParameterList: { } parameters }
                && (++parameterLists > 1
                    || parameters.Parameters.Any(static p => p.Identifier.IsMissing || p.Type is null || p.Type.IsMissing || (p.Modifiers.Count > 0 && !p.Modifiers.Any(SyntaxKind.ParamsKeyword)))))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Whether a positional parameter of <paramref name="variant"/> has a type no generated member can hold: one that does
    /// not resolve (also inside a generic argument or an array), a pointer or a ref struct, or is passed by reference.
    /// Reads the variant's constructors, so only for a variant read from its symbol.
    /// </summary>
    private static bool HasUnusableParameterType(INamedTypeSymbol variant)
    {
        var primary = variant.InstanceConstructors.FirstOrDefault(static c =>
            c.DeclaringSyntaxReferences.Any(static r => r.GetSyntax() is RecordDeclarationSyntax));
        return primary is not null && primary.Parameters.Any(static p => p.RefKind != RefKind.None || IsUnusableType(p.Type));
    }

    private static bool IsUnusableType(ITypeSymbol type) => type switch
    {
        { TypeKind: TypeKind.Error or TypeKind.Pointer or TypeKind.FunctionPointer } => true,
        { IsRefLikeType: true } => true,
        IArrayTypeSymbol array => IsUnusableType(array.ElementType),
        INamedTypeSymbol { IsGenericType: true } named => named.TypeArguments.Any(IsUnusableType),
        _ => false,
    };

    /// <summary>
    /// Whether the union declares a <c>[JsonConverter]</c> itself. The union's attributes are already bound (the
    /// <c>[EventUnion]</c> lookup bound them), so this binds nothing new.
    /// </summary>
    private static bool DeclaresJsonConverter(INamedTypeSymbol union)
    {
        foreach (var attribute in union.GetAttributes())
        {
            if (IsAttribute(attribute, "JsonConverterAttribute", JsonConverterAttribute))
            {
                return true;
            }
        }

        return false;
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
                !baseType.GetAttributes().Any(static a => IsAttribute(a, "EventUnionAttribute", EventUnionAttribute)))
            {
                continue;
            }

            // A partial record may name its base in several parts, each a candidate: one diagnostic, at the first part that
            // names a base (by file path, then position, whatever order the build lists its files in).
            var first = record.DeclaringSyntaxReferences
                .Where(r => r.GetSyntax(cancellationToken) is RecordDeclarationSyntax { BaseList.Types.Count: > 0 })
                .OrderBy(static r => r.SyntaxTree.FilePath, StringComparer.Ordinal)
                .ThenBy(static r => r.Span.Start)
                .FirstOrDefault();
            if (first is not null && (first.SyntaxTree != tree || !first.Span.Contains(syntax.Identifier.Span)))
            {
                return null;
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
    internal static string? VariantNameProblem(string name, string unionName)
    {
        if (SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None)
        {
            return "is a C# keyword, which the generated members cannot name";
        }

        // Inside the union the variant would hide the kind enum or the converter the generated members name.
        if (name == unionName + "Kind" || name == unionName + "JsonConverter")
        {
            return "is the name of a type the generator adds beside the union, which the variant would hide inside it";
        }

        if (name == "_")
        {
            return "is the discard in the patterns the generated members match the variants with";
        }

        // The generated members name each variant bare in patterns and expressions, where a contextual keyword is read as
        // the keyword: 'var __item' is a var pattern (CS8508), 'not __item' a negated pattern, 'partial' no expression.
        // 'var' is no SyntaxKind of its own.
        if (IsContextualKeyword(name))
        {
            return "is a contextual keyword, which the patterns the generated members match the variants with would read as that keyword";
        }

        // Match and Switch name each handler parameter after its variant (camelCase) and bind the matched variant to __item.
        if (Naming.ToParameterName(name) == "__item")
        {
            return "is the variable the generated members' patterns bind the matched variant to, which the handler parameter named after the variant would clash with (CS0136)";
        }

        if (s_recordMemberNames.Contains(name))
        {
            return "is the name of a method every record union has, which the variant's name means in the generated members' patterns";
        }

        if (IsUnknownBackingFieldName(name))
        {
            return "is the name of a field of the generated Unknown variant, which would hide the variant inside it";
        }

        return s_reservedVariantNames.Contains(name)
            ? "is the name of a member or type parameter the generator adds to the union"
            : null;
    }

    /// <summary>Methods and properties a record union has from <c>object</c> and from the record's synthesized members.</summary>
    private static readonly HashSet<string> s_recordMemberNames = new(StringComparer.Ordinal)
    {
        "ToString", "Equals", "GetHashCode", "GetType", "MemberwiseClone", "ReferenceEquals", "Finalize", "PrintMembers", "EqualityContract",
    };

    /// <summary>
    /// A member other than a type that the union inherits from a base record under <paramref name="name"/>: in the generated
    /// members' patterns the variant's simple name would mean that member.
    /// </summary>
    private static ISymbol? InheritedNonTypeMember(INamedTypeSymbol union, string name)
    {
        for (var type = union.BaseType; type is not null && type.SpecialType != SpecialType.System_Object; type = type.BaseType)
        {
            if (type.GetMembers(name).FirstOrDefault(static m => m is not INamedTypeSymbol && !m.IsImplicitlyDeclared) is { } member)
            {
                return member;
            }
        }

        return null;
    }

    /// <summary>A contextual keyword (<c>var</c>, <c>not</c>, <c>required</c>, ...), which 'var' is without a SyntaxKind of its own.</summary>
    internal static bool IsContextualKeyword(string name)
        => Naming.IsContextualKeyword(name);

    /// <summary>
    /// Why the union cannot have this name in generated code: a C# keyword, or the name of a member the generator adds to
    /// it (a member cannot have its type's name, CS0542).
    /// </summary>
    internal static string? UnionNameProblem(string name, bool payloadless)
    {
        if (SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None)
        {
            return "is a C# keyword, which the generated members cannot name";
        }

        if (IsContextualKeyword(name))
        {
            // The generated code names the union bare, in patterns and expressions too ('partial record required' is CS9029,
            // 'case var __item' a var pattern).
            return "is a contextual keyword, which the generated code would read as that keyword";
        }

        var generated = name is "Kind" or "WireName" or "Match" or "Switch" or "MatchAsync" or "SwitchAsync" or "NotAVariant"
            || name == (payloadless ? "Other" : "Unknown")
            || (payloadless && name is "FromWire" or "ToWire");
        return generated
            ? "is the name of a member the generator adds to the union, which a member cannot share with its type (CS0542)"
            : null;
    }

    private static readonly HashSet<string> s_reservedVariantNames = new(StringComparer.Ordinal)
    {
        "Kind", "WireName", "ToWire", "FromWire", "Match", "Switch", "MatchAsync", "SwitchAsync", "NotAVariant",
        "TState", "TResult", "RawValue", "RawWireName", "RawPayload",
    };

    private const string JsonIgnoreAttribute = "System.Text.Json.Serialization.JsonIgnoreAttribute";
    private const string JsonIncludeAttribute = "System.Text.Json.Serialization.JsonIncludeAttribute";
    private const string JsonConstructorAttribute = "System.Text.Json.Serialization.JsonConstructorAttribute";

    /// <summary>
    /// What the generated converter would write differently from System.Text.Json on the same hierarchy, refused rather
    /// than written wrong: <c>[JsonIgnore]</c> or <c>[JsonConverter]</c> on a positional property (the converter writes and
    /// reads every positional parameter with the type's own converter), and a settable or <c>init</c> property that is not
    /// positional (the converter would drop its value).
    /// </summary>
    internal static IEnumerable<(ISymbol Property, string Problem)> JsonProblems(INamedTypeSymbol variant, HashSet<string> positional)
    {
        foreach (var member in variant.GetMembers())
        {
            if (member.IsStatic || member.IsImplicitlyDeclared)
            {
                continue;
            }

            // A required member must be set by whoever constructs the variant (CS9035 in the converter otherwise).
            if (member is IPropertySymbol { IsRequired: true } or IFieldSymbol { IsRequired: true })
            {
                yield return (member, "is a required member, which the union's converter cannot set (it constructs the variant through its primary constructor); make it a positional parameter");
                continue;
            }

            if (member is IFieldSymbol field)
            {
                // A field is written when [JsonInclude] asks for it, and a public one when the options' IncludeFields
                // does; the converter writes neither.
                var fieldAttributes = field.GetAttributes();
                if (positional.Contains(field.Name) && field.DeclaredAccessibility != Accessibility.Public)
                {
                    // A positional parameter redeclared as a non-public field: neither written nor bound by System.Text.Json,
                    // and out of the converter's reach (CS0122 in the generated code).
                    yield return (field, "is a positional parameter redeclared as a non-public field, which System.Text.Json does not write and cannot bind the parameter to (it refuses the variant on reading); make it a public property");
                }
                else if (fieldAttributes.Any(static a => IsAttribute(a, "JsonIncludeAttribute", JsonIncludeAttribute)))
                {
                    yield return (field, "is a field marked [JsonInclude], which the union's converter does not write; make it a positional parameter");
                }
                else if (field.DeclaredAccessibility == Accessibility.Public && !field.IsConst && !IsAlwaysIgnored(fieldAttributes))
                {
                    yield return (field, ConditionalIgnore(fieldAttributes) is { } condition
                        ? "is a public field with [JsonIgnore(Condition = JsonIgnoreCondition." + condition + ")], which System.Text.Json still writes under the options' IncludeFields and the union's converter does not; make it a positional parameter or mark it [JsonIgnore]"
                        : "is a public field, which System.Text.Json writes under the options' IncludeFields and the union's converter does not; make it a positional parameter or mark it [JsonIgnore]");
                }

                continue;
            }

            if (member is not IPropertySymbol { IsIndexer: false } property)
            {
                continue;
            }

            var attributes = property.GetAttributes();

            // A positional parameter whose property is redeclared non-public, or without a public getter: System.Text.Json
            // does not write it and refuses the variant on reading (the parameter binds to no property it sees), and the
            // converter could not read it (CS0122 or CS0271 in the generated code).
            if (positional.Contains(property.Name)
                && (property.DeclaredAccessibility != Accessibility.Public || property.GetMethod is not { DeclaredAccessibility: Accessibility.Public }))
            {
                yield return (property, "is a positional parameter whose property is not public or has no public getter, which System.Text.Json does not write and cannot bind the parameter to (it refuses the variant on reading); make the property public");
                continue;
            }

            if (property.DeclaredAccessibility != Accessibility.Public)
            {
                if (!positional.Contains(property.Name) && attributes.Any(static a => IsAttribute(a, "JsonIncludeAttribute", JsonIncludeAttribute)))
                {
                    yield return (property, "is a non-public property marked [JsonInclude], which the union's converter does not write; make it a positional parameter");
                }

                continue;
            }

            // Only [JsonIgnore] with the condition Always (the default) keeps a property out of System.Text.Json's JSON
            // whatever its value; with another condition it is written (WhenWritingNull: when not null) and read.
            var ignored = IsAlwaysIgnored(attributes);
            if (positional.Contains(property.Name))
            {
                if (ignored || ConditionalIgnore(attributes) is not null)
                {
                    yield return (property, "has [JsonIgnore], which the union's converter does not honour (it writes every positional parameter); keep the value out of the event instead");
                    continue;
                }
            }
            else if (ConditionalIgnore(attributes) is { } condition)
            {
                yield return (property, "has [JsonIgnore(Condition = JsonIgnoreCondition." + condition + ")], under which System.Text.Json writes it and the union's converter does not honour the condition; make it a positional parameter, or mark it [JsonIgnore] to keep it out of the JSON");
                continue;
            }
            else if (!ignored && property.SetMethod is { DeclaredAccessibility: Accessibility.Public })
            {
                yield return (property, "is a settable or init property that is not a positional parameter, which the union's converter would not write; make it a positional parameter or mark it [JsonIgnore]");
                continue;
            }

            if (ignored)
            {
                continue;
            }

            // Of System.Text.Json's attributes the converter follows [JsonPropertyName] (and [JsonIgnore] on a read-only
            // property) only: any other changes what System.Text.Json writes or reads for the property.
            foreach (var attribute in attributes)
            {
                if (attribute.AttributeClass is { } type
                    && type.ContainingNamespace?.ToDisplayString() == "System.Text.Json.Serialization"
                    && type.Name is not ("JsonPropertyNameAttribute" or "JsonIncludeAttribute"))
                {
                    var name = type.Name.EndsWith("Attribute", StringComparison.Ordinal) ? type.Name.Substring(0, type.Name.Length - "Attribute".Length) : type.Name;
                    yield return (property, "has [" + name + "], which the union's converter does not honour" + (name == "JsonConverter" ? " (it uses the converter of the property's type)" : string.Empty));
                    break;
                }
            }
        }
    }

    /// <summary>
    /// System.Text.Json attributes on a variant's type or constructors, which System.Text.Json follows on the same
    /// hierarchy and the union's converter does not: <c>[JsonNumberHandling]</c> or <c>[JsonUnmappedMemberHandling]</c> on
    /// the record (honoured for its properties), <c>[JsonConverter]</c> or <c>[JsonObjectCreationHandling]</c> (which make
    /// System.Text.Json refuse the variant), and <c>[JsonConstructor]</c> on a constructor (System.Text.Json reads the
    /// variant through it; the converter constructs through the primary constructor). Only a variant whose declaration has
    /// attribute lists is bound for the question.
    /// </summary>
    internal static IEnumerable<(ISymbol Symbol, string Problem)> VariantTypeJsonProblems(INamedTypeSymbol variant)
    {
        if (HasAttributeLists(variant))
        {
            foreach (var attribute in variant.GetAttributes())
            {
                if (JsonSerializationAttributeName(attribute) is { } name)
                {
                    yield return (variant, "has [" + name + "], which the union's converter does not honour on a variant (it reads and writes the positional parameters under the options' settings); remove it, or set the option on the JsonSerializerOptions");
                }
            }
        }

        foreach (var reference in variant.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax() is not TypeDeclarationSyntax declaration
                || !declaration.Members.Any(static m => m is ConstructorDeclarationSyntax { AttributeLists.Count: > 0 }))
            {
                continue;
            }

            foreach (var constructor in variant.InstanceConstructors)
            {
                if (constructor.GetAttributes().Any(static a => IsAttribute(a, "JsonConstructorAttribute", JsonConstructorAttribute)))
                {
                    yield return (constructor, "is marked [JsonConstructor], which System.Text.Json reads the variant through and the union's converter does not (it constructs every variant through its primary constructor); remove the attribute");
                }
            }

            yield break;
        }
    }

    /// <summary>
    /// System.Text.Json attributes on the union itself other than <c>[JsonConverter]</c>: on a type that has a converter,
    /// System.Text.Json fails to resolve the union's metadata (<c>[JsonNumberHandling]</c>,
    /// <c>[JsonUnmappedMemberHandling]</c>, <c>[JsonObjectCreationHandling]</c> throw InvalidOperationException on the first
    /// use) or does not apply them to the variants, so the union could not be written or would be written differently
    /// from what the attribute says. The union's attributes are already bound.
    /// </summary>
    internal static IEnumerable<(AttributeData Attribute, string Problem)> UnionAttributeJsonProblems(INamedTypeSymbol union)
    {
        foreach (var attribute in union.GetAttributes())
        {
            if (JsonSerializationAttributeName(attribute) is { } name && name != "JsonConverter")
            {
                yield return (attribute, "has [" + name + "], which System.Text.Json does not apply to the variants of a union read and written by its converter (for a type with a converter it refuses the attribute at run time or ignores it); remove it, or set the option on the JsonSerializerOptions");
            }
        }
    }

    /// <summary>The name (without "Attribute") of an attribute of System.Text.Json.Serialization; null for any other.</summary>
    private static string? JsonSerializationAttributeName(AttributeData attribute)
    {
        if (attribute.AttributeClass is not { } type || type.ContainingNamespace?.ToDisplayString() != "System.Text.Json.Serialization")
        {
            return null;
        }

        return type.Name.EndsWith("Attribute", StringComparison.Ordinal) ? type.Name.Substring(0, type.Name.Length - "Attribute".Length) : type.Name;
    }

    /// <summary>
    /// The public read-only instance properties of a variant that are not positional and not <c>[JsonIgnore]</c>d (a
    /// computed <c>Mid =&gt; (Bid + Ask) / 2</c>): System.Text.Json writes them on any object, so the converter does too.
    /// </summary>
    internal static IEnumerable<PropertyModel> ReadOnlyProperties(INamedTypeSymbol variant, HashSet<string> positional, TypeNames typeNames)
    {
        foreach (var property in variant.GetMembers().OfType<IPropertySymbol>())
        {
            if (property.IsStatic || property.IsImplicitlyDeclared || property.IsIndexer || property.DeclaredAccessibility != Accessibility.Public
                || property.GetMethod is not { DeclaredAccessibility: Accessibility.Public }
                || property.SetMethod is { DeclaredAccessibility: Accessibility.Public }
                || positional.Contains(property.Name)
                || IsAlwaysIgnored(property.GetAttributes()))
            {
                continue;
            }

            var jsonName = property.GetAttributes()
                .FirstOrDefault(static a => IsAttribute(a, "JsonPropertyNameAttribute", JsonPropertyNameAttribute))?
                .ConstructorArguments.FirstOrDefault().Value as string;
            yield return Property(property.Name, property.Type, jsonName ?? Naming.ToSnakeCase(property.Name), hasExplicitJsonName: jsonName is not null, typeNames);
        }
    }

    // A positional property the union's generated members would hide or clash with, or one written as the discriminator.
    // One named like a generated method (Match, Switch and their asynchronous forms) would not even compile: a record's
    // positional parameter binds to the inherited member of its name, which must be a readable property (CS8866).
    private static string? PropertyNameProblem(PropertyModel property)
    {
        if (property.Name is "Kind" or "WireName" or "Unknown" or "NotAVariant")
        {
            return "is a positional property named like the '" + property.Name + "' the generator adds to the union (and so to every variant)";
        }

        if (property.Name is "Match" or "Switch" or "MatchAsync" or "SwitchAsync")
        {
            return "is a positional property named like the '" + property.Name + "' method the generator adds to the union, which a record's positional parameter cannot bind to (CS8866)";
        }

        return property.JsonName == "type"
            ? "is written to JSON as \"type\", the name of the discriminator; rename it or give it [property: JsonPropertyName(...)]"
            : null;
    }

    /// <summary>
    /// Members the union itself declares (not its variants) with the name of a member the generator adds to it:
    /// <c>Kind</c>, <c>WireName</c>, the fallback variant, <c>NotAVariant</c>, and, other than as a method overload,
    /// <c>Match</c>, <c>Switch</c>, their asynchronous forms and, for a payload-less union, <c>ToWire</c>/<c>FromWire</c>.
    /// Read from the declarations, so the union's members are not built for the question.
    /// </summary>
    internal static IEnumerable<(string Name, SyntaxToken Identifier, string Problem)> UnionMemberProblems(INamedTypeSymbol union, HashSet<string> variantNames, bool payloadless)
    {
        var reported = new HashSet<string>(StringComparer.Ordinal);
        foreach (var reference in union.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax() is not TypeDeclarationSyntax declaration)
            {
                continue;
            }

            foreach (var member in declaration.Members)
            {
                // Each name with the token that declares it, where the diagnostic points.
                var (identifiers, isMethod) = member switch
                {
                    BaseTypeDeclarationSyntax type => (new[] { type.Identifier }, false),
                    DelegateDeclarationSyntax @delegate => (new[] { @delegate.Identifier }, false),
                    MethodDeclarationSyntax { ExplicitInterfaceSpecifier: null } method => (new[] { method.Identifier }, true),
                    PropertyDeclarationSyntax { ExplicitInterfaceSpecifier: null } property => (new[] { property.Identifier }, false),
                    EventDeclarationSyntax { ExplicitInterfaceSpecifier: null } @event => (new[] { @event.Identifier }, false),
                    BaseFieldDeclarationSyntax field => (field.Declaration.Variables.Select(static v => v.Identifier).ToArray(), false),
                    _ => (Array.Empty<SyntaxToken>(), false),
                };
                foreach (var token in identifiers)
                {
                    var name = token.ValueText;
                    // A variant of a generated name is reported with the variant.
                    if (member is BaseTypeDeclarationSyntax && variantNames.Contains(name))
                    {
                        continue;
                    }

                    var taken = name is "Kind" or "WireName" or "NotAVariant" or "Unknown" or "Other"
                        || (!isMethod && name is "Match" or "Switch" or "MatchAsync" or "SwitchAsync")
                        || (payloadless && ((!isMethod && name is "ToWire" or "FromWire") || name.StartsWith("s_", StringComparison.Ordinal)))
                        || (!payloadless && IsUnknownBackingFieldName(name));
                    if (taken && reported.Add(name))
                    {
                        yield return (name, token, "is the name of a member the generator adds to the union");
                    }
                }
            }
        }
    }

    /// <summary>
    /// Properties the union itself declares that System.Text.Json would write on every variant and the union's converter
    /// does not: a public instance property that is not abstract (an abstract one is implemented by each variant's own)
    /// and not <c>[JsonIgnore]</c>d.
    /// </summary>
    internal static IEnumerable<(ISymbol Property, string Problem)> UnionJsonProblems(INamedTypeSymbol union)
    {
        foreach (var reference in union.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax() is not TypeDeclarationSyntax declaration)
            {
                continue;
            }

            foreach (var member in declaration.Members)
            {
                if (member is FieldDeclarationSyntax field && field.Modifiers.Any(SyntaxKind.RequiredKeyword))
                {
                    foreach (var variable in field.Declaration.Variables)
                    {
                        foreach (var symbol in union.GetMembers(variable.Identifier.ValueText).OfType<IFieldSymbol>())
                        {
                            yield return (symbol, "is a required member of the union, which the union's converter and its generated fallback variant cannot set; make it a positional parameter of each variant");
                        }
                    }

                    continue;
                }

                if (member is not PropertyDeclarationSyntax { ExplicitInterfaceSpecifier: null } syntax
                    || syntax.Modifiers.Any(SyntaxKind.StaticKeyword) || syntax.Modifiers.Any(SyntaxKind.AbstractKeyword))
                {
                    continue;
                }

                foreach (var property in union.GetMembers(syntax.Identifier.ValueText).OfType<IPropertySymbol>())
                {
                    // A required member must be set by whoever constructs a variant: the converter, and the generated
                    // fallback variant's own constructors (CS9035 in generated code otherwise).
                    if (property.IsRequired)
                    {
                        yield return (property, "is a required member of the union, which the union's converter and its generated fallback variant cannot set; make it a positional parameter of each variant");
                        continue;
                    }

                    var attributes = property.GetAttributes();
                    var included = attributes.Any(static a => IsAttribute(a, "JsonIncludeAttribute", JsonIncludeAttribute));
                    if ((property.DeclaredAccessibility == Accessibility.Public || included)
                        && !property.IsAbstract && !property.IsStatic
                        && !IsAlwaysIgnored(attributes))
                    {
                        yield return (property, "is a property of the union, which System.Text.Json writes on every variant and the union's converter does not; mark it [JsonIgnore], or make it a positional parameter of each variant");
                    }
                }
            }
        }
    }

    /// <summary>
    /// Members every variant inherits that System.Text.Json writes on each of them and the union's converter does not:
    /// the public properties the union's own positional parameters declare (<c>record Event(string Source)</c>), and the
    /// public properties (a computed one too), <c>[JsonInclude]</c> properties and public fields of the records the union
    /// derives from, unless <c>[JsonIgnore]</c>d or abstract (each variant implements it). A variant's positional
    /// parameter of the same name does not make up for one: the record then uses the inherited property, which
    /// System.Text.Json writes after the variant's own, and the converter in the parameter's place.
    /// </summary>
    internal static IEnumerable<(ISymbol Member, string Problem)> InheritedJsonProblems(INamedTypeSymbol union)
    {
        foreach (var reference in union.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax() is not TypeDeclarationSyntax { ParameterList: { } parameters })
            {
                continue;
            }

            foreach (var parameter in parameters.Parameters)
            {
                var name = parameter.Identifier.ValueText;
                foreach (var property in union.GetMembers(name).OfType<IPropertySymbol>())
                {
                    // A property the union declares in its body is checked with the union's other properties.
                    if (!property.DeclaringSyntaxReferences.Any(static r => r.GetSyntax() is ParameterSyntax)
                        || property.DeclaredAccessibility != Accessibility.Public || IsAlwaysIgnored(property.GetAttributes()))
                    {
                        continue;
                    }

                    yield return (property, "is a positional parameter of the union, whose property System.Text.Json writes on every variant and the union's converter does not; mark it [property: JsonIgnore], or make it a positional parameter of each variant");
                }
            }
        }

        // A record's MemberNames builds all of its members, synthesized ones included: only a union with a base record needs
        // them (Roslyn re-runs the transform for every union on each edit).
        HashSet<string>? declaredByUnion = null;
        for (var type = union.BaseType; type is not null && type.SpecialType != SpecialType.System_Object; type = type.BaseType)
        {
            declaredByUnion ??= new HashSet<string>(union.MemberNames, StringComparer.Ordinal);
            foreach (var member in type.GetMembers())
            {
                if (member.IsStatic || member.IsImplicitlyDeclared || declaredByUnion.Contains(member.Name))
                {
                    continue;
                }

                var attributes = member.GetAttributes();
                if (IsAlwaysIgnored(attributes))
                {
                    continue;
                }

                var included = attributes.Any(static a => IsAttribute(a, "JsonIncludeAttribute", JsonIncludeAttribute));
                var written = member switch
                {
                    IPropertySymbol { IsIndexer: false, IsAbstract: false } property
                        => included || (property.DeclaredAccessibility == Accessibility.Public
                            && (property.GetMethod is { DeclaredAccessibility: Accessibility.Public } || property.SetMethod is { DeclaredAccessibility: Accessibility.Public })),
                    IFieldSymbol { IsConst: false } field => included || field.DeclaredAccessibility == Accessibility.Public,
                    _ => false,
                };
                if (written)
                {
                    yield return (member, "is a member of '" + type.Name + "', which the union derives from: System.Text.Json writes it on every variant" + (member is IFieldSymbol && !included ? " (under the options' IncludeFields)" : string.Empty) + " and the union's converter does not; mark it [JsonIgnore], or make it a positional parameter of each variant");
                }
            }
        }
    }

    // The kind enum and the converter are declared beside the union (in its namespace or containing type), where any
    // other member of the name, not only a type, collides with them (a namespace CS0101, a property or method CS0102).
    private static bool TypeNameTaken(INamedTypeSymbol union, string name)
        => union.ContainingType is { } container
            ? !container.GetMembers(name).IsEmpty
            : union.ContainingNamespace.GetMembers(name).Any();

    /// <summary>The variants of <paramref name="union"/> as the union parser sees them (fallback names excluded).</summary>
    internal static IEnumerable<INamedTypeSymbol> VariantSymbols(INamedTypeSymbol union)
        => TypeMembersInDeclarationOrder(union).Where(m =>
            SymbolEqualityComparer.Default.Equals(m.BaseType, union) && !m.IsGenericType && m.Name is not ("Unknown" or "Other"));

    /// <summary>
    /// The types nested in <paramref name="union"/> in an order that depends on the sources alone: by the path of the
    /// file each is first declared in (ordinal), then by position there. <c>GetTypeMembers</c> lists them in the order
    /// the compilation was given its files, which a build may vary (a directory listing), so a union split across files
    /// would get its kind enum, <c>Match</c> parameters and converter in a different order from one build to the next.
    /// Types from metadata keep the order their assembly lists them in.
    /// </summary>
    internal static IEnumerable<INamedTypeSymbol> TypeMembersInDeclarationOrder(INamedTypeSymbol union)
    {
        var members = union.GetTypeMembers();
        if (members.Length < 2 || members.Any(static m => m.DeclaringSyntaxReferences.IsEmpty))
        {
            return members;
        }

        return members
            .Select(static m => (Member: m, First: m.DeclaringSyntaxReferences
                .Select(static r => (Path: r.SyntaxTree.FilePath, r.Span.Start))
                .OrderBy(static d => d.Path, StringComparer.Ordinal).ThenBy(static d => d.Start)
                .First()))
            .OrderBy(static m => m.First.Path, StringComparer.Ordinal).ThenBy(static m => m.First.Start)
            .Select(static m => m.Member);
    }

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
            : VariantSymbols(union).All(static v => !PositionalProperties(v, new TypeNames()).Any());
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

        if (union.IsFileLocal)
        {
            // The generated part is in another file, where a file-local type is out of reach.
            return "an abstract partial record that is not file-local";
        }

        if (TypeShape.PartialNonGenericProblem(union, syntax) is { } problem)
        {
            return problem;
        }

        return CanBeConstructedWithoutArguments(union)
            ? null
            : "constructible without arguments, with no primary constructor or other constructor whose parameters lack defaults (the generated fallback variant, Unknown or Other, derives from it)";
    }

    /// <summary>
    /// An abstract member the generated fallback variant would have to implement (CS0534): one the union declares (read
    /// from its declarations), or, for a union deriving from another record, one a base declares and neither the union nor
    /// a base between overrides. A record's synthesized members (<c>ToString</c>...) are left out: the fallback, a record
    /// too, synthesizes them.
    /// </summary>
    private static (string Name, LocationInfo? Location)? AbstractMember(INamedTypeSymbol union, CancellationToken cancellationToken)
    {
        foreach (var reference in union.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax(cancellationToken) is not TypeDeclarationSyntax declaration)
            {
                continue;
            }

            foreach (var member in declaration.Members)
            {
                if (!member.Modifiers.Any(SyntaxKind.AbstractKeyword))
                {
                    continue;
                }

                var identifier = member switch
                {
                    MethodDeclarationSyntax method => method.Identifier,
                    PropertyDeclarationSyntax property => property.Identifier,
                    EventDeclarationSyntax @event => @event.Identifier,
                    EventFieldDeclarationSyntax field => field.Declaration.Variables[0].Identifier,
                    IndexerDeclarationSyntax indexer => indexer.ThisKeyword,
                    _ => default,
                };
                if (identifier.RawKind != 0 && !s_recordMembers.Contains(identifier.ValueText))
                {
                    return (identifier.ValueText, LocationInfo.From(identifier.GetLocation()));
                }
            }
        }

        if (union.BaseType is not { SpecialType: not SpecialType.System_Object } baseType)
        {
            return null;
        }

        var overridden = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
        for (var type = union; type is not null; type = type.BaseType)
        {
            foreach (var member in type.GetMembers())
            {
                for (var o = Overridden(member); o is not null; o = Overridden(o))
                {
                    overridden.Add(o);
                }
            }
        }

        for (var type = baseType; type is not null; type = type.BaseType)
        {
            foreach (var member in type.GetMembers())
            {
                if (member is IMethodSymbol { MethodKind: MethodKind.Ordinary } or IPropertySymbol or IEventSymbol
                    && member.IsAbstract && !overridden.Contains(member) && !s_recordMembers.Contains(member.Name))
                {
                    return (type.Name + "." + member.Name, null);
                }
            }
        }

        return null;

        static ISymbol? Overridden(ISymbol member) => member switch
        {
            IMethodSymbol method => method.OverriddenMethod,
            IPropertySymbol property => property.OverriddenProperty,
            IEventSymbol @event => @event.OverriddenEvent,
            _ => null,
        };
    }

    /// <summary>
    /// Whether the union has a constructor the generated fallback variant's (<c>Unknown</c>, <c>Other</c>) can call without
    /// arguments: the implicit one (no constructor declared), or a declared one, primary or not, whose parameters all have
    /// defaults. Read from the declarations, so the union's members are not built for the question.
    /// </summary>
    private static bool CanBeConstructedWithoutArguments(INamedTypeSymbol union)
    {
        var declaresConstructor = false;
        foreach (var reference in union.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax() is not TypeDeclarationSyntax declaration)
            {
                continue;
            }

            if (declaration.ParameterList is { } primary)
            {
                declaresConstructor = true;
                if (WithoutArguments(primary))
                {
                    return true;
                }
            }

            foreach (var member in declaration.Members)
            {
                if (member is ConstructorDeclarationSyntax constructor && !constructor.Modifiers.Any(SyntaxKind.StaticKeyword))
                {
                    declaresConstructor = true;
                    if (WithoutArguments(constructor.ParameterList))
                    {
                        return true;
                    }
                }
            }
        }

        return !declaresConstructor;

        static bool WithoutArguments(ParameterListSyntax parameters)
            => parameters.Parameters.All(static p => p.Default is not null || p.Modifiers.Any(SyntaxKind.ParamsKeyword));
    }

    private static string? WireNameOf(INamedTypeSymbol variant)
    {
        foreach (var attribute in variant.GetAttributes())
        {
            if (IsAttribute(attribute, "WireNameAttribute", WireNameAttribute) &&
                attribute.ConstructorArguments.Length == 1 &&
                attribute.ConstructorArguments[0].Value is string { Length: > 0 } name)
            {
                return name;
            }
        }

        return null;
    }

    // [WireName("")] or [WireName(null!)]: the name it declares cannot be written, and the snake_case default is not what it says.
    private static bool HasEmptyWireName(INamedTypeSymbol variant)
        => variant.GetAttributes().Any(static a => IsAttribute(a, "WireNameAttribute", WireNameAttribute)
            && a.ConstructorArguments.Length == 1 && a.ConstructorArguments[0].Value is null or "");

    internal static IEnumerable<PropertyModel> PositionalProperties(INamedTypeSymbol variant, TypeNames typeNames)
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
                .FirstOrDefault(static a => IsAttribute(a, "JsonPropertyNameAttribute", JsonPropertyNameAttribute))?
                .ConstructorArguments.FirstOrDefault().Value as string;
            var model = Property(parameter.Name, parameter.Type, jsonName ?? Naming.ToSnakeCase(parameter.Name), hasExplicitJsonName: jsonName is not null, typeNames);
            yield return parameter.HasExplicitDefaultValue ? model with { DefaultValue = DefaultValueText(parameter, model) } : model;
        }
    }

    /// <summary>
    /// An optional parameter's default as an expression the generated converter can pass where the parameter's type is
    /// expected: the constant in its own type (an enum's through a cast of its number, a float or decimal with its
    /// suffix), or <c>default</c> for <c>null</c> and <c>default</c>/<c>new()</c> of a struct.
    /// </summary>
    private static string DefaultValueText(IParameterSymbol parameter, PropertyModel property)
    {
        var type = property.IsNullableValueType ? ((INamedTypeSymbol)parameter.Type).TypeArguments[0] : parameter.Type;
        var typeName = property.IsNullableValueType ? property.ValueTypeName : property.TypeName;
        var invariant = System.Globalization.CultureInfo.InvariantCulture;
        return parameter.ExplicitDefaultValue switch
        {
            // A null default of a reference type written non-nullable ('string Note = null!', or any in a '#nullable disable'
            // file) is what the user declared; the generated code, nullable-enabled, says so too (CS8625 otherwise).
            null => "default!",
            string text => Naming.Literal(text),
            bool flag => flag ? "true" : "false",
            char c => SymbolDisplay.FormatLiteral(c, quote: true),
            double d when double.IsNaN(d) => "double.NaN",
            double d when double.IsPositiveInfinity(d) => "double.PositiveInfinity",
            double d when double.IsNegativeInfinity(d) => "double.NegativeInfinity",
            double d => $"({typeName})({d.ToString("R", invariant)}D)",
            float f when float.IsNaN(f) => "float.NaN",
            float f when float.IsPositiveInfinity(f) => "float.PositiveInfinity",
            float f when float.IsNegativeInfinity(f) => "float.NegativeInfinity",
            float f => $"({typeName})({f.ToString("R", invariant)}F)",
            decimal m => $"({typeName})({m.ToString(invariant)}M)",
            IFormattable number when type.TypeKind == TypeKind.Enum || type.SpecialType != SpecialType.None
                => $"({typeName})({number.ToString(null, invariant)})",
            var other => $"({typeName})({Convert.ToString(other, invariant)})",
        };
    }

    private static PropertyModel Property(string name, ITypeSymbol type, string jsonName, bool hasExplicitJsonName, TypeNames typeNames)
    {
        var isNullableValueType = type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T };
        var isNullable = isNullableValueType || (type.IsReferenceType && type.NullableAnnotation == NullableAnnotation.Annotated);
        return new PropertyModel(
            Name: name,
            TypeName: typeNames.Of(type),
            ValueTypeName: isNullableValueType ? typeNames.Of(((INamedTypeSymbol)type).TypeArguments[0]) : string.Empty,
            JsonName: jsonName,
            IsNullable: isNullable,
            IsNullableValueType: isNullableValueType,
            HasExplicitJsonName: hasExplicitJsonName,
            IsObliviousReference: type.IsReferenceType && type.NullableAnnotation == NullableAnnotation.None);
    }

    /// <summary>
    /// The positional properties of a variant read from its declaration: null (read the symbol instead) unless exactly
    /// what the symbol would give is visible in the syntax, that is, no parameter has attributes (no
    /// <c>[property: JsonPropertyName]</c>, <c>[JsonIgnore]</c> or <c>[JsonConverter]</c>), no property is declared in a
    /// body (which could replace a positional one or be read-only or settable), every declaration is a record's, and no
    /// nullable annotation is nested inside a parameter's type (binding a type syntax gives its top-level annotation only).
    /// </summary>
    private static EquatableArray<PropertyModel>? SyntacticPositionalProperties(INamedTypeSymbol variant, SemanticModel unionModel, TypeNames typeNames, CancellationToken cancellationToken)
    {
        RecordDeclarationSyntax? positional = null;
        var declaresTypes = false;
        foreach (var reference in variant.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax(cancellationToken) is not RecordDeclarationSyntax record)
            {
                return null;
            }

            foreach (var member in record.Members)
            {
                // A field may be refused (a public one, or one marked [JsonInclude]): the symbol says which.
                if (member is BasePropertyDeclarationSyntax or FieldDeclarationSyntax)
                {
                    return null;
                }

                declaresTypes |= member is BaseTypeDeclarationSyntax or DelegateDeclarationSyntax;
            }

            if (record.ParameterList is not null)
            {
                positional = record;
            }
        }

        if (positional is null || positional.ParameterList!.Parameters.Count == 0)
        {
            return EquatableArray<PropertyModel>.Empty;
        }

        var inUnionTree = positional.SyntaxTree == unionModel.SyntaxTree;
        var model = inUnionTree ? unionModel : Binding.SemanticModel(unionModel.Compilation, positional.SyntaxTree);

        // Sibling variants declared in the same union declaration, with no type of their own, see the same names: a type
        // written the same way binds once per union declaration.
        var scope = inUnionTree && !declaresTypes ? positional.Parent : null;
        var properties = new PropertyModel[positional.ParameterList.Parameters.Count];
        for (var i = 0; i < properties.Length; i++)
        {
            var parameter = positional.ParameterList.Parameters[i];
            // An optional parameter's default is read from the symbol, which has its constant value.
            if (parameter.AttributeLists.Count > 0 || parameter.Default is not null || parameter.Type is not { } typeSyntax)
            {
                return null;
            }

            var annotated = typeSyntax is NullableTypeSyntax;
            foreach (var node in typeSyntax.DescendantNodes())
            {
                if (node is NullableTypeSyntax)
                {
                    return null;
                }
            }

            if (typeNames.Bind(model, typeSyntax, scope, cancellationToken) is not { TypeKind: not TypeKind.Error } type || IsUnusableType(type))
            {
                return null;
            }

            if (annotated && type.IsReferenceType)
            {
                type = type.WithNullableAnnotation(NullableAnnotation.Annotated);
            }
            else if (type.IsReferenceType)
            {
                // A bound type syntax carries no annotation: where annotations are disabled the reference is oblivious.
                type = type.WithNullableAnnotation(model.GetNullableContext(typeSyntax.SpanStart).AnnotationsEnabled() ? NullableAnnotation.NotAnnotated : NullableAnnotation.None);
            }

            var name = parameter.Identifier.ValueText;
            properties[i] = Property(name, type, Naming.ToSnakeCase(name), hasExplicitJsonName: false, typeNames);
        }

        return new EquatableArray<PropertyModel>(properties);
    }

    /// <summary>
    /// Whether a type nested in the union derives from it. A class or record declared with the union's simple name first in
    /// its base list does, with nothing to bind: inside the union that name can only mean the union (a nested type cannot
    /// share its container's name, and a base list does not see the type's own members). A type without a base list
    /// does not. Anything else (a qualified or aliased base) is bound.
    /// </summary>
    private static bool IsVariant(INamedTypeSymbol member, INamedTypeSymbol union)
    {
        var hasBaseList = false;
        foreach (var reference in member.DeclaringSyntaxReferences)
        {
            var declaration = reference.GetSyntax();
            if (declaration is BaseTypeDeclarationSyntax { BaseList: null })
            {
                continue;
            }

            hasBaseList = true;
            if (declaration is ClassDeclarationSyntax or RecordDeclarationSyntax { ClassOrStructKeyword.RawKind: not (int)SyntaxKind.StructKeyword }
                && ((BaseTypeDeclarationSyntax)declaration).BaseList!.Types[0].Type is IdentifierNameSyntax { Identifier.ValueText: var name }
                && name == union.Name)
            {
                return true;
            }
        }

        return hasBaseList && SymbolEqualityComparer.Default.Equals(member.BaseType, union);
    }

    /// <summary>
    /// Whether code that sees the union cannot see the variant: the generated <c>Match</c> and <c>Switch</c> are as
    /// accessible as the union and take a handler of every variant. A public variant is seen wherever its union is; an
    /// <c>internal</c> or <c>protected internal</c> one only when the union is seen inside its assembly only.
    /// </summary>
    private static bool IsLessAccessibleThan(INamedTypeSymbol variant, INamedTypeSymbol union) => variant.DeclaredAccessibility switch
    {
        Accessibility.Public => false,
        Accessibility.Internal or Accessibility.ProtectedOrInternal => !TypeShape.IsConfinedToAssembly(union),
        _ => true,
    };

    /// <summary>
    /// Whether a variant without positional parameters cannot be created with <c>new()</c> from the union and the converter
    /// beside it. Only a variant that declares a constructor is bound: without one it has the implicit public one.
    /// </summary>
    private static bool NoParameterlessConstructor(INamedTypeSymbol variant)
    {
        if (!variant.DeclaringSyntaxReferences.Any(static r => r.GetSyntax() is TypeDeclarationSyntax declaration && declaration.Members.Any(static m => m is ConstructorDeclarationSyntax)))
        {
            return false;
        }

        return !variant.InstanceConstructors.Any(static c => c.Parameters.Length == 0
            && c.DeclaredAccessibility is Accessibility.Public or Accessibility.Internal or Accessibility.ProtectedOrInternal);
    }

    /// <summary>What the generated code must suppress because it names deprecated or experimental types.</summary>
    private sealed class DeprecatedUsage
    {
        public bool Obsolete { get; set; }

        public SortedSet<string> ExperimentalIds { get; } = new(StringComparer.Ordinal);

        /// <summary>The ids for a <c>#pragma warning disable</c>, comma-separated, or empty when there is nothing to suppress.</summary>
        public string Warnings() => string.Join(", ", (Obsolete ? new[] { "CS0612", "CS0618" } : Array.Empty<string>()).Concat(ExperimentalIds));
    }

    /// <summary>
    /// Records in <paramref name="usage"/> an <c>[Obsolete]</c> warning or an <c>[Experimental]</c> id of <paramref name="type"/>;
    /// true when it is <c>[Obsolete]</c> as an error (CS0619, which no <c>#pragma</c> suppresses).
    /// </summary>
    private static bool Deprecation(INamedTypeSymbol type, DeprecatedUsage usage)
    {
        var asError = false;
        foreach (var attribute in type.GetAttributes())
        {
            if (IsAttribute(attribute, "ObsoleteAttribute", "System.ObsoleteAttribute"))
            {
                usage.Obsolete = true;
                asError |= attribute.ConstructorArguments.Length == 2 && attribute.ConstructorArguments[1].Value is true;
            }
            else if (IsAttribute(attribute, "ExperimentalAttribute", "System.Diagnostics.CodeAnalysis.ExperimentalAttribute")
                && attribute.ConstructorArguments.Length == 1
                && attribute.ConstructorArguments[0].Value is string { Length: > 0 } id
                && id.All(static c => char.IsLetterOrDigit(c) || c == '_'))
            {
                usage.ExperimentalIds.Add(id);
            }
        }

        return asError;
    }

    private static bool HasAttributeLists(INamedTypeSymbol type)
    {
        foreach (var reference in type.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax() is not MemberDeclarationSyntax { AttributeLists.Count: 0 })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether an attribute's class is the one named <paramref name="fullName"/>; the simple name is compared first.</summary>
    private static bool IsAttribute(AttributeData attribute, string name, string fullName)
        => attribute.AttributeClass is { } type && type.Name == name && type.ToDisplayString() == fullName;

    // JsonIgnoreCondition.Always, the condition of a [JsonIgnore] that names none.
    private const int JsonIgnoreAlways = 1;

    /// <summary>Whether a <c>[JsonIgnore]</c> keeps the member out of System.Text.Json's JSON whatever its value (the condition <c>Always</c>).</summary>
    private static bool IsAlwaysIgnored(IEnumerable<AttributeData> attributes)
        => attributes.Any(static a => IsAttribute(a, "JsonIgnoreAttribute", JsonIgnoreAttribute) && IgnoreCondition(a) == JsonIgnoreAlways);

    /// <summary>
    /// The condition of a <c>[JsonIgnore]</c> other than <c>Always</c> (<c>Never</c>, <c>WhenWritingNull</c>, ...), under
    /// which System.Text.Json still writes or reads the member; null without one.
    /// </summary>
    private static string? ConditionalIgnore(IEnumerable<AttributeData> attributes)
    {
        foreach (var attribute in attributes)
        {
            if (IsAttribute(attribute, "JsonIgnoreAttribute", JsonIgnoreAttribute) && IgnoreCondition(attribute) is var condition and not JsonIgnoreAlways)
            {
                return condition switch
                {
                    0 => "Never",
                    2 => "WhenWritingDefault",
                    3 => "WhenWritingNull",
                    4 => "WhenWriting",
                    5 => "WhenReading",
                    _ => condition.ToString(System.Globalization.CultureInfo.InvariantCulture),
                };
            }
        }

        return null;
    }

    private static int IgnoreCondition(AttributeData attribute)
    {
        foreach (var argument in attribute.NamedArguments)
        {
            if (argument.Key == "Condition" && argument.Value.Value is int condition)
            {
                return condition;
            }
        }

        return JsonIgnoreAlways;
    }

    private static List<PropertyModel> SharedAccessors(INamedTypeSymbol union, List<VariantModel> variants, HashSet<string> redeclared)
    {
        var shared = new List<PropertyModel>();
        if (variants.Count == 0)
        {
            return shared;
        }

        foreach (var candidate in variants[0].Properties)
        {
            var inEvery = variants.All(v => v.Properties.Any(p => p.Name == candidate.Name && p.TypeName == candidate.TypeName));
            // Not lifted either: a property named like the union (a member cannot have its type's name, CS0542) or like the
            // kind enum (the generated Kind names the enum's members through it, and would find the property instead).
            if (inEvery && !s_generatedMembers.Contains(candidate.Name) && !IsUnknownBackingFieldName(candidate.Name) && candidate.Name != union.Name && candidate.Name != union.Name + "Kind"
                && !redeclared.Contains(candidate.Name) && !Declares(union, candidate.Name) && !Inherits(union, candidate.Name))
            {
                // An Unknown reads a shared value only when its payload has it: no default applies.
                shared.Add(candidate with { DefaultValue = null });
            }
        }

        return shared;
    }

    /// <summary>
    /// Whether the union has a member named <paramref name="name"/>, read from its declarations where they show it, so
    /// that the union's members (with the ones a record synthesizes) are not built for the question.
    /// </summary>
    private static bool Declares(INamedTypeSymbol union, string name)
    {
        if (s_recordMembers.Contains(name))
        {
            return !union.GetMembers(name).IsEmpty;
        }

        foreach (var reference in union.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax() is not TypeDeclarationSyntax declaration)
            {
                return !union.GetMembers(name).IsEmpty;
            }

            if (declaration.ParameterList?.Parameters.Any(p => p.Identifier.ValueText == name) == true)
            {
                return true;
            }

            foreach (var member in declaration.Members)
            {
                switch (member)
                {
                    case BaseTypeDeclarationSyntax type when type.Identifier.ValueText != name:
                    case DelegateDeclarationSyntax @delegate when @delegate.Identifier.ValueText != name:
                    case MethodDeclarationSyntax method when method.Identifier.ValueText != name || method.ExplicitInterfaceSpecifier is not null:
                    case PropertyDeclarationSyntax property when property.Identifier.ValueText != name || property.ExplicitInterfaceSpecifier is not null:
                    case EventDeclarationSyntax @event when @event.Identifier.ValueText != name || @event.ExplicitInterfaceSpecifier is not null:
                    case BaseFieldDeclarationSyntax field when field.Declaration.Variables.All(v => v.Identifier.ValueText != name):
                    case ConstructorDeclarationSyntax or DestructorDeclarationSyntax or OperatorDeclarationSyntax or ConversionOperatorDeclarationSyntax or IndexerDeclarationSyntax:
                        continue;
                    case BaseTypeDeclarationSyntax or DelegateDeclarationSyntax or MethodDeclarationSyntax or PropertyDeclarationSyntax or EventDeclarationSyntax or BaseFieldDeclarationSyntax:
                        return true;
                    default:
                        return !union.GetMembers(name).IsEmpty;
                }
            }
        }

        return false;
    }

    /// <summary>
    /// Whether a record the union derives from has a member named <paramref name="name"/>: the variants' property of that
    /// name is (or hides) the inherited one, which a lifted abstract property would hide (CS0108, CS0114).
    /// </summary>
    private static bool Inherits(INamedTypeSymbol union, string name)
    {
        for (var type = union.BaseType; type is not null && type.SpecialType != SpecialType.System_Object; type = type.BaseType)
        {
            if (!type.GetMembers(name).IsEmpty)
            {
                return true;
            }
        }

        return false;
    }

    // The members a record synthesizes, which its declarations do not show.
    private static readonly HashSet<string> s_recordMembers = new(StringComparer.Ordinal)
    {
        "EqualityContract", "Equals", "GetHashCode", "ToString", "PrintMembers", "Deconstruct",
    };

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
            containers.Push($"partial {keyword} {Naming.Identifier(container.Name)}");
        }

        return containers;
    }

    // The kind enum and the converter are the union's siblings; the union's Kind property and the converter's members
    // use both types, so the siblings are exactly as accessible as the union (CS0050-CS0053 otherwise).
    private static string SiblingAccess(INamedTypeSymbol union)
    {
        if (IsEffectivelyPublic(union))
        {
            return "public";
        }

        return union.DeclaredAccessibility switch
        {
            Accessibility.Private => "private",
            Accessibility.Protected => "protected",
            Accessibility.ProtectedOrInternal => "protected internal",
            Accessibility.ProtectedAndInternal => "private protected",
            _ => "internal",
        };
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
