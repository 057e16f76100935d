using Microsoft.CodeAnalysis;
using Reactive.Streams.Analyzers.Infrastructure;

namespace Reactive.Streams.Analyzers.Purity;

/// <summary>
/// What the prover knows about members it cannot read: a deny-list of effectful BCL APIs (named in the message)
/// and an allow-list of pure ones. The lists are by fully qualified containing type, matched against a symbol without
/// building its name (<see cref="KnownTypes.HasFullName"/>).
/// </summary>
internal static class KnownApis
{
    // Whole types whose every member is an effect, with the kind of effect for the message.
    private static readonly Dictionary<string, string> s_impureTypes = new(StringComparer.Ordinal)
    {
        ["System.Diagnostics.Stopwatch"] = "reads the clock",
        ["System.TimeProvider"] = "reads the clock",
        ["System.Random"] = "uses randomness",
        ["System.Security.Cryptography.RandomNumberGenerator"] = "uses randomness",
        ["System.Environment"] = "reads the environment",
        ["System.Console"] = "performs console I/O",
        ["System.IO.File"] = "performs file I/O",
        ["System.IO.Directory"] = "performs file I/O",
        ["System.IO.FileInfo"] = "performs file I/O",
        ["System.IO.DirectoryInfo"] = "performs file I/O",
        ["System.IO.Stream"] = "performs stream I/O",
        ["System.IO.TextWriter"] = "performs stream I/O",
        ["System.IO.TextReader"] = "performs stream I/O",
        ["System.Threading.Interlocked"] = "performs an interlocked operation",
        ["System.Threading.Volatile"] = "performs a volatile access",
        ["System.Threading.Thread"] = "uses a thread",
        ["System.Threading.Monitor"] = "takes a lock",
        ["System.Threading.Timer"] = "uses a timer",
        ["System.Threading.Tasks.Task"] = "schedules a task",
        ["System.Threading.Tasks.TaskFactory"] = "schedules a task",
        ["System.Diagnostics.Process"] = "starts or inspects a process",
        ["System.Diagnostics.Debug"] = "writes diagnostics output",
        ["System.Diagnostics.Trace"] = "writes diagnostics output",
        ["System.Net.Http.HttpClient"] = "performs network I/O",
        ["System.Runtime.InteropServices.CollectionsMarshal"] = "mutates a collection's storage",
        ["Microsoft.Extensions.Logging.ILogger"] = "logs",
        ["Microsoft.Extensions.Logging.LoggerExtensions"] = "logs",
    };

    // Single members that are effects on otherwise pure types.
    private static readonly Dictionary<string, string> s_impureMembers = new(StringComparer.Ordinal)
    {
        ["System.DateTime.Now"] = "reads the clock",
        ["System.DateTime.UtcNow"] = "reads the clock",
        ["System.DateTime.Today"] = "reads the clock",
        ["System.DateTimeOffset.Now"] = "reads the clock",
        ["System.DateTimeOffset.UtcNow"] = "reads the clock",
        ["System.Guid.NewGuid"] = "creates a random GUID",
        ["System.Guid.CreateVersion7"] = "creates a time-based GUID",
    };

    // Single members that are pure on otherwise effectful types: Environment.NewLine is the platform's constant "\n"
    // or "\r\n", not a read of the process's environment.
    private static readonly HashSet<string> s_pureMembersOfImpureTypes = new(StringComparer.Ordinal)
    {
        "System.Environment.NewLine",
    };

    // Types whose members are pure (immutable values, pure functions).
    private static readonly HashSet<string> s_pureTypes = new(StringComparer.Ordinal)
    {
        "System.Math", "System.MathF", "System.String", "System.Char", "System.Boolean", "System.Byte", "System.SByte",
        "System.Int16", "System.UInt16", "System.Int32", "System.UInt32", "System.Int64", "System.UInt64",
        "System.Int128", "System.UInt128", "System.IntPtr", "System.UIntPtr", "System.Single", "System.Double",
        "System.Decimal", "System.Half", "System.TimeSpan", "System.DateTime", "System.DateTimeOffset",
        "System.DateOnly", "System.TimeOnly", "System.Guid", "System.Convert", "System.BitConverter", "System.Nullable",
        "System.Nullable`1", "System.Object", "System.Enum", "System.ValueType", "System.Tuple", "System.ValueTuple",
        "System.Span`1", "System.ReadOnlySpan`1", "System.Memory`1", "System.ReadOnlyMemory`1", "System.MemoryExtensions",
        "System.StringComparer", "System.Index", "System.Range", "System.ArgumentException",
        "System.ArgumentNullException", "System.ArgumentOutOfRangeException", "System.ObjectDisposedException",
        "System.Linq.Enumerable", "System.Linq.ImmutableArrayExtensions", "System.Numerics.BigInteger",
        "System.Numerics.Vector", "System.Numerics.Vector`1", "System.Numerics.Vector2", "System.Numerics.Vector3",
        "System.Numerics.Vector4", "System.Numerics.Quaternion", "System.Numerics.Plane", "System.Numerics.Matrix3x2",
        "System.Numerics.Matrix4x4", "System.Numerics.Complex", "System.Numerics.BitOperations", "System.Globalization.CultureInfo", "System.Collections.Generic.KeyValuePair",
        "System.Collections.Generic.KeyValuePair`2", "System.Collections.Generic.EqualityComparer`1",
        "System.Collections.Generic.Comparer`1",
        "System.IEquatable`1", "System.IComparable", "System.IComparable`1", "System.IFormattable",
        "System.FormattableString", "System.Runtime.CompilerServices.FormattableStringFactory",
    };

