using Reactive.Streams.Generators.Internal;
using Reactive.Streams.Generators.Model;

namespace Reactive.Streams.Generators.Unions;

/// <summary>
/// Writes the union's System.Text.Json converter. It reads and writes the common scalar types directly and every
/// other property type through <c>options.GetTypeInfo</c>, never through reflection, so it works under Native AOT
/// and from a source-generated <c>JsonSerializerContext</c> whose options carry it.
/// </summary>
internal static class JsonConverterEmitter
{
    private const string Json = "global::System.Text.Json";

    public static void EmitPayload(SourceWriter w, UnionModel model, string access, bool utf8Literals)
    {
        var union = model.Name;
        var types = MetadataTypes(model);
        w.Line("/// <summary>");
        w.Line($"/// Reads and writes a <see cref=\"{union}\"/> as a JSON object whose <c>\"type\"</c> property holds the variant's wire");
        w.Line("/// name and whose other properties are the variant's positional parameters, named by <c>[JsonPropertyName]</c>, else by");
        w.Line("/// the options' <c>PropertyNamingPolicy</c>, else in snake_case. <c>DefaultIgnoreCondition</c> (nulls),");
        w.Line("/// <c>PropertyNameCaseInsensitive</c> and <c>UnmappedMemberHandling</c> are honoured as on any object.");
        w.Line($"/// An unknown <c>\"type\"</c> reads as <see cref=\"{union}.Unknown\"/> and is written back byte for byte. No reflection:");
        w.Line("/// property types other than the common scalars are read and written through <c>options.GetTypeInfo</c>, so a");
        w.Line("/// source-generated <c>JsonSerializerContext</c> whose options carry this converter must also list those types.");
        w.Line("/// </summary>");
        w.Line(UnionEmitter.GeneratedCodeAttribute);
        w.Open($"{access} sealed class {model.ConverterName} : {Json}.Serialization.JsonConverter<{union}>");
        w.Line($"private static readonly {Json}.JsonEncodedText s_type = {Json}.JsonEncodedText.Encode(\"type\");");
        for (var v = 0; v < model.Variants.Count; v++)
        {
            var variant = model.Variants[v];
            w.Line($"private static readonly {Json}.JsonEncodedText s_wire{v} = {Json}.JsonEncodedText.Encode({Naming.Literal(variant.WireName)});");
            for (var p = 0; p < variant.Properties.Count; p++)
            {
                w.Line($"private static readonly {Json}.JsonEncodedText s_name{v}_{p} = {Json}.JsonEncodedText.Encode({Naming.Literal(variant.Properties[p].JsonName)});");
            }

            for (var r = 0; r < variant.ReadOnlyProperties.Count; r++)
            {
                w.Line($"private static readonly {Json}.JsonEncodedText s_readOnly{v}_{r} = {Json}.JsonEncodedText.Encode({Naming.Literal(variant.ReadOnlyProperties[r].JsonName)});");
            }
        }

        w.Line();
        w.Line("/// <inheritdoc/>");
        w.Open($"public override {union}? Read(ref {Json}.Utf8JsonReader reader, global::System.Type typeToConvert, {Json}.JsonSerializerOptions options)");
        w.Open($"if (reader.TokenType != {Json}.JsonTokenType.StartObject)");
        w.Line($"throw new {Json}.JsonException($\"A {union} is a JSON object with a \\\"type\\\" property, not a {{reader.TokenType}}.\");");
        w.Close();
        w.Line();
        w.Line("var metadata = MetadataFor(options);");
        w.Line();
        w.Line("// A copy of the reader finds the discriminator wherever it is. When it came first the variant is read on from");
        w.Line("// there; otherwise from the start, skipping it. An unknown variant is always parsed whole, from the start.");
        w.Line("var probe = reader;");
        w.Line("var typeCameFirst = FindType(ref probe);");
        w.Line($"{union} result;");
        for (var v = 0; v < model.Variants.Count; v++)
        {
            w.Open($"{(v == 0 ? string.Empty : "else ")}if (probe.ValueTextEquals({Utf8(model.Variants[v].WireName, utf8Literals)}))");
            w.Line($"result = typeCameFirst ? Read{model.Variants[v].Name}(ref probe, metadata) : Read{model.Variants[v].Name}(ref reader, metadata);");
            w.Close();
        }

        w.Open("else");
        w.Line("return ReadUnknown(probe.GetString()!, ref reader, metadata);");
        w.Close();
        w.Line();
        w.Open("if (typeCameFirst)");
        w.Line("reader = probe;");
        w.Close();
        w.Line();
        w.Line("return result;");
        w.Close();
        w.Line();

        w.Line("/// <inheritdoc/>");
        w.Open($"public override void Write({Json}.Utf8JsonWriter writer, {union} value, {Json}.JsonSerializerOptions options)");
        w.Line("global::System.ArgumentNullException.ThrowIfNull(writer);");
        w.Line("global::System.ArgumentNullException.ThrowIfNull(value);");
        w.Line("var metadata = MetadataFor(options);");
        w.Open("switch (value)");
        for (var v = 0; v < model.Variants.Count; v++)
        {
            var variant = model.Variants[v];
            w.Line($"case {union}.{variant.Name} __value:");
            w.Indent();
            w.Line("writer.WriteStartObject();");
            w.Line($"writer.WriteString(s_type, s_wire{v});");
            for (var p = 0; p < variant.Properties.Count; p++)
            {
                EmitWrite(w, variant.Properties[p], $"(metadata.Names is null ? s_name{v}_{p} : metadata.EncodedNames[{NameIndex(model, v, p)}])", $"__value.{variant.Properties[p].Name}", types);
            }

            if (variant.ReadOnlyProperties.Count > 0)
            {
                w.Open("if (!metadata.IgnoreReadOnly)");
                for (var r = 0; r < variant.ReadOnlyProperties.Count; r++)
                {
                    EmitWrite(w, variant.ReadOnlyProperties[r], $"(metadata.Names is null ? s_readOnly{v}_{r} : metadata.EncodedNames[{ReadOnlyNameIndex(model, v, r)}])", $"__value.{variant.ReadOnlyProperties[r].Name}", types);
                }

                w.Close();
            }

            w.Line("writer.WriteEndObject();");
            w.Line("return;");
            w.Unindent();
        }

        w.Line($"case {union}.Unknown __unknown:");
        w.Line("    writer.WriteRawValue(global::System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(__unknown.RawPayload), skipInputValidation: true);");
        w.Line("    return;");
        w.Line("default:");
        w.Line($"    throw new {Json}.JsonException($\"'{{value.GetType()}}' is not a variant of {union}.\");");
        w.Close();
        w.Close();

        for (var v = 0; v < model.Variants.Count; v++)
        {
            EmitReadVariant(w, model, v, types, utf8Literals);
        }

        EmitReadUnknown(w, model, types);
        EmitHelpers(w, union, utf8Literals);
        EmitMetadata(w, model, types);
        w.Close();
    }

