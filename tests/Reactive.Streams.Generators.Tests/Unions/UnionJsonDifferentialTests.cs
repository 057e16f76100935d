using System.Collections;
using System.Diagnostics;
using System.Reflection;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Microsoft.CodeAnalysis;
using Reactive.Streams.Generators.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Reactive.Streams.Generators.Tests.Unions;

/// <summary>
/// A differential test of the generated converter against System.Text.Json's own <c>[JsonPolymorphic]</c>: random union
/// declarations (deterministic seeds) are compiled with their mirror, the same records under <c>[JsonPolymorphic]</c> with
/// the wire names the union uses, in one compilation with the generator. Random values of every variant are then written
/// by both under random options and compared byte for byte, and each side's bytes (and variations of them: the
/// discriminator last or twice, an extra property, names in another case) are read by both and compared value for value. A union
/// the generator refuses (an RXS diagnostic) is only checked to leave no error in generated code; a refusal is an answer
/// the rule allows ("honour what System.Text.Json honours, or refuse it at compile time"), but if most declarations were
/// refused the comparison would say little, so their share is bounded.
/// </summary>
/// <remarks>
/// Differences that are intended, and so compared only where the policy does not change them:
/// <list type="bullet">
/// <item>Without a <c>PropertyNamingPolicy</c> the union writes snake_case (README, "A typed event union"); the mirror is
/// given <c>JsonNamingPolicy.SnakeCaseLower</c> then, and the shared nested record names its properties explicitly, so
/// that no policy applies to it on either side.</item>
/// <item>The union finds the discriminator anywhere in the object; System.Text.Json only with
/// <c>AllowOutOfOrderMetadataProperties</c>. With that option off, the mirror's failure to read is not a difference.</item>
/// <item>An absent or null non-nullable reference is an error for the union, where System.Text.Json reads a null into it;
/// values read so are not compared (the random values never put a null there, so this only arises in variations).</item>
/// <item>Unknown discriminators read as the union's <c>Unknown</c> variant where System.Text.Json throws; the random
/// bytes always carry a known one.</item>
/// <item><c>ReferenceHandler.Preserve</c> is refused by the union (a <c>NotSupportedException</c> on writing and reading),
/// which is asserted instead of comparing.</item>
/// </list>
/// </remarks>
public sealed class UnionJsonDifferentialTests(ITestOutputHelper output)
{
    // About 120 unions and 8,000 comparisons in some 20 s: the compilation of the generated code is most of it.
    private const int Batches = 3;
    private const int CasesPerBatch = 40;
    private const int OptionSetsPerCase = 3;
    private const int ValuesPerVariant = 3;

    // The share of declarations the generator may refuse before the test says too little. Each case gets a feature the
    // converter refuses (RXS1008) with a probability of about a tenth; a sudden rise means new refusals.
    private const double MaxRefusedShare = 0.25;

    public static TheoryData<int> BatchIndexes => new(Enumerable.Range(0, Batches));

