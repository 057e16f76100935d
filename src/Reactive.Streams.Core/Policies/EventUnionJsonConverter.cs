using System.Buffers;
using System.ComponentModel;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Reactive.Streams;

/// <summary>
/// The System.Text.Json converter of an <see cref="EventUnionAttribute"/> union whose variants carry data; the generated
/// converter of each union derives from it and only describes the union (its variants and their properties, one method
/// that constructs a variant and one that hands a variant's values to an <see cref="EventUnionJsonWriter"/>), so the
/// reading and writing code is compiled once here rather than once per union, and a union's description costs its
/// compilation no lambda per property.
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

    private readonly string _unionName;
    private readonly EventUnionJsonVariant[] _variants;
    private readonly EventUnionJsonProperty[] _shared;
    private readonly EventUnionJsonProperty[] _all;

    // The settings and type infos of the options last used, resolved once per options instance rather than per item. A
    // race between two threads resolves them twice; either result is correct.
    private EventUnionJsonSettings? _settings;

    /// <summary>Describes the union to the converter.</summary>
    /// <param name="unionName">The union's name, for error messages.</param>
    /// <param name="variants">The variants, in declaration order: <see cref="Create"/> and <see cref="EventUnionJsonWriter.Begin"/> number them so.</param>
    /// <param name="shared">The properties every variant carries, which an <c>Unknown</c> reads from its payload (<see cref="SetShared"/>).</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    protected EventUnionJsonConverter(string unionName, EventUnionJsonVariant[] variants, EventUnionJsonProperty[] shared)
    {
        ArgumentNullException.ThrowIfNull(unionName);
        ArgumentNullException.ThrowIfNull(variants);
        ArgumentNullException.ThrowIfNull(shared);
        _unionName = unionName;
        _variants = variants;
        _shared = shared;

        // Every property gets its slot among the names a naming policy gives and the type infos the options resolve.
        var all = new List<EventUnionJsonProperty>();
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

    /// <summary>Constructs variant number <paramref name="variant"/> from its positional values.</summary>
    /// <param name="variant">The variant's index in the description.</param>
    /// <param name="values">Its positional values, in the order of its properties; null only for a nullable one.</param>
    /// <returns>The variant.</returns>
    protected abstract TUnion Create(int variant, object?[] values);

    /// <summary>Constructs the union's <c>Unknown</c> variant.</summary>
    /// <param name="wireName">The value of its <c>"type"</c> discriminator.</param>
    /// <param name="payload">The whole JSON object that carried it.</param>
    /// <returns>The unknown variant.</returns>
    protected abstract TUnion CreateUnknown(string wireName, JsonElement payload);

    /// <summary>
    /// Sets shared property number <paramref name="index"/> of an <c>Unknown</c> to a value read for it; returns
    /// <paramref name="unknown"/> unchanged unless overridden (a union without shared properties).
    /// </summary>
    /// <param name="unknown">The unknown variant.</param>
    /// <param name="index">The shared property's index in the description.</param>
    /// <param name="value">The value read.</param>
    /// <returns>The unknown variant with the value set.</returns>
    protected virtual TUnion SetShared(TUnion unknown, int index, object? value) => unknown;

    /// <summary>
    /// Hands <paramref name="value"/> to <paramref name="writer"/>: <see cref="EventUnionJsonWriter.Begin"/> with its
    /// variant's index, then each positional property's value in order (and its read-only properties' values when
    /// <see cref="EventUnionJsonWriter.WritesReadOnly"/>), or <see cref="EventUnionJsonWriter.WriteUnknown"/> for an
    /// <c>Unknown</c>; nothing for a type that is not a variant.
    /// </summary>
    /// <param name="value">The value to write.</param>
    /// <param name="writer">Writes the values.</param>
    protected abstract void WriteVariant(TUnion value, ref EventUnionJsonWriter writer);

    /// <inheritdoc/>
    public override TUnion? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException($"A {_unionName} is a JSON object with a \"type\" property, not a {reader.TokenType}.");
        }

        var settings = SettingsFor(options);

        // A copy of the reader finds the discriminator wherever it is. When it came first the variant is read on from
        // there; otherwise from the start, skipping it. An unknown variant is always parsed whole, from the start. The
        // variant is read with the serializer's own reader, so that an error is reported at the token it is about.
        var probe = reader;
        var typeCameFirst = FindType(ref probe);
        if (probe.TokenType != JsonTokenType.String)
        {
            // Reported at the discriminator's value, as any value that cannot be read is: the serializer takes the
            // position of the error from its own reader.
            var kind = probe.TokenType;
            reader = probe;
            throw new JsonException($"The \"type\" of a {_unionName} must be a string, not a {kind}.");
        }

        var known = -1;
        string? wireName = null;
        try
        {
            for (var v = 0; v < _variants.Length; v++)
            {
                if (probe.ValueTextEquals(_variants[v].Utf8WireName))
                {
                    known = v;
                    break;
                }
            }

            if (known < 0)
            {
                wireName = probe.GetString()!;
            }
        }
        catch (InvalidOperationException)
        {
            // Text that is no UTF-16 (an escaped lone surrogate): reported at the discriminator's value too, where the
            // serializer turns the reader's error into its JsonException.
            reader = probe;
            throw;
        }

        if (known >= 0)
        {
            if (typeCameFirst)
            {
                reader = probe;
            }

            return ReadVariant(ref reader, known, settings, typeSeen: typeCameFirst);
        }

        RefuseASecondType(ref probe);
        return ReadUnknown(wireName!, ref reader, settings);
    }

    /// <inheritdoc/>
    public override void Write(Utf8JsonWriter writer, TUnion value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);
        var settings = SettingsFor(options);

        // ReferenceHandler.IgnoreCycles: a value met again inside itself is written as null, as System.Text.Json writes
        // it. The values a variant hands on are written by calls of their own, which track no cycle through the union.
        if (settings.IgnoreCycles && !EventUnionJsonCycles.Enter(value))
        {
            writer.WriteNullValue();
            return;
        }

        try
        {
            var variantWriter = new EventUnionJsonWriter(writer, settings, _variants);
            WriteVariant(value, ref variantWriter);
            if (!variantWriter.Finish())
            {
                throw new JsonException($"'{value.GetType()}' is not a variant of {_unionName}.");
            }
        }
        finally
        {
            if (settings.IgnoreCycles)
            {
                EventUnionJsonCycles.Exit();
            }
        }
    }

    private TUnion ReadVariant(ref Utf8JsonReader reader, int index, EventUnionJsonSettings settings, bool typeSeen)
    {
        var variant = _variants[index];
        var properties = variant.Properties;
        var values = properties.Length == 0 ? Array.Empty<object?>() : new object?[properties.Length];
        var found = properties.Length <= 64 ? null : new bool[properties.Length];
        var foundBits = 0UL;
        bool[]? readOnlyFound = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            // The discriminator, met here when it did not come first, is metadata and never a property (no property is
            // named "type"): under PropertyNameCaseInsensitive it must not be read as one named "Type", as
            // System.Text.Json never reads it so either. Met a second time it is an error whatever the options.
            if (reader.ValueTextEquals("type"u8))
            {
                if (typeSeen)
                {
                    throw TypeTwice();
                }

                typeSeen = true;
                reader.Read();
                SkipValue(ref reader);
                continue;
            }

            if (Match(ref reader, properties, settings) is var p and >= 0)
            {
                // AllowDuplicateProperties off: a property met twice is an error, as on any object; on, the last one wins.
                if (!settings.AllowDuplicates && (found is null ? (foundBits & (1UL << p)) != 0 : found[p]))
                {
                    throw new JsonException($"The {_unionName} variant '{variant.WireName}' has \"{settings.NameOf(properties[p])}\" twice, and the options do not allow duplicate properties.");
                }

                reader.Read();
                try
                {
                    values[p] = properties[p].ReadValue(ref reader, settings, variant.WireName);
                }
                catch (Exception e) when (e is JsonException { Path: not null } || IsReaderError(e))
                {
                    throw CannotRead(variant, properties[p], settings, e);
                }
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
            // Met twice it is a duplicate where the variant has positional parameters: System.Text.Json's reader for a
            // parameterized constructor counts every property it knows, its reader for a parameterless one only those it
            // sets.
            var readOnly = Match(ref reader, variant.ReadOnlyProperties, settings);
            if (readOnly < 0 && settings.DisallowUnmapped)
            {
                throw new JsonException("'" + reader.GetString() + "' is not a property of " + _unionName + "." + variant.Name + " (\"" + variant.WireName + "\"), and the options disallow unmapped members.");
            }

            if (readOnly >= 0 && !settings.AllowDuplicates && properties.Length > 0)
            {
                readOnlyFound ??= new bool[variant.ReadOnlyProperties.Length];
                if (readOnlyFound[readOnly])
                {
                    throw new JsonException($"The {_unionName} variant '{variant.WireName}' has \"{settings.NameOf(variant.ReadOnlyProperties[readOnly])}\" twice, and the options do not allow duplicate properties.");
                }

                readOnlyFound[readOnly] = true;
            }

            reader.Read();
            SkipValue(ref reader);
        }

        for (var p = 0; p < properties.Length; p++)
        {
            var present = found is null ? (foundBits & (1UL << p)) != 0 : found[p];
            if (present)
            {
                continue;
            }

            var property = properties[p];
            if (property.HasDefaultValue)
            {
                // An optional parameter reads as its declared default, as System.Text.Json reads it, and is never required.
                values[p] = property.DeclaredDefault;
            }
            else if (settings.RespectRequired)
            {
                // RespectRequiredConstructorParameters: every parameter without a default must be in the JSON.
                throw new JsonException($"The {_unionName} variant '{variant.WireName}' needs \"{settings.NameOf(property)}\": the options respect required constructor parameters.");
            }
            else if (!property.IsNullable)
            {
                // An absent value type reads as its default, as System.Text.Json reads a missing constructor parameter
                // (and as WhenWritingDefault leaves it out); an absent non-nullable reference has no value to read.
                values[p] = property.DefaultValue ?? throw settings.Missing(variant.WireName, property.JsonName);
            }
        }

        return Create(index, values);
    }

    // The reader's InvalidOperationException or FormatException for a token of the wrong kind or format (GetInt32 on a
    // string, GetDateTimeOffset on "yesterday"), which System.Text.Json turns into a JsonException where it meets it.
    private static bool IsReaderError(Exception e) =>
        e is InvalidOperationException or FormatException && e.Source == "System.Text.Json.Rethrowable";

    /// <summary>
    /// The error for a property value that could not be read. A converter cannot see the path of the value it reads (the
    /// serializer gives a JsonException without a path the path of the union value, and the reader's position), and the
    /// JsonException of a value read through the options' type info has a path relative to that value ("$.milliseconds"
    /// for "$.cursor.milliseconds"), which names a place the document does not have. So the error has no path of its own;
    /// its message names the property, and the place inside the property's value where there is one.
    /// </summary>
    private JsonException CannotRead(EventUnionJsonVariant variant, EventUnionJsonProperty property, EventUnionJsonSettings settings, Exception error)
    {
        var inside = error is JsonException { Path: { Length: > 1 } path } && path.StartsWith('$') ? " (at " + path.Substring(1) + " inside it)" : string.Empty;
        var reason = error is JsonException nested ? ": " + EventUnionJsonErrors.WithoutPath(nested) : ".";
        return new JsonException($"The JSON value of \"{settings.NameOf(property)}\"{inside} in the {_unionName} variant '{variant.WireName}' could not be converted to {property.ValueType}{reason}", error);
    }

    private static int Match(ref Utf8JsonReader reader, EventUnionJsonProperty[] properties, EventUnionJsonSettings settings)
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

    private TUnion ReadUnknown(string wireName, ref Utf8JsonReader reader, EventUnionJsonSettings settings)
    {
        var payload = JsonElement.ParseValue(ref reader);
        if (reader.CurrentState.Options is { CommentHandling: not JsonCommentHandling.Disallow } or { AllowTrailingCommas: true })
        {
            payload = EventUnionJsonPayload.WithoutCommentsOrTrailingCommas(payload);
        }

        // AllowDuplicateProperties off: the payload is refused with a property twice anywhere in it, as System.Text.Json
        // refuses such an object read as a JsonElement under the same options.
        if (!settings.AllowDuplicates)
        {
            using var strict = JsonDocument.Parse(JsonMarshal.GetRawUtf8Value(payload).ToArray(), new JsonDocumentOptions { AllowDuplicateProperties = false, MaxDepth = settings.MaxDepth });
        }

        var unknown = CreateUnknown(wireName, payload);
        for (var s = 0; s < _shared.Length; s++)
        {
            var shared = _shared[s];
            if (!TryGetProperty(payload, settings.NameOf(shared), settings.CaseInsensitive, out var element))
            {
                continue;
            }

            // An old consumer must survive a new variant: a shared value it cannot read stays unset.
            try
            {
                var valueReader = new Utf8JsonReader(JsonMarshal.GetRawUtf8Value(element), new JsonReaderOptions { MaxDepth = settings.MaxDepth });
                valueReader.Read();
                var value = shared.ReadValue(ref valueReader, settings, variantWireName: null);
                unknown = SetShared(unknown, s, value);
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
            {
            }
        }

        return unknown;
    }

    /// <summary>
    /// A property of an unknown variant's payload, found as a variant's property is: under
    /// <c>PropertyNameCaseInsensitive</c> a name equal but for case matches when no name matches exactly.
    /// </summary>
    private static bool TryGetProperty(JsonElement payload, string name, bool ignoreCase, out JsonElement value)
    {
        if (payload.TryGetProperty(name, out value))
        {
            return true;
        }

        if (!ignoreCase)
        {
            return false;
        }

        // The last one wins, as TryGetProperty's does.
        var found = false;
        foreach (var property in payload.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                value = property.Value;
                found = true;
            }
        }

        return found;
    }

    /// <summary>Moves <paramref name="reader"/> to the discriminator's value (of any kind); true when it is the first property.</summary>
    private bool FindType(ref Utf8JsonReader reader)
    {
        var first = true;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("type"u8))
            {
                reader.Read();
                return first;
            }

            first = false;
            reader.Read();
            SkipValue(ref reader);
        }

        throw new JsonException($"A {_unionName} needs a \"type\" property naming its variant.");
    }

    /// <summary>
    /// Reads on from the discriminator's value to the end of the object and throws if the discriminator comes again, for
    /// an unknown variant, which is parsed whole rather than read property by property.
    /// </summary>
    private void RefuseASecondType(ref Utf8JsonReader reader)
    {
        SkipValue(ref reader);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("type"u8))
            {
                throw TypeTwice();
            }

            reader.Read();
            SkipValue(ref reader);
        }
    }

    // System.Text.Json refuses a second discriminator whatever its value and whatever AllowDuplicateProperties says (a
    // duplicate metadata property, or one that is not first); so does the union, rather than read either of the two.
    private JsonException TypeTwice() =>
        new($"A {_unionName} has its \"type\" twice: one object names one variant.");

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

    private EventUnionJsonSettings SettingsFor(JsonSerializerOptions options)
    {
        var settings = _settings;
        if (settings is null || !ReferenceEquals(settings.Options, options))
        {
            settings = new EventUnionJsonSettings(options, _all, _variants, _unionName);
            _settings = settings;
        }

        return settings;
    }
}

