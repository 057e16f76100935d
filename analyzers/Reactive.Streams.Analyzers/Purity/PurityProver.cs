using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using Reactive.Streams.Analyzers.Infrastructure;

namespace Reactive.Streams.Analyzers.Purity;

/// <summary>Why a degrader is not pure: the effect, where it is, and the call path from the degrader to it.</summary>
internal sealed class PurityViolation
{
    internal PurityViolation(string effect, Location location, ImmutableArray<string> path, bool isCapturedRead)
    {
        Effect = effect;
        Location = location;
        Path = path;
        IsCapturedRead = isCapturedRead;
    }

    internal string Effect { get; }

    internal Location Location { get; }

    /// <summary>The methods from the degrader down to the one holding the effect.</summary>
    internal ImmutableArray<string> Path { get; }

    /// <summary>The effect is a read of state captured by a lambda (making the lambda static is the fix).</summary>
    internal bool IsCapturedRead { get; }

    internal PurityViolation Prepend(string method) => new(Effect, Location, Path.Insert(0, method), IsCapturedRead);

    /// <summary><c>Halve → Scale → writes static field 'Counters.Total' (Counters.cs:12)</c></summary>
    internal string Describe()
    {
        var span = Location.GetLineSpan();
        var file = System.IO.Path.GetFileName(span.Path);
        var where = string.IsNullOrEmpty(file)
            ? string.Empty
            : " (" + file + ":" + (span.StartLinePosition.Line + 1).ToString(CultureInfo.InvariantCulture) + ")";
        return string.Join(" \u2192 ", Path) + (Path.IsEmpty ? string.Empty : " \u2192 ") + Effect + where;
    }
}

/// <summary>
/// Proves degraders free of effects over <see cref="IOperation"/>. One prover lives per compilation (and per set of
/// user-declared pure members); verdicts on methods are cached so a helper shared by many degraders is read once.
/// Recursion and cycles are handled co-inductively (a method in progress is assumed pure, and a verdict that relied
/// on that assumption is not cached), and calls deeper than <see cref="MaxDepth"/> are not proved. An expression nested
/// deeper than <see cref="MaxNesting"/> operations in one body is not proved either: the bound, not the stack size of
/// whichever thread runs the analyzer, decides, so the verdict is the same on every machine and in every host.
/// </summary>
internal sealed class PurityProver
{
    internal const int MaxDepth = 8;

    /// <summary>
    /// Operations nested in one body beyond this are not proved. With <see cref="MaxDepth"/> bodies on the stack at
    /// once the walk stays well inside the smallest stack a compiler host gives its threads.
    /// </summary>
    internal const int MaxNesting = 256;

    private const int VerdictLocks = 16;
    private const int VerdictCapacity = 1024;

