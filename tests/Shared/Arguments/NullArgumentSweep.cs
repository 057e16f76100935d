using System.Collections;
using System.Reflection;
using System.Runtime.CompilerServices;

namespace Reactive.Streams.Tests.Arguments;

/// <summary>
/// Calls every public constructor, static method, instance method, extension method and property setter of an
/// assembly's public types with one non-nullable reference argument null at a time (nullability as
/// <see cref="NullabilityInfoContext"/> reads it) and the others from a table of valid sample values, and collects
/// every call that did not throw <see cref="ArgumentNullException"/> synchronously naming that parameter (a setter names
/// its property, the options' convention). A call whose Task or ValueTask faults later, or whose async sequence throws
/// only when enumerated, is reported as such. Instance members run on receivers the test builds by hand (a fresh one
/// per call); a member whose arguments cannot be built is reported as not covered unless the test excludes it with a
/// reason.
/// </summary>
internal sealed class NullArgumentSweep
{
    private readonly Dictionary<Type, Func<object?>> _samples = [];
    private readonly Dictionary<(Type, string), Func<object?>> _namedSamples = [];
    private readonly List<(Type Type, Func<object> Create)> _receivers = [];
    private readonly Dictionary<Type, Func<object, string>> _probes = [];
    private readonly Dictionary<string, string> _excluded = new(StringComparer.Ordinal);
    private readonly HashSet<Type> _checkedWhole = [];
    private readonly Dictionary<string, Type> _typeArguments = new(StringComparer.Ordinal);
    private readonly NullabilityInfoContext _nullability = new();

    /// <summary>The member keys (see <see cref="Key"/>) that were called with a null argument.</summary>
    public List<string> Covered { get; } = [];

    /// <summary>Members that the sweep could not call because no sample exists for a parameter's type.</summary>
    public List<string> NotCovered { get; } = [];

    public NullArgumentSweep Sample<T>(Func<T> create)
    {
        _samples[typeof(T)] = () => create();
        return this;
    }

    /// <summary>A sample for the parameters of type <typeparamref name="T"/> named <paramref name="parameterName"/> (a cursor text, say).</summary>
    public NullArgumentSweep Sample<T>(string parameterName, Func<T> create)
    {
        _namedSamples[(typeof(T), parameterName)] = () => create();
        return this;
    }

    /// <summary>A factory of fresh receivers for the instance members of <paramref name="type"/> (a closed type).</summary>
    public NullArgumentSweep Receiver(Type type, Func<object> create)
    {
        _receivers.Add((type, create));
        return this;
    }

    public NullArgumentSweep Receiver<T>(Func<T> create) where T : notnull => Receiver(typeof(T), () => create());

    /// <summary>
    /// Receivers of <typeparamref name="T"/> with a description of their observable state, which a call that throws
    /// for a null argument must leave as it was (nothing partially done).
    /// </summary>
    public NullArgumentSweep Receiver<T>(Func<T> create, Func<T, string> state) where T : notnull
    {
        _probes[typeof(T)] = receiver => state((T)receiver);
        return Receiver(typeof(T), () => create());
    }

    /// <summary>
    /// An options type whose setters accept any value and which is checked as a whole by its <c>Validate()</c> method
    /// and by the component it configures (docs/naming.md): its setters are not swept.
    /// </summary>
    public NullArgumentSweep CheckedWhole(Type optionsType)
    {
        _checkedWhole.Add(optionsType);
        return this;
    }

    /// <summary>The type argument for a constrained type parameter named <paramref name="name"/> (<c>THandler</c>, say).</summary>
    public NullArgumentSweep TypeArgument(string name, Type argument)
    {
        _typeArguments[name] = argument;
        return this;
    }

    public NullArgumentSweep Exclude(string key, string reason)
    {
        _excluded[key] = reason;
        return this;
    }

    /// <summary>Sweeps every public type of <paramref name="assembly"/> and returns one line per defect.</summary>
    public List<string> Run(Assembly assembly)
    {
        var failures = new List<string>();
        foreach (var type in assembly.GetExportedTypes())
        {
            if (type.IsInterface || type.IsEnum || typeof(Delegate).IsAssignableFrom(type))
            {
                continue;
            }

            var closed = Close(type);
            if (closed is null)
            {
                if (!_excluded.ContainsKey(Name(type)))
                {
                    NotCovered.Add($"{Name(type)}: cannot close its type parameters");
                }

                continue;
            }

            if (!closed.IsAbstract)
            {
                foreach (var ctor in closed.GetConstructors(BindingFlags.Public | BindingFlags.Instance))
                {
                    Sweep(ctor, receiver: null, failures);
                }
            }

            foreach (var method in closed.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly))
            {
                Sweep(method, receiver: null, failures);
            }

            var receivers = _receivers.Where(r => closed.IsAssignableFrom(r.Type) && (r.Type == closed || closed.IsAbstract)).ToList();
            var instanceMembers = closed.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
                .Where(m => m.GetParameters().Any(p => IsNonNullableReference(p, m)))
                .Where(m => !(m.IsSpecialName && m.Name.StartsWith("set_", StringComparison.Ordinal) && _checkedWhole.Contains(type)))
                .ToList();
            if (instanceMembers.Count == 0)
            {
                continue;
            }

            if (receivers.Count == 0)
            {
                foreach (var method in instanceMembers.Where(m => !_excluded.ContainsKey(Key(m))))
                {
                    NotCovered.Add($"{Key(method)}: no receiver for {Name(closed)}");
                }

                continue;
            }

            foreach (var receiver in receivers)
            {
                foreach (var method in instanceMembers)
                {
                    Sweep(method, receiver.Create, failures);
                }
            }
        }

