namespace Reactive.Streams;

/// <summary>
/// Declares the backpressure policy of a stream declaration whose policy the library reads from metadata,
/// such as a generated <c>[StreamSink]</c> adapter. The analyzer makes it mandatory where it is needed
/// (RXS0001), checks that <see cref="BackpressurePolicy.DegradeQuality"/> names a degrader (RXS0003), that the
/// degrader is pure (RXS0004) and that <see cref="Capacity"/> is at least 1 (RXS0005).
/// </summary>
/// <example>
/// <code>
/// [Backpressure(BackpressurePolicy.DegradeQuality, Capacity = 256, Degrader = nameof(Halve))]
/// </code>
/// </example>
[AttributeUsage(
    AttributeTargets.Class | AttributeTargets.Struct | AttributeTargets.Field | AttributeTargets.Property |
    AttributeTargets.Parameter | AttributeTargets.Method | AttributeTargets.ReturnValue,
    AllowMultiple = false,
    Inherited = false)]
public sealed class BackpressureAttribute : Attribute
{
    /// <summary>The capacity used when <see cref="Capacity"/> is not set: 1024 items.</summary>
    public const int DefaultCapacity = 1024;

    /// <summary>Declares <paramref name="policy"/> as the policy of the annotated declaration.</summary>
    /// <param name="policy">What happens when the buffer is full.</param>
    public BackpressureAttribute(BackpressurePolicy policy) => Policy = policy;

    /// <summary>What happens when the buffer is full.</summary>
    public BackpressurePolicy Policy { get; }

    /// <summary>How many items the buffer holds; at least 1. Defaults to <see cref="DefaultCapacity"/>.</summary>
    public int Capacity { get; set; } = DefaultCapacity;

    /// <summary>
    /// The name of a static method <c>T Degrader(T item)</c> on the annotated type that degrades an item on
    /// overflow; required for <see cref="BackpressurePolicy.DegradeQuality"/>. Use <c>nameof(...)</c>.
    /// The method must be pure (RXS0004).
    /// </summary>
    public string? Degrader { get; set; }
}