    public static void EmitPayloadless(SourceWriter w, UnionModel model, string access, bool utf8Literals)
    {
        var union = model.Name;
        w.Line("/// <summary>");
        w.Line($"/// Reads and writes a <see cref=\"{union}\"/> as a JSON string holding its wire name; an unknown name reads as");
        w.Line($"/// <see cref=\"{union}.Other\"/> and is written back unchanged. No reflection.");
        w.Line("/// </summary>");
        w.Line(UnionEmitter.GeneratedCodeAttribute);
        w.Open($"{access} sealed class {model.ConverterName} : {Json}.Serialization.JsonConverter<{union}>");
        for (var v = 0; v < model.Variants.Count; v++)
        {
            w.Line($"private static readonly {Json}.JsonEncodedText s_wire{v} = {Json}.JsonEncodedText.Encode({Naming.Literal(model.Variants[v].WireName)});");
        }

        w.Line();
        w.Line("/// <inheritdoc/>");
        w.Open($"public override {union}? Read(ref {Json}.Utf8JsonReader reader, global::System.Type typeToConvert, {Json}.JsonSerializerOptions options)");
        w.Open($"if (reader.TokenType != {Json}.JsonTokenType.String)");
        w.Line($"throw new {Json}.JsonException($\"A {union} is a JSON string holding its wire name, not a {{reader.TokenType}}.\");");
        w.Close();
        w.Line();
        for (var v = 0; v < model.Variants.Count; v++)
        {
            w.Open($"if (reader.ValueTextEquals({Utf8(model.Variants[v].WireName, utf8Literals)}))");
            w.Line($"return {union}.FromWire({Naming.Literal(model.Variants[v].WireName)});");
            w.Close();
        }

        w.Line();
        w.Line($"return new {union}.Other(reader.GetString()!);");
        w.Close();
        w.Line();
        w.Line("/// <inheritdoc/>");
        w.Open($"public override void Write({Json}.Utf8JsonWriter writer, {union} value, {Json}.JsonSerializerOptions options)");
        w.Line("global::System.ArgumentNullException.ThrowIfNull(writer);");
        w.Line("global::System.ArgumentNullException.ThrowIfNull(value);");
        w.Open("switch (value)");
        for (var v = 0; v < model.Variants.Count; v++)
        {
            w.Line($"case {union}.{model.Variants[v].Name}:");
            w.Line($"    writer.WriteStringValue(s_wire{v});");
            w.Line("    return;");
        }

        w.Line($"case {union}.Other __other:");
        w.Line("    writer.WriteStringValue(__other.RawValue);");
        w.Line("    return;");
        w.Line("default:");
        w.Line($"    throw new {Json}.JsonException($\"'{{value.GetType()}}' is not a variant of {union}.\");");
        w.Close();
        w.Close();
        w.Close();
    }

