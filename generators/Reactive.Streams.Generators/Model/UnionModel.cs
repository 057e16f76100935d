namespace Reactive.Streams.Generators.Model;

/// <summary>A positional parameter of a variant (and the property the record synthesizes for it).</summary>
/// <param name="Name">The parameter and property name, as declared.</param>
/// <param name="TypeName">Fully qualified type, with its nullable annotation.</param>
/// <param name="ValueTypeName">For <c>Nullable&lt;T&gt;</c>, the fully qualified <c>T</c>; otherwise empty.</param>
/// <param name="JsonName">The JSON property name: <c>[JsonPropertyName]</c> or the snake_case of <see cref="Name"/>.</param>
/// <param name="IsNullable">A nullable reference or <c>Nullable&lt;T&gt;</c>: may be absent or null on the wire.</param>
/// <param name="IsNullableValueType">A <c>Nullable&lt;T&gt;</c>.</param>
/// <param name="HasExplicitJsonName"><see cref="JsonName"/> comes from <c>[JsonPropertyName]</c>, which a naming policy does not change.</param>
/// <param name="IsObliviousReference">
/// A reference type declared where nullable annotations are disabled: C# says nothing of its nullness, so a null is read
/// and written, as System.Text.Json reads and writes it even under <c>RespectNullableAnnotations</c>.
/// </param>
/// <param name="DefaultValue">
/// An optional parameter's declared default as a C# expression of its type (<c>default</c> for <c>null</c> and
/// <c>default</c>); null for a parameter without one.
/// </param>
internal sealed record PropertyModel(
    string Name,
    string TypeName,
    string ValueTypeName,
    string JsonName,
    bool IsNullable,
    bool IsNullableValueType,
    bool HasExplicitJsonName = false,
    string? DefaultValue = null,
    bool IsObliviousReference = false);

/// <summary>
/// A nested sealed record of a union: its positional parameters (written and read) and its public read-only properties
/// (computed ones: written as System.Text.Json writes any object's, skipped when read).
/// </summary>
internal sealed record VariantModel(string Name, string WireName, EquatableArray<PropertyModel> Properties, EquatableArray<PropertyModel> ReadOnlyProperties);

/// <summary>Everything the emitter needs to write one union, with no symbol, syntax, location or compilation.</summary>
/// <param name="Namespace">The containing namespace, or empty for the global namespace.</param>
/// <param name="ContainingTypes">Declarations of the containing types, outermost first (<c>partial class Outer</c>).</param>
/// <param name="Name">The union's name.</param>
/// <param name="Access">
/// The accessibility of the kind enum and the converter, declared beside the union: <c>public</c> when the union is
/// visible outside its assembly, else the union's own (<c>internal</c>, or a nested union's <c>private</c>,
/// <c>protected</c>, <c>protected internal</c>, <c>private protected</c>), so its members may use them.
/// </param>
/// <param name="Variants">The user's variants, in declaration order.</param>
/// <param name="SharedAccessors">Positional properties with the same name and type in every variant.</param>
/// <param name="IsPayloadless">Every variant is parameterless: <c>FromWire</c>/<c>ToWire</c> and <c>Other</c> instead of <c>Unknown</c>.</param>
/// <param name="DeclaresJsonConverter">The union's declaration carries a <c>[JsonConverter]</c>: the generator adds none.</param>
/// <param name="CSharp11">
/// The union's file is C# 11 or later: UTF-8 string literals and <c>IEventUnion&lt;T&gt;</c> (static abstract interface
/// members). Read from the file's own parse options, so the union's output depends on nothing but its model.
/// </param>
/// <param name="FileScopedNamespaces">The union's file is C# 10 or later: the generated file uses a file-scoped namespace.</param>
/// <param name="HasCaseTwin">
/// The union's name, or a namespace or type around it, differs only in case from a sibling's (<c>Order</c> beside
/// <c>ORDER</c>): its hint name ends with a hash of its exact name, since Roslyn compares hint names ignoring case.
/// </param>
/// <param name="SuppressedWarnings">
/// The warnings a use of the union or its variants raises because one is <c>[Obsolete]</c> (CS0612, CS0618) or
/// <c>[Experimental]</c> (its id), comma-separated; the generated file suppresses them. Empty for most unions.
/// </param>
internal sealed record UnionModel(
    string Namespace,
    EquatableArray<string> ContainingTypes,
    string Name,
    string Access,
    EquatableArray<VariantModel> Variants,
    EquatableArray<PropertyModel> SharedAccessors,
    bool IsPayloadless,
    bool DeclaresJsonConverter = false,
    string SuppressedWarnings = "",
    bool CSharp11 = true,
    bool FileScopedNamespaces = true,
    bool HasCaseTwin = false)
{
    public string FallbackName => IsPayloadless ? "Other" : "Unknown";

    public string KindEnumName => Name + "Kind";

    public string ConverterName => Name + "JsonConverter";

    /// <summary>The fully qualified name used in generated code, <c>global::Ns.Outer.Name</c>.</summary>
    public string FullName
    {
        get
        {
            var prefix = Namespace.Length == 0 ? "global::" : "global::" + Namespace + ".";
            foreach (var container in ContainingTypes)
            {
                prefix += container.Substring(container.LastIndexOf(' ') + 1) + ".";
            }

            return prefix + Name;
        }
    }
}

/// <summary>What the parser found for one <c>[EventUnion]</c>: its name, a model when code can be generated, and diagnostics.</summary>
/// <param name="Name">The union's simple name.</param>
/// <param name="FullName">The union's fully qualified name (<c>global::</c>...), as a sink model names it.</param>
/// <param name="Model">The model, or null when no code is generated for the union.</param>
/// <param name="Diagnostics">What the parser reports.</param>
/// <param name="IsRepeatedAttribute">
/// The node repeats the union's <c>[EventUnion]</c> on another part of it (CS0579): the part with the first one generates
/// the union, so this one reports nothing and does not make a sink of the union refused.
/// </param>
internal sealed record UnionResult(string Name, string FullName, UnionModel? Model, EquatableArray<DiagnosticInfo> Diagnostics, bool IsRepeatedAttribute = false);
