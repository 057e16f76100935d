namespace Reactive.Streams;

/// <summary>
/// Marks an <c>abstract partial record</c> whose nested <c>sealed</c> records are the variants of a closed
/// family of events. The source generator emits exhaustive <c>Match</c>/<c>Switch</c>, a kind enum, wire
/// names, shared accessors, an <c>Unknown</c> variant and a System.Text.Json converter for it.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class EventUnionAttribute : Attribute
{
}

/// <summary>
/// Overrides the wire name of an event union variant (by default the snake_case of the variant's name).
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class WireNameAttribute : Attribute
{
    /// <summary>Sets the wire name of the annotated variant.</summary>
    /// <param name="name">The name written in the <c>"type"</c> discriminator and read back from it.</param>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    public WireNameAttribute(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        Name = name;
    }

    /// <summary>The wire name of the annotated variant.</summary>
    public string Name { get; }
}

/// <summary>
/// Marks a <c>partial class</c> with one <c>On{Variant}</c> handler per variant of <see cref="UnionType"/>.
/// The generator emits an <see cref="IObserver{T}"/>, a Dataflow target and a delivery sink that dispatch
/// by variant behind a buffer with the policy the class declares with <see cref="BackpressureAttribute"/>
/// (which is mandatory: RXS0001).
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class StreamSinkAttribute : Attribute
{
    /// <summary>Declares the event union the annotated class handles.</summary>
    /// <param name="unionType">A type marked with <see cref="EventUnionAttribute"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="unionType"/> is null.</exception>
    public StreamSinkAttribute(Type unionType)
    {
        ArgumentNullException.ThrowIfNull(unionType);
        UnionType = unionType;
    }

    /// <summary>The event union the annotated class handles.</summary>
    public Type UnionType { get; }
}