/// <summary>The errors of a union's converter.</summary>
internal static class EventUnionJsonErrors
{
    /// <summary>
    /// The message of a nested read's or write's error without the " Path: ..." the serializer appended to it, a path
    /// relative to the nested value that the union's own error does not keep.
    /// </summary>
    public static string WithoutPath(JsonException error)
    {
        var message = error.Message;
        var suffix = error.Path is { } path ? message.LastIndexOf(" Path: " + path, StringComparison.Ordinal) : -1;
        return suffix >= 0 ? message.Substring(0, suffix) : message;
    }
}

/// <summary>
/// The union values being written on this thread under <c>ReferenceHandler.IgnoreCycles</c>, outermost first: a converter
/// writes synchronously, and each value it hands on to the serializer starts a serialization of its own that cannot see
/// the objects being written around it, so the union keeps its own stack of them.
/// </summary>
internal static class EventUnionJsonCycles
{
    [ThreadStatic]
    private static List<object>? t_writing;

    /// <summary>Pushes <paramref name="value"/>; false (and nothing pushed) when it is being written already.</summary>
    public static bool Enter(object value)
    {
        var writing = t_writing ??= [];
        foreach (var outer in writing)
        {
            if (ReferenceEquals(outer, value))
            {
                return false;
            }
        }

        writing.Add(value);
        return true;
    }

