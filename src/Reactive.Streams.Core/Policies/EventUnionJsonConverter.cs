using System.ComponentModel;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Reactive.Streams;

/// <summary>
/// The System.Text.Json converter of an <see cref="EventUnionAttribute"/> union whose variants carry data; the generated
/// converter of each union derives from it and only describes the union (its variants, their properties and how to
/// construct them), so the reading and writing code is compiled once here rather than once per union.
/// </summary>
/// <remarks>
/// A union is a JSON object whose <c>"type"</c> property holds the variant's wire name and whose other properties are the
/// variant's positional parameters, named by <c>[JsonPropertyName]</c>, else by the options' <c>PropertyNamingPolicy</c>,
/// else in snake_case. <c>DefaultIgnoreCondition</c>, <c>IgnoreReadOnlyProperties</c>, <c>PropertyNameCaseInsensitive</c>
/// and <c>UnmappedMemberHandling</c> are honoured as on any object. An unknown <c>"type"</c> reads as the union's
/// <c>Unknown</c> variant and is written back byte for byte. No reflection: the common scalar types are read and written
/// directly and every other property type through <c>options.GetTypeInfo</c>, so it works under Native AOT and from a
/// source-generated <c>JsonSerializerContext</c> whose options carry the converter (and list those types).
/// Written by hand because System.Text.Json's own polymorphism cannot keep an unknown variant, and its source generator
/// cannot see a converter this package adds.
/// </remarks>
/// <typeparam name="TUnion">The union.</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
public abstract class EventUnionJsonConverter<TUnion> : JsonConverter<TUnion>
    where TUnion : class
{
    private static readonly JsonEncodedText s_type = JsonEncodedText.Encode("type");

    private readonly string _unionName;
    private readonly EventUnionJsonVariant<TUnion>[] _variants;
    private readonly EventUnionJsonProperty<TUnion>[] _shared;
    private readonly EventUnionJsonProperty<TUnion>[] _all;
    private readonly Type _unknownType;
    private readonly Func<string, JsonElement, TUnion> _createUnknown;
    private readonly Func<TUnion, JsonElement> _rawPayload;
    private readonly Func<TUnion, int, object?, TUnion> _setShared;

    // The settings and type infos of the options last used, resolved once per options instance rather than per item. A
    // race between two threads resolves them twice; either result is correct.
    private Settings? _settings;

    /// <summary>Describes the union to the converter.</summary>
    /// <param name="unionName">The union's name, for error messages.</param>
    /// <param name="variants">The variants, in declaration order.</param>
    /// <param name="unknownType">The generated <c>Unknown</c> variant.</param>
    /// <param name="createUnknown">Creates an <c>Unknown</c> from its wire name and its whole JSON object.</param>
    /// <param name="rawPayload">The JSON object an <c>Unknown</c> keeps.</param>
    /// <param name="shared">The properties every variant carries, which an <c>Unknown</c> reads from its payload.</param>
    /// <param name="setShared">Sets shared property <c>index</c> of an <c>Unknown</c> to a value read for it.</param>
    protected EventUnionJsonConverter(
        string unionName,
        EventUnionJsonVariant<TUnion>[] variants,
        Type unknownType,
        Func<string, JsonElement, TUnion> createUnknown,
        Func<TUnion, JsonElement> rawPayload,
        EventUnionJsonProperty<TUnion>[] shared,
        Func<TUnion, int, object?, TUnion> setShared)
    {
        ArgumentNullException.ThrowIfNull(unionName);
        ArgumentNullException.ThrowIfNull(variants);
        ArgumentNullException.ThrowIfNull(unknownType);
        ArgumentNullException.ThrowIfNull(createUnknown);
        ArgumentNullException.ThrowIfNull(rawPayload);
        ArgumentNullException.ThrowIfNull(shared);
        ArgumentNullException.ThrowIfNull(setShared);
        _unionName = unionName;
        _variants = variants;
        _unknownType = unknownType;
        _createUnknown = createUnknown;
        _rawPayload = rawPayload;
        _shared = shared;
        _setShared = setShared;

        // Every property gets its slot among the names a naming policy gives and the type infos the options resolve.
        var all = new List<EventUnionJsonProperty<TUnion>>();
        foreach (var variant in variants)
        {
            all.AddRange(variant.Properties);
        }

        all.AddRange(shared);
        foreach (var variant in variants)
        {
            all.AddRange(variant.ReadOnlyProperties);
        }

        _all = all.ToArray();
        for (var i = 0; i < _all.Length; i++)
        {
            _all[i].Slot = i;
        }
    }

    /// <inheritdoc/>
    public override TUnion? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException($"A {_unionName} is a JSON object with a \"type\" property, not a {reader.TokenType}.");
        }

        var settings = SettingsFor(options);

        // A copy of the reader finds the discriminator wherever it is. When it came first the variant is read on from
        // there; otherwise from the start, skipping it. An unknown variant is always parsed whole, from the start.
        var probe = reader;
        var typeCameFirst = FindType(ref probe);
        foreach (var variant in _variants)
        {
            if (probe.ValueTextEquals(variant.Utf8WireName))
            {
                TUnion result;
                if (typeCameFirst)
                {
                    result = ReadVariant(ref probe, variant, settings);
                    reader = probe;
                }
                else
                {
                    result = ReadVariant(ref reader, variant, settings);
                }

                return result;
            }
        }

        return ReadUnknown(probe.GetString()!, ref reader, settings);
    }

    /// <inheritdoc/>
    public override void Write(Utf8JsonWriter writer, TUnion value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);
        var settings = SettingsFor(options);
        var type = value.GetType();
        foreach (var variant in _variants)
        {
            if (variant.Type != type)
            {
                continue;
            }

            writer.WriteStartObject();
            writer.WriteString(s_type, variant.EncodedWireName);
            foreach (var property in variant.Properties)
            {
                property.Write(writer, value, settings);
            }

            if (!settings.IgnoreReadOnly)
            {
                foreach (var property in variant.ReadOnlyProperties)
                {
                    property.Write(writer, value, settings);
                }
            }

            writer.WriteEndObject();
            return;
        }

        if (type == _unknownType)
        {
            writer.WriteRawValue(JsonMarshal.GetRawUtf8Value(_rawPayload(value)), skipInputValidation: true);
            return;
        }

        throw new JsonException($"'{type}' is not a variant of {_unionName}.");
    }

    private TUnion ReadVariant(ref Utf8JsonReader reader, EventUnionJsonVariant<TUnion> variant, Settings settings)
    {
        var properties = variant.Properties;
        var values = properties.Length == 0 ? Array.Empty<object?>() : new object?[properties.Length];
        var found = properties.Length <= 64 ? null : new bool[properties.Length];
        var foundBits = 0UL;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (Match(ref reader, properties, settings) is var p and >= 0)
            {
                reader.Read();
                values[p] = properties[p].ReadValue(ref reader, settings, variant.WireName);
                if (found is null)
                {
                    foundBits |= 1UL << p;
                }
                else
                {
                    found[p] = true;
                }

                continue;
            }

            // A read-only property is written but cannot be set: its value is skipped, and it is not an unmapped member.
            if (Match(ref reader, variant.ReadOnlyProperties, settings) < 0
                && settings.DisallowUnmapped && !reader.ValueTextEquals("type"u8))
            {
                throw new JsonException("'" + reader.GetString() + "' is not a property of " + _unionName + "." + variant.Name + " (\"" + variant.WireName + "\"), and the options disallow unmapped members.");
            }

            reader.Read();
            SkipValue(ref reader);
        }

        for (var p = 0; p < properties.Length; p++)
        {
            var present = found is null ? (foundBits & (1UL << p)) != 0 : found[p];
            if (!present && !properties[p].IsNullable)
            {
                throw Missing(variant.WireName, properties[p].JsonName);
            }
        }

        return variant.Create(values);
    }

    private static int Match(ref Utf8JsonReader reader, EventUnionJsonProperty<TUnion>[] properties, Settings settings)
    {
        for (var p = 0; p < properties.Length; p++)
        {
            var property = properties[p];
            var matches = settings.Names is null && !settings.CaseInsensitive
                ? reader.ValueTextEquals(property.Utf8JsonName)
                : NameIs(ref reader, settings.Names?[property.Slot] ?? property.JsonName, settings.CaseInsensitive);
            if (matches)
            {
                return p;
            }
        }

        return -1;
    }

    private TUnion ReadUnknown(string wireName, ref Utf8JsonReader reader, Settings settings)
    {
        var unknown = _createUnknown(wireName, JsonElement.ParseValue(ref reader));
        for (var s = 0; s < _shared.Length; s++)
        {
            var shared = _shared[s];
            if (!_rawPayload(unknown).TryGetProperty(settings.Names?[shared.Slot] ?? shared.JsonName, out var element))
            {
                continue;
            }

            // An old consumer must survive a new variant: a shared value it cannot read stays unset.
            try
            {
                var valueReader = new Utf8JsonReader(JsonMarshal.GetRawUtf8Value(element));
                valueReader.Read();
                var value = shared.ReadValue(ref valueReader, settings, variantWireName: null);
                unknown = _setShared(unknown, s, value);
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
            {
            }
        }

        return unknown;
    }

    /// <summary>Moves <paramref name="reader"/> to the discriminator's value; true when it is the first property.</summary>
    private bool FindType(ref Utf8JsonReader reader)
    {
        var first = true;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("type"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.String)
                {
                    throw new JsonException($"The \"type\" of a {_unionName} must be a string, not a {reader.TokenType}.");
                }

                return first;
            }

            first = false;
            reader.Read();
            SkipValue(ref reader);
        }

        throw new JsonException($"A {_unionName} needs a \"type\" property naming its variant.");
    }

    /// <summary>A property name compared with a name a policy gave, or ignoring case as PropertyNameCaseInsensitive asks.</summary>
    private static bool NameIs(ref Utf8JsonReader reader, string name, bool ignoreCase) =>
        ignoreCase ? string.Equals(reader.GetString(), name, StringComparison.OrdinalIgnoreCase) : reader.ValueTextEquals(name);

    private void SkipValue(ref Utf8JsonReader reader)
    {
        // A converter sees the whole value buffered, so TrySkip only fails on malformed input.
        if (!reader.TrySkip())
        {
            throw new JsonException($"Incomplete JSON in a {_unionName}.");
        }
    }

    internal JsonException Missing(string variant, string property) =>
        new($"The {_unionName} variant '{variant}' needs a non-null \"{property}\".");

    private Settings SettingsFor(JsonSerializerOptions options)
    {
        var settings = _settings;
        if (settings is null || !ReferenceEquals(settings.Options, options))
        {
            settings = new Settings(options, _all, this);
            _settings = settings;
        }

        return settings;
    }

    /// <summary>What the converter follows of one options instance, and the type infos it resolved there.</summary>
    internal sealed class Settings
    {
        public Settings(JsonSerializerOptions options, EventUnionJsonProperty<TUnion>[] properties, EventUnionJsonConverter<TUnion> converter)
        {
            Options = options;
            Converter = converter;
            IgnoreNulls = options.DefaultIgnoreCondition is JsonIgnoreCondition.WhenWritingNull or JsonIgnoreCondition.WhenWritingDefault;
            IgnoreDefaults = options.DefaultIgnoreCondition is JsonIgnoreCondition.WhenWritingDefault;
            CaseInsensitive = options.PropertyNameCaseInsensitive;
            IgnoreReadOnly = options.IgnoreReadOnlyProperties;
            DisallowUnmapped = options.UnmappedMemberHandling == JsonUnmappedMemberHandling.Disallow;
            if (options.PropertyNamingPolicy is { } policy && properties.Length > 0)
            {
                Names = new string[properties.Length];
                EncodedNames = new JsonEncodedText[properties.Length];
                for (var i = 0; i < properties.Length; i++)
                {
                    Names[i] = properties[i].HasExplicitJsonName ? properties[i].JsonName : policy.ConvertName(properties[i].Name);
                    EncodedNames[i] = JsonEncodedText.Encode(Names[i]);
                }
            }

            // Every type info is resolved up front, so a context that lacks one fails on the first item of any variant.
            TypeInfos = new JsonTypeInfo?[properties.Length];
            for (var i = 0; i < properties.Length; i++)
            {
                TypeInfos[i] = properties[i].ResolveTypeInfo(options);
            }
        }

        public JsonSerializerOptions Options { get; }

        public EventUnionJsonConverter<TUnion> Converter { get; }

        /// <summary>The properties' names under the options' PropertyNamingPolicy ([JsonPropertyName] wins); null without one.</summary>
        public string[]? Names { get; }

        public JsonEncodedText[]? EncodedNames { get; }

        public JsonTypeInfo?[] TypeInfos { get; }

        public bool IgnoreNulls { get; }

        public bool IgnoreDefaults { get; }

        public bool IgnoreReadOnly { get; }

        public bool CaseInsensitive { get; }

        public bool DisallowUnmapped { get; }
    }
}

