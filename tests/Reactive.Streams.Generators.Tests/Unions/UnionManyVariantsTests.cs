using System.Reflection;
using System.Runtime.Loader;
using System.Text;
using System.Text.Json;
using Reactive.Streams.Generators.Internal;
using Reactive.Streams.Generators.Tests.Infrastructure;

namespace Reactive.Streams.Generators.Tests.Unions;

/// <summary>
/// A union of 200 variants with Latin, accented, Cyrillic and CJK names: its generated <c>Kind</c>, <c>WireName</c>,
/// <c>Match</c>, <c>Switch</c> and sink dispatch behave as the hand-written code a user would write instead (the
/// declaration order, <see cref="JsonNamingPolicy.SnakeCaseLower"/> for the wire name, one arm per variant), checked by
/// that hand-written twin compiled beside the union.
/// </summary>
public sealed class UnionManyVariantsTests
{
    private const int Count = 200;

    private static string VariantName(int i) => (i % 4) switch
    {
        0 => $"V{i}Placed",
        1 => $"Été{i}Placé",
        2 => $"Заказ{i}Создан",
        _ => $"注文{i}HTTPSent",
    };

    [Fact]
    public void Two_hundred_variants_dispatch_as_a_hand_written_switch_would()
    {
        var names = Enumerable.Range(0, Count).Select(VariantName).ToArray();
        var source = new StringBuilder("#pragma warning disable CS1591\nusing System.Collections.Generic;\nusing System.Threading.Tasks;\nusing Reactive.Streams;\nnamespace Магазин;\n");
        source.Append("[EventUnion]\npublic abstract partial record Big\n{\n");
        foreach (var name in names)
        {
            source.Append($"    public sealed record {name}(int Index) : Big;\n");
        }

        source.Append("}\n\n[StreamSink(typeof(Big))]\n[Backpressure(BackpressurePolicy.PauseUpstream)]\npublic sealed partial class BigSink\n{\n    public List<int> Seen { get; } = new();\n");
        foreach (var name in names)
        {
            source.Append($"    public void On{name}(Big.{name} item) => Seen.Add(item.Index);\n");
        }

        source.Append("}\n\npublic static class Twin\n{\n");
        // The hand-written twin: the variants in declaration order, their snake_case names as System.Text.Json writes them.
        source.Append("    public static Big[] All => new Big[] { ").AppendJoin(", ", names.Select((n, i) => $"new Big.{n}({i})")).Append(" };\n");
        source.Append("    public static string[] WireNames => new[] { ").AppendJoin(", ", names.Select(n => "\"" + JsonNamingPolicy.SnakeCaseLower.ConvertName(n) + "\"")).Append(" };\n");
        source.Append("    public static int HandWritten(Big e) => e switch { ").AppendJoin(", ", names.Select((n, i) => $"Big.{n} => {i}")).Append(", _ => -1 };\n");
        source.Append("    public static int Matched(Big e) => e.Match(").AppendJoin(", ", names.Select((_, i) => $"_ => {i}")).Append(", _ => -1);\n");
        source.Append("    public static int Switched(Big e) { var at = -2; e.Switch(").AppendJoin(", ", names.Select((_, i) => $"_ => at = {i}")).Append(", _ => at = -1); return at; }\n");
        source.Append("    public static string Run()\n    {\n        var errors = new List<string>();\n        var sink = new BigSink();\n        var all = All;\n");
        source.Append("        for (var i = 0; i < all.Length; i++)\n        {\n");
        source.Append("            var e = all[i];\n");
        source.Append("            if ((int)e.Kind != HandWritten(e)) errors.Add($\"{i}: Kind {e.Kind}\");\n");
        source.Append("            if (e.WireName != WireNames[i]) errors.Add($\"{i}: WireName {e.WireName} where System.Text.Json writes {WireNames[i]}\");\n");
        source.Append("            if (Matched(e) != HandWritten(e)) errors.Add($\"{i}: Match {Matched(e)}\");\n");
        source.Append("            if (Switched(e) != HandWritten(e)) errors.Add($\"{i}: Switch {Switched(e)}\");\n");
        source.Append("            var task = sink.DispatchAsync(e, default);\n            if (!task.IsCompletedSuccessfully) errors.Add($\"{i}: dispatch pending\");\n");
        source.Append("        }\n\n        if (!sink.Seen.SequenceEqual(System.Linq.Enumerable.Range(0, all.Length))) errors.Add(\"sink saw \" + string.Join(\",\", sink.Seen));\n");
        source.Append("        return string.Join(\"\\n\", errors);\n    }\n}\n");

        var run = TestCompilation.Run(source.ToString().Replace("using System.Collections.Generic;", "using System.Collections.Generic;\nusing System.Linq;", StringComparison.Ordinal));

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Equal(2, run.Sources.Count);
        Assert.Empty(run.CompilationDiagnostics);
        using var image = new MemoryStream();
        var result = run.Output.Emit(image);
        Assert.True(result.Success, string.Join("\n", result.Diagnostics));
        var context = new AssemblyLoadContext(nameof(UnionManyVariantsTests), isCollectible: true);
        try
        {
            image.Position = 0;
            var twin = context.LoadFromStream(image).GetType("Магазин.Twin", throwOnError: true)!;
            Assert.Equal(string.Empty, (string)twin.GetMethod("Run", BindingFlags.Public | BindingFlags.Static)!.Invoke(null, null)!);
        }
        finally
        {
            context.Unload();
        }
    }

    // The wire name is "the snake_case of its name" (docs/unions.md), as System.Text.Json's SnakeCaseLower writes it: the
    // oracle for names that are legal C# identifiers of every kind of letter, digits, connectors and combining marks.
    [Theory]
    [InlineData("HTTPTimeout")]
    [InlineData("IOStream")]
    [InlineData("Order2Placed")]
    [InlineData("A1B")]
    [InlineData("ABc")]
    [InlineData("_AB")]
    [InlineData("a_Bc")]
    [InlineData("Order_Placed")]
    [InlineData("\u01C5emalPlaced")]
    [InlineData("Cafe\u0301Placed")]
    [InlineData("ÉtéPlacé")]
    [InlineData("ΣύνοψηΈκδοσης")]
    [InlineData("Straße")]
    [InlineData("İstanbulPlaced")]
    [InlineData("\u216BPlaced")]
    [InlineData("注文Placed")]
    [InlineData("\U0001D400Bc")]
    [InlineData("Order\u203FPlaced")]
    [InlineData("X")]
    public void A_variant_s_default_wire_name_is_what_System_Text_Json_SnakeCaseLower_writes(string name)
        => Assert.Equal(JsonNamingPolicy.SnakeCaseLower.ConvertName(name), Naming.ToSnakeCase(name));
}