    // Mutable containers: reads are pure, and so are mutations of an instance created inside the degrader.
    private static readonly string[] s_mutableContainerNamespaces =
    {
        "System.Collections.Generic", "System.Collections.Immutable", "System.Collections.Concurrent", "System.Collections.Frozen",
    };

    // The lists above, indexed for lookups by symbol. Built with plain loops and reference-typed values: LINQ and
    // value-typed instantiations here are code a cold compiler process must JIT before the first proof.
    private static readonly TypeTable<string> s_impureTypeTable = TypeTable<string>.Create(s_impureTypes);
    private static readonly TypeTable<Dictionary<string, string>> s_impureMemberTable = ImpureMembersByType();
    private static readonly TypeTable<string> s_pureTypeTable = TypeTable<string>.Create(s_pureTypes);
    private static readonly TypeTable<Dictionary<string, string>> s_pureMemberOfImpureTypeTable = MembersByType(s_pureMembersOfImpureTypes);

    private static TypeTable<Dictionary<string, string>> ImpureMembersByType()
    {
        var byType = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        foreach (var entry in s_impureMembers)
        {
            AddMember(byType, entry.Key, entry.Value);
        }

        return TypeTable<Dictionary<string, string>>.Create(byType);
    }

    private static TypeTable<Dictionary<string, string>> MembersByType(HashSet<string> members)
    {
        var byType = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        foreach (var member in members)
        {
            AddMember(byType, member, member);
        }

        return TypeTable<Dictionary<string, string>>.Create(byType);
    }

    private static void AddMember(Dictionary<string, Dictionary<string, string>> byType, string fullName, string value)
    {
        var dot = fullName.LastIndexOf('.');
        var type = fullName.Substring(0, dot);
        if (!byType.TryGetValue(type, out var members))
        {
            byType[type] = members = new Dictionary<string, string>(StringComparer.Ordinal);
        }

        members[fullName.Substring(dot + 1)] = value;
    }

    private static readonly HashSet<string> s_mutatorNames = new(StringComparer.Ordinal)
    {
        "Add", "AddRange", "AddFirst", "AddLast", "AddBefore", "AddAfter", "Insert", "InsertRange", "Remove",
        "RemoveAt", "RemoveAll", "RemoveRange", "RemoveFirst", "RemoveLast", "RemoveWhere", "Clear", "Push", "Pop",
        "Enqueue", "Dequeue", "TryAdd", "TryPop", "TryDequeue", "TryRemove", "TryUpdate", "AddOrUpdate", "GetOrAdd",
        "Sort", "Reverse", "UnionWith", "IntersectWith", "ExceptWith", "SymmetricExceptWith", "TrimExcess",
        "EnsureCapacity", "CopyTo", "Fill", "Append", "AppendLine", "AppendFormat", "AppendJoin", "Replace",
        "set_Item", "set_Length", "set_Capacity",

        // BlockingCollection, ConcurrentBag, ConcurrentStack, PriorityQueue, OrderedDictionary, the immutable builders
        // and HashCode: members that take items out of, or put items into, the instance they are called on.
        "Take", "TryTake", "TakeFromAny", "TryTakeFromAny", "AddToAny", "TryAddToAny", "CompleteAdding", "PushRange",
        "TryPopRange", "EnqueueRange", "EnqueueDequeue", "DequeueEnqueue", "SetAt", "DrainToImmutable", "MoveToImmutable",
        "set_Count", "AddBytes",
    };