    private readonly Compilation _compilation;
    private readonly ImmutableHashSet<string> _userPureMembers;
    private readonly ConcurrentDictionary<SyntaxTree, SemanticModel> _models = new();
    // Verdicts by method, one map per receiver mode. Reference-typed keys and values on purpose: these generic
    // instantiations share the framework's precompiled code, so a cold compiler process JITs little for the prover.
    // Sized for a project's worth of degraders and their callees, with more locks than the default (one per core): a
    // map that grows takes all of its locks while it rehashes, and on two cores the analyzer threads that add verdicts
    // meanwhile waited for it, about a sixth of the analyzers' time in a profile of a 500-file compile
    // (docs/benchmarks.md).
    private readonly ConcurrentDictionary<IMethodSymbol, Verdict> _verdicts = new(VerdictLocks, VerdictCapacity, SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<IMethodSymbol, Verdict> _freshVerdicts = new(VerdictLocks, VerdictCapacity, SymbolEqualityComparer.Default);
    private readonly Lazy<ImmutableArray<INamedTypeSymbol>> _sourceTypes;
    private readonly ConcurrentDictionary<INamedTypeSymbol, ImmutableArray<INamedTypeSymbol>> _families = new(SymbolEqualityComparer.Default);
    private readonly Lazy<bool> _hasFriends;

    internal PurityProver(Compilation compilation, ImmutableHashSet<string> userPureMembers)
    {
        _compilation = compilation;
        _userPureMembers = userPureMembers;
        _sourceTypes = new Lazy<ImmutableArray<INamedTypeSymbol>>(() => ListTypes(compilation.Assembly.GlobalNamespace));
        _hasFriends = new Lazy<bool>(() => compilation.Assembly.GetAttributes().Any(
            static a => a.AttributeClass is { Name: "InternalsVisibleToAttribute", ContainingNamespace: var ns } && KnownTypes.IsNamespace(ns, "System.Runtime.CompilerServices")));
    }

    /// <summary>Proves a lambda or anonymous method; <see langword="null"/> when it is pure.</summary>
    internal PurityViolation? ProveLambda(IAnonymousFunctionOperation lambda, CancellationToken cancellationToken)
    {
        var walker = new Walker(this, lambda.Symbol, ThisMode.Captured, depth: 0, inProgress: null, lambda.SemanticModel, cancellationToken);
        return Guarded(() => walker.Walk(lambda.Body), lambda.Syntax.GetLocation());
    }

    private const string TooDeep = "is nested too deeply to prove";

    // The nesting bound makes deep expressions a verdict of their own (see Walker.Walk); this guard is only the last
    // line against a host whose threads have less stack than the bound assumes, so the compiler never crashes.
    private static PurityViolation? Guarded(Func<PurityViolation?> prove, Location location)
    {
        try
        {
            return prove();
        }
        catch (InsufficientExecutionStackException)
        {
            return new PurityViolation(TooDeep, location, ImmutableArray<string>.Empty, isCapturedRead: false);
        }
    }

    /// <summary>Thrown by a walk that reaches <see cref="MaxNesting"/>; caught where that body's walk began.</summary>
    private sealed class NestingTooDeepException : Exception
    {
        internal NestingTooDeepException(IOperation at) => At = at;

        internal IOperation At { get; }
    }

    /// <summary>Proves a method named by a method group or by <c>Degrader = nameof(M)</c>.</summary>
    /// <param name="method">The degrader.</param>
    /// <param name="model">The semantic model of the tree being analysed, reused for bodies in that tree.</param>
    /// <param name="cancellationToken">Cancels the proof.</param>
    /// <param name="use">Where the method group is written: the location of the verdict on a compiled method.</param>
    internal PurityViolation? ProveMethod(IMethodSymbol method, SemanticModel? model, CancellationToken cancellationToken, Location? use = null)
    {
        method = Definition(method);
        if (use is not null && !SymbolEqualityComparer.Default.Equals(method.ContainingAssembly, _compilation.Assembly)
            && method is { IsAbstract: false, MethodKind: not MethodKind.DelegateInvoke } && method.ContainingType is { TypeKind: not TypeKind.Interface })
        {
            // A compiled method (File.ReadAllText, Math.Abs) named as the degrader is judged as a call to it would be.
            return new Walker(this, method, ThisMode.ReadOnly, depth: 0, inProgress: null, model, cancellationToken)
                .CheckCompiledMethodGroup(method, use)?.Prepend(method.Name);
        }

        var location = method.Locations.IsEmpty ? Location.None : method.Locations[0];
        var violation = Guarded(
            () => ProveCall(method, thisMode: method.IsStatic ? ThisMode.ReadOnly : ThisMode.Captured, depth: 0, inProgress: null, model, out _, cancellationToken),
            location);
        return violation?.Prepend(method.Name);
    }

    /// <summary>
    /// The method whose body runs: a constructed generic method (or a method of a constructed type) and a reduced
    /// extension method are proved through their definition, whose body's parameters and type parameters are the ones
    /// the walk meets; a partial method through its implementation.
    /// </summary>
    private static IMethodSymbol Definition(IMethodSymbol method)
    {
        method = (method.ReducedFrom ?? method).OriginalDefinition;
        return method.PartialImplementationPart ?? method;
    }

    /// <summary>Whether the user declared <paramref name="member"/> (or its type) pure in .editorconfig.</summary>
    private bool IsUserDeclaredPure(ISymbol member)
    {
        if (_userPureMembers.IsEmpty || member.ContainingType is null)
        {
            return false;
        }

        // A generic type is named without its type parameters (`Contoso.Cache`, `Contoso.Outer.Inner.Scale`): the list
        // is split at spaces and commas, so `Cache<TKey, TValue>` cannot be written. The display with type parameters
        // (`Contoso.Box<T>`) still matches, as it did before.
        var type = member.ContainingType.OriginalDefinition;
        if (IsDeclaredPure(type.ToDisplayString(s_pureMemberTypeFormat), member))
        {
            return true;
        }

        return IsGenericOrNestedInGeneric(type) && IsDeclaredPure(type.ToDisplayString(), member);
    }

    private bool IsDeclaredPure(string typeName, ISymbol member) =>
        _userPureMembers.Contains(typeName) || _userPureMembers.Contains(typeName + "." + member.Name)
        || (member is IMethodSymbol { AssociatedSymbol: { } associated } && _userPureMembers.Contains(typeName + "." + associated.Name));

    private static bool IsGenericOrNestedInGeneric(INamedTypeSymbol? type)
    {
        for (; type is not null; type = type.ContainingType)
        {
            if (type.IsGenericType)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>How <c>reactive_streams.pure_members</c> names a type: namespace and containing types, no type parameters.</summary>
    private static readonly SymbolDisplayFormat s_pureMemberTypeFormat = new(
        typeQualificationStyle: SymbolDisplayTypeQualificationStyle.NameAndContainingTypesAndNamespaces,
        genericsOptions: SymbolDisplayGenericsOptions.None);

    /// <summary>
    /// The verdict on a method body that is entered by a call. <paramref name="lowestAssumed"/> is the stack position of
    /// the outermost method still in progress that the verdict assumed pure (<see cref="int.MaxValue"/> for none); a
    /// verdict is final, and cached, once every assumption it made is about itself or methods it called.
    /// </summary>
    private PurityViolation? ProveCall(
        IMethodSymbol method,
        ThisMode thisMode,
        int depth,
        InProgress? inProgress,
        SemanticModel? model,
        out int lowestAssumed,
        CancellationToken cancellationToken,
        ImmutableArray<int> freshParameters = default)
    {
        lowestAssumed = int.MaxValue;
        method = Definition(method);
        var key = method;
        var fresh = thisMode == ThisMode.Fresh;
        var verdicts = fresh ? _freshVerdicts : _verdicts;
        // A call handed storage the degrader created (a StringBuilder, a list, a span over its own array) is proved with
        // those parameters written freely: a verdict of that call alone, neither cached nor assumed for a recursive call.
        var handed = !freshParameters.IsDefaultOrEmpty;
        if (!handed && thisMode != ThisMode.Captured && verdicts.TryGetValue(key, out var cached))
        {
            return cached.Violation;
        }

        if (InProgress.Find(inProgress, key, fresh, freshParameters) is { } position)
        {
            lowestAssumed = position;
            return null;
        }

        var location = method.Locations.IsEmpty ? Location.None : method.Locations[0];
        var body = GetBody(method, model, cancellationToken);
        PurityViolation? violation;
        var assumed = int.MaxValue;
        var self = InProgress.Count(inProgress);
        if (body is null)
        {
            // A partial method without an implementation: the compiler removes its calls.
            violation = method.IsAbstract || method.IsExtern || method.ContainingType?.TypeKind == TypeKind.Interface
                || (method.IsPartialDefinition && !(method.ReturnsVoid && method.PartialImplementationPart is null))
                ? new PurityViolation("calls '" + KnownApis.Display(method) + "', which has no body to prove", location, ImmutableArray<string>.Empty, isCapturedRead: false)
                : null; // auto-accessors, implicit and primary constructors
        }
        else
        {
            var walker = new Walker(this, method, thisMode, depth, new InProgress(key, fresh, self, inProgress, freshParameters), model, cancellationToken);
            if (handed)
            {
                foreach (var ordinal in freshParameters)
                {
                    walker.MarkFresh(method.Parameters[ordinal]);
                }
            }

            violation = walker.Walk(body);
            assumed = walker.LowestAssumed >= self ? int.MaxValue : walker.LowestAssumed;
        }

        // `new T(...)` also runs T's field and property initializers and, without an explicit `: base(...)` or
        // `: this(...)`, the base type's parameterless constructor: neither is in the constructor's body.
        if (violation is null && method is { MethodKind: MethodKind.Constructor, IsStatic: false })
        {
            foreach (var part in ConstructionParts(method, cancellationToken))
            {
                var partWalker = new Walker(this, method, thisMode, depth, new InProgress(key, fresh, self, inProgress, freshParameters), part.SemanticModel ?? model, cancellationToken);
                violation = partWalker.Walk(part);
                assumed = Math.Min(assumed, partWalker.LowestAssumed >= self ? int.MaxValue : partWalker.LowestAssumed);
                if (violation is not null)
                {
                    break;
                }
            }

            if (violation is null && ImplicitBaseConstructor(method) is { } baseConstructor)
            {
                var inner = new InProgress(key, fresh, self, inProgress, freshParameters);
                violation = ProveCall(baseConstructor, thisMode, depth + 1, inner, model, out var baseAssumed, cancellationToken)?.Prepend("new " + baseConstructor.ContainingType.Name);
                assumed = Math.Min(assumed, baseAssumed >= self ? int.MaxValue : baseAssumed);
            }
        }

        if (assumed == int.MaxValue && thisMode != ThisMode.Captured && !handed)
        {
            verdicts.TryAdd(key, new Verdict(violation));
        }

        lowestAssumed = assumed;
        return violation;
    }

    // The instance field and property initializers a constructor runs: none when it chains to `this(...)` (the other
    // constructor runs them) or is a record's copy constructor, which copies the fields.
    private List<IOperation> ConstructionParts(IMethodSymbol constructor, CancellationToken cancellationToken)
    {
        var parts = new List<IOperation>();
        if (ChainsToThis(constructor, cancellationToken) || IsCopyConstructor(constructor))
        {
            return parts;
        }

        foreach (var reference in constructor.ContainingType.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax(cancellationToken) is not Microsoft.CodeAnalysis.CSharp.Syntax.TypeDeclarationSyntax type
                || GetModel(type.SyntaxTree) is not { } model)
            {
                continue;
            }

            foreach (var member in type.Members)
            {
                switch (member)
                {
                    case Microsoft.CodeAnalysis.CSharp.Syntax.FieldDeclarationSyntax field
                        when !field.Modifiers.Any(m => m.ValueText is "static" or "const"):
                        foreach (var variable in field.Declaration.Variables)
                        {
                            if (variable.Initializer is { } initializer && model.GetOperation(initializer, cancellationToken) is { } operation)
                            {
                                parts.Add(operation);
                            }
                        }

                        break;
                    case Microsoft.CodeAnalysis.CSharp.Syntax.PropertyDeclarationSyntax { Initializer: { } initializer } property
                        when !property.Modifiers.Any(m => m.ValueText == "static") && model.GetOperation(initializer, cancellationToken) is { } operation:
                        parts.Add(operation);
                        break;
                }
            }
        }

        return parts;
    }

    // The base type's constructor that a constructor of the compilation calls without writing `: base(...)`: the
    // parameterless one of a base type of the compilation (a primary constructor's `: Base(args)` is not followed).
    private IMethodSymbol? ImplicitBaseConstructor(IMethodSymbol constructor)
    {
        if (constructor.ContainingType is not { TypeKind: TypeKind.Class, BaseType: { } baseType }
            || baseType.DeclaringSyntaxReferences.IsEmpty
            || !_compilation.ContainsSyntaxTree(baseType.DeclaringSyntaxReferences[0].SyntaxTree)
            || IsCopyConstructor(constructor))
        {
            return null;
        }

        foreach (var reference in constructor.DeclaringSyntaxReferences)
        {
            switch (reference.GetSyntax())
            {
                case Microsoft.CodeAnalysis.CSharp.Syntax.ConstructorDeclarationSyntax { Initializer: not null }:
                    return null;
                case Microsoft.CodeAnalysis.CSharp.Syntax.TypeDeclarationSyntax { BaseList.Types: { Count: > 0 } types }
                    when types[0] is Microsoft.CodeAnalysis.CSharp.Syntax.PrimaryConstructorBaseTypeSyntax:
                    return null;
            }
        }

        foreach (var candidate in baseType.InstanceConstructors)
        {
            if (candidate.Parameters.IsEmpty)
            {
                return candidate;
            }
        }

        return null;
    }

    private static bool ChainsToThis(IMethodSymbol constructor, CancellationToken cancellationToken)
    {
        foreach (var reference in constructor.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax(cancellationToken) is Microsoft.CodeAnalysis.CSharp.Syntax.ConstructorDeclarationSyntax { Initializer: { } initializer }
                && initializer.ThisOrBaseKeyword.ValueText == "this")
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsCopyConstructor(IMethodSymbol constructor) =>
        constructor.ContainingType.IsRecord && constructor.Parameters.Length == 1
        && SymbolEqualityComparer.Default.Equals(constructor.Parameters[0].Type.OriginalDefinition, constructor.ContainingType.OriginalDefinition);

    private IOperation? GetBody(IMethodSymbol method, SemanticModel? current, CancellationToken cancellationToken)
    {
        foreach (var reference in method.DeclaringSyntaxReferences)
        {
            var syntax = reference.GetSyntax(cancellationToken);
            var model = current is not null && current.SyntaxTree == syntax.SyntaxTree ? current : GetModel(syntax.SyntaxTree);
            switch (model?.GetOperation(syntax, cancellationToken))
            {
                // A local function's operation is its declaration; what runs is its body.
                case ILocalFunctionOperation { Body: { } localBody }:
                    return localBody;
                case { } operation:
                    return operation;
            }
        }

        return null;
    }

    [SuppressMessage(
        "MicrosoftCodeAnalysisCorrectness",
        "RS1030:Do not invoke Compilation.GetSemanticModel() method within a diagnostic analyzer",
        Justification = "A degrader's callees live in other files; the models are created once per tree and cached.")]
    private SemanticModel? GetModel(SyntaxTree tree)
    {
        if (!_compilation.ContainsSyntaxTree(tree))
        {
            return null;
        }

        return _models.GetOrAdd(tree, t => _compilation.GetSemanticModel(t));
    }

    /// <summary>
    /// <paramref name="type"/> and every type declared in this compilation that derives from it (the receiver type first).
    /// Read only when a degrader makes a virtual call; the compilation's types are listed once, each family once.
    /// </summary>
    internal ImmutableArray<INamedTypeSymbol> SourceTypesDerivedFrom(INamedTypeSymbol type) =>
        _families.GetOrAdd(type, t =>
        {
            var definition = t.OriginalDefinition;
            var family = ImmutableArray.CreateBuilder<INamedTypeSymbol>();
            family.Add(t);
            foreach (var candidate in _sourceTypes.Value)
            {
                for (var baseType = candidate.BaseType; baseType is not null; baseType = baseType.BaseType)
                {
                    if (SymbolEqualityComparer.Default.Equals(baseType.OriginalDefinition, definition))
                    {
                        family.Add(candidate);
                        break;
                    }
                }
            }

            return family.ToImmutable();
        });

    private static ImmutableArray<INamedTypeSymbol> ListTypes(INamespaceSymbol root)
    {
        var types = ImmutableArray.CreateBuilder<INamedTypeSymbol>();
        var pending = new Stack<INamespaceOrTypeSymbol>();
        pending.Push(root);
        while (pending.Count > 0)
        {
            var current = pending.Pop();
            if (current is INamedTypeSymbol type)
            {
                types.Add(type);
            }

            foreach (var member in current.GetMembers())
            {
                if (member is INamespaceOrTypeSymbol nested)
                {
                    pending.Push(nested);
                }
            }
        }

        return types.ToImmutable();
    }

    /// <summary>
    /// Whether code outside this compilation can derive from <paramref name="type"/>: it is visible there (publicly, or
    /// to a friend assembly through <c>InternalsVisibleTo</c>) and has a constructor a derived type there can call.
    /// </summary>
    internal bool CanBeExtendedOutside(INamedTypeSymbol type)
    {
        if (type.IsSealed || type.IsStatic || type.TypeKind != TypeKind.Class)
        {
            return false;
        }

        var friends = _hasFriends.Value;
        for (var current = type; current is not null; current = current.ContainingType)
        {
            switch (current.DeclaredAccessibility)
            {
                case Accessibility.Private:
                case Accessibility.Internal or Accessibility.ProtectedAndInternal when !friends:
                    return false;
            }
        }

        return type.InstanceConstructors.Any(c => c.DeclaredAccessibility is Accessibility.Public or Accessibility.Protected or Accessibility.ProtectedOrInternal
            || (friends && c.DeclaredAccessibility is Accessibility.Internal or Accessibility.ProtectedAndInternal));
    }

    /// <summary>The implementation of <paramref name="method"/> that runs on an instance of <paramref name="type"/>.</summary>
    internal static IMethodSymbol? ImplementationIn(INamedTypeSymbol type, IMethodSymbol method)
    {
        var definition = method.OriginalDefinition;
        for (var current = type; current is not null; current = current.BaseType)
        {
            foreach (var member in current.GetMembers(method.Name))
            {
                if (member is not IMethodSymbol candidate)
                {
                    continue;
                }

                for (var overridden = candidate; overridden is not null; overridden = overridden.OverriddenMethod)
                {
                    if (SymbolEqualityComparer.Default.Equals(overridden.OriginalDefinition, definition))
                    {
                        return candidate;
                    }
                }
            }
        }

        return null;
    }

    /// <summary>The methods being proved, innermost first: a short immutable stack (at most a few frames deep).</summary>
    private sealed class InProgress
    {
        internal InProgress(IMethodSymbol method, bool thisIsFresh, int position, InProgress? next, ImmutableArray<int> handedParameters = default)
        {
            Method = method;
            ThisIsFresh = thisIsFresh;
            Position = position;
            Next = next;
            HandedParameters = handedParameters.IsDefault ? ImmutableArray<int>.Empty : handedParameters;
        }

        /// <summary>
        /// The ordinals of the parameters handed the degrader's own storage: the frame is an assumption only for a call
        /// handed at least those (a body pure with these written freely is pure with more).
        /// </summary>
        internal ImmutableArray<int> HandedParameters { get; }

        internal IMethodSymbol Method { get; }

        internal bool ThisIsFresh { get; }

        internal int Position { get; }

        internal InProgress? Next { get; }

        internal static int? Find(InProgress? stack, IMethodSymbol method, bool thisIsFresh, ImmutableArray<int> handedParameters = default)
        {
            var handed = handedParameters.IsDefault ? ImmutableArray<int>.Empty : handedParameters;
            for (var frame = stack; frame is not null; frame = frame.Next)
            {
                if (frame.HandedParameters.All(handed.Contains) && frame.ThisIsFresh == thisIsFresh && SymbolEqualityComparer.Default.Equals(frame.Method, method))
                {
                    return frame.Position;
                }
            }

            return null;
        }

        internal static int Count(InProgress? stack) => stack is null ? 0 : stack.Position + 1;
    }

    private sealed class Verdict
    {
        internal Verdict(PurityViolation? violation) => Violation = violation;

        internal PurityViolation? Violation { get; }
    }

    /// <summary>How reads and writes of <c>this</c> count in the body being walked.</summary>
    private enum ThisMode
    {
        /// <summary>A lambda's or instance degrader's <c>this</c>: outside state; reading it is an effect.</summary>
        Captured,

        /// <summary>A helper's <c>this</c>: reading is fine, writing is an effect.</summary>
        ReadOnly,

        /// <summary>A constructor's or a fresh receiver's <c>this</c>: the object is being built inside the degrader.</summary>
        Fresh,
    }

    /// <summary>Walks one body; stops at the first effect.</summary>
    private sealed class Walker
    {
        private readonly PurityProver _prover;
        private readonly ISymbol _root;
        private readonly ThisMode _thisMode;
        private readonly int _depth;
        private readonly InProgress? _inProgress;
        private readonly SemanticModel? _model;
        private readonly CancellationToken _cancellationToken;
        // What the body says about its locals, collected before the walk. A local function's walker shares its enclosing
        // walker's: that walk collected over the local function's body too, and the locals it captures are declared there.
        private readonly HashSet<ILocalSymbol> _notFresh;
        private readonly HashSet<ILocalSymbol> _assignedFresh;
        // A span local given a slice of another local (`Span<int> t = s[1..]`): fresh when every local it views is.
        private readonly Dictionary<ILocalSymbol, List<ILocalSymbol>> _viewOf;
        // What each ref local is made to refer to (`ref var r = ref a;`, `r = ref arr[0];`).
        private readonly Dictionary<ILocalSymbol, List<IOperation>> _refTargets;
        // The span a `foreach (ref var e in span)` iteration variable refers into, element by element.
        private readonly Dictionary<ILocalSymbol, IOperation> _refIterations;
        // The span string.Create hands its action: the new string's own storage.
        private readonly HashSet<IParameterSymbol> _freshParameters;
        private readonly bool _collected;
        private int _nesting;
        // The types whose Equals, GetHashCode or CompareTo framework code or a generated record member runs were proved in this body.
        private HashSet<(ISymbol, string)>? _valueMembersProved;

        internal Walker(
            PurityProver prover,
            ISymbol root,
            ThisMode thisMode,
            int depth,
            InProgress? inProgress,
            SemanticModel? model,
            CancellationToken cancellationToken,
            Walker? enclosing = null)
        {
            _model = model;
            _prover = prover;
            _root = root;
            _thisMode = thisMode;
            _depth = depth;
            _inProgress = inProgress;
            _cancellationToken = cancellationToken;
            _collected = enclosing is not null;
            _notFresh = enclosing?._notFresh ?? new HashSet<ILocalSymbol>(SymbolEqualityComparer.Default);
            _assignedFresh = enclosing?._assignedFresh ?? new HashSet<ILocalSymbol>(SymbolEqualityComparer.Default);
            _viewOf = enclosing?._viewOf ?? new Dictionary<ILocalSymbol, List<ILocalSymbol>>(SymbolEqualityComparer.Default);
            _refTargets = enclosing?._refTargets ?? new Dictionary<ILocalSymbol, List<IOperation>>(SymbolEqualityComparer.Default);
            _refIterations = enclosing?._refIterations ?? new Dictionary<ILocalSymbol, IOperation>(SymbolEqualityComparer.Default);
            _freshParameters = enclosing?._freshParameters ?? new HashSet<IParameterSymbol>(SymbolEqualityComparer.Default);
            if (root is IMethodSymbol { Name: "PrintMembers", IsStatic: false, ContainingType.IsRecord: true, Parameters: { Length: 1 } parameters })
            {
                // A record's PrintMembers writes into the StringBuilder its ToString has just made.
                _freshParameters.Add(parameters[0]);
            }
        }

        /// <summary>Marks a parameter as storage the degrader created, handed in by the caller.</summary>
        internal void MarkFresh(IParameterSymbol parameter) => _freshParameters.Add(parameter);

        /// <summary>The stack position of the outermost in-progress method assumed pure; <see cref="int.MaxValue"/> for none.</summary>
        internal int LowestAssumed { get; private set; } = int.MaxValue;

        internal PurityViolation? Walk(IOperation body)
        {
            try
            {
                if (!_collected)
                {
                    CollectFreshness(body, nesting: 0);
                }

                return Visit(body);
            }
            catch (NestingTooDeepException tooDeep)
            {
                // The verdict on this body alone, whatever called it: cached like any other, so it never depends on
                // the order in which degraders sharing this body were proved.
                return Effect(TooDeep, tooDeep.At);
            }
        }

        private static void EnterNesting(int nesting, IOperation at)
        {
            if (nesting >= MaxNesting)
            {
                throw new NestingTooDeepException(at);
            }

            RuntimeHelpers.EnsureSufficientExecutionStack();
        }

        // Pass 1: a local is "created inside" when every value it is given is a new object, array or collection.
        private void CollectFreshness(IOperation operation, int nesting)
        {
            EnterNesting(nesting, operation);
            switch (operation)
            {
                case IVariableDeclaratorOperation { Symbol: var local } declarator:
                    var initializer = declarator.Initializer?.Value ?? declarator.GetVariableInitializer()?.Value;
                    if (initializer is not null)
                    {
                        if (local.IsRef)
                        {
                            NoteRefTarget(local, initializer);
                        }
                        else
                        {
                            NoteAssignment(local, initializer);
                        }
                    }

                    break;
                case ISimpleAssignmentOperation { IsRef: true, Target: ILocalReferenceOperation refTarget } refAssignment:
                    NoteRefTarget(refTarget.Local, refAssignment.Value);
                    break;
                case ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } assignment:
                    NoteAssignment(target.Local, assignment.Value);
                    break;
                case IDeconstructionAssignmentOperation deconstruction:
                    NoteDeconstruction(deconstruction.Target, deconstruction.Value);
                    break;
                case IForEachLoopOperation { LoopControlVariable: IVariableDeclaratorOperation { Symbol: { IsRef: true } iteration }, Collection: var collection }:
                    _refIterations[iteration] = collection;
                    break;
                case IInvocationOperation { TargetMethod: { Name: "Create", ContainingType.SpecialType: SpecialType.System_String } } create:
                    // string.Create(length, state, (span, state) => ...): the span is the new string's storage.
                    foreach (var argument in create.Arguments)
                    {
                        if (PolicyCalls.Unwrap(argument.Value) is IAnonymousFunctionOperation { Symbol.Parameters: { Length: > 0 } parameters } && IsView(parameters[0].Type))
                        {
                            _freshParameters.Add(parameters[0]);
                        }
                    }

                    break;
                case IArgumentOperation { Parameter.RefKind: RefKind.Ref or RefKind.Out, Value: ILocalReferenceOperation byRef }:
                    _notFresh.Add(byRef.Local);
                    break;
            }

            foreach (var child in operation.ChildOperations)
            {
                CollectFreshness(child, nesting + 1);
            }
        }

        private void NoteAssignment(ILocalSymbol local, IOperation value)
        {
            if (IsCreation(value))
            {
                _assignedFresh.Add(local);
            }
            else if (ViewedOrAliased(local, value) is { } viewed)
            {
                if (!_viewOf.TryGetValue(local, out var viewedLocals))
                {
                    _viewOf[local] = viewedLocals = new List<ILocalSymbol>();
                }

                viewedLocals.Add(viewed);
            }
            else
            {
                _notFresh.Add(local);
            }
        }

        // `var (n, list) = (x, new List<int>())`: each local is given the element of the tuple written in its place; a
        // local given part of any other value (a call's tuple, a Deconstruct) is given something not created here.
        private void NoteDeconstruction(IOperation target, IOperation value)
        {
            if (target is IDeclarationExpressionOperation declaration)
            {
                target = declaration.Expression;
            }

            value = Strip(value);
            if (target is ITupleOperation targets && value is ITupleOperation values && targets.Elements.Length == values.Elements.Length)
            {
                for (var i = 0; i < targets.Elements.Length; i++)
                {
                    NoteDeconstruction(targets.Elements[i], values.Elements[i]);
                }

                return;
            }

            if (target is ILocalReferenceOperation { Local: var local } && target.Parent is ITupleOperation)
            {
                NoteAssignment(local, value);
                return;
            }

            foreach (var part in target.DescendantsAndSelf())
            {
                if (part is ILocalReferenceOperation { Local: var given })
                {
                    _notFresh.Add(given);
                }
            }
        }

        // The local whose storage `local` is given a view of (`var s = buffer.AsSpan(1)`), or whose object it is another
        // name for (`var same = items`): `local` is then as fresh as that local.
        private static ILocalSymbol? ViewedOrAliased(ILocalSymbol local, IOperation value)
        {
            if (local.Type is { } type && IsView(type) && ViewRoot(value) is ILocalReferenceOperation { Local: var viewed } root && !ReferenceEquals(root, Strip(value)))
            {
                return viewed;
            }

            return local.Type is { IsValueType: false } && Strip(value) is ILocalReferenceOperation { Local: { IsRef: false } aliased } ? aliased : null;
        }

        private void NoteRefTarget(ILocalSymbol local, IOperation target)
        {
            if (!_refTargets.TryGetValue(local, out var targets))
            {
                _refTargets[local] = targets = new List<IOperation>();
            }

            targets.Add(target);
        }

        // `s.Slice(1)`, `s[1..]`, `a.AsSpan(2)`, `m.Span`: the storage a view is taken of (the value itself for anything else).
        private static IOperation ViewRoot(IOperation value)
        {
            for (var i = 0; i < MaxNesting; i++)
            {
                value = Strip(value);
                switch (value)
                {
                    case IInvocationOperation { TargetMethod: { Name: "Slice", IsStatic: false }, Instance: { } instance } when instance.Type is { } t && IsView(t):
                        value = instance;
                        continue;
                    case IInvocationOperation { TargetMethod: { Name: "AsSpan" or "AsMemory", IsStatic: true, ContainingType.Name: "MemoryExtensions" }, Arguments: { Length: > 0 } arguments }:
                        value = arguments[0].Value;
                        continue;
                    case IImplicitIndexerReferenceOperation { Instance: var sliced } when value.Type is { } v && IsView(v):
                        value = sliced;
                        continue;
                    case IPropertyReferenceOperation { Property.Name: "Span", Instance: { } memory } when memory.Type is { } m && IsView(m):
                        value = memory;
                        continue;
                    default:
                        return value;
                }
            }

            return value;
        }

        // Whether a ref local refers only to storage of the degrader's own: its locals, by-value parameters, and elements
        // or fields of what it created.
        private bool RefersToLocalStorage(ILocalSymbol local, int depth)
        {
            if (depth <= 8 && _refIterations.TryGetValue(local, out var iterated))
            {
                // `foreach (ref var e in a.AsSpan())`: each element of the span, which is the degrader's when the span views its storage.
                return IsFresh(iterated);
            }

            if (depth > 8 || !_refTargets.TryGetValue(local, out var targets))
            {
                return false;
            }

            foreach (var target in targets)
            {
                var ok = Strip(target) switch
                {
                    ILocalReferenceOperation { Local: var other } => IsInsideRoot(other) && (!other.IsRef || RefersToLocalStorage(other, depth + 1)),
                    IParameterReferenceOperation { Parameter: var parameter } => parameter.RefKind == RefKind.None && IsInsideRoot(parameter) && !IsView(parameter.Type),
                    IArrayElementReferenceOperation element => IsFresh(element.ArrayReference),
                    IFieldReferenceOperation field => !field.Field.IsStatic && field.Field.RefKind == RefKind.None && IsFresh(field.Instance),
                    IPropertyReferenceOperation { Property.IsIndexer: true, Instance: { } viewed } when viewed.Type is { } v && IsView(v) => IsFresh(viewed),
                    _ => false,
                };
                if (!ok)
                {
                    return false;
                }
            }

            return true;
        }

        // Span<T>, ReadOnlySpan<T>, other ref structs, Memory<T> and ArraySegment<T>: values that write through to storage.
        private static bool IsView(ITypeSymbol type) =>
            type.IsRefLikeType
            || (type is INamedTypeSymbol { Name: "Memory" or "ReadOnlyMemory" or "ArraySegment", ContainingNamespace: var ns } && KnownTypes.IsNamespace(ns, "System"));

        private static bool IsCreation(IOperation value)
        {
            if (value.Syntax.RawKind is (int)Microsoft.CodeAnalysis.CSharp.SyntaxKind.StackAllocArrayCreationExpression
                or (int)Microsoft.CodeAnalysis.CSharp.SyntaxKind.ImplicitStackAllocArrayCreationExpression)
            {
                return true;
            }

            value = Strip(value);
            if (value is IConditionalOperation { WhenTrue: { } whenTrue, WhenFalse: { } whenFalse })
            {
                // `n <= 16 ? stackalloc int[16] : new int[n]`
                return IsCreation(whenTrue) && IsCreation(whenFalse);
            }

            if (value is ICoalesceOperation { Value: var left, WhenNull: var right })
            {
                // `xs?.ToList() ?? new List<int>()`
                return IsCreation(left) && IsCreation(right);
            }

            if (value is IConditionalAccessOperation { WhenNotNull: var whenNotNull })
            {
                // `xs?.ToList()`: a new list, or null.
                return IsCreation(whenNotNull);
            }

            return value is IObjectCreationOperation or IArrayCreationOperation or IAnonymousObjectCreationOperation
                or ITypeParameterObjectCreationOperation or ICollectionExpressionOperation or IWithOperation
                || (value is IInvocationOperation { TargetMethod: { ContainingType: { } type } method }
                    && type.Name == "Enumerable" && method.Name.StartsWith("To", StringComparison.Ordinal))
                || (value is IInvocationOperation { TargetMethod: var storage } && ReturnsNewStorage(storage))
                || (value is IInvocationOperation fluent && IsFluent(fluent) && IsCreation(fluent.Instance!))
                || (!ReferenceEquals(ViewRoot(value), value) && IsCreation(ViewRoot(value)));
        }

        // A method of a pure type that returns an array or a mutable collection returns a new one (`s.ToCharArray()`,
        // `s.Split(',')`, `ImmutableArray.CreateBuilder<T>()`, `a.ToBuilder()`, `span.ToArray()`), and so does
        // `Array.Clone`. Judged on the declared return type, so a method returning a `T` that happens to be an array
        // (`d.GetValueOrDefault(k)`) does not count.
        private static bool ReturnsNewStorage(IMethodSymbol method)
        {
            if (method.ContainingType is not { } type)
            {
                return false;
            }

            if (method.Name == "Clone" && type.SpecialType == SpecialType.System_Array)
            {
                return true;
            }

            if (method is { IsStatic: false, Name: "ToArray" or "GetRange" or "ConvertAll" or "FindAll" or "Slice" } && type.SpecialType != SpecialType.System_Array
                && KnownApis.IsMutableContainer(type) && (method.ReturnType is IArrayTypeSymbol || method.ReturnType is INamedTypeSymbol { TypeKind: TypeKind.Class }))
            {
                // A BCL collection's copies: `list.ToArray()`, `list.GetRange(0, 2)`, `queue.ToArray()`.
                return true;
            }

            var returned = method.OriginalDefinition.ReturnType;
            return (returned is IArrayTypeSymbol || (returned is INamedTypeSymbol { TypeKind: TypeKind.Class } named && KnownApis.IsMutableContainer(named)))
                && KnownApis.IsPureType(type);
        }

        // `new StringBuilder().Append(a).Append(b)`: a container method returning its own type hands back the
        // receiver (StringBuilder) or a new container (List.GetRange), so the result is as fresh as the receiver.
        private static bool IsFluent(IInvocationOperation invocation) =>
            invocation is { Instance: not null, TargetMethod: { IsStatic: false, ContainingType: { } type } method }
            && KnownApis.IsMutableContainer(type)
            && SymbolEqualityComparer.Default.Equals(method.ReturnType, type);

        private static IOperation Strip(IOperation operation)
        {
            while (operation is IConversionOperation conversion)
            {
                operation = conversion.Operand;
            }

            return operation;
        }

        // `class Scaler(int factor)`: the parameter is declared by the type declaration, and its members read it as state.
        private static bool IsPrimaryConstructorParameter(IParameterSymbol parameter) =>
            parameter.ContainingSymbol is IMethodSymbol { MethodKind: MethodKind.Constructor } constructor
            && constructor.DeclaringSyntaxReferences.Any(static r => r.GetSyntax() is Microsoft.CodeAnalysis.CSharp.Syntax.TypeDeclarationSyntax);

        private bool IsInsideRoot(ISymbol? symbol)
        {
            for (var current = symbol; current is not null; current = current.ContainingSymbol)
            {
                if (SymbolEqualityComparer.Default.Equals(current, _root))
                {
                    return true;
                }

                if (current is INamedTypeSymbol or INamespaceSymbol)
                {
                    return false;
                }
            }

            return false;
        }

        // A method of a struct that is not `readonly`, called on a value the compiler may not hand out by reference, runs
        // on a copy the compiler makes: a `readonly` field (outside the constructors of its type), an `in` or `ref
        // readonly` parameter or local, or the value a property or method returns. Its writes to `this` change only the copy.
        private bool RunsOnCopy(IMethodSymbol method, IOperation? instance)
        {
            if (instance is null || method is not { IsStatic: false, IsReadOnly: false, ContainingType.IsValueType: true } || IsView(method.ContainingType))
            {
                return false;
            }

            return Strip(instance) switch
            {
                IFieldReferenceOperation { Field: { IsReadOnly: true } field } => !(_root is IMethodSymbol { MethodKind: MethodKind.Constructor or MethodKind.StaticConstructor } constructor
                    && SymbolEqualityComparer.Default.Equals(constructor.ContainingType.OriginalDefinition, field.ContainingType.OriginalDefinition)),
                IParameterReferenceOperation { Parameter.RefKind: RefKind.In or RefKind.RefReadOnlyParameter } => true,
                ILocalReferenceOperation { Local.RefKind: RefKind.RefReadOnly } => true,
                IPropertyReferenceOperation { Property.ReturnsByRef: false } => true,
                IInvocationOperation { TargetMethod.ReturnsByRef: false } => true,
                _ => false,
            };
        }

        private bool IsFresh(IOperation? receiver)
        {
            if (receiver is null)
            {
                return false;
            }

            receiver = Strip(receiver);
            switch (receiver)
            {
                case IObjectCreationOperation or IArrayCreationOperation or IAnonymousObjectCreationOperation
                    or ITypeParameterObjectCreationOperation or ICollectionExpressionOperation:
                    return true;
                case IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ImplicitReceiver } implicitReceiver:
                    return IsFreshInitializedObject(implicitReceiver);
                case IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.InterpolatedStringHandler }:
                    // The handler the compiler builds for `$"..."` handed to a method of a custom handler type.
                    return true;
                case IInstanceReferenceOperation:
                    return _thisMode == ThisMode.Fresh;
                case ILocalReferenceOperation { Local: var local }:
                    if (!IsInsideRoot(local) || local.IsRef)
                    {
                        return false;
                    }

                    // A value-type local is a copy (but a span or memory views someone's storage); a reference-type local
                    // is fresh when only ever given new objects.
                    return (local.Type is { IsValueType: true } localType && !IsView(localType))
                        || IsFreshLocal(local, depth: 0);
                case IParameterReferenceOperation { Parameter: var parameter }:
                    // A `ref` or `out` parameter handed a variable of the degrader's own holds what it was given: only a
                    // value (not a view) is the variable itself.
                    return (parameter.RefKind == RefKind.None && parameter.Type.IsValueType && !IsView(parameter.Type) && IsInsideRoot(parameter))
                        || (_freshParameters.Contains(parameter) && (parameter.RefKind == RefKind.None || (parameter.Type.IsValueType && !IsView(parameter.Type))));
                case IFieldReferenceOperation { Field.Type.IsValueType: true } field:
                    return IsFresh(field.Instance);
                case IInvocationOperation invocation when IsFluent(invocation):
                    return IsFresh(invocation.Instance);
                case IInvocationOperation or IImplicitIndexerReferenceOperation or IPropertyReferenceOperation when !ReferenceEquals(ViewRoot(receiver), receiver):
                    // A slice of a span (or a span of an array) views the same storage.
                    return IsFresh(ViewRoot(receiver));
                default:
                    return false;
            }
        }

        // The object an initializer's implicit receiver stands for: the object created (`new H { X = 1 }`), or, in a
        // nested initializer (`new H { Items = { 1 }, Inner = { X = 1 } }`), the value of the member it initializes,
        // which is the created object's own state only when that member is a field, an auto-property or a compiled
        // property (`Converters`, `Headers`) of a fresh object (a getter with a body of the compilation can hand out
        // anything: `Items => s_shared`).
        private bool IsFreshInitializedObject(IInstanceReferenceOperation receiver)
        {
            for (var current = receiver.Parent; current is not null; current = current.Parent)
            {
                if (current is not IObjectOrCollectionInitializerOperation initializer)
                {
                    continue;
                }

                if (initializer.Parent is not IMemberInitializerOperation { InitializedMember: var member })
                {
                    return true;
                }

                return Strip(member) switch
                {
                    IFieldReferenceOperation { Instance: { } owner } => IsFresh(owner),
                    IPropertyReferenceOperation { Property: { IsIndexer: false, GetMethod: { } getter } property, Instance: { } owner }
                        when !IsInSource(getter) || IsAutoProperty(property) => IsFresh(owner),
                    _ => false,
                };
            }

            return true;
        }

        private static bool IsAutoProperty(IPropertySymbol property)
        {
            foreach (var field in property.ContainingType.GetMembers())
            {
                if (field is IFieldSymbol { IsImplicitlyDeclared: true, AssociatedSymbol: { } associated }
                    && SymbolEqualityComparer.Default.Equals(associated, property))
                {
                    return true;
                }
            }

            return false;
        }

        private bool IsFreshLocal(ILocalSymbol local, int depth)
        {
            if (_notFresh.Contains(local) || depth > 8)
            {
                return false;
            }

            if (_assignedFresh.Contains(local) && !_viewOf.ContainsKey(local))
            {
                return true;
            }

            if (!_viewOf.TryGetValue(local, out var viewed))
            {
                return false;
            }

            foreach (var other in viewed)
            {
                if (!IsInsideRoot(other) || other.IsRef
                    || !((other.Type is { IsValueType: true } t && !IsView(t)) || IsFreshLocal(other, depth + 1)))
                {
                    return false;
                }
            }

            return true;
        }

        private PurityViolation Effect(string effect, IOperation at, bool isCapturedRead = false) =>
            new(effect, at.Syntax.GetLocation(), ImmutableArray<string>.Empty, isCapturedRead);

        // Pre-order: a call is named before its arguments (Interlocked.Increment before the ref field it writes), a
        // write before the receiver it reads.
        private PurityViolation? Visit(IOperation operation)
        {
            _cancellationToken.ThrowIfCancellationRequested();
            EnterNesting(_nesting, operation);
            _nesting++;
            var violation = Check(operation) ?? VisitChildren(operation);
            _nesting--;
            return violation;
        }

        private PurityViolation? VisitChildren(IOperation operation)
        {
            // Write targets were judged by the assignment; only their receivers and indices are reads.
            if (operation is IAssignmentOperation or IIncrementOrDecrementOperation)
            {
                var target = operation is IAssignmentOperation assignment ? assignment.Target : ((IIncrementOrDecrementOperation)operation).Target;
                foreach (var child in operation.ChildOperations)
                {
                    // `p.X += 1`, `p.X ??= 1`, `p.X++` and `c[^1] += 1` read the target before writing it: its getter runs.
                    var next = !ReferenceEquals(child, target) ? Visit(child)
                        : operation is not (ISimpleAssignmentOperation or IDeconstructionAssignmentOperation)
                            && child is IPropertyReferenceOperation or IImplicitIndexerReferenceOperation
                            ? Check(child) ?? VisitTargetChildren(child)
                            : VisitTargetChildren(child);
                    if (next is not null)
                    {
                        return next;
                    }
                }

                return null;
            }

            if (operation is ILocalFunctionOperation or INameOfOperation)
            {
                // Local functions declared inside are walked when called; nameof's argument is not evaluated.
                return null;
            }

            foreach (var child in operation.ChildOperations)
            {
                var next = Visit(child);
                if (next is not null)
                {
                    return next;
                }
            }

            return null;
        }

        private PurityViolation? VisitTargetChildren(IOperation target)
        {
            if (target is ILocalReferenceOperation or IParameterReferenceOperation)
            {
                return null;
            }

            foreach (var child in target.ChildOperations)
            {
                // The receiver of a written member is read, but `this` as the receiver of a write was judged already.
                if (child is IInstanceReferenceOperation)
                {
                    continue;
                }

                var next = Visit(child);
                if (next is not null)
                {
                    return next;
                }
            }

            return null;
        }

        private PurityViolation? Check(IOperation operation)
        {
            switch (operation)
            {
                case IAwaitOperation:
                case IForEachLoopOperation { IsAsynchronous: true }:
                case IUsingOperation { IsAsynchronous: true }:
                case IUsingDeclarationOperation { IsAsynchronous: true }:
                    return Effect("awaits", operation);
                case ILockOperation:
                    return Effect("takes a lock", operation);
                case IEventAssignmentOperation { EventReference: IEventReferenceOperation { Event: var @event } } eventAssignment:
                    return Effect((eventAssignment.Adds ? "subscribes to event '" : "unsubscribes from event '") + KnownApis.Display(@event) + "'", operation);
                case IDynamicInvocationOperation or IDynamicMemberReferenceOperation or IDynamicObjectCreationOperation or IDynamicIndexerAccessOperation:
                    return Effect("uses dynamic, which cannot be proved pure", operation);
                case IFunctionPointerInvocationOperation:
                    return Effect("calls a function pointer, which cannot be proved pure", operation);
                // Calls the compiler makes that are not invocations in the operation tree: Deconstruct, GetEnumerator,
                // MoveNext, Current and Dispose of the compilation's types.
                case IDeconstructionAssignmentOperation deconstruction:
                    return CheckDeconstruction(deconstruction) ?? CheckWrite(deconstruction.Target, operation);
                case IForEachLoopOperation loop:
                    return CheckForEach(loop);
                case IUsingOperation { Resources: var resources }:
                    return CheckDispose(resources, operation);
                case IUsingDeclarationOperation { DeclarationGroup: var group }:
                    return CheckDispose(group, operation);
                case ICompoundAssignmentOperation compound:
                    // `m += 0.5` on a type with user conversions converts the target in and the result back out.
                    return CheckWrite(compound.Target, operation)
                        ?? (compound.InConversion.MethodSymbol is { } inConversion ? CheckOperator(inConversion, operation) : null)
                        ?? (compound.OperatorMethod is { } compoundOperator ? CheckOperator(compoundOperator, operation) : null)
                        ?? (compound.OutConversion.MethodSymbol is { } outConversion ? CheckOperator(outConversion, operation) : null);
                case IAssignmentOperation assignment:
                    return CheckWrite(assignment.Target, operation);
                case IIncrementOrDecrementOperation increment:
                    return CheckWrite(increment.Target, operation)
                        ?? (increment.OperatorMethod is { } step ? CheckOperator(step, operation) : null);
                case IArgumentOperation { Parameter.RefKind: RefKind.Ref or RefKind.Out } byRef:
                    return CheckWrite(byRef.Value, operation);
                // `Helper(x).Result` or `.GetAwaiter().GetResult()` on an async method: what the user wrote is the await
                // inside it, so the task's own effects are named first, and a wait only on an otherwise clean task.
                case IInvocationOperation { Instance: { } task, TargetMethod: var method } invocation when KnownApis.ClassifyTaskMember(method) is var kind and not TaskMember.None:
                    return Visit(task) ?? (kind == TaskMember.Wait ? Effect("blocks on a task ('" + KnownApis.Display(method) + "')", operation) : CheckInvocation(invocation));
                case IPropertyReferenceOperation { Instance: { } task, Property: var property } when KnownApis.ClassifyTaskMember(property) == TaskMember.Wait:
                    return Visit(task) ?? Effect("blocks on a task ('" + KnownApis.Display(property) + "')", operation);
                case IInvocationOperation invocation:
                    return CheckInvocation(invocation);
                case IDelegateCreationOperation { Target: IMethodReferenceOperation methodGroup }:
                    // `xs.Select(H.Bump)`: the delegate runs the method as a lambda in its place would.
                    return CheckMethodGroup(methodGroup, operation);
                case ICollectionExpressionOperation collection:
                    return CheckCollectionExpression(collection);
                case ISpreadOperation { Operand: var spread }:
                    return CheckSpread(spread, operation);
                case IRecursivePatternOperation { DeconstructSymbol: IMethodSymbol deconstruct } when IsInSource(deconstruct):
                    // `p is (0, _)` calls Deconstruct.
                    return CheckMember(deconstruct, instance: null, operation, ImmutableArray<IArgumentOperation>.Empty);
                case IBinaryOperation { OperatorMethod: { } userOperator, OperatorKind: BinaryOperatorKind.ConditionalAnd or BinaryOperatorKind.ConditionalOr } shortCircuit:
                    // `a && b` with a user `&` is `T.false(a) ? a : T.&(a, b)` (`||`: `T.true(a) ? a : T.|(a, b)`).
                    return CheckOperator(userOperator, operation)
                        ?? CheckTruthOperator(userOperator.ContainingType, shortCircuit.OperatorKind == BinaryOperatorKind.ConditionalAnd ? "op_False" : "op_True", operation);
                case IBinaryOperation { OperatorMethod: { } userOperator }:
                    return CheckOperator(userOperator, operation);
                case IBinaryOperation { OperatorKind: BinaryOperatorKind.Add, Type.SpecialType: SpecialType.System_String } concatenation:
                    // `"a" + w` calls w's ToString.
                    return CheckFormatting(concatenation.LeftOperand, interpolated: false, operation)
                        ?? CheckFormatting(concatenation.RightOperand, interpolated: false, operation);
                case IWithOperation { CloneMethod: { } clone, Operand: var copied } when IsGeneratedRecordMember(clone):
                    return CheckGenerated(clone, copied, operation, depth: 0);
                case IInterpolationOperation interpolation:
                    return CheckFormatting(interpolation.Expression, interpolated: true, operation);
                case IInterpolatedStringAppendOperation { AppendCall: IInvocationOperation { TargetMethod.Name: "AppendFormatted" } append }:
                    // `$"{w}"` built with a handler (StringBuilder.Append($"..."), string.Create): AppendFormatted formats w.
                    return append.Arguments.FirstOrDefault(static a => a.Parameter?.Ordinal == 0) is { } formatted
                        ? CheckFormatting(formatted.Value, interpolated: true, operation)
                        : null;
                case ITupleBinaryOperation tupleEquality:
                    return CheckTupleEquality(
                        tupleEquality.LeftOperand,
                        tupleEquality.LeftOperand.Type,
                        tupleEquality.RightOperand,
                        tupleEquality.RightOperand.Type,
                        tupleEquality.OperatorKind == BinaryOperatorKind.NotEquals ? "op_Inequality" : "op_Equality",
                        operation,
                        depth: 0);
                case IUnaryOperation { OperatorMethod: { } userOperator }:
                    return CheckOperator(userOperator, operation);
                case IConversionOperation { OperatorMethod: { } userOperator }:
                    return CheckOperator(userOperator, operation);
                case IObjectCreationOperation { Constructor: { } constructor } creation:
                    return CheckConstructor(constructor, creation);
                // Members the compiler calls for `c[^1]` and `c[1..]` on a type with Length or Count and an int indexer
                // or Slice, and for a list pattern `c is [var a, .. var rest]`.
                case IImplicitIndexerReferenceOperation implicitIndexer:
                    return CheckImplicitMember(implicitIndexer.LengthSymbol, implicitIndexer.Instance, operation)
                        ?? (IsWriteTarget(implicitIndexer) ? null : CheckImplicitMember(implicitIndexer.IndexerSymbol, implicitIndexer.Instance, operation));
                case IListPatternOperation listPattern:
                    return CheckImplicitMember(listPattern.LengthSymbol, instance: null, operation)
                        ?? CheckImplicitMember(listPattern.IndexerSymbol, instance: null, operation);
                case ISlicePatternOperation { SliceSymbol: { } slice }:
                    return CheckImplicitMember(slice, instance: null, operation);
                case IPropertyReferenceOperation property:
                    return CheckPropertyRead(property);
                case IFieldReferenceOperation { Instance: IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance } } field
                    when _thisMode == ThisMode.Captured:
                    return Effect("reads captured field '" + KnownApis.Display(field.Field) + "'", operation, isCapturedRead: true);
                case ILocalReferenceOperation { Local: var local } when !local.IsConst && !IsInsideRoot(local):
                    return Effect("reads captured variable '" + local.Name + "'", operation, isCapturedRead: true);
                case IParameterReferenceOperation { Parameter: var parameter } when !IsInsideRoot(parameter):
                    // A primary constructor's parameter, read in a member of its type, is state of 'this', like a field.
                    return IsPrimaryConstructorParameter(parameter) && _thisMode != ThisMode.Captured
                        ? null
                        : Effect("reads captured parameter '" + parameter.Name + "'", operation, isCapturedRead: true);
                case IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance }
                    when _thisMode == ThisMode.Captured && operation.Parent is not (IMemberReferenceOperation or IInvocationOperation):
                    return Effect("captures 'this'", operation, isCapturedRead: true);
                default:
                    return null;
            }
        }

        private PurityViolation? CheckDeconstruction(IOperation operation)
        {
            if (operation.SemanticModel is not { } model)
            {
                return null;
            }

            var info = operation.Syntax switch
            {
                Microsoft.CodeAnalysis.CSharp.Syntax.AssignmentExpressionSyntax assignment => Microsoft.CodeAnalysis.CSharp.CSharpExtensions.GetDeconstructionInfo(model, assignment),
                Microsoft.CodeAnalysis.CSharp.Syntax.ForEachVariableStatementSyntax loop => Microsoft.CodeAnalysis.CSharp.CSharpExtensions.GetDeconstructionInfo(model, loop),
                _ => default,
            };
            return CheckDeconstruction(info, operation, depth: 0);
        }

        private PurityViolation? CheckDeconstruction(Microsoft.CodeAnalysis.CSharp.DeconstructionInfo info, IOperation at, int depth)
        {
            if (depth > MaxNesting)
            {
                return null;
            }

            if (info.Method is { } method && IsInSource(method) && CheckMember(method, instance: null, at, ImmutableArray<IArgumentOperation>.Empty) is { } violation)
            {
                return violation;
            }

            foreach (var nested in info.Nested)
            {
                if (CheckDeconstruction(nested, at, depth + 1) is { } inner)
                {
                    return inner;
                }
            }

            return null;
        }

        private PurityViolation? CheckForEach(IForEachLoopOperation loop)
        {
            if (loop.SemanticModel is not { } model || loop.Syntax is not Microsoft.CodeAnalysis.CSharp.Syntax.CommonForEachStatementSyntax syntax)
            {
                return null;
            }

            var info = Microsoft.CodeAnalysis.CSharp.CSharpExtensions.GetForEachStatementInfo(model, syntax);
            if (info.GetEnumeratorMethod is { } getEnumerator && IsInSource(getEnumerator)
                && CheckMember(getEnumerator, getEnumerator.IsStatic ? null : loop.Collection, loop, ImmutableArray<IArgumentOperation>.Empty) is { } violation)
            {
                return violation;
            }

            // The enumerator is the one GetEnumerator just made: its members may change it.
            foreach (var member in new[] { info.MoveNextMethod, info.CurrentProperty?.GetMethod, info.DisposeMethod })
            {
                if (member is not null && IsInSource(member)
                    && Enter(member, ThisMode.Fresh, loop, member.AssociatedSymbol?.Name ?? member.Name) is { } inner)
                {
                    return inner;
                }
            }

            return (info.ElementConversion.MethodSymbol is { } conversion && IsInSource(conversion) ? CheckOperator(conversion, loop) : null)
                ?? (syntax is Microsoft.CodeAnalysis.CSharp.Syntax.ForEachVariableStatementSyntax ? CheckDeconstruction(loop) : null);
        }

        // `Bag b = [x, 1]` makes the collection with its constructor and Add, or with its [CollectionBuilder] method: those the
        // compilation declares are proved.
        private PurityViolation? CheckCollectionExpression(ICollectionExpressionOperation collection)
        {
            if (collection.ConstructMethod is not { } construct || _prover.IsUserDeclaredPure(construct))
            {
                return null;
            }

            if (!IsInSource(construct.ContainingType))
            {
                // `HashSet<Key> set = [k]`, `ImmutableHashSet<Key> s = [k]`: a framework set or dictionary hashes (or orders) what it is given.
                return collection.Elements.IsEmpty ? null : CheckElementComparisons(construct, collection);
            }

            if (construct.MethodKind != MethodKind.Constructor)
            {
                return CheckMember(construct, instance: null, collection, ImmutableArray<IArgumentOperation>.Empty);
            }

            if (IsInSource(construct) && Enter(construct, ThisMode.Fresh, collection, "new " + construct.ContainingType.Name) is { } violation)
            {
                return violation;
            }

            for (var type = construct.ContainingType; !collection.Elements.IsEmpty && type is not null && IsInSource(type); type = type.BaseType)
            {
                foreach (var member in type.GetMembers("Add"))
                {
                    if (member is IMethodSymbol { IsStatic: false, Parameters.Length: 1 } add && !_prover.IsUserDeclaredPure(add)
                        && Enter(add, ThisMode.Fresh, collection, add.Name) is { } added)
                    {
                        return added;
                    }
                }
            }

            return null;
        }

        // `bag.Count()`, `bag.ToList()`, `new List<int>(bag)`, `string.Concat(bag)`: a compiled method handed a collection of
        // the compilation as an IEnumerable<T> (or IEnumerable) enumerates it as foreach does, with its GetEnumerator,
        // MoveNext and Current, which are proved like a spread's.
        private PurityViolation? CheckEnumeratedArguments(ImmutableArray<IArgumentOperation> arguments, IOperation at)
        {
            if (arguments.IsDefaultOrEmpty)
            {
                return null;
            }

            foreach (var argument in arguments)
            {
                if (argument.Parameter?.Type.OriginalDefinition.SpecialType is SpecialType.System_Collections_Generic_IEnumerable_T or SpecialType.System_Collections_IEnumerable
                    && CheckSpread(argument.Value, at) is { } violation)
                {
                    return violation;
                }
            }

            return null;
        }

        // `xs.OrderBy(x => x, new Cmp())`, `new HashSet<Key>(new KeyComparer())`: a compiled method or constructor handed a
        // comparer of the compilation (IComparer<T>, IEqualityComparer<T>, or their non-generic forms) calls it back, so
        // its Compare, Equals and GetHashCode are proved, each of the types of the compilation that can be behind it. So is
        // a format provider (`string.Format(new Fmt(), "{0}", x)`, `x.ToString(new Fmt())`): formatting asks its
        // IFormatProvider.GetFormat for a formatter, and string.Format calls an ICustomFormatter's Format for each hole.
        private PurityViolation? CheckComparerArguments(ImmutableArray<IArgumentOperation> arguments, IOperation at)
        {
            if (arguments.IsDefaultOrEmpty)
            {
                return null;
            }

            foreach (var argument in arguments)
            {
                var value = Strip(argument.Value);
                if (value.Type is INamedTypeSymbol { TypeKind: TypeKind.Interface } held && IsCallbackInterface(held))
                {
                    // `xs.OrderBy(x => x, s_byPrice)` with `static readonly IComparer<Order> s_byPrice = new ByPrice()`: any type
                    // of the compilation implementing the interface can be behind it (the framework's are trusted).
                    foreach (var candidate in _prover._sourceTypes.Value)
                    {
                        if (candidate is { TypeKind: TypeKind.Class or TypeKind.Struct, IsAbstract: false }
                            && candidate.AllInterfaces.Contains(held, SymbolEqualityComparer.Default)
                            && CheckCallbacks(candidate, value: null, at) is { } heldViolation)
                        {
                            return heldViolation;
                        }
                    }

                    continue;
                }

                if (value.Type is not INamedTypeSymbol { TypeKind: TypeKind.Class or TypeKind.Struct } type || !IsInSource(type))
                {
                    continue;
                }

                if (CheckCallbacks(type, value, at) is { } violation)
                {
                    return violation;
                }
            }

            return null;
        }

        // The members of every comparer or formatting interface `type` implements, as the framework calls them back.
        private PurityViolation? CheckCallbacks(INamedTypeSymbol type, IOperation? value, IOperation at)
        {
            foreach (var contract in type.AllInterfaces)
            {
                if (!IsCallbackInterface(contract))
                {
                    continue;
                }

                foreach (var member in contract.GetMembers())
                {
                    if (member is IMethodSymbol { IsStatic: false } interfaceMethod
                        && CheckCallback(type, interfaceMethod, value, at) is { } violation)
                    {
                        return violation;
                    }
                }
            }

            return null;
        }

        // `xs.Distinct()`, `set.Add(k)`, `list.Sort()`, `xs.OrderBy(x => x.Key)`: a framework collection or LINQ operator
        // that hashes, compares or orders its elements (or keys) with the default comparer runs the element type's own
        // Equals and GetHashCode, or CompareTo, when that type is of the compilation.
        private PurityViolation? CheckElementComparisons(IMethodSymbol method, IOperation at)
        {
            var type = method.ContainingType;
            if (type is null)
            {
                return null;
            }

            var ns = type.ContainingNamespace;
            var linq = type.Name is "Enumerable" or "ImmutableArrayExtensions" && KnownTypes.IsNamespace(ns, "System.Linq");
            var collections = KnownTypes.IsNamespace(ns, "System.Collections.Generic") || KnownTypes.IsNamespace(ns, "System.Collections.Concurrent")
                || KnownTypes.IsNamespace(ns, "System.Collections.Immutable") || KnownTypes.IsNamespace(ns, "System.Collections.Frozen")
                || (type.Name is "Array" or "MemoryExtensions" or "Span" or "ReadOnlySpan" && KnownTypes.IsNamespace(ns, "System"));
            if (!linq && !collections)
            {
                return null;
            }

            string[] members;
            IEnumerable<ITypeSymbol> compared;
            if (linq)
            {
                members = method.Name switch
                {
                    "Order" or "OrderDescending" or "OrderBy" or "OrderByDescending" or "ThenBy" or "ThenByDescending" or "Min" or "Max" or "MinBy" or "MaxBy" => ["CompareTo"],
                    "Contains" or "SequenceEqual" or "IndexOf" => ["Equals"],
                    "Distinct" or "DistinctBy" or "Union" or "UnionBy" or "Intersect" or "IntersectBy" or "Except" or "ExceptBy"
                        or "ToHashSet" or "GroupBy" or "ToDictionary" or "ToLookup" or "Join" or "GroupJoin" or "CountBy" or "AggregateBy" => ["Equals", "GetHashCode"],
                    _ => [],
                };
                compared = method.TypeArguments;
            }
            else if (type.Name is "Dictionary" or "HashSet" or "ConcurrentDictionary" or "ImmutableHashSet" or "ImmutableDictionary" or "FrozenSet" or "FrozenDictionary" or "OrderedDictionary" or "EqualityComparer")
            {
                members = ["Equals", "GetHashCode"];
                compared = type.TypeArguments.Take(1).Concat(KeyTypeArgument(method));
            }
            else if (type.Name is "SortedSet" or "SortedDictionary" or "SortedList" or "ImmutableSortedSet" or "ImmutableSortedDictionary" or "Comparer")
            {
                members = ["CompareTo"];
                compared = type.TypeArguments.Take(1).Concat(KeyTypeArgument(method));
            }
            else
            {
                members = method.Name switch
                {
                    "Sort" or "BinarySearch" => ["CompareTo"],
                    "Contains" or "IndexOf" or "LastIndexOf" or "Remove" or "SequenceEqual" => ["Equals"],
                    _ => [],
                };
                compared = type.TypeArguments.Concat(method.TypeArguments);
            }

            foreach (var element in compared)
            {
                foreach (var member in members)
                {
                    if (CheckValueEquality(element, member, at, depth: 0) is { } violation)
                    {
                        return violation;
                    }
                }
            }

            return null;
        }

        // The type argument a factory of a set or dictionary keys by: `TKey` of `xs.ToImmutableDictionary(x => x.K, x => x.V)`
        // or `xs.ToFrozenDictionary(x => x.K)`, else the first (`ImmutableHashSet.Create<T>`, `xs.ToFrozenSet()`).
        private static IEnumerable<ITypeSymbol> KeyTypeArgument(IMethodSymbol method)
        {
            var parameters = method.OriginalDefinition.TypeParameters;
            for (var i = 0; i < parameters.Length && i < method.TypeArguments.Length; i++)
            {
                if (parameters[i].Name == "TKey")
                {
                    return [method.TypeArguments[i]];
                }
            }

            return method.TypeArguments.Take(1);
        }

        private static bool IsCallbackInterface(INamedTypeSymbol contract) =>
            (contract.Name is "IComparer" or "IEqualityComparer"
                && (KnownTypes.IsNamespace(contract.ContainingNamespace, "System.Collections.Generic") || KnownTypes.IsNamespace(contract.ContainingNamespace, "System.Collections")))
            || (contract.Name is "IFormatProvider" or "ICustomFormatter" && KnownTypes.IsNamespace(contract.ContainingNamespace, "System"));

        // The implementations of an interface member (or the overrides of a virtual one) that a value of `type` can run: the
        // type's own, and, when types of the compilation can derive from it, theirs.
        private PurityViolation? CheckCallback(INamedTypeSymbol type, IMethodSymbol member, IOperation? value, IOperation at, int depth = 0)
        {
            var family = type.IsSealed || type.IsValueType || value is IObjectCreationOperation
                ? ImmutableArray.Create(type)
                : _prover.SourceTypesDerivedFrom(type);
            var thisMode = value is not null && IsFresh(value) ? ThisMode.Fresh : ThisMode.ReadOnly;
            var proved = new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default);
            foreach (var runtimeType in family)
            {
                var implementation = member.ContainingType.TypeKind == TypeKind.Interface
                    ? runtimeType.FindImplementationForInterfaceMember(member) as IMethodSymbol
                    : PurityProver.ImplementationIn(runtimeType, member);
                if (implementation is { IsStatic: false, IsSealed: false } && (implementation.IsVirtual || implementation.IsAbstract || implementation.IsOverride))
                {
                    // `class ByPrice : Comparer<Order>`: the interface maps to the base's abstract Compare, and what runs is
                    // the override the runtime type declares.
                    implementation = PurityProver.ImplementationIn(runtimeType, implementation) ?? implementation;
                }

                if (runtimeType.IsAbstract || implementation is not { IsAbstract: false } || !proved.Add(implementation.OriginalDefinition)
                    || _prover.IsUserDeclaredPure(implementation))
                {
                    continue;
                }

                var name = implementation.ContainingType.Name + "." + (implementation.AssociatedSymbol ?? implementation).Name;
                var violation = IsGeneratedRecordMember(implementation)
                    ? CheckGenerated(implementation, instance: null, at, depth + 1)?.Prepend(name)
                    : IsInSource(implementation) ? Enter(implementation, thisMode, at, name) : null;
                if (violation is not null)
                {
                    return violation;
                }
            }

            return null;
        }

        // What `EqualityComparer<T>.Default` (or `Comparer<T>.Default`) runs on a value of `type` of the compilation: its
        // IEquatable<T>.Equals (or IComparable<T>.CompareTo), else its override of object.Equals (or IComparable.CompareTo);
        // for GetHashCode its override of object.GetHashCode. A record's generated ones are proved through what they call.
        private PurityViolation? CheckValueEquality(ITypeSymbol type, string memberName, IOperation at, int depth)
        {
            if (depth > MaxDepth || type is not INamedTypeSymbol { TypeKind: TypeKind.Class or TypeKind.Struct } named)
            {
                return null;
            }

            if (named.IsTupleType)
            {
                // A tuple compares, hashes and orders element by element, with each element type's own members.
                foreach (var element in named.TupleElements)
                {
                    if (CheckValueEquality(element.Type, memberName, at, depth + 1) is { } violation)
                    {
                        return violation;
                    }
                }

                return null;
            }

            // Each type's member is proved once per body: a record holding records holding it again is not walked over and over.
            if (!IsInSource(named) || !(_valueMembersProved ??= new HashSet<(ISymbol, string)>()).Add((named.OriginalDefinition, memberName)))
            {
                return null;
            }

            var objectType = _prover._compilation.GetSpecialType(SpecialType.System_Object);
            IMethodSymbol? member = null;
            if (memberName == "CompareTo")
            {
                member = FindInterfaceMember(named, "IComparable", generic: true, "CompareTo") ?? FindInterfaceMember(named, "IComparable", generic: false, "CompareTo");
            }
            else
            {
                member = memberName == "Equals" ? FindInterfaceMember(named, "IEquatable", generic: true, "Equals") : null;
                member ??= objectType.GetMembers(memberName).OfType<IMethodSymbol>().FirstOrDefault(m => m.Parameters.Length == (memberName == "Equals" ? 1 : 0));
            }

            return member is null ? null : CheckCallback(named, member, value: null, at, depth);
        }

        // The member of `named`'s implementation of System.IComparable<named> / IEquatable<named> (or the non-generic form).
        private static IMethodSymbol? FindInterfaceMember(INamedTypeSymbol named, string interfaceName, bool generic, string memberName)
        {
            foreach (var contract in named.AllInterfaces)
            {
                if (contract.Name == interfaceName && KnownTypes.IsNamespace(contract.ContainingNamespace, "System") && contract.IsGenericType == generic
                    && (!generic || SymbolEqualityComparer.Default.Equals(contract.TypeArguments[0], named)))
                {
                    return contract.GetMembers(memberName).OfType<IMethodSymbol>().FirstOrDefault();
                }
            }

            return null;
        }

        // `[.. bag]` enumerates bag as foreach does: a GetEnumerator of the compilation, and its enumerator's MoveNext and Current.
        private PurityViolation? CheckSpread(IOperation spread, IOperation at)
        {
            var operand = Strip(spread);
            if (operand.Type is not INamedTypeSymbol { SpecialType: SpecialType.None } type || !IsInSource(type))
            {
                return null;
            }

            for (var current = type; current is not null && IsInSource(current); current = current.BaseType)
            {
                if (current.GetMembers("GetEnumerator").OfType<IMethodSymbol>().FirstOrDefault(static m => m is { IsStatic: false, Parameters.IsEmpty: true }) is not { } getEnumerator)
                {
                    continue;
                }

                if (CheckMember(getEnumerator, operand, at, ImmutableArray<IArgumentOperation>.Empty) is { } violation)
                {
                    return violation;
                }

                if (getEnumerator.ReturnType is INamedTypeSymbol enumerator && IsInSource(enumerator))
                {
                    var moveNext = enumerator.GetMembers("MoveNext").OfType<IMethodSymbol>().FirstOrDefault(static m => m.Parameters.IsEmpty);
                    var current2 = enumerator.GetMembers("Current").OfType<IPropertySymbol>().FirstOrDefault()?.GetMethod;
                    foreach (var member in new[] { moveNext, current2 })
                    {
                        if (member is not null && IsInSource(member) && Enter(member, ThisMode.Fresh, at, member.AssociatedSymbol?.Name ?? member.Name) is { } inner)
                        {
                            return inner;
                        }
                    }
                }

                return null;
            }

            return null;
        }

        // string.Join, string.Concat, string.Format, StringBuilder.Append/AppendJoin/AppendFormat/Insert and Convert.ToString
        // format the values they are handed (the elements of a sequence or array handed as one) with their ToString, or
        // their IFormattable.ToString for a format: a value of a type of the compilation is formatted by its own members.
        private PurityViolation? CheckFormattedArguments(IMethodSymbol method, ImmutableArray<IArgumentOperation> arguments, IOperation at)
        {
            if (arguments.IsDefaultOrEmpty || method.ContainingType is not { } owner
                || method.Name is not ("Join" or "Concat" or "Format" or "Append" or "AppendLine" or "AppendJoin" or "AppendFormat" or "Insert" or "ToString")
                || !(owner.SpecialType == SpecialType.System_String
                    || (owner.Name == "StringBuilder" && KnownTypes.IsNamespace(owner.ContainingNamespace, "System.Text"))
                    || (owner.Name == "Convert" && KnownTypes.IsNamespace(owner.ContainingNamespace, "System"))))
            {
                return null;
            }

            var interpolated = method.Name.EndsWith("Format", StringComparison.Ordinal);
            foreach (var argument in arguments)
            {
                var value = Strip(argument.Value);
                // `string.Join(",", a, b, c)` binds to `params ReadOnlySpan<object?>` (a params collection) on .NET 9 and later.
                var expanded = argument.ArgumentKind is ArgumentKind.ParamArray or ArgumentKind.ParamCollection;
                IEnumerable<IOperation> values = expanded
                    ? value switch
                    {
                        IArrayCreationOperation { Initializer: { } initializer } => initializer.ElementValues,
                        ICollectionExpressionOperation collection => collection.Elements,
                        _ => Array.Empty<IOperation>(),
                    }
                    : new[] { value };
                foreach (var formatted in values)
                {
                    var operand = Strip(formatted);
                    var violation = !expanded && ElementType(argument.Parameter?.Type) is not null
                        ? CheckFormatting(ElementType(operand.Type), operand: null, interpolated, at)
                        : CheckFormatting(operand.Type, operand, interpolated, at);
                    if (violation is not null)
                    {
                        return violation;
                    }
                }
            }

            return null;

            // The element type of an array, span or IEnumerable<T> (string and char sequences aside, whose elements are not formatted).
            static ITypeSymbol? ElementType(ITypeSymbol? type) =>
                type switch
                {
                    null or { SpecialType: SpecialType.System_String } => null,
                    IArrayTypeSymbol array => array.ElementType,
                    INamedTypeSymbol { Name: "ReadOnlySpan" or "Span", TypeArguments: { Length: 1 } spanArguments } => spanArguments[0],
                    INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Collections_Generic_IEnumerable_T } enumerable => enumerable.TypeArguments[0],
                    INamedTypeSymbol named => named.AllInterfaces.FirstOrDefault(static i => i.OriginalDefinition.SpecialType == SpecialType.System_Collections_Generic_IEnumerable_T)?.TypeArguments[0],
                    _ => null,
                };
        }

        private PurityViolation? CheckDispose(IOperation resources, IOperation at)
        {
            var disposable = _prover._compilation.GetSpecialType(SpecialType.System_IDisposable).GetMembers("Dispose").OfType<IMethodSymbol>().FirstOrDefault();
            var values = resources is IVariableDeclarationGroupOperation group
                ? group.Declarations.SelectMany(static d => d.Declarators).Select(static d => ((ITypeSymbol?)d.Symbol.Type, Value: d.GetVariableInitializer()?.Value))
                : new[] { (resources.Type, Value: (IOperation?)resources) };
            foreach (var (type, value) in values)
            {
                var dispose = type is null ? null
                    : type.IsRefLikeType ? type.GetMembers("Dispose").OfType<IMethodSymbol>().FirstOrDefault(static m => m.Parameters.IsEmpty && !m.IsStatic)
                    : disposable is null ? null
                    : type.FindImplementationForInterfaceMember(disposable) as IMethodSymbol;
                if (dispose is not null && IsInSource(dispose)
                    && Enter(dispose, value is not null && IsCreation(value) ? ThisMode.Fresh : ThisMode.ReadOnly, at, dispose.Name) is { } violation)
                {
                    return violation;
                }
            }

            return null;
        }

        // Interpolation formats a value with its IFormattable.ToString(format, provider) (or ISpanFormattable.TryFormat,
        // with a handler) when it has them, with ToString() otherwise; concatenation calls ToString(). The members of the
        // value's type that the compilation declares are proved; the framework's own formatting is pure.
        private PurityViolation? CheckFormatting(IOperation value, bool interpolated, IOperation at)
        {
            var operand = Strip(value);
            return CheckFormatting(operand.Type, operand, interpolated, at);
        }

        private PurityViolation? CheckFormatting(ITypeSymbol? formatted, IOperation? operand, bool interpolated, IOperation at)
        {
            if (formatted is not INamedTypeSymbol { SpecialType: not SpecialType.System_String } type
                || !SymbolEqualityComparer.Default.Equals(type.ContainingAssembly, _prover._compilation.Assembly))
            {
                return null;
            }

            var compilation = _prover._compilation;
            var formattable = interpolated ? compilation.GetTypeByMetadataName("System.IFormattable") : null;
            if (formattable is not null && type.AllInterfaces.Contains(formattable, SymbolEqualityComparer.Default))
            {
                var spanFormattable = compilation.GetTypeByMetadataName("System.ISpanFormattable");
                foreach (var member in formattable.GetMembers("ToString").Concat(spanFormattable?.GetMembers("TryFormat") ?? ImmutableArray<ISymbol>.Empty))
                {
                    if (type.FindImplementationForInterfaceMember(member) is IMethodSymbol implementation && IsInSource(implementation)
                        && CheckMember(implementation, operand, at, ImmutableArray<IArgumentOperation>.Empty) is { } violation)
                    {
                        return violation;
                    }
                }

                return null;
            }

            var toString = compilation.GetSpecialType(SpecialType.System_Object).GetMembers("ToString").OfType<IMethodSymbol>().FirstOrDefault();
            if (toString is null || PurityProver.ImplementationIn(type, toString) is not { } overridden)
            {
                return null;
            }

            return SymbolEqualityComparer.Default.Equals(overridden.ContainingAssembly, compilation.Assembly)
                ? CheckMember(overridden, operand, at, ImmutableArray<IArgumentOperation>.Empty)
                    ?? (operand is null && IsGeneratedRecordMember(overridden) ? CheckDerivedOverrides(overridden, operand, type, at) : null)
                : CheckDerivedOverrides(overridden, operand, type, at);
        }

        // A call bound to a framework virtual member (`object.ToString`, `Equals`, `GetHashCode`) or to a member the
        // compiler generates for a record runs the override of the receiver's runtime type: when the receiver's type is a
        // class of this compilation that other types of the compilation derive from, the overrides they declare are proved
        // (a generated one through the members it calls). Code outside the compilation overriding a framework member is
        // trusted like the framework's own.
        private PurityViolation? CheckDerivedOverrides(IMethodSymbol method, IOperation? instance, ITypeSymbol? receiverType, IOperation at)
        {
            if (method is not { IsStatic: false, IsSealed: false } || !(method.IsVirtual || method.IsOverride || method.IsAbstract)
                || receiverType is not INamedTypeSymbol { TypeKind: TypeKind.Class, IsSealed: false } type
                || !SymbolEqualityComparer.Default.Equals(type.ContainingAssembly, _prover._compilation.Assembly))
            {
                return null;
            }

            var receiver = instance is null ? null : Strip(instance);
            if (receiver is IObjectCreationOperation or IInstanceReferenceOperation { Syntax: Microsoft.CodeAnalysis.CSharp.Syntax.BaseExpressionSyntax })
            {
                return null;
            }

            var thisMode = IsFresh(instance) ? ThisMode.Fresh : ThisMode.ReadOnly;
            var proved = new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default) { method.OriginalDefinition };
            foreach (var runtimeType in _prover.SourceTypesDerivedFrom(type))
            {
                if (runtimeType.IsAbstract
                    || PurityProver.ImplementationIn(runtimeType, method) is not { IsAbstract: false } implementation
                    || !IsInSource(implementation) || !proved.Add(implementation.OriginalDefinition))
                {
                    continue;
                }

                var name = implementation.ContainingType.Name + "." + (implementation.AssociatedSymbol ?? implementation).Name;
                var violation = IsGeneratedRecordMember(implementation)
                    ? CheckGenerated(implementation, instance: null, at, depth: 0)?.Prepend(name)
                    : _prover.IsUserDeclaredPure(implementation) ? null : Enter(implementation, thisMode, at, name);
                if (violation is not null)
                {
                    return violation;
                }
            }

            return null;
        }

        // A member the compiler generates for a record of this compilation (ToString, PrintMembers, Equals, ==, !=,
        // GetHashCode, the clone `with` calls): trusted itself, but it calls the members the user declared in their place.
        private bool IsGeneratedRecordMember(IMethodSymbol method) =>
            method is { IsImplicitlyDeclared: true, ContainingType: { IsRecord: true } record }
            && SymbolEqualityComparer.Default.Equals(record.ContainingAssembly, _prover._compilation.Assembly);

        private PurityViolation? CheckGenerated(IMethodSymbol method, IOperation? instance, IOperation at, int depth)
        {
            var record = method.ContainingType;
            if (depth > MaxDepth)
            {
                return null;
            }

            switch (method.Name)
            {
                case "ToString":
                    // ToString calls PrintMembers.
                    return FindMember(record, "PrintMembers", static (m, _) => m.Parameters.Length == 1) is { } printMembers
                        ? CheckRecordMember(printMembers, instance, at, depth)
                        : null;
                case "PrintMembers":
                    // Reads every public field and property the record declares (a getter of the user's runs) and formats
                    // each value with its ToString, after the base record's PrintMembers.
                    foreach (var member in record.GetMembers())
                    {
                        if (member is not { IsStatic: false, DeclaredAccessibility: Accessibility.Public, IsImplicitlyDeclared: false } || member.Name == "EqualityContract")
                        {
                            continue;
                        }

                        var violation = member switch
                        {
                            IPropertySymbol { IsIndexer: false, GetMethod: { } getter } property =>
                                (IsInSource(getter) && !_prover.IsUserDeclaredPure(property) ? CheckGetter(getter, instance, at) : null)
                                ?? CheckFormatting(property.Type, operand: null, interpolated: false, at),
                            IFieldSymbol field => CheckFormatting(field.Type, operand: null, interpolated: false, at),
                            _ => null,
                        };
                        if (violation is not null)
                        {
                            return violation;
                        }
                    }

                    return BaseRecordMember(record, method) is { } basePrintMembers ? CheckRecordMember(basePrintMembers, instance, at, depth) : null;
                case "Equals" when method.Parameters.Length == 1 && !SymbolEqualityComparer.Default.Equals(method.Parameters[0].Type.OriginalDefinition, record.OriginalDefinition):
                case "op_Equality" or "op_Inequality":
                    // Equals(object), Equals(Base?), == and != call Equals(R?).
                    return FindMember(record, "Equals", static (m, r) => m.Parameters.Length == 1 && SymbolEqualityComparer.Default.Equals(m.Parameters[0].Type.OriginalDefinition, r.OriginalDefinition)) is { } typed
                        ? CheckRecordMember(typed, method.IsStatic ? null : instance, at, depth)
                        : null;
                case "Equals" or "GetHashCode":
                    // Compare and hash the fields (not through the getters), with EqualityComparer<T>.Default, which runs the
                    // field type's own Equals or GetHashCode; after the base record's.
                    foreach (var member in record.GetMembers())
                    {
                        if (member is IFieldSymbol { IsStatic: false, IsConst: false } field
                            && CheckValueEquality(field.Type, method.Name, at, depth) is { } fieldViolation)
                        {
                            return fieldViolation;
                        }
                    }

                    return BaseRecordMember(record, method) is { } baseMember ? CheckRecordMember(baseMember, instance, at, depth) : null;
                case "Deconstruct":
                    // A positional record's Deconstruct reads each positional property through its getter, which the user
                    // may have declared in the parameter's place.
                    foreach (var parameter in method.Parameters)
                    {
                        for (var current = record; current is not null; current = current.BaseType)
                        {
                            if (current.GetMembers(parameter.Name).FirstOrDefault() is IPropertySymbol { IsStatic: false, GetMethod: { } getter } property)
                            {
                                if (IsInSource(getter) && !_prover.IsUserDeclaredPure(property) && CheckGetter(getter, instance, at) is { } violation)
                                {
                                    return violation;
                                }

                                break;
                            }
                        }
                    }

                    return null;
                case "<Clone>$":
                    // `with` copies through the copy constructor, which runs the base record's.
                    for (var current = record; current is { IsRecord: true } && SymbolEqualityComparer.Default.Equals(current.ContainingAssembly, _prover._compilation.Assembly); current = current.BaseType)
                    {
                        var copy = current.InstanceConstructors.FirstOrDefault(c => c.Parameters.Length == 1 && SymbolEqualityComparer.Default.Equals(c.Parameters[0].Type.OriginalDefinition, current.OriginalDefinition));
                        if (copy is { IsImplicitlyDeclared: false } && IsInSource(copy))
                        {
                            return _prover.IsUserDeclaredPure(copy) ? null : Enter(copy, ThisMode.Fresh, at, current.Name);
                        }
                    }

                    return null;
                default:
                    return null;
            }
        }

        private PurityViolation? CheckGetter(IMethodSymbol getter, IOperation? instance, IOperation at) =>
            IsVirtualDispatch(getter, instance)
                ? CheckVirtual(getter, instance!, at)
                : Enter(getter, instance is not null && IsFresh(instance) ? ThisMode.Fresh : ThisMode.ReadOnly, at, getter.AssociatedSymbol?.Name ?? getter.Name);

        private PurityViolation? CheckRecordMember(IMethodSymbol member, IOperation? instance, IOperation at, int depth) =>
            IsGeneratedRecordMember(member)
                ? CheckGenerated(member, instance, at, depth + 1)
                : CheckMember(member, instance, at, ImmutableArray<IArgumentOperation>.Empty);

        private static IMethodSymbol? FindMember(INamedTypeSymbol record, string name, Func<IMethodSymbol, INamedTypeSymbol, bool> shape)
        {
            foreach (var member in record.GetMembers(name))
            {
                if (member is IMethodSymbol { IsStatic: false } method && shape(method, record))
                {
                    return method;
                }
            }

            return null;
        }

        // The same member of the base record, which the generated one calls (`base.PrintMembers`, `base.Equals`).
        private IMethodSymbol? BaseRecordMember(INamedTypeSymbol record, IMethodSymbol method) =>
            record.BaseType is { IsRecord: true } baseRecord && SymbolEqualityComparer.Default.Equals(baseRecord.ContainingAssembly, _prover._compilation.Assembly)
                ? FindMember(baseRecord, method.Name, (m, _) => m.Parameters.Length == method.Parameters.Length
                    && (m.Parameters.Length == 0 || SymbolEqualityComparer.Default.Equals(m.Parameters[0].Type.OriginalDefinition, method.Name == "Equals" ? baseRecord.OriginalDefinition : m.Parameters[0].Type.OriginalDefinition)))
                : null;

        // `(m, 1) == (n, 1)` compares element by element, with the element types' own `==` (or `!=`): the operation does
        // not name them, so the user-defined ones that apply to each pair of element types are proved.
        private PurityViolation? CheckTupleEquality(IOperation? left, ITypeSymbol? leftType, IOperation? right, ITypeSymbol? rightType, string name, IOperation at, int depth)
        {
            if (depth > MaxNesting)
            {
                return null;
            }

            var lefts = TupleElements(left, leftType);
            var rights = TupleElements(right, rightType);
            if (lefts is null || rights is null)
            {
                return lefts is null && rights is null ? CheckElementEquality(leftType, rightType, name, at) : null;
            }

            for (var i = 0; i < lefts.Count && i < rights.Count; i++)
            {
                if (CheckTupleEquality(lefts[i].Operation, lefts[i].Type, rights[i].Operation, rights[i].Type, name, at, depth + 1) is { } violation)
                {
                    return violation;
                }
            }

            return null;
        }

        // The elements of a tuple literal (with the types they have before any conversion) or of a value of tuple type;
        // null for anything else.
        private static List<(IOperation? Operation, ITypeSymbol? Type)>? TupleElements(IOperation? operation, ITypeSymbol? type)
        {
            if (operation is not null && Strip(operation) is ITupleOperation tuple)
            {
                return tuple.Elements.Select(static e => ((IOperation?)e, Strip(e).Type ?? e.Type)).ToList();
            }

            return type is INamedTypeSymbol { IsTupleType: true } tupleType
                ? tupleType.TupleElements.Select(static e => ((IOperation?)null, (ITypeSymbol?)e.Type)).ToList()
                : null;
        }

        private PurityViolation? CheckElementEquality(ITypeSymbol? left, ITypeSymbol? right, string name, IOperation at)
        {
            if (left is null || right is null)
            {
                return null;
            }

            left = Underlying(left);
            right = Underlying(right);
            var candidates = left.GetMembers(name);
            if (!SymbolEqualityComparer.Default.Equals(left, right))
            {
                candidates = candidates.AddRange(right.GetMembers(name));
            }

            foreach (var candidate in candidates)
            {
                if (candidate is IMethodSymbol { MethodKind: MethodKind.UserDefinedOperator, Parameters: { Length: 2 } parameters } userOperator
                    && Microsoft.CodeAnalysis.CSharp.CSharpExtensions.ClassifyConversion(_prover._compilation, left, Underlying(parameters[0].Type)).IsImplicit
                    && Microsoft.CodeAnalysis.CSharp.CSharpExtensions.ClassifyConversion(_prover._compilation, right, Underlying(parameters[1].Type)).IsImplicit
                    && CheckOperator(userOperator, at) is { } violation)
                {
                    return violation;
                }
            }

            return null;

            static ITypeSymbol Underlying(ITypeSymbol type) =>
                type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T, TypeArguments: { Length: 1 } arguments } ? arguments[0] : type;
        }

        // A user-defined operator or conversion of the compilation is proved like a call. Compiled ones (Type ==, Vector3 +,
        // Complex *) are taken as pure, as they were before operators were looked at; the known-impure list still applies.
        private PurityViolation? CheckTruthOperator(INamedTypeSymbol type, string name, IOperation at)
        {
            foreach (var member in type.GetMembers(name))
            {
                if (member is IMethodSymbol { MethodKind: MethodKind.UserDefinedOperator, Parameters.Length: 1 } truth
                    && SymbolEqualityComparer.Default.Equals(truth.Parameters[0].Type.OriginalDefinition, type.OriginalDefinition))
                {
                    return CheckOperator(truth, at);
                }
            }

            return null;
        }

        // A Length/Count or indexer property, or a Slice method, that the compiler calls without a call in the source: a
        // member of the compilation is proved like a read or a call; a compiled one is a read unless it is known impure.
        private PurityViolation? CheckImplicitMember(ISymbol? member, IOperation? instance, IOperation at)
        {
            switch (member)
            {
                case IPropertySymbol property when KnownApis.ImpureEffect(property) is { } effect:
                    return Effect(effect + " ('" + KnownApis.Display(property) + "')", at);
                case IPropertySymbol { GetMethod: { } getter } property when IsInSource(getter) && !_prover.IsUserDeclaredPure(property):
                    return Enter(getter, property.IsStatic || !IsFresh(instance) ? ThisMode.ReadOnly : ThisMode.Fresh, at, property.Name);
                case IMethodSymbol method when IsInSource(method) || KnownApis.ImpureEffect(method) is not null:
                    return CheckMember(method, instance, at, ImmutableArray<IArgumentOperation>.Empty);
                default:
                    return null;
            }
        }

        private PurityViolation? CheckOperator(IMethodSymbol method, IOperation at) =>
            IsInSource(method) || IsGeneratedRecordMember(method) || KnownApis.ImpureEffect(method) is not null
                ? CheckMember(method, instance: null, at, ImmutableArray<IArgumentOperation>.Empty)
                : null;

        private PurityViolation? CheckWrite(IOperation target, IOperation at)
        {
            target = Strip(target);
            switch (target)
            {
                case ILocalReferenceOperation { Local: var local }:
                    if (!IsInsideRoot(local))
                    {
                        return Effect("writes captured variable '" + local.Name + "'", at);
                    }

                    return local.IsRef && !RefersToLocalStorage(local, depth: 0) ? Effect("writes through ref local '" + local.Name + "'", at) : null;
                case IParameterReferenceOperation { Parameter: var parameter }:
                    if (!IsInsideRoot(parameter))
                    {
                        // A primary constructor's parameter is a field of 'this': written freely only while it is fresh.
                        if (IsPrimaryConstructorParameter(parameter))
                        {
                            return _thisMode == ThisMode.Fresh ? null : Effect("writes primary constructor parameter '" + parameter.Name + "'", at);
                        }

                        return Effect("writes captured parameter '" + parameter.Name + "'", at);
                    }

                    return parameter.RefKind is RefKind.Ref or RefKind.Out && !_freshParameters.Contains(parameter)
                        ? Effect("writes " + (parameter.RefKind == RefKind.Ref ? "ref" : "out") + " parameter '" + parameter.Name + "'", at)
                        : null;
                case IFieldReferenceOperation { Field: var field } fieldReference:
                    if (field.RefKind != RefKind.None && !(at is ISimpleAssignmentOperation { IsRef: true } rebind && ReferenceEquals(Strip(rebind.Target), fieldReference)))
                    {
                        // `s.V = x` on a `ref int V` writes the variable V refers to, whoever owns `s`; only `s.V = ref y`
                        // writes the field itself.
                        return Effect("writes through ref field '" + KnownApis.Display(field) + "'", at);
                    }

                    if (field.IsStatic)
                    {
                        return Effect("writes static field '" + KnownApis.Display(field) + "'", at);
                    }

                    return IsFresh(fieldReference.Instance) ? null : Effect("writes field '" + KnownApis.Display(field) + "'", at);
                case IPropertyReferenceOperation { Property: var property } propertyReference:
                    if (property.IsStatic)
                    {
                        return Effect("writes static property '" + KnownApis.Display(property) + "'", at);
                    }

                    if (IsFresh(propertyReference.Instance))
                    {
                        if (property is { IsIndexer: true, SetMethod: { } compiledSetter } && !IsInSource(compiledSetter))
                        {
                            // `d[k] = v` on a framework dictionary built here hashes the key.
                            return CheckElementComparisons(compiledSetter, at);
                        }

                        // Setting a property of an object built here runs its setter (an init accessor in `with`).
                        return property.SetMethod is { } setter && IsInSource(setter) && !_prover.IsUserDeclaredPure(property)
                            ? Enter(setter, ThisMode.Fresh, at, property.Name)
                            : null;
                    }

                    return property.IsIndexer
                        ? Effect("writes an element of '" + Describe(propertyReference.Instance) + "', which was not created inside the degrader", at)
                        : Effect("writes property '" + KnownApis.Display(property) + "'", at);
                case IImplicitIndexerReferenceOperation { Instance: var indexed } implicitIndexer:
                    if (IsFresh(indexed))
                    {
                        // `d[^1] = x` on an object built here runs its indexer's setter.
                        return implicitIndexer.IndexerSymbol is IPropertySymbol { SetMethod: { } indexerSetter } indexer
                            && IsInSource(indexerSetter) && !_prover.IsUserDeclaredPure(indexer)
                            ? Enter(indexerSetter, ThisMode.Fresh, at, indexer.Name)
                            : null;
                    }

                    return Effect("writes an element of '" + Describe(indexed) + "', which was not created inside the degrader", at);
                case IArrayElementReferenceOperation element:
                    return IsFresh(element.ArrayReference)
                        ? null
                        : Effect("writes an element of array '" + Describe(element.ArrayReference) + "', which was not created inside the degrader", at);
                case IInstanceReferenceOperation:
                    return _thisMode == ThisMode.Fresh ? null : Effect("writes 'this'", at);
                case IDeclarationExpressionOperation or IDiscardOperation:
                    return null;
                case IInterpolatedStringHandlerCreationOperation:
                    // A handler built for this call (StringBuilder.Append($"...")): it writes into the call's receiver,
                    // which the call itself is judged on.
                    return null;
                case IInterpolatedStringHandlerArgumentPlaceholderOperation { PlaceholderKind: InterpolatedStringArgumentPlaceholderKind.TrailingValidityArgument }:
                    // The `out bool shouldAppend` of a handler's constructor (span.TryWrite($"...")): the compiler's own
                    // temporary, which decides whether the holes are formatted.
                    return null;
                case ITupleOperation tuple:
                    foreach (var element in tuple.Elements)
                    {
                        if (CheckWrite(element, at) is { } violation)
                        {
                            return violation;
                        }
                    }

                    return null;
                default:
                    return Effect("writes '" + target.Syntax + "'", at);
            }
        }

        private static string Describe(IOperation? operation) => operation?.Syntax.ToString() ?? "?";

        private PurityViolation? CheckInvocation(IInvocationOperation invocation)
        {
            var method = invocation.TargetMethod;
            if (method.MethodKind == MethodKind.DelegateInvoke)
            {
                return Effect("invokes delegate '" + Describe(invocation.Instance) + "', which cannot be proved pure", invocation);
            }

            if (invocation.Instance is IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance }
                && _thisMode == ThisMode.Captured)
            {
                return Effect("calls captured instance method '" + KnownApis.Display(method) + "'", invocation, isCapturedRead: true);
            }

            if (method.MethodKind == MethodKind.Constructor && !IsInSource(method) && KnownApis.ImpureEffect(method) is null)
            {
                // `: base(...)` into a compiled constructor (an exception's, object's): constructing is pure, as for `new`.
                return null;
            }

            if (method.MethodKind == MethodKind.LocalFunction && IsInsideRoot(method))
            {
                // Declared inside the degrader: its body is part of the degrader, walked here.
                return WalkLocalFunction(method);
            }

            return CheckMember(method, invocation.Instance, invocation, invocation.Arguments);
        }

        // A method group converted to a delegate inside the degrader (`xs.Select(H.Bump)`) is judged as a call to it: the
        // delegate runs it wherever a lambda in its place would have run.
        private PurityViolation? CheckMethodGroup(IMethodReferenceOperation methodGroup, IOperation at)
        {
            var method = methodGroup.Method;
            if (method.MethodKind == MethodKind.LocalFunction && IsInsideRoot(method))
            {
                return WalkLocalFunction(method);
            }

            if (methodGroup.Instance is IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance } && _thisMode == ThisMode.Captured)
            {
                return Effect("calls captured instance method '" + KnownApis.Display(method) + "'", at, isCapturedRead: true);
            }

            return method.MethodKind == MethodKind.DelegateInvoke
                ? Effect("invokes delegate '" + Describe(methodGroup.Instance) + "', which cannot be proved pure", at)
                : CheckMember(method, methodGroup.Instance, at, ImmutableArray<IArgumentOperation>.Empty);
        }

        internal PurityViolation? CheckCompiledMethodGroup(IMethodSymbol method, Location use)
        {
            string effect;
            if (KnownApis.ImpureEffect(method) is { } impure)
            {
                effect = impure + " ('" + KnownApis.Display(method) + "')";
            }
            else if (_prover.IsUserDeclaredPure(method) || method.ContainingType is not { } type || KnownApis.IsPureType(type) || IsPureByShape(method)
                || (KnownApis.IsMutableContainer(type) && !KnownApis.IsMutator(method)))
            {
                return null;
            }
            else
            {
                effect = "calls '" + KnownApis.Display(method) + "', which is not known to be pure";
            }

            return new PurityViolation(effect, use, ImmutableArray<string>.Empty, isCapturedRead: false);
        }

        private PurityViolation? WalkLocalFunction(IMethodSymbol localFunction)
        {
            var key = localFunction.OriginalDefinition;
            if (InProgress.Find(_inProgress, key, thisIsFresh: false) is { } position)
            {
                LowestAssumed = Math.Min(LowestAssumed, position);
                return null;
            }

            var body = _prover.GetBody(localFunction, _model, _cancellationToken);
            if (body is null)
            {
                return null;
            }

            var walker = new Walker(_prover, _root, _thisMode, _depth, new InProgress(key, thisIsFresh: false, InProgress.Count(_inProgress), _inProgress), _model, _cancellationToken, enclosing: this);
            var violation = walker.Walk(body);
            LowestAssumed = Math.Min(LowestAssumed, walker.LowestAssumed);
            return violation?.Prepend(localFunction.Name);
        }

        private PurityViolation? CheckMember(IMethodSymbol method, IOperation? instance, IOperation at, ImmutableArray<IArgumentOperation> arguments)
        {
            if (KnownApis.ImpureEffect(method) is { } effect)
            {
                return Effect(effect + " ('" + KnownApis.Display(method) + "')", at);
            }

            if (_prover.IsUserDeclaredPure(method))
            {
                return null;
            }

            var type = method.ContainingType;
            if (type is null)
            {
                return null;
            }

            if (IsGeneratedRecordMember(method))
            {
                return CheckGenerated(method, instance, at, depth: 0)
                    ?? (instance is not null ? CheckDerivedOverrides(method, instance, Strip(instance).Type, at) : null);
            }

            if (IsVirtualDispatch(method, instance))
            {
                return CheckVirtual(method, instance!, at);
            }

            if (!IsInSource(method) && CheckDerivedOverrides(method, instance, instance is null ? null : Strip(instance).Type, at) is { } dispatched)
            {
                return dispatched;
            }

            if (IsGenericMath(method))
            {
                // `T.Max(a, b)`, `T.One`, `T.CreateChecked(n)` through a type parameter: taken as pure like the operators
                // `x + y` on it, and the framework's own implementations are. The type argument a caller passes is not
                // seen here (see the rule page).
                return null;
            }

            if (IsStaticVirtualOfSource(method))
            {
                return Effect("calls static virtual '" + KnownApis.Display(method) + "', which the type argument can implement", at);
            }

            // ICollection<T>.Add, IList<T>.Insert, IDictionary<K, V>.Remove: a collection interface of the framework is
            // judged like the collections that implement it (reads are pure, mutations only of what the degrader created),
            // not as pure because it is a special type (ICollection<T>, IList<T>) nor as unprovable (IDictionary<K, V>).
            var collectionInterface = type.TypeKind == TypeKind.Interface && !method.IsStatic && !IsInSource(method) && KnownApis.IsMutableContainer(type);
            if (!collectionInterface && (method.IsAbstract || method.IsExtern || (type.TypeKind == TypeKind.Interface && !method.IsStatic)))
            {
                // Virtual dispatch to an unknown implementation, or no managed body at all.
                if (!IsInSource(method) && (KnownApis.IsPureType(type) || IsPureByShape(method)))
                {
                    return null;
                }

                return Effect("calls '" + KnownApis.Display(method) + "', which has no body to prove", at);
            }

            if (IsInSource(method))
            {
                var thisMode = method.IsStatic ? ThisMode.ReadOnly : IsFresh(instance) || RunsOnCopy(method, instance) ? ThisMode.Fresh : ThisMode.ReadOnly;
                return Enter(method, thisMode, at, method.Name, arguments);
            }

            if (CheckFormattedArguments(method, arguments, at) is { } formatting)
            {
                return formatting;
            }

            if (CheckEnumeratedArguments(arguments, at) is { } enumerated)
            {
                return enumerated;
            }

            if ((CheckComparerArguments(arguments, at) ?? CheckElementComparisons(method, at)) is { } compared)
            {
                return compared;
            }

            if (HandedDelegate(arguments) is { } handed)
            {
                // `xs.Select(H.Map)` with a Func held in a field, `Array.Sort(a, r.Compare)` with one the item carries: the
                // compiled method invokes a delegate whose body is not known, as `H.Map(x)` would.
                return Effect("hands delegate '" + Describe(handed) + "', which cannot be proved pure, to '" + KnownApis.Display(method) + "'", at);
            }

            if (KnownApis.IsSpanMutator(method) is { } written)
            {
                // span.Fill(0), xs.AsSpan().Reverse(), source.CopyTo(destination): the span written must view storage
                // created inside the degrader.
                var target = written == "this" ? instance : arguments.FirstOrDefault(a => a.Parameter?.Name == written)?.Value;
                return target is null || IsFresh(target)
                    ? null
                    : Effect("mutates '" + Describe(target) + "' ('" + KnownApis.Display(method) + "'), which was not created inside the degrader", at);
            }

            if (WrittenDestination(method, arguments) is { } destination)
            {
                // int.TryFormat(span, ...), BitConverter.TryWriteBytes(span, ...), s.CopyTo(0, chars, 0, n): a compiled method
                // writes into the span (or destination array) it is handed.
                return Effect("mutates '" + Describe(destination) + "' ('" + KnownApis.Display(method) + "'), which was not created inside the degrader", at);
            }

            if (!collectionInterface && (KnownApis.IsPureType(type) || IsPureByShape(method)))
            {
                return null;
            }

            if (KnownApis.IsMutableContainer(type))
            {
                if (!KnownApis.IsMutator(method))
                {
                    return null;
                }

                if (method.Name is "CopyTo" or "TryCopyTo")
                {
                    // The receiver is read; the array or span handed in is written.
                    foreach (var argument in arguments)
                    {
                        if (Strip(argument.Value).Type is { } viewType && (viewType is IArrayTypeSymbol || IsView(viewType)) && !IsFresh(argument.Value))
                        {
                            return Effect("mutates '" + Describe(argument.Value) + "' ('" + KnownApis.Display(method) + "'), which was not created inside the degrader", at);
                        }
                    }

                    return null;
                }

                if (method.IsExtensionMethod && arguments.FirstOrDefault(a => a.Parameter?.Ordinal == 0)?.Value is { } receiver && !IsFresh(receiver))
                {
                    // CollectionExtensions.TryAdd(dictionary, k, v), Remove(dictionary, k, out v), AddRange(list, span): an
                    // extension mutator writes the collection it extends.
                    return Effect("mutates '" + Describe(receiver) + "' ('" + KnownApis.Display(method) + "'), which was not created inside the degrader", at);
                }

                if (method.IsStatic)
                {
                    // Array.Sort(a), Array.Copy(src, dst, n): every array the call is handed must be created inside.
                    foreach (var argument in arguments)
                    {
                        if (Strip(argument.Value).Type is IArrayTypeSymbol && argument.Parameter?.Name != "sourceArray" && !IsFresh(argument.Value))
                        {
                            return Effect("mutates '" + Describe(argument.Value) + "' ('" + KnownApis.Display(method) + "'), which was not created inside the degrader", at);
                        }
                    }

                    return null;
                }

                return IsFresh(instance)
                    ? null
                    : Effect("mutates '" + Describe(instance) + "' ('" + KnownApis.Display(method) + "'), which was not created inside the degrader", at);
            }

            return Effect("calls '" + KnownApis.Display(method) + "', which is not known to be pure", at);
        }

        // A delegate value handed to a compiled method that takes a delegate (`Func<T, R>`, `Comparison<T>`, `SpanAction<T, S>`):
        // one made here from a lambda or a method group is judged where it is made; any other (a field, a parameter, a local,
        // what a call returns) has a body that is not known. A parameter typed by a type parameter (`List<T>.Add`,
        // `ImmutableDictionary<K, V>.Add`) stores the delegate as a value and is not counted.
        private static IOperation? HandedDelegate(ImmutableArray<IArgumentOperation> arguments)
        {
            if (arguments.IsDefaultOrEmpty)
            {
                return null;
            }

            foreach (var argument in arguments)
            {
                if (argument.Parameter?.OriginalDefinition.Type is not { TypeKind: TypeKind.Delegate })
                {
                    continue;
                }

                var value = Strip(argument.Value);
                if (value is IDelegateCreationOperation or IAnonymousFunctionOperation || value.ConstantValue is { HasValue: true, Value: null }
                    || value is IDefaultValueOperation)
                {
                    continue;
                }

                return value;
            }

            return null;
        }

        // The argument a compiled method (not a span's or MemoryExtensions' own, judged above) writes into: a writable
        // `Span<T>` or `Memory<T>`, or an array parameter named `destination`, that does not view the degrader's own storage.
        private IOperation? WrittenDestination(IMethodSymbol method, ImmutableArray<IArgumentOperation> arguments)
        {
            if (method.ContainingType is { Name: "Span" or "ReadOnlySpan" or "MemoryExtensions" or "Array" } owner && KnownTypes.IsNamespace(owner.ContainingNamespace, "System"))
            {
                return null;
            }

            foreach (var argument in arguments)
            {
                if (argument.Parameter is not { RefKind: RefKind.None } parameter)
                {
                    continue;
                }

                var written = parameter.Type is INamedTypeSymbol { Name: "Span" or "Memory", ContainingNamespace: var ns } && KnownTypes.IsNamespace(ns, "System")
                    || (parameter.Type is IArrayTypeSymbol && parameter.Name == "destination");
                if (written && !IsFresh(argument.Value))
                {
                    return argument.Value;
                }
            }

            return null;
        }

        // A call that dispatches on the receiver's runtime type to a method declared in source (virtual, abstract or an
        // unsealed override). `base.M()` does not dispatch; members the compiler generates (a record's ToString,
        // Equals) are trusted like their framework counterparts below.
        private bool IsVirtualDispatch(IMethodSymbol method, IOperation? instance) =>
            instance is not null
            && method is { IsStatic: false, IsSealed: false, IsImplicitlyDeclared: false }
            && (method.IsVirtual || method.IsAbstract || method.IsOverride)
            && method.ContainingType.TypeKind == TypeKind.Class
            && IsInSource(method)
            && Strip(instance) is not IInstanceReferenceOperation { Syntax: Microsoft.CodeAnalysis.CSharp.Syntax.BaseExpressionSyntax };

        /// <summary>
        /// A virtual call is proved when the receiver's runtime type is known (a new object, a sealed or value type) or
        /// when every type that can be behind it is in this compilation and every implementation they have is pure; a
        /// type that code outside the compilation can derive from could bring any override, so it is reported like an
        /// interface call.
        /// </summary>
        private PurityViolation? CheckVirtual(IMethodSymbol method, IOperation instance, IOperation at)
        {
            var receiver = Strip(instance);
            var receiverType = receiver.Type as INamedTypeSymbol ?? method.ContainingType;
            IEnumerable<INamedTypeSymbol> runtimeTypes;
            if (receiver is IObjectCreationOperation { Type: INamedTypeSymbol created })
            {
                runtimeTypes = new[] { created };
            }
            else if (receiverType.IsSealed || receiverType.IsValueType)
            {
                runtimeTypes = new[] { receiverType };
            }
            else
            {
                var family = _prover.SourceTypesDerivedFrom(receiverType);
                foreach (var candidate in family)
                {
                    if (_prover.CanBeExtendedOutside(candidate) && PurityProver.ImplementationIn(candidate, method) is { IsSealed: false })
                    {
                        return Effect(
                            "calls virtual '" + KnownApis.Display(method) + "', which a type outside this compilation can override",
                            at);
                    }
                }

                runtimeTypes = family.Where(static t => !t.IsAbstract);
            }

            var thisMode = IsFresh(instance) ? ThisMode.Fresh : ThisMode.ReadOnly;
            var proved = new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default);
            foreach (var runtimeType in runtimeTypes)
            {
                if (PurityProver.ImplementationIn(runtimeType, method) is not { IsAbstract: false } implementation
                    || !proved.Add(implementation.OriginalDefinition))
                {
                    continue;
                }

                // The override that runs is named with its type, so the path says which one is impure.
                var member = implementation.AssociatedSymbol ?? implementation;
                var name = SymbolEqualityComparer.Default.Equals(implementation.OriginalDefinition, method.OriginalDefinition)
                    ? member.Name
                    : implementation.ContainingType.Name + "." + member.Name;
                if (Enter(implementation, thisMode, at, name) is { } violation)
                {
                    return violation;
                }
            }

            return null;
        }

        // A static abstract or virtual member of the framework's generic-math interfaces (System.Numerics: INumber<T>,
        // IAdditionOperators<,,>, IMinMaxValue<T>, IFloatingPoint<T>...) or of IParsable<T> and ISpanParsable<T>, which
        // only a type parameter can reach.
        private bool IsGenericMath(IMethodSymbol method) =>
            method is { IsStatic: true, ContainingType: { TypeKind: TypeKind.Interface } type }
            && (method.IsAbstract || method.IsVirtual)
            && !IsInSource(method)
            && (KnownTypes.IsNamespace(type.ContainingNamespace, "System.Numerics")
                || (type.Name is "IParsable" or "ISpanParsable" or "IUtf8SpanParsable" && KnownTypes.IsNamespace(type.ContainingNamespace, "System")));

        // A static virtual member with a body, of an interface of the compilation: only a type parameter reaches it (`T.Factor`),
        // and the type argument's own implementation, not seen here, runs in place of the body when it has one.
        private bool IsStaticVirtualOfSource(IMethodSymbol method) =>
            method is { IsStatic: true, IsVirtual: true, IsAbstract: false, ContainingType.TypeKind: TypeKind.Interface } && IsInSource(method);

        // Members every value type and record has and which are pure unless a user overrides them impurely in source
        // (in which case the source override is what the call binds to, and it is proved above).
        private static bool IsPureByShape(IMethodSymbol method) =>
            method.Name is "ToString" or "GetHashCode" or "Equals" or "CompareTo" or "Deconstruct" or "op_Equality" or "op_Inequality";

        private bool IsInSource(ISymbol symbol) =>
            !symbol.DeclaringSyntaxReferences.IsEmpty && _prover._compilation.ContainsSyntaxTree(symbol.DeclaringSyntaxReferences[0].SyntaxTree);

        /// <summary>Proves a callee in source and puts its name on the path; calls past the depth bound are not proved.</summary>
        private PurityViolation? Enter(IMethodSymbol method, ThisMode thisMode, IOperation at, string name, ImmutableArray<IArgumentOperation> arguments = default)
        {
            if (_depth + 1 >= MaxDepth)
            {
                return Effect(
                    "calls '" + KnownApis.Display(method) + "' deeper than " + MaxDepth.ToString(CultureInfo.InvariantCulture) + " calls, which is not proved",
                    at);
            }

            var violation = _prover.ProveCall(method, thisMode, _depth + 1, _inProgress, _model, out var assumed, _cancellationToken, FreshArguments(arguments));
            LowestAssumed = Math.Min(LowestAssumed, assumed);
            return violation?.Prepend(name);
        }

        // The ordinals of the by-value parameters handed storage the degrader created (a reference to its own builder or
        // collection, a span over its own array or stackalloc).
        private ImmutableArray<int> FreshArguments(ImmutableArray<IArgumentOperation> arguments)
        {
            if (arguments.IsDefaultOrEmpty)
            {
                return default;
            }

            ImmutableArray<int>.Builder? ordinals = null;
            foreach (var argument in arguments)
            {
                if (argument.Parameter is { RefKind: RefKind.None, Type: var type } parameter && (!type.IsValueType || IsView(type))
                    && argument.ArgumentKind == ArgumentKind.Explicit && IsFresh(argument.Value))
                {
                    (ordinals ??= ImmutableArray.CreateBuilder<int>()).Add(parameter.Ordinal);
                }
                else if (argument.Parameter is { RefKind: RefKind.Ref or RefKind.Out } byRef && IsOwnVariable(argument.Value))
                {
                    // `TryHalf(x, out var y)`, `Inc(ref n)`, `c.Bump()` with `this ref`: the callee writes a variable of
                    // the degrader's own, which it may do freely.
                    (ordinals ??= ImmutableArray.CreateBuilder<int>()).Add(byRef.Ordinal);
                }
            }

            return ordinals?.ToImmutable() ?? default;
        }

        // A variable the degrader owns, handed by `ref` or `out`: an `out var` or discard, a local of its own (a ref local
        // only when it refers to such storage), a by-value parameter of its own, or a by-reference parameter handed one.
        private bool IsOwnVariable(IOperation value)
        {
            value = Strip(value);
            return value switch
            {
                IDeclarationExpressionOperation or IDiscardOperation => true,
                ILocalReferenceOperation { Local: var local } => IsInsideRoot(local) && (!local.IsRef || RefersToLocalStorage(local, depth: 0)),
                IParameterReferenceOperation { Parameter: var parameter } => IsInsideRoot(parameter)
                    && (parameter.RefKind == RefKind.None || (parameter.RefKind is RefKind.Ref or RefKind.Out && _freshParameters.Contains(parameter))),
                // `Inc(ref c.N)` on a struct of its own or an object it created, `Inc(ref a[0])` on an array it created.
                IFieldReferenceOperation { Field: { IsStatic: false, RefKind: RefKind.None }, Instance: { } instance } => instance.Type is { IsValueType: true } && !IsView(instance.Type)
                    ? IsOwnVariable(instance) || IsFresh(instance)
                    : IsFresh(instance),
                IArrayElementReferenceOperation element => IsFresh(element.ArrayReference),
                _ => false,
            };
        }

        private PurityViolation? CheckConstructor(IMethodSymbol constructor, IObjectCreationOperation creation)
        {
            if (KnownApis.ImpureEffect(constructor) is { } effect)
            {
                return Effect(effect + " ('new " + constructor.ContainingType.Name + "')", creation);
            }

            // An implicit constructor has no syntax of its own, but runs its type's initializers and base constructor.
            if (!IsInSource(constructor.IsImplicitlyDeclared ? constructor.ContainingType : constructor) || _prover.IsUserDeclaredPure(constructor))
            {
                // Constructing a value or a collection is pure; effectful BCL types are on the deny-list above. A collection
                // built from a sequence of the compilation (`new List<int>(bag)`) enumerates it.
                return _prover.IsUserDeclaredPure(constructor) ? null : CheckEnumeratedArguments(creation.Arguments, creation) ?? CheckComparerArguments(creation.Arguments, creation)
                    ?? (creation.Arguments.Any(static a => a.Parameter?.Type.OriginalDefinition.SpecialType == SpecialType.System_Collections_Generic_IEnumerable_T) ? CheckElementComparisons(constructor, creation) : null);
            }

            return Enter(constructor, ThisMode.Fresh, creation, "new " + constructor.ContainingType.Name, creation.Arguments);
        }

        private PurityViolation? CheckPropertyRead(IPropertyReferenceOperation reference)
        {
            var property = reference.Property;
            if (property.IsIndexer && !IsInSource(property) && (property.GetMethod ?? property.SetMethod) is { } accessor
                && CheckElementComparisons(accessor, reference) is { } keyed)
            {
                // `d[k]` and `d[k] = v` on a framework dictionary hash the key.
                return keyed;
            }

            if (IsWriteTarget(reference))
            {
                return null;
            }

            if (KnownApis.ImpureEffect(property) is { } effect)
            {
                return Effect(effect + " ('" + KnownApis.Display(property) + "')", reference);
            }

            if (reference.Instance is IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance }
                && _thisMode == ThisMode.Captured)
            {
                return Effect("reads captured property '" + KnownApis.Display(property) + "'", reference, isCapturedRead: true);
            }

            if (property.GetMethod is { } virtualGetter && IsVirtualDispatch(virtualGetter, reference.Instance) && !_prover.IsUserDeclaredPure(property))
            {
                return CheckVirtual(virtualGetter, reference.Instance!, reference);
            }

            if (property.GetMethod is { } compiledGetter && reference.Instance is { } receiver && !IsInSource(compiledGetter)
                && CheckDerivedOverrides(compiledGetter, receiver, Strip(receiver).Type, reference) is { } dispatched)
            {
                return dispatched;
            }

            if (property.GetMethod is { } staticVirtual && IsStaticVirtualOfSource(staticVirtual) && !_prover.IsUserDeclaredPure(property))
            {
                return Effect("calls static virtual '" + KnownApis.Display(property) + "', which the type argument can implement", reference);
            }

            if (property.GetMethod is { } getter && IsInSource(getter) && !_prover.IsUserDeclaredPure(property))
            {
                var thisMode = property.IsStatic ? ThisMode.ReadOnly : IsFresh(reference.Instance) ? ThisMode.Fresh : ThisMode.ReadOnly;
                return Enter(getter, thisMode, reference, property.Name);
            }

            // Property getters of compiled code are taken as reads; the known effectful ones are on the deny-list.
            return null;
        }

        // Only a simple assignment writes without reading: `p.X += 1`, `p.X ??= 1` and `p.X++` run the getter first.
        private static bool IsWriteTarget(IOperation operation) =>
            operation.Parent is ISimpleAssignmentOperation assignment && ReferenceEquals(assignment.Target, operation);
    }
}