/// <summary>One variant of a union, as <see cref="EventUnionJsonConverter{TUnion}"/> reads and writes it.</summary>
/// <typeparam name="TUnion">The union.</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class EventUnionJsonVariant<TUnion>
    where TUnion : class
{
    /// <summary>Describes a variant.</summary>
    /// <param name="type">The variant's type.</param>
    /// <param name="wireName">The value of the <c>"type"</c> discriminator that names it.</param>
    /// <param name="create">Constructs the variant from its positional values, in the order of <paramref name="properties"/>.</param>
    /// <param name="properties">Its positional parameters, written and read.</param>
    /// <param name="readOnlyProperties">Its public read-only properties: written, skipped when read.</param>
    public EventUnionJsonVariant(
        Type type,
        string wireName,
        Func<object?[], TUnion> create,
        EventUnionJsonProperty<TUnion>[] properties,
        EventUnionJsonProperty<TUnion>[]? readOnlyProperties = null)
    {
        ArgumentNullException.ThrowIfNull(type);
        ArgumentNullException.ThrowIfNull(wireName);
        ArgumentNullException.ThrowIfNull(create);
        ArgumentNullException.ThrowIfNull(properties);
        Type = type;
        Name = type.Name;
        WireName = wireName;
        Utf8WireName = Encoding.UTF8.GetBytes(wireName);
        EncodedWireName = JsonEncodedText.Encode(wireName);
        Create = create;
        Properties = properties;
        ReadOnlyProperties = readOnlyProperties ?? Array.Empty<EventUnionJsonProperty<TUnion>>();
    }

    internal Type Type { get; }

    internal string Name { get; }

    internal string WireName { get; }

    internal byte[] Utf8WireName { get; }

    internal JsonEncodedText EncodedWireName { get; }

    internal Func<object?[], TUnion> Create { get; }

    internal EventUnionJsonProperty<TUnion>[] Properties { get; }

    internal EventUnionJsonProperty<TUnion>[] ReadOnlyProperties { get; }
}

