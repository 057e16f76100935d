using Reactive.Streams.Generators.Internal;
using Reactive.Streams.Generators.Model;

namespace Reactive.Streams.Generators.Unions;

/// <summary>
/// Writes the union's System.Text.Json converter. For a union with payloads it only describes the union (variants, wire
/// names, property names and types) to <c>EventUnionJsonConverter&lt;TUnion&gt;</c> in Core, which holds the reading and
/// writing code once for every union (generated per union, that code was most of the compile time a union cost), with one
/// method that constructs a variant from its values and one that hands a variant's values to the writer: a lambda per
/// property getter and per constructor, which the compiler binds one by one, cost a union more than the rest of its
/// converter. No reflection either way: the common scalar types are read and written directly and every other property type
/// through <c>options.GetTypeInfo</c>, so it works under Native AOT and from a source-generated <c>JsonSerializerContext</c>
/// whose options carry it.
/// </summary>
internal static class JsonConverterEmitter
{
    private const string Json = "global::System.Text.Json";

    private const string Core = "global::Reactive.Streams";

    public static void EmitPayload(SourceWriter w, UnionModel model, string access)
    {
        // Fully qualified: inside the converter a union's simple name can bind to a member the converter inherits (a union
        // named Type is JsonConverter<T>.Type there, one named Read or Create a method).
        var union = model.FullName;
        w.Line("/// <summary>");
        w.Line($"/// Reads and writes a <see cref=\"{union}\"/> as a JSON object whose <c>\"type\"</c> property holds the variant's wire");
        w.Line("/// name and whose other properties are the variant's positional parameters, named by <c>[JsonPropertyName]</c>, else by");
        w.Line("/// the options' <c>PropertyNamingPolicy</c>, else in snake_case. <c>DefaultIgnoreCondition</c>,");
        w.Line("/// <c>PropertyNameCaseInsensitive</c> and <c>UnmappedMemberHandling</c> are honoured as on any object.");
        w.Line($"/// An unknown <c>\"type\"</c> reads as <see cref=\"{union}.Unknown\"/> and is written back byte for byte. No reflection:");
        w.Line("/// property types other than the common scalars are read and written through <c>options.GetTypeInfo</c>, so a");
        w.Line("/// source-generated <c>JsonSerializerContext</c> whose options carry this converter must also list those types.");
        w.Line("/// </summary>");
        w.Line(UnionEmitter.GeneratedCodeAttribute);
        w.Open($"{access} sealed class {model.ConverterName} : {Core}.EventUnionJsonConverter<{union}>");
        w.Line("/// <summary>Creates the converter.</summary>");
        w.Line($"public {model.ConverterName}()");
        w.Line($"    : base({Naming.Literal(model.Name)}, new {Core}.EventUnionJsonVariant[]");
        w.Line("    {");
        w.Indent();
        w.Indent();
        foreach (var variant in model.Variants)
        {
            w.Line($"new({Naming.Literal(variant.Name)}, {Naming.Literal(variant.WireName)},");
            w.Indent();
            EmitProperties(w, variant.Properties, variant.ReadOnlyProperties.Count > 0 ? "," : "),");
            if (variant.ReadOnlyProperties.Count > 0)
            {
                EmitProperties(w, variant.ReadOnlyProperties, "),");
            }

            w.Unindent();
        }

        w.Unindent();
        w.Line("},");
        EmitProperties(w, model.SharedAccessors, ")");
        w.Unindent();
        w.Line("{");
        w.Line("}");

        // Each variant is constructed from its positional values, and hands its properties' values to the writer, in one
        // method each: no lambda per property or per variant for the compiler to bind.
        w.Line();
        w.Line("/// <inheritdoc/>");
        w.Open($"protected override {union} Create(int variant, object?[] values) => variant switch");
        for (var v = 0; v < model.Variants.Count; v++)
        {
            var variant = model.Variants[v];
            var arguments = string.Join(", ", variant.Properties.Select(static (p, i) => p.IsNullable ? $"({p.TypeName})values[{i}]" : $"({p.TypeName})values[{i}]!"));
            w.Line($"{v} => new {union}.{variant.Name}({arguments}),");
        }

        w.Line("_ => throw new global::System.ArgumentOutOfRangeException(\"variant\"),");
        w.Close(";");
        w.Line();
        w.Line("/// <inheritdoc/>");
        w.Line($"protected override {union} CreateUnknown(string wireName, {Json}.JsonElement payload) => new {union}.Unknown(wireName, payload);");
        w.Line();
        w.Line("/// <inheritdoc/>");
        w.Open($"protected override void WriteVariant({union} value, ref {Core}.EventUnionJsonWriter writer)");
        w.Open("switch (value)");
        for (var v = 0; v < model.Variants.Count; v++)
        {
            var variant = model.Variants[v];
            w.Line($"case {union}.{variant.Name} __variant:");
            w.Indent();
            w.Line($"writer.Begin({v});");
            foreach (var property in variant.Properties)
            {
                w.Line(WriteCall(property));
            }

            if (variant.ReadOnlyProperties.Count > 0)
            {
                w.Open("if (writer.WritesReadOnly)");
                foreach (var property in variant.ReadOnlyProperties)
                {
                    w.Line(WriteCall(property));
                }

                w.Close();
            }

            w.Line("return;");
            w.Unindent();
        }

        w.Line($"case {union}.Unknown __unknown:");
        w.Line("    writer.WriteUnknown(__unknown.RawPayload);");
        w.Line("    return;");
        w.Close();
        w.Close();
        if (model.SharedAccessors.Count > 0)
        {
            w.Line();
            w.Line("/// <inheritdoc/>");
            // Not a `with`: the Unknown's shared accessors refuse a value from anywhere but its payload.
            w.Line($"protected override {union} SetShared({union} unknown, int index, object? value) => new {union}.Unknown(({union}.Unknown)unknown, index, value);");
        }

        w.Close();
    }

