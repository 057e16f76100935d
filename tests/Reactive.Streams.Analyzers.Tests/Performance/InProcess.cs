#:package Microsoft.CodeAnalysis.CSharp
#:project ../../../analyzers/Reactive.Streams.Analyzers/Reactive.Streams.Analyzers.csproj
#:project ../../../src/Reactive.Streams.Core/Reactive.Streams.Core.csproj
#:property TreatWarningsAsErrors=false
#:property GenerateDocumentationFile=false
#:property NoWarn=RS0030;IL3000;IL2026;IL2067;CA2007;CA1303;CA1305;CA1307;CA1310;CA1812;CA1852;CS1591;RS1035;CA1515;CA1031;CA1849;CA2000;CA1861

// In-process, single-threaded measurement of the analyzers on the files written by measure.sh (or any folder of .cs
// files): compile time (binding + emit), then the Reactive.Streams analyzers' own time, each the best of N runs.
// Usage: dotnet run InProcess.cs -- <folder with .cs files> [runs=5] [concurrent]
using System.Collections.Immutable;
using System.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

var folder = args[0];
var runs = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 5;
var concurrent = args.Length > 2 && args[2] == "concurrent";
var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
    .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "netstandard.dll" or "mscorlib.dll")
    .Append(typeof(Reactive.Streams.BackpressurePolicy).Assembly.Location)
    .Append(typeof(System.Reactive.Linq.Observable).Assembly.Location)
    .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
    .ToList();
var texts = Directory.GetFiles(folder, "*.cs", SearchOption.AllDirectories).Select(File.ReadAllText).ToList();
var analyzers = typeof(Reactive.Streams.Analyzers.DiagnosticIds).Assembly.GetTypes()
    .Where(t => typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && !t.IsAbstract)
    .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!)
    .ToImmutableArray();

CSharpCompilation Fresh() => CSharpCompilation.Create(
    "Perf",
    texts.Select(t => CSharpSyntaxTree.ParseText(t, CSharpParseOptions.Default.WithLanguageVersion(LanguageVersion.Latest))),
    references,
    new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable, concurrentBuild: false));

var compileBest = double.MaxValue;
var analyzersBest = double.MaxValue;
var perAnalyzer = new Dictionary<string, double>();
for (var run = 0; run < runs; run++)
{
    var compilation = Fresh();
    var watch = Stopwatch.StartNew();
    using (var pe = new MemoryStream())
    {
        var emit = compilation.Emit(pe);
        if (!emit.Success)
        {
            Console.WriteLine(string.Join("\n", emit.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Take(5)));
            return 1;
        }
    }

    compileBest = Math.Min(compileBest, watch.Elapsed.TotalMilliseconds);

    // Analyzers on a fresh compilation (nothing bound yet would charge binding to them), after the compiler's own
    // diagnostics have bound everything, as in a real build where analysis follows binding.
    compilation = Fresh();
    compilation.GetDiagnostics();
    var withAnalyzers = compilation.WithAnalyzers(analyzers, new CompilationWithAnalyzersOptions(
        new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty), null, concurrentAnalysis: concurrent, logAnalyzerExecutionTime: true, reportSuppressedDiagnostics: false));
    watch.Restart();
    var diagnostics = await withAnalyzers.GetAnalyzerDiagnosticsAsync();
    analyzersBest = Math.Min(analyzersBest, watch.Elapsed.TotalMilliseconds);
    foreach (var analyzer in analyzers)
    {
        var time = (await withAnalyzers.GetAnalyzerTelemetryInfoAsync(analyzer, CancellationToken.None)).ExecutionTime.TotalMilliseconds;
        var name = analyzer.GetType().Name;
        perAnalyzer[name] = Math.Min(perAnalyzer.GetValueOrDefault(name, double.MaxValue), time);
    }

    if (run == 0)
    {
        Console.WriteLine($"diagnostics: {string.Join(", ", diagnostics.GroupBy(d => d.Id).Select(g => $"{g.Key} x{g.Count()}"))}");
    }
}

Console.WriteLine($"files: {texts.Count}; compile (bind + emit, single thread, best of {runs}): {compileBest:F0} ms");
var ours = perAnalyzer.Values.Sum();
Console.WriteLine($"analysis pass wall time (includes the driver re-binding a fresh compilation): {analyzersBest:F0} ms");
Console.WriteLine($"Reactive.Streams analyzers' execution time ({(concurrent ? "concurrent" : "single thread")}, best of {runs}): {ours:F0} ms = {100 * ours / compileBest:F2}% of compile");
foreach (var (name, time) in perAnalyzer.OrderByDescending(p => p.Value))
{
    Console.WriteLine($"  {name,-40} {time,8:F1} ms");
}

return 0;