    /// <summary>The effect of a known-impure member, or <see langword="null"/>.</summary>
    internal static string? ImpureEffect(ISymbol member)
    {
        var type = member.ContainingType;
        if (type is null)
        {
            return null;
        }

        var original = type.OriginalDefinition;
        if (s_pureMemberOfImpureTypeTable.TryGetValue(original, out var pureMembers) && pureMembers.ContainsKey(MemberName(member)))
        {
            return null;
        }

        string? effect;
        if ((s_impureMemberTable.TryGetValue(original, out var members) && members.TryGetValue(MemberName(member), out effect))
            || s_impureTypeTable.TryGetValue(original, out effect))
        {
            return effect;
        }

        // Stream, TextWriter and ILogger subclasses and implementations are as effectful as their base.
        for (var baseType = type.BaseType; baseType is not null; baseType = baseType.BaseType)
        {
            if (s_impureTypeTable.TryGetValue(baseType.OriginalDefinition, out effect))
            {
                return effect;
            }
        }

        foreach (var @interface in type.AllInterfaces)
        {
            if (s_impureTypeTable.TryGetValue(@interface.OriginalDefinition, out effect))
            {
                return effect;
            }
        }

        return null;
    }

    /// <summary>
    /// Whether <paramref name="member"/> is an instance member of a task, a value task or their awaiters, and whether it
    /// waits (<c>Result</c>, <c>Wait</c>, <c>GetResult</c>) or only passes the task on (<c>GetAwaiter</c>,
    /// <c>ConfigureAwait</c>, <c>AsTask</c>, <c>Preserve</c>).
    /// </summary>
    internal static TaskMember ClassifyTaskMember(ISymbol member)
    {
        if (member.IsStatic || member.ContainingType is not { } type)
        {
            return TaskMember.None;
        }

        if (!((type.Name is "Task" or "ValueTask" && KnownTypes.IsNamespace(type.ContainingNamespace, "System.Threading.Tasks"))
            || (type.Name.IndexOf("Await", StringComparison.Ordinal) >= 0 && KnownTypes.IsNamespace(type.ContainingNamespace, "System.Runtime.CompilerServices"))))
        {
            return TaskMember.None;
        }

        return member.Name switch
        {
            "Result" or "Wait" or "GetResult" => TaskMember.Wait,
            "GetAwaiter" or "ConfigureAwait" or "AsTask" or "Preserve" => TaskMember.PassThrough,
            _ => TaskMember.None,
        };
    }

    /// <summary>Whether <paramref name="type"/>'s members are pure on any instance.</summary>
    internal static bool IsPureType(INamedTypeSymbol type)
    {
        var original = type.OriginalDefinition;
        if (original.SpecialType == SpecialType.System_Array)
        {
            // Array.Sort, Array.Fill, Array.Clear write: System.Array is a mutable container, below.
            return false;
        }

        if (original.IsTupleType || original.SpecialType != SpecialType.None || s_pureTypeTable.TryGetValue(original, out _)
            || original.Name.EndsWith("InterpolatedStringHandler", StringComparison.Ordinal))
        {
            return true;
        }

        // ValueTuple`1..8, Tuple`1..8 and the immutable collections (with their nested types, except the builders).
        var outermost = original;
        while (outermost.ContainingType is { } outer)
        {
            outermost = outer;
        }

        return (outermost.Arity > 0 && outermost.Name is "ValueTuple" or "Tuple" && KnownTypes.IsNamespace(outermost.ContainingNamespace, "System"))
            || (outermost.Name.StartsWith("Immutable", StringComparison.Ordinal)
                && KnownTypes.IsNamespace(outermost.ContainingNamespace, "System.Collections.Immutable")
                && !(original.ContainingType is not null && original.Name == "Builder"));
    }

    /// <summary>
    /// Whether <paramref name="type"/> is a BCL container (or <c>StringBuilder</c>, <c>HashCode</c>) whose non-mutating members are pure
    /// and whose mutators are pure on an instance created inside the degrader.
    /// </summary>
    internal static bool IsMutableContainer(INamedTypeSymbol type)
    {
        var original = type.OriginalDefinition;
        if (original.ContainingNamespace is null)
        {
            return false;
        }

        var ns = original.ContainingNamespace;
        foreach (var container in s_mutableContainerNamespaces)
        {
            if (KnownTypes.IsNamespace(ns, container))
            {
                return true;
            }
        }

        // HashCode: Combine is pure, and Add changes the HashCode it is called on.
        return (original.Name == "StringBuilder" && KnownTypes.IsNamespace(ns, "System.Text"))
            || (original.Name is "Array" or "HashCode" && KnownTypes.IsNamespace(ns, "System"));
    }

    internal static bool IsMutator(IMethodSymbol method) => s_mutatorNames.Contains(method.Name);

