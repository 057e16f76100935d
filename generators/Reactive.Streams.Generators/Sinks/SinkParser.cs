using Reactive.Streams.Generators.Internal;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Reactive.Streams.Generators.Model;
using Reactive.Streams.Generators.Unions;

namespace Reactive.Streams.Generators.Sinks;

/// <summary>Turns a <c>[StreamSink(typeof(TUnion))]</c> class into a <see cref="SinkModel"/> and its diagnostics.</summary>
internal static class SinkParser
{
    public const string StreamSinkAttribute = "Reactive.Streams.StreamSinkAttribute";
    private const string BackpressureAttribute = "Reactive.Streams.BackpressureAttribute";
    private const string BackpressureBlock = "Reactive.Streams.BackpressureBlock`1";
    private const string ObsoleteAttribute = "System.ObsoleteAttribute";
    private const string ExperimentalAttribute = "System.Diagnostics.CodeAnalysis.ExperimentalAttribute";
    private const string ConditionalAttribute = "System.Diagnostics.ConditionalAttribute";
    private const string AsyncStateMachineAttribute = "System.Runtime.CompilerServices.AsyncStateMachineAttribute";
    private const int DefaultCapacity = 1024;

    private static readonly string[] s_policies = { "DropOldest", "DegradeQuality", "PauseUpstream", "Fail" };

    public static SinkResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        var sink = (INamedTypeSymbol)context.TargetSymbol;
        var syntax = (TypeDeclarationSyntax)context.TargetNode;
        var identifier = LocationInfo.From(syntax.Identifier.GetLocation());
        var diagnostics = new List<DiagnosticInfo>();

        // [StreamSink] on two parts of one partial class (CS0579) matches twice: the part with the first one generates.
        var first = sink.GetAttributes().FirstOrDefault(static a => a.AttributeClass?.ToDisplayString() == StreamSinkAttribute)?.ApplicationSyntaxReference;
        var mine = context.Attributes.FirstOrDefault()?.ApplicationSyntaxReference;
        if (syntax.Identifier.IsMissing || (first is not null && mine is not null && (first.SyntaxTree != mine.SyntaxTree || first.Span != mine.Span)))
        {
            return new SinkResult(null, EquatableArray<DiagnosticInfo>.Empty);
        }

        var problem = ShapeProblem(sink, syntax);
        var union = context.Attributes[0].ConstructorArguments.FirstOrDefault().Value as INamedTypeSymbol;
        if (problem is null && (union is null || !union.GetAttributes().Any(static a => a.AttributeClass?.ToDisplayString() == UnionParser.EventUnionAttribute)))
        {
            problem = $"given a type marked [EventUnion] in [StreamSink] (found '{union?.Name ?? "nothing"}')";
        }

        if (problem is null && union!.DeclaringSyntaxReferences.IsEmpty && !HasGeneratedFallback(union))
        {
            // A union of a referenced assembly built without the generator (its package's analyzers excluded): the adapters
            // would name its fallback variant, which that assembly never got.
            problem = $"given a union whose generated members exist ('{union.Name}' is declared in '{union.ContainingAssembly?.Name}', which was built without the Reactive.Streams generator; build it with the generator)";
        }

        if (problem is null && IsMoreAccessibleThan(sink, union!))
        {
            // The generated members are public and take the union: CS0050/CS0051 in code the user cannot edit.
            problem = $"no more accessible than its event union '{union!.Name}', which the generated public members take";
        }