    private static void EmitReadVariant(SourceWriter w, UnionModel model, int variantIndex, IReadOnlyDictionary<string, int> types, bool utf8Literals)
    {
        var variant = model.Variants[variantIndex];
        var union = model.Name;
        w.Line();
        w.Open($"private static {union}.{variant.Name} Read{variant.Name}(ref {Json}.Utf8JsonReader reader, Metadata metadata)");
        for (var p = 0; p < variant.Properties.Count; p++)
        {
            var property = variant.Properties[p];
            w.Line($"{property.TypeName} __p{p} = default{(property.IsNullable ? string.Empty : "!")};");
            if (!property.IsNullable)
            {
                w.Line($"var __has{p} = false;");
            }
        }

        w.Open($"while (reader.Read() && reader.TokenType == {Json}.JsonTokenType.PropertyName)");
        for (var p = 0; p < variant.Properties.Count; p++)
        {
            var property = variant.Properties[p];
            w.Open($"if (metadata.Names is null && !metadata.CaseInsensitive ? reader.ValueTextEquals({Utf8(property.JsonName, utf8Literals)}) : NameIs(ref reader, metadata.Names?[{NameIndex(model, variantIndex, p)}] ?? {Naming.Literal(property.JsonName)}, metadata.CaseInsensitive))");
            w.Line("reader.Read();");
            w.Line($"__p{p} = {ReadExpression(property, variant.WireName, types)};");
            if (!property.IsNullable)
            {
                w.Line($"__has{p} = true;");
            }

            w.Line("continue;");
            w.Close();
        }

        for (var r = 0; r < variant.ReadOnlyProperties.Count; r++)
        {
            // A read-only property is written but cannot be set: its value is skipped, and it is not an unmapped member.
            var property = variant.ReadOnlyProperties[r];
            w.Open($"if (metadata.Names is null && !metadata.CaseInsensitive ? reader.ValueTextEquals({Utf8(property.JsonName, utf8Literals)}) : NameIs(ref reader, metadata.Names?[{ReadOnlyNameIndex(model, variantIndex, r)}] ?? {Naming.Literal(property.JsonName)}, metadata.CaseInsensitive))");
            w.Line("reader.Read();");
            w.Line("SkipValue(ref reader);");
            w.Line("continue;");
            w.Close();
        }

        w.Open($"if (metadata.DisallowUnmapped && !reader.ValueTextEquals({Utf8("type", utf8Literals)}))");
        w.Line($"throw new {Json}.JsonException(\"'\" + reader.GetString() + {Naming.Literal("' is not a property of " + union + "." + variant.Name + " (\"" + variant.WireName + "\"), and the options disallow unmapped members.")});");
        w.Close();
        w.Line();
        w.Line("reader.Read();");
        w.Line("SkipValue(ref reader);");
        w.Close();
        w.Line();
        for (var p = 0; p < variant.Properties.Count; p++)
        {
            var property = variant.Properties[p];
            if (!property.IsNullable)
            {
                w.Open($"if (!__has{p})");
                w.Line($"throw Missing({Naming.Literal(variant.WireName)}, {Naming.Literal(property.JsonName)});");
                w.Close();
            }
        }

        var arguments = string.Join(", ", Enumerable.Range(0, variant.Properties.Count).Select(static p => $"__p{p}"));
        w.Line($"return new {union}.{variant.Name}({arguments});");
        w.Close();
    }

    private static void EmitReadUnknown(SourceWriter w, UnionModel model, IReadOnlyDictionary<string, int> types)
    {
        var union = model.Name;
        w.Line();
        w.Open($"private static {union}.Unknown ReadUnknown(string wireName, ref {Json}.Utf8JsonReader reader, Metadata metadata)");
        w.Line($"var unknown = new {union}.Unknown(wireName, {Json}.JsonElement.ParseValue(ref reader));");
        for (var s = 0; s < model.SharedAccessors.Count; s++)
        {
            var shared = model.SharedAccessors[s];
            w.Open($"if (unknown.RawPayload.TryGetProperty(metadata.Names?[{SharedNameIndex(model, s)}] ?? {Naming.Literal(shared.JsonName)}, out var __s{s}))");
            w.Line("// An old consumer must survive a new variant: a shared value it cannot read stays unset.");
            w.Line("try");
            w.Line("{");
            w.Indent();
            w.Line($"var __reader = new {Json}.Utf8JsonReader(global::System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(__s{s}));");
            w.Line("__reader.Read();");
            w.Line($"unknown = unknown with {{ {shared.Name} = {ReadExpression(shared, null, types, "__reader")} }};");
            w.Unindent();
            w.Line("}");
            w.Line($"catch (global::System.Exception __e) when (__e is {Json}.JsonException or global::System.InvalidOperationException or global::System.FormatException)");
            w.Line("{");
            w.Line("}");
            w.Close();
        }

        w.Line("return unknown;");
        w.Close();
    }

    private static void EmitHelpers(SourceWriter w, string union, bool utf8Literals)
    {
        w.Line();
        w.Line("/// <summary>Moves <paramref name=\"reader\"/> to the discriminator's value; true when it is the first property.</summary>");
        w.Line($"private static bool FindType(ref {Json}.Utf8JsonReader reader)");
        w.Line("{");
        w.Indent();
        w.Line("var first = true;");
        w.Open($"while (reader.Read() && reader.TokenType == {Json}.JsonTokenType.PropertyName)");
        w.Open($"if (reader.ValueTextEquals({Utf8("type", utf8Literals)}))");
        w.Line("reader.Read();");
        w.Open($"if (reader.TokenType != {Json}.JsonTokenType.String)");
        w.Line($"throw new {Json}.JsonException($\"The \\\"type\\\" of a {union} must be a string, not a {{reader.TokenType}}.\");");
        w.Close();
        w.Line();
        w.Line("return first;");
        w.Close();
        w.Line();
        w.Line("first = false;");
        w.Line("reader.Read();");
        w.Line("SkipValue(ref reader);");
        w.Close();
        w.Line();
        w.Line($"throw new {Json}.JsonException(\"A {union} needs a \\\"type\\\" property naming its variant.\");");
        w.Close();
        w.Line();
        w.Line("/// <summary>A property name compared with a name a policy gave, or ignoring case as PropertyNameCaseInsensitive asks.</summary>");
        w.Line($"private static bool NameIs(ref {Json}.Utf8JsonReader reader, string name, bool ignoreCase) =>");
        w.Line("    ignoreCase ? string.Equals(reader.GetString(), name, global::System.StringComparison.OrdinalIgnoreCase) : reader.ValueTextEquals(name);");
        w.Line();
        w.Open($"private static void SkipValue(ref {Json}.Utf8JsonReader reader)");
        w.Line("// A converter sees the whole value buffered, so TrySkip only fails on malformed input.");
        w.Open("if (!reader.TrySkip())");
        w.Line($"throw new {Json}.JsonException(\"Incomplete JSON in a {union}.\");");
        w.Close();
        w.Close();
        w.Line();
        w.Line($"private static {Json}.JsonException Missing(string variant, string property) =>");
        w.Line($"    new($\"The {union} variant '{{variant}}' needs a non-null \\\"{{property}}\\\".\");");
    }

    /// <summary>The distinct property types read and written through metadata, each with its slot in the cache.</summary>
    // A UTF-8 literal where the language has them (C# 11); before that the string overload of ValueTextEquals, which
    // compares the same unescaped text.
    private static string Utf8(string value, bool utf8Literals) => Naming.Literal(value) + (utf8Literals ? "u8" : string.Empty);

    // The position of variant v's property p among all variants' properties, then the shared accessors: the index of its
    // name in the names a naming policy gives (Metadata.Names).
    private static int NameIndex(UnionModel model, int v, int p)
    {
        var index = p;
        for (var i = 0; i < v; i++)
        {
            index += model.Variants[i].Properties.Count;
        }

        return index;
    }

    private static int SharedNameIndex(UnionModel model, int s) => NameIndex(model, model.Variants.Count, 0) + s;

    private static int ReadOnlyNameIndex(UnionModel model, int v, int r)
    {
        var index = SharedNameIndex(model, model.SharedAccessors.Count) + r;
        for (var i = 0; i < v; i++)
        {
            index += model.Variants[i].ReadOnlyProperties.Count;
        }

        return index;
    }

    private static Dictionary<string, int> MetadataTypes(UnionModel model)
    {
        var types = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var property in model.Variants.SelectMany(static v => v.Properties).Concat(model.SharedAccessors).Concat(model.Variants.SelectMany(static v => v.ReadOnlyProperties)))
        {
            if (property.Kind == ValueKind.Other && !types.ContainsKey(property.MetadataTypeName))
            {
                types.Add(property.MetadataTypeName, types.Count);
            }
        }

        return types;
    }