    /// <summary>Pops the value the last successful <see cref="Enter"/> pushed.</summary>
    public static void Exit() => t_writing!.RemoveAt(t_writing.Count - 1);
}

/// <summary>What a union's converter follows of one options instance, and the type infos it resolved there.</summary>
internal sealed class EventUnionJsonSettings
{
    private readonly string _unionName;

    public EventUnionJsonSettings(JsonSerializerOptions options, EventUnionJsonProperty[] properties, EventUnionJsonVariant[] variants, string unionName)
    {
        Options = options;
        _unionName = unionName;

        // ReferenceHandler.Preserve writes "$id" on every object and "$ref" for a repeat, numbered across the whole document;
        // a converter cannot reach that numbering (each value it hands on starts its own), so it would write ids that
        // repeat. Refused rather than written wrong. IgnoreCycles is followed with a stack of the union's own (see Write).
        if (options.ReferenceHandler is { } handler && !ReferenceEquals(handler, ReferenceHandler.IgnoreCycles))
        {
            throw new NotSupportedException($"The {unionName} converter does not support ReferenceHandler.Preserve (or a custom ReferenceHandler): it cannot write the document-wide \"$id\" and \"$ref\" metadata. Use ReferenceHandler.IgnoreCycles or none.");
        }
        IgnoreNulls = options.DefaultIgnoreCondition is JsonIgnoreCondition.WhenWritingNull or JsonIgnoreCondition.WhenWritingDefault;
        IgnoreDefaults = options.DefaultIgnoreCondition is JsonIgnoreCondition.WhenWritingDefault;
        CaseInsensitive = options.PropertyNameCaseInsensitive;
        IgnoreReadOnly = options.IgnoreReadOnlyProperties;
        DisallowUnmapped = options.UnmappedMemberHandling == JsonUnmappedMemberHandling.Disallow;
        RespectNullable = options.RespectNullableAnnotations;
        AllowDuplicates = options.AllowDuplicateProperties;
        RespectRequired = options.RespectRequiredConstructorParameters;
        IgnoreCycles = ReferenceEquals(options.ReferenceHandler, ReferenceHandler.IgnoreCycles);
        MaxDepth = options.MaxDepth == 0 ? 64 : options.MaxDepth;
        if (options.PropertyNamingPolicy is { } policy && properties.Length > 0)
        {
            Names = new string[properties.Length];
            for (var i = 0; i < properties.Length; i++)
            {
                Names[i] = properties[i].HasExplicitJsonName ? properties[i].JsonName : policy.ConvertName(properties[i].Name);
            }
        }

        // Names and wire names are escaped by the options' Encoder, as System.Text.Json escapes property names and the
        // discriminator's value (UnsafeRelaxedJsonEscaping writes "über" where the default encoder writes "\u00FCber").
        var encoder = options.Encoder;
        if ((Names is not null || encoder is not null) && properties.Length > 0)
        {
            EncodedNames = new JsonEncodedText[properties.Length];
            for (var i = 0; i < properties.Length; i++)
            {
                EncodedNames[i] = JsonEncodedText.Encode(Names?[i] ?? properties[i].JsonName, encoder);
            }
        }

        if (encoder is not null)
        {
            EncodedType = JsonEncodedText.Encode("type", encoder);
            EncodedWireNames = new JsonEncodedText[variants.Length];
            for (var v = 0; v < variants.Length; v++)
            {
                EncodedWireNames[v] = JsonEncodedText.Encode(variants[v].WireName, encoder);
            }
        }

        // Two properties of a variant written under one name (a [JsonPropertyName] equal to another property's name under
        // the policy, or names equal but for case when read case-insensitively) make System.Text.Json refuse the whole
        // hierarchy under these options; the converter refuses them as it does, rather than write the key twice.
        var comparer = CaseInsensitive ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;
        foreach (var variant in variants)
        {
            var seen = new HashSet<string>(comparer);
            foreach (var property in variant.Properties.Concat(variant.ReadOnlyProperties))
            {
                var name = Names?[property.Slot] ?? property.JsonName;
                if (!seen.Add(name))
                {
                    throw new InvalidOperationException($"The JSON property name for '{unionName}.{variant.Name}.{property.Name}' collides with another property.");
                }

                // A name the policy makes the discriminator's would write "type" twice; System.Text.Json refuses it as a
                // property that conflicts with a metadata property (compared as written, whatever PropertyNameCaseInsensitive).
                if (name == "type")
                {
                    throw new InvalidOperationException($"The type '{unionName}.{variant.Name}' contains property '{name}' (from {property.Name}) that conflicts with the \"type\" discriminator under the options' naming policy.");
                }
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

    /// <summary>The properties' names under the options' PropertyNamingPolicy ([JsonPropertyName] wins); null without one.</summary>
    public string[]? Names { get; }

    /// <summary>The properties' names as written: under the policy, escaped by the options' encoder; null for neither.</summary>
    public JsonEncodedText[]? EncodedNames { get; }

    /// <summary>The discriminator's name escaped by the options' encoder; null without one.</summary>
    public JsonEncodedText? EncodedType { get; }

    /// <summary>The variants' wire names escaped by the options' encoder; null without one.</summary>
    public JsonEncodedText[]? EncodedWireNames { get; }

    public JsonTypeInfo?[] TypeInfos { get; }

    public bool IgnoreNulls { get; }

    public bool IgnoreDefaults { get; }

    public bool IgnoreReadOnly { get; }

    public bool CaseInsensitive { get; }

    public bool DisallowUnmapped { get; }

    /// <summary><c>RespectNullableAnnotations</c>: writing a null where the declaration says non-nullable is an error.</summary>
    public bool RespectNullable { get; }

    /// <summary><c>AllowDuplicateProperties</c>: off, a property met twice in one object is an error.</summary>
    public bool AllowDuplicates { get; }

    /// <summary><c>RespectRequiredConstructorParameters</c>: a parameter without a default must be in the JSON.</summary>
    public bool RespectRequired { get; }

    /// <summary><c>ReferenceHandler.IgnoreCycles</c>: a value met again inside itself is written as null.</summary>
    public bool IgnoreCycles { get; }

    /// <summary>The options' <c>MaxDepth</c>, 64 where they leave it 0, as System.Text.Json takes it.</summary>
    public int MaxDepth { get; }

    public string UnionName => _unionName;

    /// <summary>A property's name under these options (before the encoder escapes it).</summary>
    public string NameOf(EventUnionJsonProperty property) => Names?[property.Slot] ?? property.JsonName;

    public JsonException Missing(string variant, string property) =>
        new($"The {_unionName} variant '{variant}' needs a non-null \"{property}\".");
}

/// <summary>
/// Writes one value of a union for its generated converter, which calls <see cref="Begin"/> with the variant's index and
/// then hands over the variant's property values in the order of its description: the variant's code reads its
/// properties directly, with no delegate per property.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public ref struct EventUnionJsonWriter
{
    private static readonly JsonEncodedText s_type = JsonEncodedText.Encode("type");

    private readonly Utf8JsonWriter _writer;
    private readonly EventUnionJsonSettings _settings;
    private readonly EventUnionJsonVariant[] _variants;
    private EventUnionJsonVariant? _variant;
    private int _next;
    private bool _done;

    internal EventUnionJsonWriter(Utf8JsonWriter writer, EventUnionJsonSettings settings, EventUnionJsonVariant[] variants)
    {
        _writer = writer;
        _settings = settings;
        _variants = variants;
    }

    /// <summary>Whether the options write read-only properties (<c>IgnoreReadOnlyProperties</c> is off).</summary>
    public readonly bool WritesReadOnly => !_settings.IgnoreReadOnly;

    /// <summary>Starts the JSON object of variant number <paramref name="variant"/>, with its <c>"type"</c> discriminator.</summary>
    /// <param name="variant">The variant's index in the converter's description.</param>
    public void Begin(int variant)
    {
        _variant = _variants[variant];
        _next = 0;
        _writer.WriteStartObject();
        _writer.WriteString(_settings.EncodedType ?? s_type, _settings.EncodedWireNames is { } wireNames ? wireNames[variant] : _variant.EncodedWireName);
    }

    /// <summary>Writes the next property's value.</summary>
    /// <typeparam name="T">The property's type.</typeparam>
    /// <param name="value">The value.</param>
    public void Write<T>(T value)
    {
        var property = Next();

        // DefaultIgnoreCondition leaves out a null (WhenWritingNull), or any default value (WhenWritingDefault), as on any object.
        if (value is null ? _settings.IgnoreNulls : _settings.IgnoreDefaults && EqualityComparer<T>.Default.Equals(value, default!))
        {
            return;
        }

        // RespectNullableAnnotations: a null where the declaration says non-nullable is not written, as System.Text.Json
        // refuses it on the same record.
        if (value is null && !property.IsNullable && _settings.RespectNullable)
        {
            throw new JsonException($"The {_settings.UnionName} variant '{_variant!.WireName}' has a null \"{_settings.NameOf(property)}\", which its declaration says is not nullable, and the options respect nullable annotations.");
        }

        Write(property, value);
    }

    /// <summary>Writes the next property's value, of a <c>Nullable&lt;T&gt;</c> type.</summary>
    /// <typeparam name="T">The underlying value type.</typeparam>
    /// <param name="value">The value.</param>
    public void WriteNullable<T>(T? value)
        where T : struct
    {
        var property = Next();
        if (value is not { } present)
        {
            if (!_settings.IgnoreNulls)
            {
                CheckDepth(property);
                _writer.WriteNull(property.NameIn(_settings));
            }

            return;
        }

        Write(property, present);
    }

    /// <summary>Writes an <c>Unknown</c> variant: the JSON object it was read from, byte for byte.</summary>
    /// <param name="payload">The JSON object it keeps.</param>
    /// <exception cref="JsonException">The payload nests deeper than the writer allows (its <c>MaxDepth</c>, the options' when the serializer made it), where System.Text.Json refuses to write the same object as a <see cref="JsonElement"/>.</exception>
    public void WriteUnknown(JsonElement payload)
    {
        var raw = JsonMarshal.GetRawUtf8Value(payload);

        // System.Text.Json writes a JsonElement through the writer, which refuses an object or array deeper than its
        // MaxDepth (validation or not); the raw bytes would go out at any depth, and what the same options could not read
        // back. An object nested k deep takes at least 2k bytes, so only a payload of twice the room or more is measured.
        var maxDepth = _writer.Options.MaxDepth == 0 ? 1000 : _writer.Options.MaxDepth;
        var room = maxDepth - _writer.CurrentDepth;
        if (raw.Length >= 2 * room && !FitsIn(raw, room))
        {
            throw new JsonException($"The unknown {_settings.UnionName} variant could not be written: its payload nests deeper than the maximum allowed depth of {maxDepth}.");
        }

        _writer.WriteRawValue(raw, skipInputValidation: true);
        _done = true;
    }

    private static bool FitsIn(ReadOnlySpan<byte> raw, int depth)
    {
        if (depth <= 0)
        {
            return false;
        }

        var reader = new Utf8JsonReader(raw, new JsonReaderOptions { MaxDepth = depth });
        try
        {
            while (reader.Read())
            {
            }

            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Ends the object begun; false when the value was neither a variant nor an <c>Unknown</c>.</summary>
    internal bool Finish()
    {
        if (_variant is not null)
        {
            _writer.WriteEndObject();
            return true;
        }

        return _done;
    }

    private EventUnionJsonProperty Next()
    {
        var variant = _variant ?? throw new InvalidOperationException("Begin was not called.");
        var index = _next++;
        return index < variant.Properties.Length ? variant.Properties[index] : variant.ReadOnlyProperties[index - variant.Properties.Length];
    }

    private readonly void Write<T>(EventUnionJsonProperty property, T value)
    {
        if (_settings.TypeInfos[property.Slot] is null && EventUnionJsonScalar<T>.Instance is { } codec)
        {
            CheckDepth(property);
            codec.Write(_writer, property.NameIn(_settings), value);
        }
        else
        {
            _writer.WritePropertyName(property.NameIn(_settings));
            try
            {
                JsonSerializer.Serialize(_writer, value, (JsonTypeInfo<T>)_settings.TypeInfos[property.Slot]!);
            }
            catch (JsonException e) when (e.Path is not null)
            {
                // The nested write's path is relative to the property's value ("$.Street" for "$.to.Street"), a place the
                // document does not have: rethrown without one, so the serializer gives it the union value's path, with
                // the property and the place inside it in the message.
                throw CannotWrite(property, e);
            }
        }
    }

    // System.Text.Json refuses any property value, a scalar or a null too, once the writer is at the options' MaxDepth (a
    // record's property there fails with "the object depth is larger than the maximum allowed depth"); a value the union
    // writes itself is refused there too, so the union writes nothing a record would not. A value written through the
    // options' type info is checked by the serializer, with the same test.
    private readonly void CheckDepth(EventUnionJsonProperty property)
    {
        if (_writer.CurrentDepth >= _settings.MaxDepth)
        {
            throw new JsonException($"The value of \"{_settings.NameOf(property)}\" in the {_settings.UnionName} variant '{_variant!.WireName}' could not be written: the object depth is larger than the maximum allowed depth of {_settings.MaxDepth}.");
        }
    }

    private readonly JsonException CannotWrite(EventUnionJsonProperty property, JsonException error)
    {
        var path = error.Path!;
        var reason = EventUnionJsonErrors.WithoutPath(error);
        var inside = path.Length > 1 && path.StartsWith('$') ? " (at " + path.Substring(1) + " inside it)" : string.Empty;
        return new JsonException($"The value of \"{_settings.NameOf(property)}\"{inside} in the {_settings.UnionName} variant '{_variant!.WireName}' could not be written: {reason}", error);
    }
}

/// <summary>One variant of a union, as <see cref="EventUnionJsonConverter{TUnion}"/> reads and writes it.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class EventUnionJsonVariant
{
    /// <summary>Describes a variant.</summary>
    /// <param name="name">The variant's C# name, for error messages.</param>
    /// <param name="wireName">The value of the <c>"type"</c> discriminator that names it.</param>
    /// <param name="properties">Its positional parameters, written and read, in the order of its constructor.</param>
    /// <param name="readOnlyProperties">Its public read-only properties: written, skipped when read.</param>
    /// <exception cref="ArgumentNullException"><paramref name="name"/>, <paramref name="wireName"/> or <paramref name="properties"/> is null.</exception>
    public EventUnionJsonVariant(string name, string wireName, EventUnionJsonProperty[] properties, EventUnionJsonProperty[]? readOnlyProperties = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(wireName);
        ArgumentNullException.ThrowIfNull(properties);
        Name = name;
        WireName = wireName;
        Utf8WireName = Encoding.UTF8.GetBytes(wireName);
        EncodedWireName = JsonEncodedText.Encode(wireName);
        Properties = properties;
        ReadOnlyProperties = readOnlyProperties ?? Array.Empty<EventUnionJsonProperty>();
    }

    internal string Name { get; }

    internal string WireName { get; }

    internal byte[] Utf8WireName { get; }

    internal JsonEncodedText EncodedWireName { get; }

    internal EventUnionJsonProperty[] Properties { get; }

    internal EventUnionJsonProperty[] ReadOnlyProperties { get; }
}

/// <summary>
/// One property of a union's variant, as <see cref="EventUnionJsonConverter{TUnion}"/> reads and writes it; created
/// with <see cref="Of{T}"/> or <see cref="OfNullable{T}"/>.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public abstract class EventUnionJsonProperty
{
    private protected EventUnionJsonProperty(string name, string jsonName, bool hasExplicitJsonName, bool isNullable, bool hasDefaultValue, object? declaredDefault)
    {
        HasDefaultValue = hasDefaultValue;
        DeclaredDefault = declaredDefault;
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

    /// <summary>The parameter is optional: an absent value reads as <see cref="DeclaredDefault"/>, and is never required.</summary>
    internal bool HasDefaultValue { get; }

    /// <summary>The optional parameter's declared default, boxed.</summary>
    internal object? DeclaredDefault { get; }

    internal byte[] Utf8JsonName { get; }

    internal JsonEncodedText EncodedJsonName { get; }

    /// <summary>This property's position among all the union's properties (names and type infos per options).</summary>
    internal int Slot { get; set; }

    /// <summary>A property of type <typeparamref name="T"/> (a reference type, or a value type that is not <c>Nullable&lt;T&gt;</c>).</summary>
    /// <typeparam name="T">The property's type.</typeparam>
    /// <param name="name">The C# name, which a naming policy converts.</param>
    /// <param name="jsonName">The name written without a naming policy: <c>[JsonPropertyName]</c>, else snake_case.</param>
    /// <param name="hasExplicitJsonName">Whether <paramref name="jsonName"/> comes from <c>[JsonPropertyName]</c>, which a policy does not change.</param>
    /// <param name="isNullable">A nullable reference: may be null or absent.</param>
    /// <param name="hasDefaultValue">The parameter is optional: an absent value reads as <paramref name="defaultValue"/>.</param>
    /// <param name="defaultValue">The optional parameter's declared default.</param>
    /// <returns>The description.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> or <paramref name="jsonName"/> is null.</exception>
    public static EventUnionJsonProperty Of<T>(string name, string jsonName, bool hasExplicitJsonName = false, bool isNullable = false, bool hasDefaultValue = false, T defaultValue = default!)
        => new Plain<T>(name, jsonName, hasExplicitJsonName, isNullable, hasDefaultValue, hasDefaultValue ? defaultValue : null);

    /// <summary>A property of type <c>Nullable&lt;T&gt;</c>: may be null or absent.</summary>
    /// <typeparam name="T">The underlying value type.</typeparam>
    /// <param name="name">The C# name, which a naming policy converts.</param>
    /// <param name="jsonName">The name written without a naming policy: <c>[JsonPropertyName]</c>, else snake_case.</param>
    /// <param name="hasExplicitJsonName">Whether <paramref name="jsonName"/> comes from <c>[JsonPropertyName]</c>, which a policy does not change.</param>
    /// <param name="hasDefaultValue">The parameter is optional: an absent value reads as <paramref name="defaultValue"/>.</param>
    /// <param name="defaultValue">The optional parameter's declared default.</param>
    /// <returns>The description.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> or <paramref name="jsonName"/> is null.</exception>
    public static EventUnionJsonProperty OfNullable<T>(string name, string jsonName, bool hasExplicitJsonName = false, bool hasDefaultValue = false, T? defaultValue = null)
        where T : struct
        => new NullableValue<T>(name, jsonName, hasExplicitJsonName, hasDefaultValue, defaultValue);

    internal abstract JsonTypeInfo? ResolveTypeInfo(JsonSerializerOptions options);

    /// <summary>The property's type, for error messages.</summary>
    internal abstract Type ValueType { get; }

    /// <summary>The boxed default of a value type, which an absent value reads as; null for a reference type.</summary>
    internal virtual object? DefaultValue => null;

    /// <summary>Reads the value at the reader's current token; null only for a nullable property.</summary>
    internal abstract object? ReadValue(ref Utf8JsonReader reader, EventUnionJsonSettings settings, string? variantWireName);

    internal JsonEncodedText NameIn(EventUnionJsonSettings settings) =>
        settings.EncodedNames is { } names ? names[Slot] : EncodedJsonName;

    private protected Exception NullFor(EventUnionJsonSettings settings, string? variantWireName) =>
        variantWireName is null ? new JsonException("null") : settings.Missing(variantWireName, JsonName);

    private sealed class Plain<T> : EventUnionJsonProperty
    {
        private static readonly bool s_isReference = !typeof(T).IsValueType;

        public Plain(string name, string jsonName, bool hasExplicitJsonName, bool isNullable, bool hasDefaultValue, object? declaredDefault)
            : base(name, jsonName, hasExplicitJsonName, isNullable, hasDefaultValue, declaredDefault)
        {
        }

        private static readonly object? s_default = s_isReference ? null : (object?)default(T);

        internal override Type ValueType => typeof(T);

        internal override object? DefaultValue => s_default;

        internal override JsonTypeInfo? ResolveTypeInfo(JsonSerializerOptions options) => EventUnionJsonScalar<T>.UsedWith(options) ? null : EventUnionJsonScalar<T>.TypeInfo(options);

        internal override object? ReadValue(ref Utf8JsonReader reader, EventUnionJsonSettings settings, string? variantWireName)
        {
            object? value = settings.TypeInfos[Slot] is null && EventUnionJsonScalar<T>.Instance is { } codec
                ? codec.Read(ref reader)
                : JsonSerializer.Deserialize(ref reader, (JsonTypeInfo<T>)settings.TypeInfos[Slot]!);

            // A null from the wire is an error for a non-nullable reference (a value type read through metadata cannot be null).
            return value is null && s_isReference && !IsNullable ? throw NullFor(settings, variantWireName) : value;
        }
    }

    private sealed class NullableValue<T> : EventUnionJsonProperty
        where T : struct
    {
        public NullableValue(string name, string jsonName, bool hasExplicitJsonName, bool hasDefaultValue, T? declaredDefault)
            : base(name, jsonName, hasExplicitJsonName, isNullable: true, hasDefaultValue, declaredDefault)
        {
        }

        internal override JsonTypeInfo? ResolveTypeInfo(JsonSerializerOptions options) => EventUnionJsonScalar<T>.UsedWith(options) ? null : EventUnionJsonScalar<T>.TypeInfo(options);

        internal override Type ValueType => typeof(T?);

        internal override object? ReadValue(ref Utf8JsonReader reader, EventUnionJsonSettings settings, string? variantWireName)
        {
            if (reader.TokenType == JsonTokenType.Null)
            {
                return null;
            }

            return settings.TypeInfos[Slot] is null && EventUnionJsonScalar<T>.Instance is { } codec
                ? codec.Read(ref reader)
                : JsonSerializer.Deserialize(ref reader, (JsonTypeInfo<T>)settings.TypeInfos[Slot]!);
        }
    }
}

/// <summary>
/// Reads and writes the common scalar types directly, so a source-generated context need not list them; null for every
/// other type, which goes through the options' type info.
/// </summary>
internal abstract class EventUnionJsonScalar<T>
{
    public static readonly EventUnionJsonScalar<T>? Instance = Create();

    private static readonly bool s_isNumber = typeof(T) == typeof(byte) || typeof(T) == typeof(short) || typeof(T) == typeof(int)
        || typeof(T) == typeof(long) || typeof(T) == typeof(ushort) || typeof(T) == typeof(uint) || typeof(T) == typeof(ulong)
        || typeof(T) == typeof(float) || typeof(T) == typeof(double) || typeof(T) == typeof(decimal);

    /// <summary>
    /// Whether the direct codec reads and writes <typeparamref name="T"/> under <paramref name="options"/> as System.Text.Json
    /// would: there is one, the options add no converter for the type, and a number is written without number handling.
    /// Otherwise the type goes through the options' type info, which honours them.
    /// </summary>
    public static bool UsedWith(JsonSerializerOptions options)
    {
        return Instance is not null && !(s_isNumber && options.NumberHandling != JsonNumberHandling.Strict) && !HasConverterIn(options);
    }

    /// <summary>
    /// The type info <typeparamref name="T"/> is read and written through when the direct codec is not used: the options'
    /// own. A source-generated context lists no scalar it did not see (the union's properties are behind a converter), so
    /// when the codec was set aside only for the options' <c>NumberHandling</c> and the context has no type info for the
    /// scalar, it is the one the context would generate (System.Text.Json's built-in converter of the type), which
    /// follows the options' number handling as the options' own would.
    /// </summary>
    public static JsonTypeInfo TypeInfo(JsonSerializerOptions options)
    {
        if (Instance is { } codec && !options.TryGetTypeInfo(typeof(T), out _) && !HasConverterIn(options))
        {
            return codec.CreateValueInfo(options);
        }

        return options.GetTypeInfo(typeof(T));
    }

    private static bool HasConverterIn(JsonSerializerOptions options)
    {
        foreach (var converter in options.Converters)
        {
            if (converter.CanConvert(typeof(T)))
            {
                return true;
            }
        }

        return false;
    }

    private delegate TValue ReadFunc<TValue>(ref Utf8JsonReader reader);

    /// <summary>A type info of <typeparamref name="T"/> with System.Text.Json's built-in converter, as a context generates it.</summary>
    public abstract JsonTypeInfo CreateValueInfo(JsonSerializerOptions options);

    public abstract T Read(ref Utf8JsonReader reader);

    public abstract void Write(Utf8JsonWriter writer, JsonEncodedText name, T value);

    private static EventUnionJsonScalar<T>? Create()
    {
        object? codec = typeof(T) switch
        {
            var t when t == typeof(string) => new Codec<string?>(static (ref r) => r.GetString(), static (w, n, v) => w.WriteString(n, v), JsonMetadataServices.StringConverter),
            var t when t == typeof(bool) => new Codec<bool>(static (ref r) => r.GetBoolean(), static (w, n, v) => w.WriteBoolean(n, v), JsonMetadataServices.BooleanConverter),
            var t when t == typeof(byte) => new Codec<byte>(static (ref r) => r.GetByte(), static (w, n, v) => w.WriteNumber(n, (int)v), JsonMetadataServices.ByteConverter),
            var t when t == typeof(short) => new Codec<short>(static (ref r) => r.GetInt16(), static (w, n, v) => w.WriteNumber(n, (int)v), JsonMetadataServices.Int16Converter),
            var t when t == typeof(int) => new Codec<int>(static (ref r) => r.GetInt32(), static (w, n, v) => w.WriteNumber(n, v), JsonMetadataServices.Int32Converter),
            var t when t == typeof(long) => new Codec<long>(static (ref r) => r.GetInt64(), static (w, n, v) => w.WriteNumber(n, v), JsonMetadataServices.Int64Converter),
            var t when t == typeof(ushort) => new Codec<ushort>(static (ref r) => r.GetUInt16(), static (w, n, v) => w.WriteNumber(n, (uint)v), JsonMetadataServices.UInt16Converter),
            var t when t == typeof(uint) => new Codec<uint>(static (ref r) => r.GetUInt32(), static (w, n, v) => w.WriteNumber(n, v), JsonMetadataServices.UInt32Converter),
            var t when t == typeof(ulong) => new Codec<ulong>(static (ref r) => r.GetUInt64(), static (w, n, v) => w.WriteNumber(n, v), JsonMetadataServices.UInt64Converter),
            var t when t == typeof(float) => new Codec<float>(static (ref r) => r.GetSingle(), static (w, n, v) => w.WriteNumber(n, v), JsonMetadataServices.SingleConverter),
            var t when t == typeof(double) => new Codec<double>(static (ref r) => r.GetDouble(), static (w, n, v) => w.WriteNumber(n, v), JsonMetadataServices.DoubleConverter),
            var t when t == typeof(decimal) => new Codec<decimal>(static (ref r) => r.GetDecimal(), static (w, n, v) => w.WriteNumber(n, v), JsonMetadataServices.DecimalConverter),
            var t when t == typeof(Guid) => new Codec<Guid>(static (ref r) => r.GetGuid(), static (w, n, v) => w.WriteString(n, v), JsonMetadataServices.GuidConverter),
            var t when t == typeof(DateTime) => new Codec<DateTime>(static (ref r) => r.GetDateTime(), static (w, n, v) => w.WriteString(n, v), JsonMetadataServices.DateTimeConverter),
            var t when t == typeof(DateTimeOffset) => new Codec<DateTimeOffset>(static (ref r) => r.GetDateTimeOffset(), static (w, n, v) => w.WriteString(n, v), JsonMetadataServices.DateTimeOffsetConverter),
            _ => null,
        };
        return (EventUnionJsonScalar<T>?)codec;
    }

    private sealed class Codec<TValue>(ReadFunc<TValue> read, Action<Utf8JsonWriter, JsonEncodedText, TValue> write, JsonConverter<TValue> converter) : EventUnionJsonScalar<TValue>
    {
        public override JsonTypeInfo CreateValueInfo(JsonSerializerOptions options) => JsonMetadataServices.CreateValueInfo<TValue>(options, converter);

        public override TValue Read(ref Utf8JsonReader reader) => read(ref reader);

        public override void Write(Utf8JsonWriter writer, JsonEncodedText name, TValue value) => write(writer, name, value);
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

    /// <summary>
    /// The raw payload a hand-built <c>Unknown</c> keeps, checked so that what the converter writes reads back as the same
    /// <c>Unknown</c>: <paramref name="rawPayload"/> itself when it is strict JSON, else (an object parsed with comments or
    /// trailing commas allowed, whose raw bytes keep them) the same object copied without them, each token's text (a
    /// string's escapes too) as it came. Either way a copy independent of the document it came from
    /// (<see cref="JsonElement.Clone"/>, free for an element that is one already, as the converter's are), so the
    /// <c>Unknown</c> outlives a document its caller disposes. Costs one pass over the payload's bytes.
    /// </summary>
    /// <param name="rawPayload">The JSON object, whose <c>"type"</c> the caller has checked.</param>
    /// <returns>The payload to keep.</returns>
    /// <exception cref="ArgumentException"><paramref name="rawPayload"/> has its <c>"type"</c> more than once (the converter refuses such an object when it reads it back).</exception>
    public static JsonElement ForUnknown(JsonElement rawPayload)
    {
        rawPayload = rawPayload.Clone();
        var types = 0;
        foreach (var property in rawPayload.EnumerateObject())
        {
            if (property.NameEquals("type"u8) && ++types > 1)
            {
                throw new ArgumentException("The raw payload of an unknown variant has its \"type\" more than once: one object names one variant, and the union's converter refuses it when it reads it back.", nameof(rawPayload));
            }
        }

        return WithoutCommentsOrTrailingCommas(rawPayload);
    }

    /// <summary>
    /// The payload of an unknown variant as JSON that any reader accepts: an <c>Unknown</c> is written back from its raw
    /// bytes, and read under options that skip comments or allow trailing commas those bytes may hold them. A payload
    /// without them keeps its bytes; one with them is copied token by token without them (and without the whitespace
    /// between tokens), each token's text as it came, so a string keeps its escapes (<c>\u003C</c> stays escaped, as it
    /// does when System.Text.Json writes the same object read as a <see cref="JsonElement"/>). Any depth: the payload was
    /// parsed within its reader's <c>MaxDepth</c> already.
    /// </summary>
    internal static JsonElement WithoutCommentsOrTrailingCommas(JsonElement payload)
    {
        var raw = JsonMarshal.GetRawUtf8Value(payload);
        var strict = new Utf8JsonReader(raw, new JsonReaderOptions { MaxDepth = int.MaxValue });
        try
        {
            while (strict.Read())
            {
            }

            return payload;
        }
        catch (JsonException)
        {
        }

        var reader = new Utf8JsonReader(raw, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true, MaxDepth = int.MaxValue });
        var buffer = new ArrayBufferWriter<byte>(raw.Length);
        var separate = false;
        while (reader.Read())
        {
            var token = reader.TokenType;
            if (separate && token is not (JsonTokenType.EndObject or JsonTokenType.EndArray))
            {
                Append(buffer, ","u8);
            }

            switch (token)
            {
                case JsonTokenType.StartObject:
                    Append(buffer, "{"u8);
                    separate = false;
                    break;
                case JsonTokenType.StartArray:
                    Append(buffer, "["u8);
                    separate = false;
                    break;
                case JsonTokenType.EndObject:
                    Append(buffer, "}"u8);
                    separate = true;
                    break;
                case JsonTokenType.EndArray:
                    Append(buffer, "]"u8);
                    separate = true;
                    break;
                case JsonTokenType.PropertyName:
                    Append(buffer, "\""u8);
                    Append(buffer, reader.ValueSpan);
                    Append(buffer, "\":"u8);
                    separate = false;
                    break;
                case JsonTokenType.String:
                    Append(buffer, "\""u8);
                    Append(buffer, reader.ValueSpan);
                    Append(buffer, "\""u8);
                    separate = true;
                    break;
                default:
                    // A number, true, false or null: its text as it came.
                    Append(buffer, reader.ValueSpan);
                    separate = true;
                    break;
            }
        }

        using var document = JsonDocument.Parse(buffer.WrittenMemory, new JsonDocumentOptions { MaxDepth = int.MaxValue });
        return document.RootElement.Clone();
    }

    private static void Append(ArrayBufferWriter<byte> buffer, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(buffer.GetSpan(bytes.Length));
        buffer.Advance(bytes.Length);
    }

    /// <summary>A hash of a wire name and the raw bytes of a JSON value.</summary>
    /// <param name="wireName">The wire name.</param>
    /// <param name="payload">The value.</param>
    /// <returns>The hash.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="wireName"/> is null.</exception>
    public static int Hash(string wireName, JsonElement payload)
    {
        ArgumentNullException.ThrowIfNull(wireName);
        var hash = default(HashCode);
        hash.Add(wireName);
        hash.AddBytes(JsonMarshal.GetRawUtf8Value(payload));
        return hash.ToHashCode();
    }
}