    /// <summary>
    /// For a member of <c>Span&lt;T&gt;</c> or <c>MemoryExtensions</c> that writes through a span, the parameter written
    /// (<c>"this"</c> for the receiver); <see langword="null"/> for the pure ones (reads, slicing, searching).
    /// </summary>
    internal static string? IsSpanMutator(IMethodSymbol method)
    {
        var type = method.ContainingType?.OriginalDefinition;
        if (type is null || !KnownTypes.IsNamespace(type.ContainingNamespace, "System"))
        {
            return null;
        }

        var copy = method.Name is "CopyTo" or "TryCopyTo";
        if (type.Name == "Span" && !method.IsStatic)
        {
            return copy ? "destination" : method.Name is "Fill" or "Clear" ? "this" : null;
        }

        if (type.Name == "ReadOnlySpan" && !method.IsStatic)
        {
            return copy ? "destination" : null;
        }

        if (type.Name != "MemoryExtensions" || method.Parameters.Length == 0)
        {
            return null;
        }

        // ToUpperInvariant(source, destination), Split(source, destination, ','), Replace(source, destination, a, b),
        // destination.TryWrite($"..."): the span the method writes into is its `destination`.
        if (!copy && method.Parameters.Any(static p => p.Name == "destination" && p.Type is INamedTypeSymbol { Name: "Span" }))
        {
            return "destination";
        }

        return copy ? "destination"
            : method.Name is "Reverse" or "Sort" or "Fill" or "Clear" or "Replace" && method.Parameters[0].Type.Name == "Span"
                ? method.Parameters[0].Name
                : null;
    }

    private static string MemberName(ISymbol member) =>
        member is IMethodSymbol { AssociatedSymbol: IPropertySymbol property } ? property.Name : member.Name;

    /// <summary><c>Type.Member</c> for messages.</summary>
    internal static string Display(ISymbol member) =>
        member.ContainingType is null ? MemberName(member) : member.ContainingType.Name + "." + MemberName(member);
}

/// <summary>
/// Values keyed by types' full metadata names (<c>System.Collections.Generic.List`1</c>), looked up by symbol: the
/// candidates that share the symbol's simple name, then <see cref="KnownTypes.HasFullName"/> on each, so a lookup
/// allocates nothing.
/// </summary>
internal sealed class TypeTable<TValue>
{
    private readonly Dictionary<string, List<KeyValuePair<string, TValue>>> _byName = new(StringComparer.Ordinal);

    private TypeTable()
    {
    }

    /// <summary>A table of the given names and values.</summary>
    public static TypeTable<TValue> Create(Dictionary<string, TValue> entries)
    {
        var table = new TypeTable<TValue>();
        foreach (var entry in entries)
        {
            table.Add(entry.Key, entry.Value);
        }

        return table;
    }

    /// <summary>A set of the given names, each its own value.</summary>
    public static TypeTable<string> Create(HashSet<string> names)
    {
        var table = new TypeTable<string>();
        foreach (var name in names)
        {
            table.Add(name, name);
        }

        return table;
    }

    private void Add(string fullName, TValue value)
    {
        var name = SimpleName(fullName);
        if (!_byName.TryGetValue(name, out var candidates))
        {
            _byName[name] = candidates = new List<KeyValuePair<string, TValue>>(1);
        }

        candidates.Add(new KeyValuePair<string, TValue>(fullName, value));
    }

    public bool TryGetValue(INamedTypeSymbol type, out TValue value)
    {
        if (_byName.TryGetValue(type.Name, out var candidates))
        {
            foreach (var candidate in candidates)
            {
                if (KnownTypes.HasFullName(type, candidate.Key))
                {
                    value = candidate.Value;
                    return true;
                }
            }
        }

        value = default!;
        return false;
    }

    // "System.Collections.Generic.List`1" -> "List"; "Outer+Inner" -> "Inner".
    private static string SimpleName(string fullName)
    {
        var start = Math.Max(fullName.LastIndexOf('.'), fullName.LastIndexOf('+')) + 1;
        var tick = fullName.IndexOf('`', start);
        return tick < 0 ? fullName.Substring(start) : fullName.Substring(start, tick - start);
    }
}

/// <summary>What a member of a task or awaiter does with the task it is called on.</summary>
internal enum TaskMember
{
    /// <summary>Not a task member the prover treats specially.</summary>
    None,

    /// <summary>Blocks until the task completes.</summary>
    Wait,

    /// <summary>Hands the task on (to an awaiter, a configured awaitable, a <c>Task</c>).</summary>
    PassThrough,
}
