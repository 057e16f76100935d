using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Reactive.Streams;

/// <summary>
/// Implemented by the source generator on every <see cref="EventUnionAttribute"/> union: hands out the union's generated
/// System.Text.Json converter, so that <see cref="EventUnionConverter{TUnion}"/> reaches it without reflection.
/// </summary>
/// <typeparam name="TSelf">The union itself.</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface IEventUnion<TSelf>
    where TSelf : class, IEventUnion<TSelf>
{
    /// <summary>Creates a new instance of the union's generated converter.</summary>
    /// <returns>The converter.</returns>
    static abstract JsonConverter<TSelf> CreateJsonConverter();
}

/// <summary>
/// Attaches an <see cref="EventUnionAttribute"/> union's generated converter in the union's own declaration, where
/// System.Text.Json's source generator sees it: <c>[JsonConverter(typeof(EventUnionConverter&lt;Order&gt;))]</c> on
/// <c>partial record Order</c>. The converter the source generator adds in generated code is invisible to
/// System.Text.Json's source generator, so without this a <c>JsonSerializerContext</c> used as is writes the union as
/// <c>{}</c> (RXS0007).
/// </summary>
/// <remarks>
/// A converter factory: it creates the union's generated converter (through <see cref="IEventUnion{TSelf}"/>, which the
/// generator implements on the union; no reflection, so it works under Native AOT), and System.Text.Json uses that
/// converter directly, so reading and writing cost exactly what the generated converter costs. When the union declares
/// a <c>[JsonConverter]</c> of its own, the generator adds none. Needs C# 11 or later (the generator implements
/// <see cref="IEventUnion{TSelf}"/> only from C# 11, which static abstract interface members need).
/// </remarks>
/// <typeparam name="TUnion">The union.</typeparam>
public sealed class EventUnionConverter<TUnion> : JsonConverterFactory
    where TUnion : class, IEventUnion<TUnion>
{
    /// <summary>Creates the factory.</summary>
    public EventUnionConverter()
    {
    }

    /// <summary>Whether <paramref name="typeToConvert"/> is <typeparamref name="TUnion"/> itself (not one of its variants).</summary>
    /// <param name="typeToConvert">The type System.Text.Json asks about.</param>
    /// <returns><see langword="true"/> for <typeparamref name="TUnion"/>.</returns>
    public override bool CanConvert(Type typeToConvert) => typeToConvert == typeof(TUnion);

    /// <summary>Creates the union's generated converter.</summary>
    /// <param name="typeToConvert">The type to convert: <typeparamref name="TUnion"/>.</param>
    /// <param name="options">The options in use (the generated converter reads its settings from them on each call).</param>
    /// <returns>A new instance of the union's generated converter.</returns>
    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) => TUnion.CreateJsonConverter();
}
