using System.Reflection;

namespace Reactive.Streams.Tests.Arguments;

/// <summary>
/// Every public settable property of Core's options types given a value that is wrong on its own (an undefined enum
/// value, a negative TimeSpan, a NaN or infinite double) is refused with an <see cref="ArgumentException"/> whose
/// ParamName is the property: by its setter (stream and canal options) or by <c>Validate()</c> (the options checked
/// as a whole, docs/naming.md).
/// </summary>
public sealed class OptionsInvalidValueSweepTests
{
    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var (name, _) in Options())
        {
            data.Add(name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void An_invalid_value_is_refused_naming_the_property(string optionsType)
    {
        var (_, create) = Options().Single(o => o.Name == optionsType);
        var failures = new List<string>();
        foreach (var property in create().GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.SetMethod?.IsPublic == true))
        {
            foreach (var bad in Invalid(property.PropertyType))
            {
                var options = create();
                Exception? thrown = null;
                try
                {
                    property.SetValue(options, bad);
                    if (options is DeliverySinkOptions sinkOptions)
                    {
                        // Checked by the dispatcher it configures, as a sink's overrides have no Validate() of their own.
                        new DeliveryDispatcher<int>(new DeliveryOptions<int>().AddSink(new Sink(), sinkOptions)).Dispose();
                    }
                    else
                    {
                        options.GetType().GetMethod("Validate", Type.EmptyTypes)?.Invoke(options, null);
                    }
                }
                catch (TargetInvocationException e)
                {
                    thrown = e.InnerException;
                }
                catch (ArgumentException e)
                {
                    thrown = e;
                }

                if (thrown is not ArgumentException { ParamName: var paramName } || paramName != property.Name)
                {
                    failures.Add($"{property.Name} = {bad}: {(thrown is null ? "accepted" : $"{thrown.GetType().Name} ParamName '{(thrown as ArgumentException)?.ParamName}'")}");
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    private sealed class Sink : IDeliverySink<int>
    {
        public string Name => "a";

        public ValueTask WriteAsync(int item, CancellationToken cancellationToken) => default;
    }

    private static IEnumerable<object?> Invalid(Type type)
    {
        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        if (underlying.IsEnum)
        {
            yield return Enum.ToObject(underlying, 42);
        }
        else if (underlying == typeof(TimeSpan))
        {
            yield return TimeSpan.FromTicks(-1);
        }
        else if (underlying == typeof(double))
        {
            yield return double.NaN;
            yield return double.PositiveInfinity;
        }
    }

    private static IEnumerable<(string Name, Func<object> Create)> Options()
    {
        yield return ("BoundedStreamOptions", () => new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 4));
        yield return ("DeliveryOptions", () => new DeliveryOptions<int>());
        yield return ("DeliverySinkOptions", () => new DeliverySinkOptions());
        yield return ("StreamLogOptions", () => new StreamLogOptions());
        yield return ("LiveRetentionOptions", () => new LiveRetentionOptions());
        yield return ("CursorCanalOptions", () => new CursorCanalOptions());
        yield return ("ConsumerGroupCanalOptions", () => new ConsumerGroupCanalOptions());
        yield return ("CanalWorkerOptions", () => new CanalWorkerOptions());
    }
}