    private static void EmitMetadata(SourceWriter w, UnionModel model, IReadOnlyDictionary<string, int> types)
    {
        w.Line();
        w.Line("// The options' type infos and the settings the converter follows, resolved once per options instance rather than");
        w.Line("// looked up per property per item.");
        w.Line("// A race between two threads resolves them twice; either result is correct.");
        w.Line("private Metadata? _metadata;");
        w.Line();
        w.Open("private Metadata MetadataFor(global::System.Text.Json.JsonSerializerOptions options)");
        w.Line("var metadata = _metadata;");
        w.Open("if (metadata is null || !ReferenceEquals(metadata.Options, options))");
        w.Line("metadata = new Metadata(options);");
        w.Line("_metadata = metadata;");
        w.Close();
        w.Line();
        w.Line("return metadata;");
        w.Close();
        w.Line();
        w.Open("private sealed class Metadata");
        foreach (var type in types.OrderBy(static t => t.Value))
        {
            w.Line($"public readonly {Json}.Serialization.Metadata.JsonTypeInfo<{type.Key}> Type{type.Value};");
        }

        w.Line();
        w.Line("/// <summary>The properties' names under the options' PropertyNamingPolicy ([JsonPropertyName] wins); null without one.</summary>");
        w.Line("public readonly string[]? Names;");
        w.Line($"public readonly {Json}.JsonEncodedText[] EncodedNames = global::System.Array.Empty<{Json}.JsonEncodedText>();");
        w.Line("public readonly bool IgnoreNulls;");
        w.Line("public readonly bool IgnoreReadOnly;");
        w.Line("public readonly bool CaseInsensitive;");
        w.Line("public readonly bool DisallowUnmapped;");
        w.Line();
        w.Open($"public Metadata({Json}.JsonSerializerOptions options)");
        w.Line("Options = options;");
        w.Line($"IgnoreNulls = options.DefaultIgnoreCondition is {Json}.Serialization.JsonIgnoreCondition.WhenWritingNull or {Json}.Serialization.JsonIgnoreCondition.WhenWritingDefault;");
        w.Line("CaseInsensitive = options.PropertyNameCaseInsensitive;");
        w.Line("IgnoreReadOnly = options.IgnoreReadOnlyProperties;");
        var named = model.Variants.SelectMany(static v => v.Properties).Concat(model.SharedAccessors).Concat(model.Variants.SelectMany(static v => v.ReadOnlyProperties)).ToList();
        if (named.Count > 0)
        {
            w.Open("if (options.PropertyNamingPolicy is { } policy)");
            w.Line("Names = new string[]");
            w.Line("{");
            w.Indent();
            foreach (var property in named)
            {
                w.Line(property.PolicyNameExpression("policy") + ",");
            }

            w.Unindent();
            w.Line("};");
            w.Line($"EncodedNames = new {Json}.JsonEncodedText[Names.Length];");
            w.Open("for (var i = 0; i < Names.Length; i++)");
            w.Line($"EncodedNames[i] = {Json}.JsonEncodedText.Encode(Names[i]);");
            w.Close();
            w.Close();
        }
        w.Line($"DisallowUnmapped = options.UnmappedMemberHandling == {Json}.Serialization.JsonUnmappedMemberHandling.Disallow;");
        foreach (var type in types.OrderBy(static t => t.Value))
        {
            w.Line($"Type{type.Value} = ({Json}.Serialization.Metadata.JsonTypeInfo<{type.Key}>)options.GetTypeInfo(typeof({TypeOfName(type.Key)}));");
        }

        w.Close();
        w.Line();
        w.Line($"public {Json}.JsonSerializerOptions Options {{ get; }}");
        w.Close();
    }