    [Theory]
    [MemberData(nameof(BatchIndexes))]
    public void Random_unions_write_and_read_as_JsonPolymorphic_does_on_the_same_hierarchy(int batch)
    {
        var stopwatch = Stopwatch.StartNew();
        // RXS_FUZZ_SEED_OFFSET explores other seeds locally; the suite runs the same ones every time.
        var offset = int.TryParse(Environment.GetEnvironmentVariable("RXS_FUZZ_SEED_OFFSET"), out var o) ? o : 0;
        var cases = Enumerable.Range(offset + (batch * CasesPerBatch), CasesPerBatch).Select(static seed => CaseSpec.Generate(seed)).ToList();
        var source = new StringBuilder("""
            #pragma warning disable CS1591
            using System;
            using System.Collections.Generic;
            using System.Text.Json.Serialization;
            using Reactive.Streams;

            """);
        foreach (var spec in cases)
        {
            source.Append(spec.Source);
        }

        // The compilation is emitted once: its diagnostics (warnings are errors here) are the check that the declarations
        // and the generated code compile.
        var run = TestCompilation.Run(source.ToString());
        // RXS_FUZZ_DUMP=<directory> writes the declarations and the generated code there, to read a failure.
        if (Environment.GetEnvironmentVariable("RXS_FUZZ_DUMP") is { Length: > 0 } dump)
        {
            Directory.CreateDirectory(dump);
            File.WriteAllText(Path.Combine(dump, $"batch{batch}.cs"), source.ToString());
            foreach (var (hint, text) in run.Sources)
            {
                File.WriteAllText(Path.Combine(dump, hint), text);
            }
        }

        var generated = stopwatch.Elapsed;
        using var image = new MemoryStream();
        var emit = run.Output.WithAssemblyName("Differential" + batch).Emit(image);
        var compileErrors = emit.Diagnostics.Where(static d => d.Severity >= DiagnosticSeverity.Warning).ToList();
        Assert.True(emit.Success && compileErrors.Count == 0, "the declarations and the generated code must compile:\n" + string.Join("\n", compileErrors.Take(20)));
        var assembly = Assembly.Load(image.ToArray());
        var compiled = stopwatch.Elapsed;

        // The generator's diagnostics point into the one source file (by path and span); each case is a namespace of it.
        var root = run.Output.SyntaxTrees.First().GetRoot();
        var refused = run.GeneratorDiagnostics
            .Select(d => root.FindToken(d.Location.SourceSpan.Start).Parent?.AncestorsAndSelf().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.BaseNamespaceDeclarationSyntax>().FirstOrDefault()?.Name.ToString())
            .ToHashSet();
        Assert.DoesNotContain(null, refused);
        Assert.True(run.GeneratorDiagnostics.All(static d => d.Id.StartsWith("RXS", StringComparison.Ordinal)), string.Join("\n", run.GeneratorDiagnostics));

        var failures = new List<string>();
        var compared = 0;
        foreach (var spec in cases)
        {
            if (refused.Contains(spec.Namespace))
            {
                continue;
            }

            Assert.False(spec.ExpectsRefusal, $"seed {spec.Seed}: the declaration has a feature the converter refuses, and no RXS diagnostic was reported:\n{spec.Source}");
            compared++;
            new CaseRunner(spec, assembly, failures).Run();
        }

        {
            output.WriteLine($"batch {batch}: generated {generated.TotalSeconds:F1} s, compiled {(compiled - generated).TotalSeconds:F1} s, compared {(stopwatch.Elapsed - compiled).TotalSeconds:F1} s; {compared} compared, {refused.Count} refused");
        }

        var refusedShare = (double)refused.Count / cases.Count;
        Assert.True(refusedShare <= MaxRefusedShare, $"{refused.Count} of {cases.Count} declarations were refused: {string.Join(", ", refused)}\n{string.Join("\n", run.GeneratorDiagnostics.Take(10))}");
        Assert.True(failures.Count == 0, $"{failures.Count} differences from [JsonPolymorphic] ({compared} unions compared, {stopwatch.Elapsed.TotalSeconds:F1} s); the first:\n\n" + string.Join("\n\n", failures.Take(6)));
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Declarations
    // ---------------------------------------------------------------------------------------------------------------

    private sealed record ParamSpec(string Name, string Type, string? Attribute, string? Default = null);

    private sealed record VariantSpec(string Name, string WireName, bool ExplicitWireName, List<ParamSpec> Parameters, List<string> Body);

    private sealed class CaseSpec
    {
        private static readonly string[] s_variantWords =
        [
            "Placed", "Cancelled", "Shipped", "Renewed", "Expired", "HTTPCall", "IOFailed", "Value2Go", "Café", "Reset",
            "X", "AB", "Ab", "Order_Placed", "Item", "Moved", "Priced", "URLChanged", "V1", "Ümlaut", "Done", "Opened",
        ];

        private static readonly string[] s_propertyWords =
        [
            "Id", "Amount", "Qty", "Note", "At", "HTTPStatus", "Value1A", "IOStream", "URLs", "Tags", "Ref", "Flag", "Price",
            "Count", "Rate", "Label", "Über", "Naïve", "Data_Set", "Ok", "Items", "Id2Go", "ABCDef", "Size", "Map", "Z",
        ];

        private static readonly string[] s_scalarTypes =
        [
            "int", "long", "double", "decimal", "bool", "string", "DateTimeOffset", "DateTime", "Guid", "Color", "Point",
            "float", "short", "byte", "uint", "ulong", "TimeSpan",
        ];

        private static readonly string[] s_nullableTypes =
        [
            "int?", "long?", "double?", "decimal?", "bool?", "string?", "DateTimeOffset?", "Guid?", "Color?", "Point?",
        ];

        private static readonly string[] s_elementTypes = ["int", "string", "Point", "Color", "double", "long"];

        private static readonly string[] s_explicitNames =
        [
            "n_x", "fooBar", "with space", "ünï", "a<b", "dash-ed", "UPPER", "Type", "é\"q", "$id", "0lead", "+plus", "日本",
        ];

        private static readonly string[] s_wireNames = ["custom", "v2.placed", "Placed", "ü-wire", "a<b>", "q\"uote", "sp ace", "日本"];

        public int Seed { get; private init; }

        public string Namespace => "Fuzz" + Seed;

        public string Source { get; private set; } = string.Empty;

        public List<VariantSpec> Variants { get; } = [];

        /// <summary>A feature the converter refuses was put in on purpose.</summary>
        public bool ExpectsRefusal { get; private set; }

        public bool ColorHasStringConverter { get; private set; }

        public static CaseSpec Generate(int seed)
        {
            var random = new Random(seed);
            var spec = new CaseSpec { Seed = seed, ColorHasStringConverter = random.Next(3) == 0 };

            // At most one refused feature per case, in about one case in ten.
            var refusal = random.Next(10) == 0 ? random.Next(10) : -1;
            spec.ExpectsRefusal = refusal >= 0;

            var variantCount = random.Next(1, 5);
            var variantNames = new HashSet<string>(StringComparer.Ordinal);
            var wireNames = new HashSet<string>(StringComparer.Ordinal);
            while (spec.Variants.Count < variantCount)
            {
                var name = Pick(random, s_variantWords) + (random.Next(4) == 0 ? Pick(random, s_variantWords) : string.Empty);
                if (!variantNames.Add(name))
                {
                    continue;
                }

                var explicitWire = random.Next(5) == 0;
                var wire = explicitWire ? Pick(random, s_wireNames) + (random.Next(2) == 0 ? random.Next(10).ToString(System.Globalization.CultureInfo.InvariantCulture) : string.Empty) : JsonNamingPolicy.SnakeCaseLower.ConvertName(name);
                if (!wireNames.Add(wire))
                {
                    variantNames.Remove(name);
                    continue;
                }

                var parameters = new List<ParamSpec>();
                var parameterCount = random.Next(0, 5);
                var propertyNames = new HashSet<string>(StringComparer.Ordinal) { name };
                var jsonNames = new HashSet<string>(StringComparer.Ordinal);
                for (var attempt = 0; parameters.Count < parameterCount && attempt < 20; attempt++)
                {
                    var propertyName = Pick(random, s_propertyWords) + (random.Next(5) == 0 ? Pick(random, s_propertyWords) : string.Empty);
                    if (propertyName is "Type" || !propertyNames.Add(propertyName))
                    {
                        continue;
                    }

                    var type = RandomType(random);
                    string? attribute = null;
                    if (random.Next(4) == 0)
                    {
                        // Sometimes the name another property gets under a policy, which System.Text.Json then refuses.
                        var explicitName = random.Next(6) == 0 && parameters.Count > 0
                            ? Pick(random, [JsonNamingPolicy.CamelCase, JsonNamingPolicy.KebabCaseLower, JsonNamingPolicy.SnakeCaseUpper]).ConvertName(parameters[^1].Name)
                            : Pick(random, s_explicitNames);
                        attribute = $"[property: JsonPropertyName({Literal(explicitName)})] ";
                        if (!jsonNames.Add(explicitName))
                        {
                            propertyNames.Remove(propertyName);
                            continue;
                        }
                    }
                    else if (!jsonNames.Add(JsonNamingPolicy.SnakeCaseLower.ConvertName(propertyName)))
                    {
                        propertyNames.Remove(propertyName);
                        continue;
                    }

                    parameters.Add(new ParamSpec(propertyName, type, attribute));
                }

                // Now and then the last parameters are optional: an absent value reads as the declared default.
                for (var i = parameters.Count - 1; i >= 0 && random.Next(3) == 0; i--)
                {
                    if (DefaultFor(random, parameters[i].Type) is not { } value)
                    {
                        break;
                    }

                    parameters[i] = parameters[i] with { Default = value };
                }

                var body = new List<string>();
                if (random.Next(6) == 0)
                {
                    body.Add(random.Next(4) switch
                    {
                        0 => "[JsonIgnore] public string? Trace { get; init; }",
                        1 => "[JsonIgnore] public int Counter;",
                        _ => "public int Computed => 7;",
                    });
                }

                spec.Variants.Add(new VariantSpec(name, wire, explicitWire, parameters, body));
            }

            // A union whose variants carry nothing is a JSON string, not an object (intended): give one a payload.
            if (spec.Variants.All(static v => v.Parameters.Count == 0))
            {
                spec.Variants[0].Parameters.Add(new ParamSpec("Id", "string", null));
            }

            if (refusal >= 0)
            {
                AddRefusedFeature(random, spec, refusal);
            }

            spec.Source = spec.Render();
            return spec;
        }

        private static void AddRefusedFeature(Random random, CaseSpec spec, int which)
        {
            var variant = spec.Variants.FirstOrDefault(static v => v.Parameters.Count > 0) ?? spec.Variants[0];
            if (which is >= 6 and <= 8)
            {
                variant.Body.Add(which switch
                {
                    6 => "public string? Extra { get; init; }",
                    7 => "public required string Extra { get; init; }",
                    _ => "public int Counter;",
                });
                return;
            }

            var index = random.Next(variant.Parameters.Count);
            var parameter = variant.Parameters[index];
            var attribute = which switch
            {
                0 => "[property: JsonIgnore] ",
                1 => "[property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ",
                2 => "[property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] ",
                3 => "[property: JsonPropertyOrder(-1)] ",
                4 => "[property: JsonNumberHandling(JsonNumberHandling.WriteAsString)] ",
                9 => "[property: JsonRequired] ",
                _ => null,
            };
            if (attribute is null)
            {
                variant.Parameters[index] = new ParamSpec("Shade", "Color", "[property: JsonConverter(typeof(JsonStringEnumConverter<Color>))] ", parameter.Default is null ? null : "Color.Red");
                return;
            }

            variant.Parameters[index] = parameter with { Attribute = parameter.Attribute + attribute };
        }

        /// <summary>A default a parameter of <paramref name="type"/> may declare; null for a type that has none here.</summary>
        private static string? DefaultFor(Random random, string type) => type switch
        {
            "int" => Pick(random, ["5", "-1", "int.MinValue"]),
            "long" => Pick(random, ["7L", "long.MaxValue"]),
            "double" => Pick(random, ["1.5", "double.NaN", "-0.1", "double.PositiveInfinity"]),
            "float" => Pick(random, ["2.5f", "float.NegativeInfinity"]),
            "decimal" => Pick(random, ["2.50m", "79228162514264337593543950335m", "-0.0000000000000000000000000001m"]),
            "bool" => "true",
            "string" => Pick(random, ["\"dflt\"", "\"\"", "\"é\\u0001\""]),
            "short" => "(short)-3",
            "byte" => "255",
            "uint" => "uint.MaxValue",
            "ulong" => "18446744073709551615UL",
            "Color" => Pick(random, ["Color.Blue", "(Color)7"]),
            "DateTimeOffset" or "DateTime" or "Guid" or "TimeSpan" => "default",
            "Point" => null,
            _ when type.EndsWith('?') => Pick(random, ["null", "default", type switch
            {
                "int?" => "3",
                "bool?" => "false",
                "string?" => "\"opt\"",
                "Color?" => "Color.Green",
                "decimal?" => "1.25m",
                _ => "null",
            }]),
            _ => null,
        };

        private static string RandomType(Random random) => random.Next(10) switch
        {
            < 5 => Pick(random, s_scalarTypes),
            < 8 => Pick(random, s_nullableTypes),
            _ => random.Next(4) switch
            {
                0 => $"List<{Pick(random, s_elementTypes)}>",
                1 => $"{Pick(random, s_elementTypes)}[]",
                2 => $"Dictionary<string, {Pick(random, s_elementTypes)}>",
                _ => $"IReadOnlyList<{Pick(random, s_elementTypes)}>",
            },
        };

        private string Render()
        {
            var b = new StringBuilder();
            b.AppendLine($"namespace {Namespace}");
            b.AppendLine("{");
            if (ColorHasStringConverter)
            {
                b.AppendLine("    [JsonConverter(typeof(JsonStringEnumConverter<Color>))]");
            }

            b.AppendLine("    public enum Color { Red, Green, Blue }");
            b.AppendLine("    public sealed record Point([property: JsonPropertyName(\"px\")] int X, [property: JsonPropertyName(\"py\")] string? Label);");
            b.AppendLine("    [EventUnion]");
            b.AppendLine("    public abstract partial record Ev");
            b.AppendLine("    {");
            foreach (var variant in Variants)
            {
                if (variant.ExplicitWireName)
                {
                    b.AppendLine($"        [WireName({Literal(variant.WireName)})]");
                }

                RenderVariant(b, variant, "Ev");
            }

            b.AppendLine("    }");
            b.AppendLine("    [JsonPolymorphic(TypeDiscriminatorPropertyName = \"type\")]");
            foreach (var variant in Variants)
            {
                b.AppendLine($"    [JsonDerivedType(typeof(Mirror.{variant.Name}), {Literal(variant.WireName)})]");
            }

            b.AppendLine("    public abstract record Mirror");
            b.AppendLine("    {");
            foreach (var variant in Variants)
            {
                RenderVariant(b, variant, "Mirror");
            }

            b.AppendLine("    }");
            b.AppendLine("}");
            return b.ToString();
        }

        private static void RenderVariant(StringBuilder b, VariantSpec variant, string baseName)
        {
            var parameters = variant.Parameters.Count == 0 && variant.Body.Count == 0 && variant.Name.Length % 2 == 0
                ? string.Empty
                : "(" + string.Join(", ", variant.Parameters.Select(static p => $"{p.Attribute}{p.Type} {p.Name}{(p.Default is null ? string.Empty : " = " + p.Default)}")) + ")";
            b.Append($"        public sealed record {variant.Name}{parameters} : {baseName}");
            b.AppendLine(variant.Body.Count == 0 ? ";" : " { " + string.Join(" ", variant.Body) + " }");
        }

        private static T Pick<T>(Random random, IReadOnlyList<T> items) => items[random.Next(items.Count)];

        private static string Literal(string value) => Microsoft.CodeAnalysis.CSharp.SymbolDisplay.FormatLiteral(value, quote: true);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Options
    // ---------------------------------------------------------------------------------------------------------------

    private sealed record OptionsSpec(
        string? Policy,
        JsonIgnoreCondition Ignore,
        JsonNumberHandling Numbers,
        bool Indented,
        bool RelaxedEncoder,
        bool StringEnums,
        bool IgnoreReadOnly,
        bool IncludeFields,
        bool RespectNullable,
        bool RespectRequired,
        string? References)
    {
        public static OptionsSpec Generate(Random random) => new(
            Policy: new[] { null, "CamelCase", "SnakeCaseLower", "SnakeCaseUpper", "KebabCaseLower", "KebabCaseUpper", "Prefixed", "Reversed", "ByLength" }[random.Next(9)],
            Ignore: new[] { JsonIgnoreCondition.Never, JsonIgnoreCondition.WhenWritingNull, JsonIgnoreCondition.WhenWritingDefault }[random.Next(3)],
            Numbers: new[]
            {
                JsonNumberHandling.Strict, JsonNumberHandling.Strict, JsonNumberHandling.AllowReadingFromString,
                JsonNumberHandling.WriteAsString | JsonNumberHandling.AllowReadingFromString, JsonNumberHandling.AllowNamedFloatingPointLiterals,
            }[random.Next(5)],
            Indented: random.Next(4) == 0,
            RelaxedEncoder: random.Next(4) == 0,
            StringEnums: random.Next(4) == 0,
            IgnoreReadOnly: random.Next(5) == 0,
            IncludeFields: random.Next(4) == 0,
            RespectNullable: random.Next(3) == 0,
            RespectRequired: random.Next(3) == 0,
            References: new[] { null, null, "IgnoreCycles", "Preserve" }[random.Next(4)]);

        /// <summary>The options for the union and for the mirror; <paramref name="read"/> adjusts both.</summary>
        public (JsonSerializerOptions Ours, JsonSerializerOptions Theirs) Build(Action<JsonSerializerOptions>? read = null)
        {
            JsonSerializerOptions Make(bool mirror)
            {
                var options = new JsonSerializerOptions
                {
                    TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
                    PropertyNamingPolicy = Policy switch
                    {
                        "CamelCase" => JsonNamingPolicy.CamelCase,
                        "SnakeCaseLower" => JsonNamingPolicy.SnakeCaseLower,
                        "SnakeCaseUpper" => JsonNamingPolicy.SnakeCaseUpper,
                        "KebabCaseLower" => JsonNamingPolicy.KebabCaseLower,
                        "KebabCaseUpper" => JsonNamingPolicy.KebabCaseUpper,
                        "Prefixed" => PrefixedPolicy.Instance,
                        "Reversed" => ReversedPolicy.Instance,
                        "ByLength" => ByLengthPolicy.Instance,

                        // Intended: without a policy the union writes snake_case, which the mirror gets as its policy.
                        _ => mirror ? JsonNamingPolicy.SnakeCaseLower : null,
                    },
                    DefaultIgnoreCondition = Ignore,
                    NumberHandling = Numbers,
                    WriteIndented = Indented,
                    IgnoreReadOnlyProperties = IgnoreReadOnly,
                    IncludeFields = IncludeFields,
                    RespectNullableAnnotations = RespectNullable,
                    RespectRequiredConstructorParameters = RespectRequired,
                    ReferenceHandler = References switch
                    {
                        "IgnoreCycles" => ReferenceHandler.IgnoreCycles,
                        "Preserve" => ReferenceHandler.Preserve,
                        _ => null,
                    },
                };
                if (RelaxedEncoder)
                {
                    options.Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
                }

                if (StringEnums)
                {
                    options.Converters.Add(new JsonStringEnumConverter());
                }

                read?.Invoke(options);
                return options;
            }

            return (Make(mirror: false), Make(mirror: true));
        }
    }

    /// <summary>A user's own policy: every name gets a prefix.</summary>
    private sealed class PrefixedPolicy : JsonNamingPolicy
    {
        public static readonly PrefixedPolicy Instance = new();

        public override string ConvertName(string name) => "p_" + name;
    }

    /// <summary>A user's own policy that changes the letters: the name reversed.</summary>
    private sealed class ReversedPolicy : JsonNamingPolicy
    {
        public static readonly ReversedPolicy Instance = new();

        public override string ConvertName(string name) => new(name.Reverse().ToArray());
    }

    /// <summary>A user's own policy that gives two properties one name whenever their names are as long.</summary>
    private sealed class ByLengthPolicy : JsonNamingPolicy
    {
        public static readonly ByLengthPolicy Instance = new();

        public override string ConvertName(string name) => "n" + name.Length.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Running one case
    // ---------------------------------------------------------------------------------------------------------------

    private sealed record BuiltOptions(
        (JsonSerializerOptions Ours, JsonSerializerOptions Theirs) Plain,
        (JsonSerializerOptions Ours, JsonSerializerOptions Theirs) OutOfOrder,
        (JsonSerializerOptions Ours, JsonSerializerOptions Theirs) Disallow,
        (JsonSerializerOptions Ours, JsonSerializerOptions Theirs) CaseInsensitive,
        (JsonSerializerOptions Ours, JsonSerializerOptions Theirs) OutOfOrderCaseInsensitive,
        (JsonSerializerOptions Ours, JsonSerializerOptions Theirs) NoDuplicates);

    private sealed class CaseRunner(CaseSpec spec, Assembly assembly, List<string> failures)
    {
        private readonly Random _random = new(spec.Seed * 7919 + 1);
        private readonly Type _union = assembly.GetType($"{spec.Namespace}.Ev", throwOnError: true)!;
        private readonly Type _mirror = assembly.GetType($"{spec.Namespace}.Mirror", throwOnError: true)!;

        public void Run()
        {
            for (var o = 0; o < OptionSetsPerCase; o++)
            {
                var options = OptionsSpec.Generate(_random);

                // Built once per set: an options instance resolves (and caches) the metadata of every type it meets.
                var built = new BuiltOptions(
                    options.Build(),
                    options.Build(static o => o.AllowOutOfOrderMetadataProperties = true),
                    options.Build(static o => o.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow),
                    options.Build(static o => o.PropertyNameCaseInsensitive = true),
                    options.Build(static o => o.PropertyNameCaseInsensitive = o.AllowOutOfOrderMetadataProperties = true),
                    options.Build(static o => o.AllowDuplicateProperties = false));
                foreach (var variant in spec.Variants)
                {
                    var ourType = _union.GetNestedType(variant.Name)!;
                    var theirType = _mirror.GetNestedType(variant.Name)!;
                    for (var v = 0; v < ValuesPerVariant; v++)
                    {
                        var arguments = Arguments(ourType);
                        var ours = Construct(ourType, arguments);
                        var theirs = Construct(theirType, arguments);
                        CompareValue(variant, options, built, ours, theirs);
                        if (failures.Count > 50)
                        {
                            return;
                        }
                    }
                }
            }
        }

        private void CompareValue(VariantSpec variant, OptionsSpec options, BuiltOptions built, object ours, object theirs)
        {
            var (ourOptions, theirOptions) = built.Plain;
            var ourWrite = Try(() => JsonSerializer.Serialize(ours, _union, ourOptions));
            var theirWrite = Try(() => JsonSerializer.Serialize(theirs, _mirror, theirOptions));
            var context = $"seed {spec.Seed}, variant {variant.Name}, {options}\nvalue: {Describe(theirs)}";

            // Intended: the union refuses ReferenceHandler.Preserve (its "$id" numbering is document-wide, out of a
            // converter's reach), on writing and on reading alike.
            if (options.References == "Preserve")
            {
                var ourRead = Try(() => JsonSerializer.Deserialize("{\"type\":\"x\"}", _union, ourOptions));
                if (ourWrite.Error is not NotSupportedException { Message: var w } || !w.Contains("ReferenceHandler.Preserve", StringComparison.Ordinal)
                    || ourRead.Error is not NotSupportedException)
                {
                    Fail(context, $"ReferenceHandler.Preserve must be refused: writing {ourWrite.Value ?? ourWrite.Error?.ToString()}, reading {ourRead.Error?.GetType().Name ?? "no error"}");
                }

                return;
            }
            if (ourWrite.Error is not null || theirWrite.Error is not null)
            {
                if ((ourWrite.Error is null) != (theirWrite.Error is null))
                {
                    Fail(context, $"writing: ours {ourWrite.Value ?? ourWrite.Error!.GetType().Name + ": " + ourWrite.Error.Message}\n theirs {theirWrite.Value ?? theirWrite.Error!.GetType().Name + ": " + theirWrite.Error.Message}");
                }

                return;
            }

            if (ourWrite.Value != theirWrite.Value)
            {
                Fail(context, $"writing:\n ours   {ourWrite.Value}\n theirs {theirWrite.Value}");
                return;
            }

            var json = theirWrite.Value!;
            CompareRead(context, "as written", json, built.Plain);

            // The discriminator last: with AllowOutOfOrderMetadataProperties both read it; without, the union still does
            // (intended), so only a successful read by the mirror is compared.
            if (DiscriminatorLast(json) is { } moved)
            {
                CompareRead(context, "discriminator last, out-of-order allowed", moved, built.OutOfOrder);
                CompareRead(context, "discriminator last, out-of-order not allowed", moved, built.Plain, oursMayBeLenient: true);
                CompareRead(context, "discriminator last, out-of-order allowed, case-insensitive", moved, built.OutOfOrderCaseInsensitive);
            }

            // A property neither has: skipped, or an error for both under UnmappedMemberHandling.Disallow.
            var extra = WithExtraProperty(json);
            CompareRead(context, "an extra property", extra, built.Plain);
            CompareRead(context, "an extra property, unmapped disallowed", extra, built.Disallow);
            CompareRead(context, "as written, unmapped disallowed", json, built.Disallow);

            // Names in another case, read case-insensitively.
            if (NamesUpperCased(json) is { } upper)
            {
                CompareRead(context, "names upper-cased, case-insensitive", upper, built.CaseInsensitive);
            }

            CompareRead(context, "as written, case-insensitive", json, built.CaseInsensitive);

            // A property written twice: the same value read by both, or an error for both under AllowDuplicateProperties off.
            if (WithADuplicate(json) is { } duplicated)
            {
                CompareRead(context, "a property twice", duplicated, built.Plain);
                CompareRead(context, "a property twice, duplicates not allowed", duplicated, built.NoDuplicates);
                CompareRead(context, "as written, duplicates not allowed", json, built.NoDuplicates);
            }

            // The discriminator twice, with the same value, next to itself or last: an error for both whatever the options
            // (System.Text.Json refuses a duplicate metadata property even where AllowDuplicateProperties is on).
            foreach (var twice in DiscriminatorTwice(json))
            {
                CompareRead(context, "the discriminator twice", twice, built.Plain);
                CompareRead(context, "the discriminator twice, out-of-order allowed", twice, built.OutOfOrder);
                CompareRead(context, "the discriminator twice, duplicates not allowed", twice, built.NoDuplicates);
            }

            // A property left out: its default for both, or an error for both under RespectRequiredConstructorParameters.
            if (WithoutAProperty(json, _random) is { } missing)
            {
                CompareRead(context, "a property left out", missing, built.Plain);
                CompareRead(context, "a property left out, case-insensitive", missing, built.CaseInsensitive);
            }
        }

        private void CompareRead(string context, string what, string json, (JsonSerializerOptions Ours, JsonSerializerOptions Theirs) options, bool oursMayBeLenient = false)
        {
            var (ourOptions, theirOptions) = options;
            var ourRead = Try(() => JsonSerializer.Deserialize(json, _union, ourOptions));
            var theirRead = Try(() => JsonSerializer.Deserialize(json, _mirror, theirOptions));
            if (ourRead.Error is not null && theirRead.Error is not null)
            {
                return;
            }

            if (theirRead.Error is not null && oursMayBeLenient)
            {
                return;
            }

            // Intended: System.Text.Json cannot read a property whose name starts with '$' in a polymorphic type (it is
            // taken for a metadata property such as $id), even one it wrote itself; the union reads it as any other.
            if (theirRead.Error is JsonException { Message: var metadata } && ourRead.Error is null
                && (metadata.Contains("start with '$'", StringComparison.Ordinal) || metadata.Contains("The metadata property is either not supported", StringComparison.Ordinal))
                && json.Contains("\"$", StringComparison.Ordinal))
            {
                return;
            }

            // Intended: the union refuses a null or absent non-nullable reference, which System.Text.Json reads as null.
            if (ourRead.Error is JsonException { Message: var message } && message.Contains("needs a non-null", StringComparison.Ordinal)
                && theirRead.Value is { } read2 && HasNullNonNullable(read2))
            {
                return;
            }

            if (ourRead.Error is not null || theirRead.Error is not null)
            {
                Fail(context, $"reading ({what}) {json}\n ours   {(ourRead.Error is { } e1 ? e1.GetType().Name + ": " + e1.Message : Describe(ourRead.Value))}\n theirs {(theirRead.Error is { } e2 ? e2.GetType().Name + ": " + e2.Message : Describe(theirRead.Value))}");
                return;
            }

            if (!SameValue(ourRead.Value, theirRead.Value))
            {
                Fail(context, $"reading ({what}) {json}\n ours   {Describe(ourRead.Value)}\n theirs {Describe(theirRead.Value)}");
            }
        }

        private void Fail(string context, string difference) => failures.Add(context + "\n" + difference + "\ndeclaration:\n" + spec.Source);

        // ---- values ----

        private object?[] Arguments(Type variant)
        {
            var constructor = PrimaryConstructor(variant);
            var nullability = new NullabilityInfoContext();
            // Now and then a null where the declaration says non-nullable (reflection lets it in, as a bug in a caller
            // would): RespectNullableAnnotations makes writing it an error, and without it both write a null.
            return constructor.GetParameters()
                .Select(p => !p.ParameterType.IsValueType && _random.Next(12) == 0
                    ? null
                    : Value(p.ParameterType, nullability.Create(p).WriteState == NullabilityState.Nullable, depth: 0))
                .ToArray();
        }

        private static ConstructorInfo PrimaryConstructor(Type type) =>
            type.GetConstructors().Where(static c => !(c.GetParameters() is [var only] && only.ParameterType == c.DeclaringType)).OrderByDescending(static c => c.GetParameters().Length).First();

        private static object Construct(Type type, object?[] arguments) => PrimaryConstructor(type).Invoke(arguments);

        private object? Value(Type type, bool nullable, int depth)
        {
            if (Nullable.GetUnderlyingType(type) is { } underlying)
            {
                return _random.Next(3) == 0 ? null : Value(underlying, nullable: false, depth);
            }

            if (nullable && _random.Next(3) == 0)
            {
                return null;
            }

            if (type == typeof(int))
            {
                return Pick(0, 1, -1, int.MaxValue, int.MinValue, _random.Next(-1000, 1000));
            }

            if (type == typeof(long))
            {
                return Pick(0L, 1L, long.MaxValue, long.MinValue, _random.NextInt64(-1_000_000_000_000, 1_000_000_000_000));
            }

            if (type == typeof(short))
            {
                return Pick((short)0, short.MaxValue, short.MinValue, (short)_random.Next(-100, 100));
            }

            if (type == typeof(byte))
            {
                return Pick((byte)0, byte.MaxValue, (byte)_random.Next(256));
            }

            if (type == typeof(uint))
            {
                return Pick(0u, uint.MaxValue, (uint)_random.Next());
            }

            if (type == typeof(ulong))
            {
                return Pick(0UL, ulong.MaxValue, (ulong)_random.NextInt64());
            }

            if (type == typeof(double))
            {
                return Pick(0.0, -0.0, 1.5, -1e300, double.Epsilon, 0.1 + 0.2, _random.NextDouble() * 1e6, double.MaxValue);
            }

            if (type == typeof(float))
            {
                return Pick(0f, 1.25f, -3.4e38f, float.Epsilon, (float)_random.NextDouble());
            }

            if (type == typeof(decimal))
            {
                return Pick(0m, 1.50m, -0.0001m, decimal.MaxValue, decimal.MinValue, 0.0m, (decimal)_random.Next() / 1000m);
            }

            if (type == typeof(bool))
            {
                return _random.Next(2) == 0;
            }

            if (type == typeof(string))
            {
                return Pick(string.Empty, "a", "héllo", "quo\"te", "<tag>&'amp'", "\u0001\n\t", "emoji 😀", "日本語", "x" + _random.Next());
            }

            if (type == typeof(DateTimeOffset))
            {
                return Pick(default, DateTimeOffset.MaxValue, new DateTimeOffset(2026, 1, 2, 3, 4, 5, 678, TimeSpan.FromHours(5.5)), new DateTimeOffset(_random.NextInt64(0, 3155378975999999999), TimeSpan.Zero).AddTicks(0));
            }

            if (type == typeof(DateTime))
            {
                return Pick(default, new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc), new DateTime(2026, 1, 2, 3, 4, 5, 123, DateTimeKind.Unspecified).AddTicks(4567), new DateTime(_random.NextInt64(0, 3155378975999999999), DateTimeKind.Utc));
            }

            if (type == typeof(TimeSpan))
            {
                return Pick(TimeSpan.Zero, TimeSpan.FromMilliseconds(1500), TimeSpan.MinValue, TimeSpan.FromTicks(_random.NextInt64(-1_000_000_000_000, 1_000_000_000_000)));
            }

            if (type == typeof(Guid))
            {
                return _random.Next(3) == 0 ? Guid.Empty : new Guid(Enumerable.Range(0, 16).Select(_ => (byte)_random.Next(256)).ToArray());
            }

            if (type.IsEnum)
            {
                return Enum.ToObject(type, Pick(0, 1, 2, 7, -1));
            }

            if (type.IsArray)
            {
                var element = type.GetElementType()!;
                var items = Enumerable.Range(0, depth > 1 ? 0 : _random.Next(4)).Select(_ => Value(element, nullable: false, depth + 1)).ToArray();
                var array = Array.CreateInstance(element, items.Length);
                for (var i = 0; i < items.Length; i++)
                {
                    array.SetValue(items[i], i);
                }

                return array;
            }

            if (type.IsGenericType && type.GetGenericTypeDefinition() is var definition
                && (definition == typeof(List<>) || definition == typeof(IReadOnlyList<>)))
            {
                var element = type.GetGenericArguments()[0];
                var list = (IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(element))!;
                for (var i = depth > 1 ? 0 : _random.Next(4); i > 0; i--)
                {
                    list.Add(Value(element, nullable: false, depth + 1));
                }

                return list;
            }

            if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Dictionary<,>))
            {
                var element = type.GetGenericArguments()[1];
                var dictionary = (IDictionary)Activator.CreateInstance(type)!;
                for (var i = depth > 1 ? 0 : _random.Next(4); i > 0; i--)
                {
                    dictionary[Pick("k", "Key", "ü", "a b", "x" + _random.Next(100))] = Value(element, nullable: false, depth + 1);
                }

                return dictionary;
            }

            // The nested record.
            var constructor = PrimaryConstructor(type);
            var nullability = new NullabilityInfoContext();
            return constructor.Invoke(constructor.GetParameters().Select(p => Value(p.ParameterType, nullability.Create(p).WriteState == NullabilityState.Nullable, depth + 1)).ToArray());
        }

        private T Pick<T>(params T[] items) => items[_random.Next(items.Length)];

        private static bool HasNullNonNullable(object value)
        {
            var nullability = new NullabilityInfoContext();
            return PrimaryConstructor(value.GetType()).GetParameters().Any(p =>
                !p.ParameterType.IsValueType && nullability.Create(p).WriteState != NullabilityState.Nullable
                && value.GetType().GetProperty(p.Name!)!.GetValue(value) is null);
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Comparing
    // ---------------------------------------------------------------------------------------------------------------

    private readonly record struct Outcome<T>(T? Value, Exception? Error);

    private static Outcome<T> Try<T>(Func<T> action)
    {
        try
        {
            return new Outcome<T>(action(), null);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or NotSupportedException or ArgumentException or FormatException or OverflowException)
        {
            return new Outcome<T>(default, e);
        }
    }

    /// <summary>A variant of the union and one of the mirror (or two values inside them) carry the same data.</summary>
    private static bool SameValue(object? ours, object? theirs)
    {
        if (ours is null || theirs is null)
        {
            return ours is null && theirs is null;
        }

        if (ours is string || ours.GetType().IsPrimitive || ours is decimal or DateTime or DateTimeOffset or TimeSpan or Guid || ours.GetType().IsEnum)
        {
            return ours.Equals(theirs);
        }

        if (ours is IDictionary ourMap && theirs is IDictionary theirMap)
        {
            return ourMap.Count == theirMap.Count && ourMap.Keys.Cast<object>().All(k => theirMap.Contains(k) && SameValue(ourMap[k], theirMap[k]));
        }

        if (ours is IEnumerable ourItems && theirs is IEnumerable theirItems)
        {
            var left = ourItems.Cast<object?>().ToList();
            var right = theirItems.Cast<object?>().ToList();
            return left.Count == right.Count && left.Zip(right).All(static pair => SameValue(pair.First, pair.Second));
        }

        if (ours.GetType().Name != theirs.GetType().Name)
        {
            return false;
        }

        foreach (var property in Properties(ours.GetType()))
        {
            if (theirs.GetType().GetProperty(property.Name) is not { } other || !SameValue(property.GetValue(ours), other.GetValue(theirs)))
            {
                return false;
            }
        }

        return true;
    }

    private static IEnumerable<PropertyInfo> Properties(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly).Where(static p => p.GetIndexParameters().Length == 0);

    private static string Describe(object? value)
    {
        switch (value)
        {
            case null:
                return "null";
            case string s:
                return JsonSerializer.Serialize(s);
            case IDictionary map:
                return "{" + string.Join(", ", map.Keys.Cast<object>().Select(k => Describe(k) + ": " + Describe(map[k]))) + "}";
            case IEnumerable items:
                return "[" + string.Join(", ", items.Cast<object?>().Select(Describe)) + "]";
        }

        var type = value.GetType();
        if (type.IsPrimitive || value is decimal or DateTime or DateTimeOffset or TimeSpan or Guid || type.IsEnum)
        {
            return Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) + (value is double or float or decimal ? $" ({type.Name})" : string.Empty);
        }

        return type.Name + " { " + string.Join(", ", Properties(type).Select(p => p.Name + " = " + Describe(p.GetValue(value)))) + " }";
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Variations of the bytes
    // ---------------------------------------------------------------------------------------------------------------

    private static string? DiscriminatorLast(string json)
    {
        var node = JsonNode.Parse(json)!.AsObject();
        if (node.Count < 2)
        {
            return null;
        }

        var type = node["type"]!.DeepClone();
        node.Remove("type");
        node.Add("type", type);
        return node.ToJsonString(s_raw);
    }

    private static string WithExtraProperty(string json)
    {
        var node = JsonNode.Parse(json)!.AsObject();
        node.Insert(Math.Min(1, node.Count), "zz_extra", new JsonArray(1, "two", null));
        return node.ToJsonString(s_raw);
    }

    private static string? WithADuplicate(string json)
    {
        var node = JsonNode.Parse(json)!.AsObject();
        if (node.FirstOrDefault(static p => p.Key != "type") is not { Key: { } name } property)
        {
            return null;
        }

        // A JsonObject cannot hold a name twice: the copy is appended to the compact text.
        var compact = node.ToJsonString(s_raw);
        return compact[..^1] + "," + JsonSerializer.Serialize(name, s_raw) + ":" + (property.Value?.ToJsonString(s_raw) ?? "null") + "}";
    }

    private static IEnumerable<string> DiscriminatorTwice(string json)
    {
        var node = JsonNode.Parse(json)!.AsObject();
        var type = "\"type\":" + node["type"]!.ToJsonString(s_raw);
        var compact = node.ToJsonString(s_raw);
        if (!compact.StartsWith("{" + type, StringComparison.Ordinal))
        {
            yield break;
        }

        // A JsonObject cannot hold a name twice: the copies are spliced into the compact text.
        yield return "{" + type + "," + compact[1..];
        yield return compact[..^1] + "," + type + "}";
    }

    private static string? WithoutAProperty(string json, Random random)
    {
        var node = JsonNode.Parse(json)!.AsObject();
        var names = node.Select(static p => p.Key).Where(static k => k is not ("type" or "$id")).ToList();
        if (names.Count == 0)
        {
            return null;
        }

        node.Remove(names[random.Next(names.Count)]);
        return node.ToJsonString(s_raw);
    }

    private static string? NamesUpperCased(string json)
    {
        var node = JsonNode.Parse(json)!.AsObject();
        var copy = new JsonObject();
        foreach (var (name, value) in node.ToList())
        {
            node.Remove(name);
            if (!copy.TryAdd(name == "type" ? name : name.ToUpperInvariant(), value))
            {
                return null;
            }
        }

        return copy.ToJsonString(s_raw);
    }

    private static readonly JsonSerializerOptions s_raw = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