    // The descriptions of a list of properties: each one's C# name (which a naming policy converts), the name written
    // without a policy, and its type.
    private static void EmitProperties(SourceWriter w, EquatableArray<PropertyModel> properties, string end)
    {
        if (properties.Count == 0)
        {
            w.Line($"global::System.Array.Empty<{Core}.EventUnionJsonProperty>(){end}");
            return;
        }

        w.Line("new[]");
        w.Line("{");
        w.Indent();
        foreach (var property in properties)
        {
            w.Line(Property(property) + ",");
        }

        w.Unindent();
        w.Line("}" + end);
    }

    // A reference declared without nullable annotations (#nullable disable) accepts a null on the wire, as System.Text.Json
    // treats it even under RespectNullableAnnotations; the C# the converter generates still casts it as declared.
    private static string Property(PropertyModel property)
    {
        var names = $"{Naming.Literal(property.Name)}, {Naming.Literal(property.JsonName)}";
        if (property.HasExplicitJsonName)
        {
            names += ", hasExplicitJsonName: true";
        }

        // An optional parameter's default is what an absent value reads as, as System.Text.Json reads it.
        var defaultValue = property.DefaultValue is { } value ? $", hasDefaultValue: true, defaultValue: {value}" : string.Empty;
        return property.IsNullableValueType
            ? $"{Core}.EventUnionJsonProperty.OfNullable<{property.ValueTypeName}>({names}{defaultValue})"
            : $"{Core}.EventUnionJsonProperty.Of<{property.TypeName}>({names}{(property.IsNullable || property.IsObliviousReference ? ", isNullable: true" : string.Empty)}{defaultValue})";
    }

    // A dynamic property is written as the object it holds, as System.Text.Json writes one: passed as dynamic, the call
    // would be bound at run time, which a ref struct writer cannot take (CS9230).
    private static string WriteCall(PropertyModel property)
        => $"writer.{(property.IsNullableValueType ? "WriteNullable" : "Write")}({(property.TypeName.StartsWith("dynamic", StringComparison.Ordinal) ? "(object?)" : string.Empty)}__variant.{Naming.Identifier(property.Name)});";

    public static void EmitPayloadless(SourceWriter w, UnionModel model, string access, bool utf8Literals)
    {
        var union = model.FullName;
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
        w.Line($"throw new {Json}.JsonException($\"A {model.Name} is a JSON string holding its wire name, not a {{reader.TokenType}}.\");");
        w.Close();
        w.Line();
        w.Line("return FromWireText(ref reader);");
        w.Close();
        w.Line();

        // As a dictionary key the union is the property name, as an enum is under JsonStringEnumConverter.
        w.Line("/// <inheritdoc/>");
        w.Line($"public override {union} ReadAsPropertyName(ref {Json}.Utf8JsonReader reader, global::System.Type typeToConvert, {Json}.JsonSerializerOptions options) => FromWireText(ref reader);");
        w.Line();
        w.Line("/// <inheritdoc/>");
        w.Open($"public override void Write({Json}.Utf8JsonWriter writer, {union} value, {Json}.JsonSerializerOptions options)");
        w.Line("global::System.ArgumentNullException.ThrowIfNull(writer);");
        w.Line("global::System.ArgumentNullException.ThrowIfNull(options);");
        w.Line("writer.WriteStringValue(ToWireText(value, options));");
        w.Close();
        w.Line();
        w.Line("/// <inheritdoc/>");
        w.Open($"public override void WriteAsPropertyName({Json}.Utf8JsonWriter writer, {union} value, {Json}.JsonSerializerOptions options)");
        w.Line("global::System.ArgumentNullException.ThrowIfNull(writer);");
        w.Line("global::System.ArgumentNullException.ThrowIfNull(options);");
        w.Line("writer.WritePropertyName(ToWireText(value, options));");
        w.Close();
        w.Line();

        // The wire name at a string value or a property name.
        w.Open($"private static {union} FromWireText(ref {Json}.Utf8JsonReader reader)");
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
        w.Open($"private static {Json}.JsonEncodedText ToWireText({union} value, {Json}.JsonSerializerOptions options)");
        w.Line("global::System.ArgumentNullException.ThrowIfNull(value);");
        w.Open("switch (value)");
        for (var v = 0; v < model.Variants.Count; v++)
        {
            // Escaped by the options' Encoder, as an enum's names under JsonStringEnumConverter and the Other's raw value are.
            w.Line($"case {union}.{model.Variants[v].Name}:");
            w.Line($"    return options.Encoder is null ? s_wire{v} : {Json}.JsonEncodedText.Encode({Naming.Literal(model.Variants[v].WireName)}, options.Encoder);");
        }

        w.Line($"case {union}.Other __other:");
        w.Line($"    return {Json}.JsonEncodedText.Encode(__other.RawValue, options.Encoder);");
        w.Line("default:");
        w.Line($"    throw new {Json}.JsonException($\"'{{value.GetType()}}' is not a variant of {model.Name}.\");");
        w.Close();
        w.Close();
        w.Close();
    }

    // A UTF-8 literal where the language has them (C# 11); before that the string overload of ValueTextEquals, which
    // compares the same unescaped text.
    private static string Utf8(string value, bool utf8Literals) => Naming.Literal(value) + (utf8Literals ? "u8" : string.Empty);
}