    /// <summary><c>typeof</c> does not take a nullable reference type annotation.</summary>
    private static string TypeOfName(string typeName) => typeName.EndsWith("?", StringComparison.Ordinal) ? typeName.Substring(0, typeName.Length - 1) : typeName;

    /// <summary>The expression that reads one value at the reader's current token.</summary>
    private static string ReadExpression(PropertyModel property, string? variantWireName, IReadOnlyDictionary<string, int> types, string reader = "reader")
    {
        var missing = variantWireName is null
            ? $"throw new {Json}.JsonException(\"null\")"
            : $"throw Missing({Naming.Literal(variantWireName)}, {Naming.Literal(property.JsonName)})";
        string read = property.Kind switch
        {
            ValueKind.String => $"{reader}.GetString()",
            ValueKind.Boolean => $"{reader}.GetBoolean()",
            ValueKind.Byte => $"{reader}.GetByte()",
            ValueKind.Int16 => $"{reader}.GetInt16()",
            ValueKind.Int32 => $"{reader}.GetInt32()",
            ValueKind.Int64 => $"{reader}.GetInt64()",
            ValueKind.UInt16 => $"{reader}.GetUInt16()",
            ValueKind.UInt32 => $"{reader}.GetUInt32()",
            ValueKind.UInt64 => $"{reader}.GetUInt64()",
            ValueKind.Single => $"{reader}.GetSingle()",
            ValueKind.Double => $"{reader}.GetDouble()",
            ValueKind.Decimal => $"{reader}.GetDecimal()",
            ValueKind.Guid => $"{reader}.GetGuid()",
            ValueKind.DateTime => $"{reader}.GetDateTime()",
            ValueKind.DateTimeOffset => $"{reader}.GetDateTimeOffset()",
            _ => $"{Json}.JsonSerializer.Deserialize(ref {reader}, metadata.Type{types[property.MetadataTypeName]})",
        };

        if (property.IsNullableValueType)
        {
            return $"{reader}.TokenType == {Json}.JsonTokenType.Null ? null : {read}";
        }

        if (property.IsNullable)
        {
            // A nullable reference: GetString and Deserialize return null for a JSON null.
            return read;
        }

        // Reference types (and Other value types read through metadata) may come back null from the wire.
        return property.Kind is ValueKind.String || (property.Kind is ValueKind.Other && property.IsReferenceType)
            ? $"{read} ?? {missing}"
            : read;
    }