/// <summary>
/// One property of a union's variant, as <see cref="EventUnionJsonConverter{TUnion}"/> reads and writes it; created
/// with <see cref="EventUnionJsonProperty.Of{TUnion, TValue}"/> or <see cref="EventUnionJsonProperty.OfNullable{TUnion, TValue}"/>.
/// </summary>
/// <typeparam name="TUnion">The union.</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
public abstract class EventUnionJsonProperty<TUnion>
    where TUnion : class
{
    private protected EventUnionJsonProperty(string name, string jsonName, bool hasExplicitJsonName, bool isNullable)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(jsonName);
        Name = name;
        JsonName = jsonName;
        HasExplicitJsonName = hasExplicitJsonName;
        IsNullable = isNullable;
        Utf8JsonName = Encoding.UTF8.GetBytes(jsonName);
        EncodedJsonName = JsonEncodedText.Encode(jsonName);
    }

    internal string Name { get; }

    internal string JsonName { get; }

    internal bool HasExplicitJsonName { get; }

    internal bool IsNullable { get; }

    internal byte[] Utf8JsonName { get; }

    internal JsonEncodedText EncodedJsonName { get; }

    /// <summary>This property's position among all the union's properties (names and type infos per options).</summary>
    internal int Slot { get; set; }

    internal abstract JsonTypeInfo? ResolveTypeInfo(JsonSerializerOptions options);

    /// <summary>Reads the value at the reader's current token; null only for a nullable property.</summary>
    internal abstract object? ReadValue(ref Utf8JsonReader reader, EventUnionJsonConverter<TUnion>.Settings settings, string? variantWireName);

    internal abstract void Write(Utf8JsonWriter writer, TUnion variant, EventUnionJsonConverter<TUnion>.Settings settings);

    private protected JsonEncodedText NameIn(EventUnionJsonConverter<TUnion>.Settings settings) =>
        settings.EncodedNames is { } names ? names[Slot] : EncodedJsonName;

    private protected Exception NullFor(EventUnionJsonConverter<TUnion>.Settings settings, string? variantWireName) =>
        variantWireName is null ? new JsonException("null") : settings.Converter.Missing(variantWireName, JsonName);
}