        return failures;
    }

    /// <summary>
    /// Disposes a fresh receiver of each kind twice (the second a no-op), then calls each of its public instance methods
    /// with valid arguments: each must throw <see cref="ObjectDisposedException"/> (or the closed-stream exception its
    /// type documents, <paramref name="allowed"/>, thrown or through the returned task), or return, or return a task that is already complete; never hang or
    /// throw anything else. Returns one line per defect.
    /// </summary>
    public List<string> RunAfterDispose(params Type[] allowed)
    {
        var failures = new List<string>();
        foreach (var (type, create) in _receivers)
        {
            if (!typeof(IDisposable).IsAssignableFrom(type) && !typeof(IAsyncDisposable).IsAssignableFrom(type))
            {
                continue;
            }

            foreach (var method in type.GetMethods(BindingFlags.Public | BindingFlags.Instance)
                .Where(m => m.DeclaringType!.Assembly == type.Assembly && !m.IsSpecialName && !m.IsGenericMethodDefinition
                    && m.Name is not ("Dispose" or "DisposeAsync" or "ToString" or "Equals" or "GetHashCode" or "GetType"))
                .Where(m => !_excluded.ContainsKey(Key(m))))
            {
                var instance = create();
                try
                {
                    DisposeOnce(instance);
                    DisposeOnce(instance);
                }
                catch (Exception e)
                {
                    failures.Add($"{Name(type)}: disposing twice threw {e.GetType().Name}: {e.Message}");
                    continue;
                }

                var parameters = method.GetParameters();
                var args = new object?[parameters.Length];
                var complete = true;
                for (var i = 0; i < parameters.Length && complete; i++)
                {
                    complete = TrySample(parameters[i], out args[i]);
                }

                if (!complete)
                {
                    NotCovered.Add($"{Key(method)} after disposal: no sample");
                    continue;
                }

                Covered.Add($"{Key(method)} after disposal");
                var outcome = Invoke(method, instance, args);
                if (outcome is Thrown { Exception: var thrown })
                {
                    if (thrown is not ObjectDisposedException && !allowed.Any(t => t.IsInstanceOfType(thrown)))
                    {
                        failures.Add($"{Key(method)} after disposal threw {thrown.GetType().Name}: {thrown.Message}");
                    }

                    continue;
                }

                var later = Later(outcome);
                if (later is not null && later != "its returned task completed"
                    && !allowed.Append(typeof(ObjectDisposedException)).Any(t => later.EndsWith($"faulted with {t.Name}", StringComparison.Ordinal)))
                {
                    failures.Add($"{Key(method)} after disposal: {later}");
                }
            }
        }

        return failures;
    }

    private static void DisposeOnce(object instance)
    {
        if (instance is IAsyncDisposable asyncDisposable)
        {
            asyncDisposable.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        else
        {
            ((IDisposable)instance).Dispose();
        }
    }

    public static string Key(MethodBase method)
    {
        var type = method.DeclaringType!;
        var typeName = type.IsGenericType ? type.Name[..type.Name.IndexOf('`', StringComparison.Ordinal)] : type.Name;
        var name = method is ConstructorInfo ? "ctor" : method.Name;
        var parameters = string.Join(",", method.GetParameters().Select(p => p.ParameterType.IsGenericType
            ? p.ParameterType.Name[..p.ParameterType.Name.IndexOf('`', StringComparison.Ordinal)]
            : p.ParameterType.Name));
        return $"{typeName}.{name}({parameters})";
    }

    private void Sweep(MethodBase declared, Func<object>? receiver, List<string> failures)
    {
        if (declared.IsSpecialName && declared is MethodInfo { Name: var special } && !special.StartsWith("set_", StringComparison.Ordinal)
            && !special.StartsWith("op_", StringComparison.Ordinal))
        {
            return; // getters, event accessors
        }

        var isSetter = declared.IsSpecialName && declared.Name.StartsWith("set_", StringComparison.Ordinal);
        if (!isSetter && declared.GetCustomAttribute<CompilerGeneratedAttribute>() is not null)
        {
            return; // a record's Clone, PrintMembers, EqualityContract
        }

        var key = Key(declared);
        if (_excluded.ContainsKey(key) || (isSetter && _checkedWhole.Contains(declared.DeclaringType!.IsGenericType ? declared.DeclaringType.GetGenericTypeDefinition() : declared.DeclaringType)))
        {
            return;
        }

        if (!declared.GetParameters().Any(p => IsNonNullableReference(p, declared)))
        {
            return;
        }

        var method = declared;
        if (declared is MethodInfo { IsGenericMethodDefinition: true } generic)
        {
            var closed = CloseMethod(generic);
            if (closed is null)
            {
                NotCovered.Add($"{key}: cannot close its type parameters");
                return;
            }

            method = closed;
        }

        var parameters = method.GetParameters();
        var declaredParameters = declared.GetParameters();
        var targets = Enumerable.Range(0, parameters.Length).Where(i => IsNonNullableReference(declaredParameters[i], declared)).ToList();
        if (targets.Count == 0)
        {
            return;
        }

        foreach (var target in targets)
        {
            var args = new object?[parameters.Length];
            for (var i = 0; i < parameters.Length; i++)
            {
                if (i == target)
                {
                    continue;
                }

                if (!TrySample(parameters[i], out args[i]))
                {
                    NotCovered.Add($"{key}: no sample for {Name(parameters[i].ParameterType)} {parameters[i].Name}");
                    return;
                }
            }

            var expected = method.IsSpecialName && method.Name.StartsWith("set_", StringComparison.Ordinal)
                ? method.Name["set_".Length..]
                : parameters[target].Name;
            var label = $"{key} with {parameters[target].Name} null";
            Covered.Add(label);
            var instance = method.IsStatic || method is ConstructorInfo ? null : receiver!();
            var probe = instance is not null && _probes.TryGetValue(instance.GetType(), out var found) ? found : null;
            var before = probe?.Invoke(instance!);
            var outcome = Invoke(method, instance, args);
            var failure = Judge(outcome, expected!);
            if (failure is null && probe is not null && probe(instance!) is var after && after != before)
            {
                failure = $"threw, but changed its receiver first: '{before}' became '{after}'";
            }

            switch (instance)
            {
                case IAsyncDisposable asyncDisposable:
                    asyncDisposable.DisposeAsync().AsTask().GetAwaiter().GetResult();
                    break;
                case IDisposable disposable:
                    disposable.Dispose();
                    break;
            }

            if (failure is not null)
            {
                failures.Add($"{label}: {failure}");
            }
        }
    }

    private static object? Invoke(MethodBase method, object? instance, object?[] args)
    {
        try
        {
            return method is ConstructorInfo ctor ? ctor.Invoke(args) : method.Invoke(instance, args);
        }
        catch (TargetInvocationException e)
        {
            return new Thrown(e.InnerException!);
        }
    }

    private static string? Judge(object? outcome, string expected)
    {
        if (outcome is Thrown { Exception: var thrown })
        {
            return thrown is ArgumentNullException ane && ane.ParamName == expected
                ? null
                : $"threw {thrown.GetType().Name} (ParamName '{(thrown as ArgumentException)?.ParamName}') instead of ArgumentNullException('{expected}'): {thrown.Message}";
        }

        var later = Later(outcome);
        return later is null
            ? "did not throw"
            : $"did not throw synchronously; {later}";
    }

    private static string? Later(object? outcome)
    {
        Task? task = outcome switch
        {
            Task t => t,
            _ when outcome is not null && outcome.GetType().IsGenericType && outcome.GetType().GetGenericTypeDefinition() == typeof(ValueTask<>)
                => (Task)outcome.GetType().GetMethod("AsTask")!.Invoke(outcome, null)!,
            ValueTask v => v.AsTask(),
            _ => null,
        };
        if (task is null && outcome is not null && outcome.GetType().GetInterfaces().FirstOrDefault(i => i.IsGenericType
                && i.GetGenericTypeDefinition() == typeof(IAsyncEnumerable<>)) is { } sequence)
        {
            var enumerator = sequence.GetMethod("GetAsyncEnumerator")!.Invoke(outcome, [CancellationToken.None])!;
            var moveNext = enumerator.GetType().GetInterfaces().First(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IAsyncEnumerator<>))
                .GetMethod("MoveNextAsync")!;
            try
            {
                task = ((ValueTask<bool>)moveNext.Invoke(enumerator, null)!).AsTask();
            }
            catch (TargetInvocationException e)
            {
                return $"its sequence threw {e.InnerException!.GetType().Name} on enumeration";
            }
        }

        if (task is null)
        {
            return null;
        }

        return task.IsFaulted
            ? $"its returned task faulted with {task.Exception!.InnerException!.GetType().Name}"
            : task.IsCompleted ? "its returned task completed" : "its returned task is pending";
    }

    private bool IsNonNullableReference(ParameterInfo parameter, MethodBase declared)
    {
        var type = parameter.ParameterType;
        if (type.IsByRef || type.IsPointer || type.IsValueType || type.IsGenericParameter)
        {
            return false;
        }

        if (declared.IsSpecialName && declared.Name.StartsWith("set_", StringComparison.Ordinal))
        {
            var property = declared.DeclaringType!.GetProperty(declared.Name["set_".Length..], BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static);
            return property is not null && _nullability.Create(property).WriteState == NullabilityState.NotNull;
        }

        // A parameter typed by the declaring type's or method's type parameter is nullable only as its type argument is.
        var open = OpenParameter(parameter, declared);
        if (open.ParameterType.IsGenericParameter)
        {
            return false;
        }

        return _nullability.Create(open).WriteState == NullabilityState.NotNull;
    }

    private static ParameterInfo OpenParameter(ParameterInfo parameter, MethodBase declared)
    {
        var type = declared.DeclaringType!;
        if (!type.IsGenericType || type.IsGenericTypeDefinition)
        {
            return parameter;
        }

        var open = MethodBase.GetMethodFromHandle(declared.MethodHandle, type.GetGenericTypeDefinition().TypeHandle)!;
        return open.GetParameters()[parameter.Position];
    }

    private bool TrySample(ParameterInfo parameter, out object? value)
    {
        var type = parameter.ParameterType;
        if (type.IsByRef)
        {
            value = null;
            return type.GetElementType() is { } element && (!element.IsValueType || TrySampleType(element, out value) || true);
        }

        if (_namedSamples.TryGetValue((type, parameter.Name!), out var named) || _samples.TryGetValue(type, out named))
        {
            value = named();
            return true;
        }

        if (parameter.HasDefaultValue)
        {
            value = parameter.DefaultValue is null && type.IsValueType ? Activator.CreateInstance(type) : parameter.DefaultValue;
            return true;
        }

        return TrySampleType(type, out value);
    }

    private bool TrySampleType(Type type, out object? value)
    {
        if (_samples.TryGetValue(type, out var create))
        {
            value = create();
            return true;
        }

        if (Nullable.GetUnderlyingType(type) is not null)
        {
            value = null;
            return true;
        }

        if (type.IsEnum)
        {
            value = Enum.GetValues(type).GetValue(0);
            return true;
        }

        if (type.IsArray && TrySampleType(type.GetElementType()!, out var element))
        {
            var array = Array.CreateInstance(type.GetElementType()!, 1);
            array.SetValue(element, 0);
            value = array;
            return true;
        }

        value = null;
        return false;
    }

    private Type? Close(Type type)
    {
        if (!type.IsGenericTypeDefinition)
        {
            return type;
        }

        var arguments = type.GetGenericArguments().Select(Argument).ToArray();
        if (arguments.Any(a => a is null))
        {
            return null;
        }

        try
        {
            return type.MakeGenericType(arguments!);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    private MethodInfo? CloseMethod(MethodInfo method)
    {
        var arguments = method.GetGenericArguments().Select(Argument).ToArray();
        if (arguments.Any(a => a is null))
        {
            return null;
        }

        try
        {
            return method.MakeGenericMethod(arguments!);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    private Type? Argument(Type parameter)
    {
        if (_typeArguments.TryGetValue(parameter.Name, out var given))
        {
            return given;
        }

        var constraints = parameter.GetGenericParameterConstraints();
        if (constraints.Length == 0 && (parameter.GenericParameterAttributes & GenericParameterAttributes.ReferenceTypeConstraint) == 0)
        {
            return typeof(int);
        }

        if (constraints.Length == 0)
        {
            return typeof(string);
        }

        if (constraints.All(c => c == typeof(ValueType)))
        {
            return typeof(int); // where T : struct
        }

        return null;
    }

    private static string Name(Type type) => type.IsGenericType
        ? $"{type.Name[..type.Name.IndexOf('`', StringComparison.Ordinal)]}<{string.Join(",", type.GetGenericArguments().Select(Name))}>"
        : type.Name;

    private sealed record Thrown(Exception Exception);
}

/// <summary>Formats a sweep's result for an assertion message.</summary>
internal static class SweepReport
{
    public static string Format(IEnumerable<string> lines) => string.Join(Environment.NewLine, lines.Order(StringComparer.Ordinal));

    public static int Count(IEnumerable items) => items.Cast<object>().Count();
}