    private static void EmitWrite(SourceWriter w, PropertyModel property, string name, string value, IReadOnlyDictionary<string, int> types)
    {
        if (property.IsNullableValueType)
        {
            w.Open($"if ({value} is {{ }} __present_{property.Name})");
            EmitWriteValue(w, property, name, $"__present_{property.Name}", types);
            w.Close();
            w.Open("else if (!metadata.IgnoreNulls)");
            w.Line($"writer.WriteNull({name});");
            w.Close();
            return;
        }

        if (property.IsNullable)
        {
            // DefaultIgnoreCondition WhenWritingNull (or WhenWritingDefault) leaves a null out, as it does on any object.
            w.Open($"if ({value} is not null || !metadata.IgnoreNulls)");
            EmitWriteValue(w, property, name, value, types);
            w.Close();
            return;
        }

        EmitWriteValue(w, property, name, value, types);
    }

    private static void EmitWriteValue(SourceWriter w, PropertyModel property, string name, string value, IReadOnlyDictionary<string, int> types)
    {
        switch (property.Kind)
        {
            case ValueKind.String:
            case ValueKind.Guid:
            case ValueKind.DateTime:
            case ValueKind.DateTimeOffset:
                w.Line($"writer.WriteString({name}, {value});");
                break;
            case ValueKind.Boolean:
                w.Line($"writer.WriteBoolean({name}, {value});");
                break;
            case ValueKind.Byte:
            case ValueKind.Int16:
                w.Line($"writer.WriteNumber({name}, (int){value});");
                break;
            case ValueKind.UInt16:
                w.Line($"writer.WriteNumber({name}, (uint){value});");
                break;
            case ValueKind.Int32:
            case ValueKind.Int64:
            case ValueKind.UInt32:
            case ValueKind.UInt64:
            case ValueKind.Single:
            case ValueKind.Double:
            case ValueKind.Decimal:
                w.Line($"writer.WriteNumber({name}, {value});");
                break;
            default:
                w.Line($"writer.WritePropertyName({name});");
                w.Line($"{Json}.JsonSerializer.Serialize(writer, {value}, metadata.Type{types[property.MetadataTypeName]});");
                break;
        }
    }
}