/// <summary>Creates the property descriptions of generated union converters.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class EventUnionJsonProperty
{
    /// <summary>A property of type <typeparamref name="TValue"/> (a reference type, or a value type that is not <c>Nullable&lt;T&gt;</c>).</summary>
    /// <typeparam name="TUnion">The union.</typeparam>
    /// <typeparam name="TValue">The property's type.</typeparam>
    /// <param name="name">The C# name, which a naming policy converts.</param>
    /// <param name="jsonName">The name written without a naming policy: <c>[JsonPropertyName]</c>, else snake_case.</param>
    /// <param name="hasExplicitJsonName">Whether <paramref name="jsonName"/> comes from <c>[JsonPropertyName]</c>, which a policy does not change.</param>
    /// <param name="isNullable">A nullable reference: may be null or absent.</param>
    /// <param name="get">Reads the property from a variant that has it.</param>
    /// <returns>The description.</returns>
    public static EventUnionJsonProperty<TUnion> Of<TUnion, TValue>(string name, string jsonName, bool hasExplicitJsonName, bool isNullable, Func<TUnion, TValue> get)
        where TUnion : class
        => new Plain<TUnion, TValue>(name, jsonName, hasExplicitJsonName, isNullable, get);

    /// <summary>A property of type <c>Nullable&lt;TValue&gt;</c>: may be null or absent.</summary>
    /// <typeparam name="TUnion">The union.</typeparam>
    /// <typeparam name="TValue">The underlying value type.</typeparam>
    /// <param name="name">The C# name, which a naming policy converts.</param>
    /// <param name="jsonName">The name written without a naming policy: <c>[JsonPropertyName]</c>, else snake_case.</param>
    /// <param name="hasExplicitJsonName">Whether <paramref name="jsonName"/> comes from <c>[JsonPropertyName]</c>, which a policy does not change.</param>
    /// <param name="get">Reads the property from a variant that has it.</param>
    /// <returns>The description.</returns>
    public static EventUnionJsonProperty<TUnion> OfNullable<TUnion, TValue>(string name, string jsonName, bool hasExplicitJsonName, Func<TUnion, TValue?> get)
        where TUnion : class
        where TValue : struct
        => new NullableValue<TUnion, TValue>(name, jsonName, hasExplicitJsonName, get);

    private sealed class Plain<TUnion, TValue> : EventUnionJsonProperty<TUnion>
        where TUnion : class
    {
        private static readonly bool s_isReference = !typeof(TValue).IsValueType;
        private readonly Func<TUnion, TValue> _get;

        public Plain(string name, string jsonName, bool hasExplicitJsonName, bool isNullable, Func<TUnion, TValue> get)
            : base(name, jsonName, hasExplicitJsonName, isNullable)
        {
            ArgumentNullException.ThrowIfNull(get);
            _get = get;
        }

        internal override JsonTypeInfo? ResolveTypeInfo(JsonSerializerOptions options) => ScalarCodec<TValue>.Instance is null ? options.GetTypeInfo(typeof(TValue)) : null;

        internal override object? ReadValue(ref Utf8JsonReader reader, EventUnionJsonConverter<TUnion>.Settings settings, string? variantWireName)
        {
            object? value = ScalarCodec<TValue>.Instance is { } codec
                ? codec.Read(ref reader)
                : JsonSerializer.Deserialize(ref reader, (JsonTypeInfo<TValue>)settings.TypeInfos[Slot]!);

            // A null from the wire is an error for a non-nullable reference (a value type read through metadata cannot be null).
            return value is null && s_isReference && !IsNullable ? throw NullFor(settings, variantWireName) : value;
        }

        internal override void Write(Utf8JsonWriter writer, TUnion variant, EventUnionJsonConverter<TUnion>.Settings settings)
        {
            var value = _get(variant);

            // DefaultIgnoreCondition leaves out a null (WhenWritingNull), or any default value (WhenWritingDefault), as on any object.
            if (s_isReference ? value is null && settings.IgnoreNulls : settings.IgnoreDefaults && EqualityComparer<TValue>.Default.Equals(value, default!))
            {
                return;
            }

            if (ScalarCodec<TValue>.Instance is { } codec)
            {
                codec.Write(writer, NameIn(settings), value);
            }
            else
            {
                writer.WritePropertyName(NameIn(settings));
                JsonSerializer.Serialize(writer, value, (JsonTypeInfo<TValue>)settings.TypeInfos[Slot]!);
            }
        }
    }

    private sealed class NullableValue<TUnion, TValue> : EventUnionJsonProperty<TUnion>
        where TUnion : class
        where TValue : struct
    {
        private readonly Func<TUnion, TValue?> _get;

        public NullableValue(string name, string jsonName, bool hasExplicitJsonName, Func<TUnion, TValue?> get)
            : base(name, jsonName, hasExplicitJsonName, isNullable: true)
        {
            ArgumentNullException.ThrowIfNull(get);
            _get = get;
        }

        internal override JsonTypeInfo? ResolveTypeInfo(JsonSerializerOptions options) => ScalarCodec<TValue>.Instance is null ? options.GetTypeInfo(typeof(TValue)) : null;

        internal override object? ReadValue(ref Utf8JsonReader reader, EventUnionJsonConverter<TUnion>.Settings settings, string? variantWireName)
        {
            if (reader.TokenType == JsonTokenType.Null)
            {
                return null;
            }

            return ScalarCodec<TValue>.Instance is { } codec
                ? codec.Read(ref reader)
                : JsonSerializer.Deserialize(ref reader, (JsonTypeInfo<TValue>)settings.TypeInfos[Slot]!);
        }

        internal override void Write(Utf8JsonWriter writer, TUnion variant, EventUnionJsonConverter<TUnion>.Settings settings)
        {
            if (_get(variant) is not { } value)
            {
                if (!settings.IgnoreNulls)
                {
                    writer.WriteNull(NameIn(settings));
                }

                return;
            }

            if (ScalarCodec<TValue>.Instance is { } codec)
            {
                codec.Write(writer, NameIn(settings), value);
            }
            else
            {
                writer.WritePropertyName(NameIn(settings));
                JsonSerializer.Serialize(writer, value, (JsonTypeInfo<TValue>)settings.TypeInfos[Slot]!);
            }
        }
    }

    /// <summary>
    /// Reads and writes the common scalar types directly, so a source-generated context need not list them; null for every
    /// other type, which goes through the options' type info.
    /// </summary>
    private abstract class ScalarCodec<T>
    {
        public static readonly ScalarCodec<T>? Instance = Create();

        public abstract T Read(ref Utf8JsonReader reader);

        public abstract void Write(Utf8JsonWriter writer, JsonEncodedText name, T value);

        private static ScalarCodec<T>? Create()
        {
            object? codec = typeof(T) switch
            {
                var t when t == typeof(string) => new Codec<string?>(static (ref r) => r.GetString(), static (w, n, v) => w.WriteString(n, v)),
                var t when t == typeof(bool) => new Codec<bool>(static (ref r) => r.GetBoolean(), static (w, n, v) => w.WriteBoolean(n, v)),
                var t when t == typeof(byte) => new Codec<byte>(static (ref r) => r.GetByte(), static (w, n, v) => w.WriteNumber(n, (int)v)),
                var t when t == typeof(short) => new Codec<short>(static (ref r) => r.GetInt16(), static (w, n, v) => w.WriteNumber(n, (int)v)),
                var t when t == typeof(int) => new Codec<int>(static (ref r) => r.GetInt32(), static (w, n, v) => w.WriteNumber(n, v)),
                var t when t == typeof(long) => new Codec<long>(static (ref r) => r.GetInt64(), static (w, n, v) => w.WriteNumber(n, v)),
                var t when t == typeof(ushort) => new Codec<ushort>(static (ref r) => r.GetUInt16(), static (w, n, v) => w.WriteNumber(n, (uint)v)),
                var t when t == typeof(uint) => new Codec<uint>(static (ref r) => r.GetUInt32(), static (w, n, v) => w.WriteNumber(n, v)),
                var t when t == typeof(ulong) => new Codec<ulong>(static (ref r) => r.GetUInt64(), static (w, n, v) => w.WriteNumber(n, v)),
                var t when t == typeof(float) => new Codec<float>(static (ref r) => r.GetSingle(), static (w, n, v) => w.WriteNumber(n, v)),
                var t when t == typeof(double) => new Codec<double>(static (ref r) => r.GetDouble(), static (w, n, v) => w.WriteNumber(n, v)),
                var t when t == typeof(decimal) => new Codec<decimal>(static (ref r) => r.GetDecimal(), static (w, n, v) => w.WriteNumber(n, v)),
                var t when t == typeof(Guid) => new Codec<Guid>(static (ref r) => r.GetGuid(), static (w, n, v) => w.WriteString(n, v)),
                var t when t == typeof(DateTime) => new Codec<DateTime>(static (ref r) => r.GetDateTime(), static (w, n, v) => w.WriteString(n, v)),
                var t when t == typeof(DateTimeOffset) => new Codec<DateTimeOffset>(static (ref r) => r.GetDateTimeOffset(), static (w, n, v) => w.WriteString(n, v)),
                _ => null,
            };
            return (ScalarCodec<T>?)codec;
        }
    }

    private delegate T ReadFunc<T>(ref Utf8JsonReader reader);

    private sealed class Codec<T>(ReadFunc<T> read, Action<Utf8JsonWriter, JsonEncodedText, T> write) : ScalarCodec<T>
    {
        public override T Read(ref Utf8JsonReader reader) => read(ref reader);

        public override void Write(Utf8JsonWriter writer, JsonEncodedText name, T value) => write(writer, name, value);
    }
}

/// <summary>The equality of the generated <c>Unknown</c> variants: the raw bytes of the JSON object each keeps.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class EventUnionJsonPayload
{
    /// <summary>Whether two JSON values were read from the same bytes.</summary>
    /// <param name="left">A value.</param>
    /// <param name="right">Another value.</param>
    /// <returns>Whether their raw UTF-8 bytes are equal.</returns>
    public static bool SameBytes(JsonElement left, JsonElement right) =>
        JsonMarshal.GetRawUtf8Value(left).SequenceEqual(JsonMarshal.GetRawUtf8Value(right));

    /// <summary>A hash of a wire name and the raw bytes of a JSON value.</summary>
    /// <param name="wireName">The wire name.</param>
    /// <param name="payload">The value.</param>
    /// <returns>The hash.</returns>
    public static int Hash(string wireName, JsonElement payload)
    {
        var hash = default(HashCode);
        hash.Add(wireName);
        hash.AddBytes(JsonMarshal.GetRawUtf8Value(payload));
        return hash.ToHashCode();
    }
}