        if (problem is not null)
        {
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.UnionNotPartial, identifier, sink.Name, problem));
            return new SinkResult(null, diagnostics.ToEquatableArray());
        }

        var unionName = union!.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);
        var handlers = new List<HandlerModel>();
        foreach (var variant in UnionParser.VariantSymbols(union))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var handler = FindHandler(sink, variant, variant.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat), "On" + variant.Name, diagnostics, context.SemanticModel.Compilation);
            if (handler is null)
            {
                if (!HandlerCandidates(sink, "On" + variant.Name, context.SemanticModel.Compilation).Any() && ExplicitImplementation(sink, "On" + variant.Name, variant.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat)) is null)
                {
                    diagnostics.Add(DiagnosticInfo.Create(Diagnostics.MissingHandler, identifier, sink.Name, variant.Name, union.Name));
                }

                continue;
            }

            // An [Experimental] variant is named by the generated dispatch as well: its ids are suppressed with the handler's.
            handlers.Add(handler with { ExperimentalIds = string.Join(", ", handler.ExperimentalIds.Split(new[] { ", " }, StringSplitOptions.RemoveEmptyEntries).Concat(ExperimentalIdsOf(variant)).Distinct(StringComparer.Ordinal).OrderBy(static id => id, StringComparer.Ordinal)) });
        }

        var fallbackName = UnionParser.IsPayloadless(union) ? "Other" : "Unknown";
        var fallbackType = unionName + "." + fallbackName;
        // The generated Unknown/Other variant is not in this compilation: the union stands for it when a call's overloads are weighed.
        var fallback = FindHandler(sink, union, fallbackType, "On" + fallbackName, diagnostics, context.SemanticModel.Compilation);

        string? policy = null;
        var capacity = DefaultCapacity;
        string? degrader = null;
        var backpressure = sink.GetAttributes().FirstOrDefault(static a => a.AttributeClass?.ToDisplayString() == BackpressureAttribute);
        if (backpressure is not null && backpressure.ConstructorArguments.Length == 1 &&
            backpressure.ConstructorArguments[0].Value is int policyValue && policyValue >= 0 && policyValue < s_policies.Length)
        {
            policy = s_policies[policyValue];
            foreach (var named in backpressure.NamedArguments)
            {
                if (named.Key == "Capacity" && named.Value.Value is int declared)
                {
                    capacity = declared;
                }
                else if (named.Key == "Degrader" && named.Value.Value is string { Length: > 0 } name)
                {
                    if (DegraderProblem(sink, union, name) is { } degraderProblem)
                    {
                        var at = LocationInfo.From(backpressure.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation()) ?? identifier;
                        diagnostics.Add(DiagnosticInfo.Create(Diagnostics.WrongDegrader, at, name, sink.Name, union.ToDisplayString(), degraderProblem));
                    }
                    else
                    {
                        degrader = name;
                    }
                }
            }
        }

        foreach (var generated in s_generatedSinkMembers)
        {
            if (sink.GetMembers(generated).FirstOrDefault() is { } taken)
            {
                diagnostics.Add(DiagnosticInfo.Create(
                    Diagnostics.UnusableName,
                    LocationInfo.From(taken.Locations.FirstOrDefault()) ?? identifier,
                    generated,
                    "stream sink '" + sink.Name + "'",
                    "is the name of a member the generator adds to the sink"));
            }
            else if (InheritedMember(sink, generated, context.SemanticModel.Compilation) is { } inherited)
            {
                diagnostics.Add(DiagnosticInfo.Create(
                    Diagnostics.UnusableName,
                    identifier,
                    generated,
                    "stream sink '" + sink.Name + "'",
                    "is the name of a member the generator adds to the sink, which would hide the one inherited from '" + inherited.ContainingType.Name + "'"));
            }
        }

        if (Array.IndexOf(s_generatedSinkMembers, sink.Name) >= 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(
                Diagnostics.UnusableName,
                identifier,
                sink.Name,
                "stream sink '" + sink.Name + "'",
                "is the name of a member the generator adds to the sink, which a member cannot share with its class"));
        }
        else if (UnionParser.IsContextualKeyword(sink.Name))
        {
            // The generated part names the sink bare ('partial class required' is CS9029, 'readonly file _sink' no field).
            diagnostics.Add(DiagnosticInfo.Create(
                Diagnostics.UnusableName,
                identifier,
                sink.Name,
                "stream sink '" + sink.Name + "'",
                "is a contextual keyword, which the generated code would read as that keyword"));
        }

        // A sink of a union the generator refused (its diagnostics say why) gets no code either: its adapters would name the
        // union's generated members (Unknown/Other), which do not exist.
        var hasErrors = diagnostics.Count > 0;
        var languageVersion = (syntax.SyntaxTree.Options as CSharpParseOptions)?.LanguageVersion ?? LanguageVersion.Latest;
        var model = hasErrors || !UnionParser.GeneratesMembers(union, context.SemanticModel.Compilation, cancellationToken)
            ? null
            : new SinkModel(
                Namespace: sink.ContainingNamespace.IsGlobalNamespace ? string.Empty : sink.ContainingNamespace.ToDisplayString(),
                ContainingTypes: UnionParser.ContainingTypes(sink).ToEquatableArray(),
                Name: sink.Name,
                UnionTypeName: unionName,
                Handlers: handlers.ToEquatableArray(),
                FallbackTypeName: fallbackType,
                FallbackHandler: fallback,
                Policy: policy,
                Capacity: capacity,
                DegraderName: degrader,
                HasDataflowBlock: HasAccessibleType(context.SemanticModel.Compilation, BackpressureBlock),
                FileScopedNamespace: languageVersion >= LanguageVersion.CSharp10,
                SuppressedWarnings: DeprecationWarnings(union, degrader is null ? Enumerable.Empty<IMethodSymbol>() : sink.GetMembers(degrader).OfType<IMethodSymbol>()),
                HasCaseTwin: Naming.HasCaseTwin(sink));
        return new SinkResult(model, diagnostics.ToEquatableArray());
    }

    // Not GetTypeByMetadataName, which answers null when two references define the name (a test double, an embedded copy):
    // what the generated code needs is one it can name.
    private static bool HasAccessibleType(Compilation compilation, string metadataName)
        => compilation.GetTypesByMetadataName(metadataName).Any(type => compilation.IsSymbolAccessibleWithin(type, compilation.Assembly));

    /// <summary>Whether a union from metadata has the fallback variant (<c>Unknown</c> or <c>Other</c>) the generator adds.</summary>
    private static bool HasGeneratedFallback(INamedTypeSymbol union)
        => union.GetTypeMembers().Any(m => m.Name is "Unknown" or "Other" && SymbolEqualityComparer.Default.Equals(m.BaseType, union));

    private static string? ShapeProblem(INamedTypeSymbol sink, TypeDeclarationSyntax syntax)
    {
        if (sink.TypeKind != TypeKind.Class || sink.IsRecord || sink.IsStatic)
        {
            return "a partial class";
        }

        if (sink.IsFileLocal)
        {
            // The generated part is in another file, where a file-local class is out of reach.
            return "a partial class that is not file-local";
        }

        return TypeShape.PartialNonGenericProblem(sink, syntax);
    }

    /// <summary>
    /// The handler the generated call <c>{name}(item)</c> (or <c>{name}(item, cancellationToken)</c>) runs: the first
    /// candidate of a handler's shape that the call binds to, provided no other method of its class is one too (then
    /// which one ran would depend on declaration order, and the other would never run: each gets RXS1005).
    /// <paramref name="argumentType"/> is the type of the item the call passes (the union for the generated fallback
    /// variant, which this compilation does not have yet).
    /// </summary>
    private static HandlerModel? FindHandler(INamedTypeSymbol sink, ITypeSymbol argumentType, string variantTypeName, string name, List<DiagnosticInfo> diagnostics, Compilation compilation)
    {
        var candidates = HandlerCandidates(sink, name, compilation).ToList();
        var problems = new List<(Location? Location, string Problem)>();
        var obsoleteContext = candidates.Count > 0 && IsInObsoleteContext(sink);
        IMethodSymbol? chosen = null;
        var twins = new List<IMethodSymbol>();
        foreach (var method in candidates)
        {
            // Once a handler is chosen, only the other methods of its class are looked at, for a second usable handler.
            var looking = chosen is null;
            if (!looking && !SymbolEqualityComparer.Default.Equals(method.ContainingType, chosen!.ContainingType))
            {
                continue;
            }

            var problem = HandlerProblem(method, variantTypeName) ?? (obsoleteContext ? null : ObsoleteAsErrorProblem(method));
            if (problem is null && !looking)
            {
                if (AsyncVoidImplementation(sink, method) is null && Interloper(sink, method, argumentType, compilation) is null)
                {
                    twins.Add(method);
                }

                continue;
            }

            if (problem is null && AsyncVoidImplementation(sink, method) is { } asyncVoid)
            {
                // The call compiles and runs, but returns at the handler's first await: nothing can wait for it or see its exception.
                problems.Add((
                    asyncVoid.Locations.FirstOrDefault(),
                    $"'{asyncVoid.ContainingType.Name}.{name}', which the generated call runs, is 'async void', so the adapters cannot wait for it or see its exception: an item would count as handled (and be committed) at its first await, " +
                    "and its exception would crash the process; return ValueTask instead ('async ValueTask')"));
                continue;
            }

            if (problem is null && Interloper(sink, method, argumentType, compilation) is { } interloper)
            {
                // C# overload resolution drops every method of a base class when a more derived class declares one that
                // applies (an override belongs to the class of the method it overrides): the call would compile, and run it.
                var root = Root(method).ContainingType.Name;
                var call = method.Parameters.Length == 2 ? "item, cancellationToken" : "item";
                problems.Add((
                    interloper.Locations.FirstOrDefault(static l => l.IsInSource) ?? method.Locations.FirstOrDefault(),
                    $"the generated call '{name}({call})' would run '{interloper.ToDisplayString(SymbolDisplayFormat.CSharpShortErrorMessageFormat)}' " +
                    $"instead of '{root}.{name}', because C# prefers a method that accepts the call declared in a class deriving from '{root}'; " +
                    $"rename that method, or declare the handler in '{sink.Name}' itself"));
                continue;
            }

            if (problem is null)
            {
                chosen = method;
                continue;
            }

            problems.Add((method.Locations.FirstOrDefault(), problem));
        }

        if (chosen is not null && twins.Count == 0)
        {
            return new HandlerModel(
                variantTypeName,
                name,
                IsAsync: !chosen.ReturnsVoid,
                TakesCancellationToken: chosen.Parameters.Length == 2,
                ExperimentalIds: ExperimentalIds(chosen));
        }

        if (chosen is not null)
        {
            // Two usable handlers of one class: the generator would call the one declared first (in the compilation's file
            // order, for a class in several files) and the other would never run. Each gets the same diagnostic.
            problems.Clear();
            var all = twins.Prepend(chosen).ToList();
            var shapes = string.Join(", ", all.Select(static m => m.ToDisplayString(SymbolDisplayFormat.CSharpShortErrorMessageFormat)).OrderBy(static d => d, StringComparer.Ordinal).Select(static d => "'" + d + "'"));
            foreach (var method in all)
            {
                problems.Add((
                    method.Locations.FirstOrDefault(),
                    $"'{chosen.ContainingType.Name}' has {all.Count} handlers for the variant ({shapes}), and the generated call would run only one of them; keep one (a handler that takes a CancellationToken may ignore it)"));
            }
        }

        if (candidates.Count == 0 && ExplicitImplementation(sink, name, variantTypeName) is { } explicitImplementation)
        {
            // Its name is the interface's member's, qualified: GetMembers(name) does not see it, and a call by name cannot reach it.
            var implemented = explicitImplementation.ExplicitInterfaceImplementations.First(m => m.Name == name);
            problems.Add((
                explicitImplementation.Locations.FirstOrDefault(),
                $"it is an explicit implementation of '{implemented.ContainingType.Name}.{name}', which the generated call '{name}(item)' cannot reach; implement that member with a method named '{name}' instead"));
        }

        // An override and the method it overrides are both candidates: the same interloper is reported once.
        foreach (var (location, problem) in problems.Distinct())
        {
            diagnostics.Add(DiagnosticInfo.Create(
                Diagnostics.WrongHandlerSignature,
                LocationInfo.From(location),
                name,
                sink.Name,
                variantTypeName.Replace("global::", string.Empty),
                problem));
        }

        return null;
    }

    /// <summary>
    /// The <c>async void</c> method a call to <paramref name="method"/> on the sink runs, or null: the method itself or its
    /// most derived override between the sink and the method's class (a virtual call runs that one). <c>async</c> is read
    /// from source, or from the <c>AsyncStateMachine</c> attribute the compiler puts on an async method of metadata.
    /// </summary>
    private static IMethodSymbol? AsyncVoidImplementation(INamedTypeSymbol sink, IMethodSymbol method)
    {
        var runs = method;
        for (var type = sink; type is not null && !SymbolEqualityComparer.Default.Equals(type, method.ContainingType); type = type.BaseType)
        {
            var found = type.GetMembers(method.Name).OfType<IMethodSymbol>().FirstOrDefault(m => Overrides(m, method));
            if (found is not null)
            {
                runs = found;
                break;
            }
        }

        return runs.ReturnsVoid && (runs.IsAsync || runs.GetAttributes().Any(static a => a.AttributeClass?.ToDisplayString() == AsyncStateMachineAttribute))
            ? runs
            : null;
    }

    private static bool Overrides(IMethodSymbol method, IMethodSymbol overridden)
    {
        for (var current = method.OverriddenMethod; current is not null; current = current.OverriddenMethod)
        {
            if (SymbolEqualityComparer.Default.Equals(current, overridden))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The method <paramref name="method"/> overrides first: overload resolution counts an override as its member, and a
    /// call binds to it, so its attributes ([Obsolete], [Experimental], [Conditional]) are the ones that count.
    /// </summary>
    private static IMethodSymbol Root(IMethodSymbol method)
    {
        var root = method;
        while (root.OverriddenMethod is { } overridden)
        {
            root = overridden;
        }

        return root;
    }

    /// <summary>
    /// A member the generated call to <paramref name="handler"/> would bind to instead: a method the sink can call, declared
    /// (not overriding) in the sink or a base class deriving from the handler's class, that the call's arguments could
    /// apply to, or any other member of the name there (a delegate field, say). C# removes the methods of a base class from
    /// the candidates as soon as a more derived class has an applicable one. A generic method's parameters are taken to
    /// accept anything: inference is not redone here, and
    /// constraints do not matter (C# picks such a method before checking them, and the call then fails, CS0453/CS0311).
    /// </summary>
    private static ISymbol? Interloper(INamedTypeSymbol sink, IMethodSymbol handler, ITypeSymbol argumentType, Compilation compilation)
    {
        var declaring = Root(handler).ContainingType;
        if (SymbolEqualityComparer.Default.Equals(declaring, sink))
        {
            return null;
        }

        var derived = new List<INamedTypeSymbol>();
        for (var type = sink; type is not null && !SymbolEqualityComparer.Default.Equals(type, declaring); type = type.BaseType)
        {
            derived.Add(type);
        }

        var arguments = handler.Parameters.Length == 2
            ? new[] { argumentType, handler.Parameters[1].Type }
            : new[] { argumentType };
        foreach (var type in derived)
        {
            foreach (var member in type.GetMembers(handler.Name))
            {
                if (!SymbolEqualityComparer.Default.Equals(type, sink) && !compilation.IsSymbolAccessibleWithin(member, sink))
                {
                    continue;
                }

                // A field, property or event of the name hides every inherited method of it: the call invokes its delegate.
                if (member is not IMethodSymbol method ||
                    (derived.Contains(Root(method).ContainingType, SymbolEqualityComparer.Default) && Accepts(method, arguments, compilation)))
                {
                    return member;
                }
            }
        }

        return null;
    }

    /// <summary>Whether <paramref name="method"/> could be applicable to arguments of <paramref name="arguments"/>' types, in its normal or expanded (params) form.</summary>
    private static bool Accepts(IMethodSymbol method, ITypeSymbol[] arguments, Compilation compilation)
    {
        var parameters = method.Parameters;
        var normal = arguments.Length <= parameters.Length
            && parameters.Skip(arguments.Length).All(static p => p.IsOptional || p.IsParams)
            && arguments.Select((a, i) => Converts(a, parameters[i], parameters[i].Type, compilation)).All(static ok => ok);
        if (normal || parameters.Length == 0 || !parameters[parameters.Length - 1].IsParams || parameters[parameters.Length - 1].Type is not IArrayTypeSymbol array)
        {
            return normal;
        }

        var fixedCount = parameters.Length - 1;
        return arguments.Length >= fixedCount
            && arguments.Select((a, i) => i < fixedCount ? Converts(a, parameters[i], parameters[i].Type, compilation) : Converts(a, parameters[fixedCount], array.ElementType, compilation)).All(static ok => ok);
    }

    private static bool Converts(ITypeSymbol argument, IParameterSymbol parameter, ITypeSymbol target, Compilation compilation)
        => parameter.RefKind is RefKind.None or RefKind.In or RefKind.RefReadOnlyParameter
            && (target.TypeKind == TypeKind.Error || ContainsTypeParameter(target) || compilation.ClassifyConversion(argument, target).IsImplicit);

    private static bool ContainsTypeParameter(ITypeSymbol type) => type switch
    {
        ITypeParameterSymbol => true,
        IArrayTypeSymbol array => ContainsTypeParameter(array.ElementType),
        INamedTypeSymbol named => named.TypeArguments.Any(ContainsTypeParameter),
        _ => false,
    };

    /// <summary>
    /// Methods named <paramref name="name"/> on the sink or inherited from a base class that the sink can call: not private
    /// there, and not kept to another assembly (<c>internal</c> or <c>private protected</c> in a base class of a referenced
    /// assembly, CS0122 in the generated call).
    /// </summary>
    private static IEnumerable<IMethodSymbol> HandlerCandidates(INamedTypeSymbol sink, string name, Compilation compilation)
    {
        for (var type = sink; type is not null && type.SpecialType != SpecialType.System_Object; type = type.BaseType)
        {
            foreach (var method in type.GetMembers(name).OfType<IMethodSymbol>())
            {
                if (SymbolEqualityComparer.Default.Equals(type, sink) ||
                    (method.DeclaredAccessibility != Accessibility.Private && compilation.IsSymbolAccessibleWithin(method, sink)))
                {
                    yield return method;
                }
            }
        }
    }

    /// <summary>
    /// An explicit interface implementation of a handler's name and shape (<c>void IOrderHandlers.OnPlaced(Order.Placed)</c>)
    /// on the sink or a base class: a handler to its author, but no member the generated call <c>{name}(item)</c> can reach.
    /// One of another shape (an unrelated <c>IFoo.OnOther(int)</c> in a base class) is none of the sink's business.
    /// </summary>
    private static IMethodSymbol? ExplicitImplementation(INamedTypeSymbol sink, string name, string variantTypeName)
    {
        for (var type = sink; type is not null && type.SpecialType != SpecialType.System_Object; type = type.BaseType)
        {
            foreach (var member in type.GetMembers())
            {
                if (member is IMethodSymbol { MethodKind: MethodKind.ExplicitInterfaceImplementation } method && method.ExplicitInterfaceImplementations.Any(m => m.Name == name) && HandlerProblem(method, variantTypeName) is null)
                {
                    return method;
                }
            }
        }

        return null;
    }

    private static string? HandlerProblem(IMethodSymbol method, string variantTypeName)
    {
        if (method.IsStatic)
        {
            return "it is static";
        }

        if (method.IsGenericMethod)
        {
            return "it is generic";
        }

        if (IsUnimplementedPartial(method))
        {
            return "it is a partial method without an implementation, so the compiler would remove the generated call to it and drop the variant; " +
                "implement it, or declare it 'private partial void', which the compiler requires to be implemented";
        }

        if (IsConditional(method))
        {
            return "it is [Conditional], so the generated call to it would be compiled only where its symbol is defined and the variant dropped elsewhere";
        }

        if (!method.ReturnsVoid && method.ReturnType.ToDisplayString() != "System.Threading.Tasks.ValueTask")
        {
            return $"it returns '{method.ReturnType.ToDisplayString()}'";
        }

        if (method.Parameters.Length is < 1 or > 2)
        {
            return $"it takes {method.Parameters.Length} parameters";
        }

        var item = method.Parameters[0];
        var itemTypeName = item.Type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);

        // The generated Unknown/Other variant does not exist in the compilation the generator sees: the handler's
        // parameter is an error type then, recognised by its name.
        var isGeneratedFallback = item.Type.TypeKind == TypeKind.Error &&
            variantTypeName.EndsWith("." + item.Type.Name, StringComparison.Ordinal);
        if (item.RefKind != RefKind.None || (itemTypeName != variantTypeName && !isGeneratedFallback))
        {
            return $"its first parameter is '{item.Type.ToDisplayString()}'";
        }

        if (method.Parameters.Length == 2 &&
            (method.Parameters[1].RefKind != RefKind.None || method.Parameters[1].Type.ToDisplayString() != "System.Threading.CancellationToken"))
        {
            return $"its second parameter is '{method.Parameters[1].Type.ToDisplayString()}'";
        }

        return null;
    }

    /// <summary>
    /// Why the generated <c>DispatchAsync</c>'s call to <paramref name="method"/> would not compile: it is (or overrides)
    /// a method marked <c>[Obsolete(..., error: true)]</c>, CS0619, which no <c>#pragma</c> suppresses (the emitter's
    /// covers CS0612 and CS0618, the warnings). A call binds to the method an override overrides first, so its
    /// attribute is the one that counts (the compiler ignores one on the override, CS0809).
    /// </summary>
    private static string? ObsoleteAsErrorProblem(IMethodSymbol method)
    {
        var bound = Root(method);

        if (!IsObsoleteAsError(bound))
        {
            return null;
        }

        var what = SymbolEqualityComparer.Default.Equals(bound, method)
            ? "it is marked [Obsolete] as an error"
            : $"it overrides '{bound.ContainingType.Name}.{bound.Name}', which is marked [Obsolete] as an error";
        return what + ", so the generated code that calls it would not compile (CS0619)";
    }

    /// <summary>
    /// The diagnostic ids a call to <paramref name="method"/> reports because it, the method it overrides first (to which
    /// a call binds) or a type containing that one is <c>[Experimental]</c>: an error by default, even in the declaring
    /// assembly, unlike <c>[Obsolete]</c>'s warnings. The handler is the sink's own, so the generated call suppresses
    /// them, as it does the obsolete warnings. An id that cannot be written in a <c>#pragma</c> is left out (the call
    /// then reports it, as a hand-written one would).
    /// </summary>
    private static string ExperimentalIds(IMethodSymbol method)
    {
        var bound = Root(method);

        return string.Join(", ", ExperimentalIdsOf(bound));
    }

    /// <summary>The <c>[Experimental]</c> ids of <paramref name="start"/> and the types containing it that a <c>#pragma</c> can name.</summary>
    private static SortedSet<string> ExperimentalIdsOf(ISymbol start)
    {
        var ids = new SortedSet<string>(StringComparer.Ordinal);
        for (ISymbol? symbol = start; symbol is IMethodSymbol or INamedTypeSymbol; symbol = symbol.ContainingType)
        {
            foreach (var attribute in symbol.GetAttributes())
            {
                if (attribute.AttributeClass?.ToDisplayString() == ExperimentalAttribute
                    && attribute.ConstructorArguments.Length == 1
                    && attribute.ConstructorArguments[0].Value is string id
                    && id.Length > 0
                    && id.All(static c => char.IsLetterOrDigit(c) || c == '_'))
                {
                    ids.Add(id);
                }
            }
        }

        return ids;
    }

    /// <summary>
    /// The warnings the sink's generated file raises by naming the union (its type, containing types and variants) and the
    /// degrader when one of them is <c>[Obsolete]</c> (CS0612, CS0618) or <c>[Experimental]</c> (its id), comma-separated, or
    /// empty. The union's own generated file suppresses the same; an <c>[Obsolete]</c> error on the union or a variant gets
    /// the sink no model (the union is refused), and one on the degrader is RXS1007.
    /// </summary>
    private static string DeprecationWarnings(INamedTypeSymbol union, IEnumerable<IMethodSymbol> degraders)
    {
        var named = new List<ISymbol>();
        for (var type = union; type is not null; type = type.ContainingType)
        {
            named.Add(type);
        }

        named.AddRange(UnionParser.VariantSymbols(union));
        named.AddRange(degraders);
        var warnings = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var symbol in named)
        {
            if (symbol.GetAttributes().Any(static a => a.AttributeClass?.ToDisplayString() == ObsoleteAttribute))
            {
                warnings.Add("CS0612");
                warnings.Add("CS0618");
            }

            warnings.UnionWith(ExperimentalIdsOf(symbol));
        }

        return string.Join(", ", warnings);
    }

    /// <summary>
    /// Whether a call to <paramref name="method"/> is compiled only where a symbol is defined: it, or the method it overrides
    /// first (an override of a <c>[Conditional]</c> method is conditional too, CS0243), carries <c>[Conditional]</c>.
    /// </summary>
    private static bool IsConditional(IMethodSymbol method)
    {
        var bound = Root(method);

        return bound.GetAttributes().Any(static a => a.AttributeClass?.ToDisplayString() == ConditionalAttribute);
    }

    /// <summary>
    /// Whether <paramref name="method"/> is a partial method declared without an access modifier and implemented nowhere:
    /// C# removes every call to such a method (as to a <c>[Conditional]</c> one whose symbol is not defined). One declared
    /// with an access modifier must be implemented (CS8795), so its calls always stay.
    /// </summary>
    private static bool IsUnimplementedPartial(IMethodSymbol method)
        => method.IsPartialDefinition
            && method.PartialImplementationPart is null
            && method.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax() is MethodDeclarationSyntax declaration
            && !declaration.Modifiers.Any(static m => m.Kind() is SyntaxKind.PublicKeyword or SyntaxKind.PrivateKeyword or SyntaxKind.ProtectedKeyword or SyntaxKind.InternalKeyword);

    private static bool IsObsoleteAsError(ISymbol symbol)
    {
        foreach (var attribute in symbol.GetAttributes())
        {
            if (attribute.AttributeClass?.ToDisplayString() == ObsoleteAttribute
                && attribute.ConstructorArguments.Length == 2
                && attribute.ConstructorArguments[1].Value is true)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Whether the sink or a type containing it is <c>[Obsolete]</c>: the compiler reports no use of an obsolete member
    /// inside an obsolete type, and the generated code is inside the sink.
    /// </summary>
    private static bool IsInObsoleteContext(INamedTypeSymbol sink)
    {
        for (var type = sink; type is not null; type = type.ContainingType)
        {
            if (type.GetAttributes().Any(static a => a.AttributeClass?.ToDisplayString() == ObsoleteAttribute))
            {
                return true;
            }
        }

        return false;
    }

    // The sink's buffer holds the union, so its degrader maps a union to a union; any other shape would only be found
    // missing at the first overflow (MissingDegraderException), so it is refused here.
    // Members the sink emitter adds to the sink class (the Dataflow ones too, whether or not Dataflow is referenced, so
    // adding the reference later does not break the build).
    private static readonly string[] s_generatedSinkMembers =
    {
        "DispatchAsync", "CreateStreamOptions", "CreateObserver", "Observer", "CreateDeliverySink", "DeliverySink", "CreateTarget", "Target",
    };

    /// <summary>
    /// Whether code outside <paramref name="union"/>'s accessibility domain can see <paramref name="sink"/>: each
    /// restriction on the union or a type containing it must be matched by one at least as narrow on the sink's side.
    /// </summary>
    private static bool IsMoreAccessibleThan(INamedTypeSymbol sink, INamedTypeSymbol union)
    {
        for (var type = union; type is not null; type = type.ContainingType)
        {
            var container = type.ContainingType;
            var fits = type.DeclaredAccessibility switch
            {
                Accessibility.Public => true,
                Accessibility.Internal => SinkIsWithinAssembly(sink),
                Accessibility.ProtectedOrInternal => SinkIsWithinAssembly(sink) || SinkIsWithin(sink, container, derived: true),
                Accessibility.ProtectedAndInternal => SinkIsWithinAssembly(sink) && SinkIsWithin(sink, container, derived: true),
                Accessibility.Protected => SinkIsWithin(sink, container, derived: true),
                Accessibility.Private => SinkIsWithin(sink, container, derived: false),
                _ => true,
            };
            if (!fits)
            {
                return true;
            }
        }

        return false;
    }

    private static bool SinkIsWithinAssembly(INamedTypeSymbol sink) => TypeShape.IsConfinedToAssembly(sink);

    /// <summary>Whether the sink is seen only inside <paramref name="container"/> (and, when <paramref name="derived"/>, the types deriving from it).</summary>
    private static bool SinkIsWithin(INamedTypeSymbol sink, INamedTypeSymbol? container, bool derived)
    {
        if (container is null)
        {
            return true;
        }

        for (var type = sink; type is not null; type = type.ContainingType)
        {
            var narrow = type.DeclaredAccessibility == Accessibility.Private ||
                (derived && type.DeclaredAccessibility is Accessibility.Protected or Accessibility.ProtectedAndInternal);
            if (narrow && IsInsideOrDerived(type.ContainingType, container, derived))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsInsideOrDerived(INamedTypeSymbol? type, INamedTypeSymbol container, bool derived)
    {
        for (; type is not null; type = type.ContainingType)
        {
            for (var candidate = type; candidate is not null; candidate = derived ? candidate.BaseType : null)
            {
                if (SymbolEqualityComparer.Default.Equals(candidate.OriginalDefinition, container.OriginalDefinition))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>A member named <paramref name="name"/> that <paramref name="sink"/> inherits and can see (a generated one would hide it, CS0108).</summary>
    private static ISymbol? InheritedMember(INamedTypeSymbol sink, string name, Compilation compilation)
    {
        for (var type = sink.BaseType; type is not null && type.SpecialType != SpecialType.System_Object; type = type.BaseType)
        {
            foreach (var member in type.GetMembers(name))
            {
                if (compilation.IsSymbolAccessibleWithin(member, sink))
                {
                    return member;
                }
            }
        }

        return null;
    }

    // How a parameter is passed, as its declaration writes it ("in ", "ref readonly ", ...).
    private static string RefKeyword(RefKind kind) => kind switch
    {
        RefKind.Ref => "ref ",
        RefKind.Out => "out ",
        RefKind.In => "in ",
        RefKind.None => string.Empty,
        _ => "ref readonly ",
    };

    private static string? DegraderProblem(INamedTypeSymbol sink, INamedTypeSymbol union, string name)
    {
        var methods = sink.GetMembers(name).OfType<IMethodSymbol>().ToList();
        if (methods.Count == 0)
        {
            for (var type = sink.BaseType; type is not null; type = type.BaseType)
            {
                if (type.GetMembers(name).OfType<IMethodSymbol>().Any())
                {
                    return $"'{name}' is declared in '{type.Name}', not in the sink";
                }
            }

            return "the sink has no method of that name";
        }

        string? problem = null;
        var obsoleteContext = IsInObsoleteContext(sink);
        foreach (var method in methods)
        {
            problem = !method.IsStatic ? "it is not static"
                : method.Parameters.Length != 1 ? $"it takes {method.Parameters.Length} parameters"
                : method.Parameters[0].RefKind != RefKind.None || !SymbolEqualityComparer.Default.Equals(method.Parameters[0].Type, union)
                    ? $"its parameter is '{RefKeyword(method.Parameters[0].RefKind)}{method.Parameters[0].Type.ToDisplayString()}'"
                : !SymbolEqualityComparer.Default.Equals(method.ReturnType, union) ? $"it returns '{method.ReturnType.ToDisplayString()}'"
                // A ref return does not convert to the Func<TUnion, TUnion> the generated options hand the buffer (CS8189).
                : method.RefKind != RefKind.None ? $"it returns by reference ('{(method.ReturnsByRefReadonly ? "ref readonly " : "ref ")}{method.ReturnType.ToDisplayString()}')"
                // The buffer holds non-null union values: a degrader that may return null does not convert to Func<TUnion, TUnion> (CS8621).
                : method.ReturnNullableAnnotation == NullableAnnotation.Annotated ? $"it returns '{method.ReturnType.ToDisplayString()}'"
                : !obsoleteContext && IsObsoleteAsError(method) ? "it is marked [Obsolete] as an error, so the generated options that name it would not compile (CS0619)"
                : null;
            if (problem is null)
            {
                return null;
            }
        }

        return problem;
    }
}
