using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;

namespace Reactive.Streams.Analyzers.Tests.Snippets;

/// <summary>
/// Runs a documentation snippet as written (the fence's own text, compiled as <see cref="SnippetCompiler"/> compiles it)
/// and returns what it printed. The snippet's <c>Console</c> resolves to a class of its own assembly that records
/// <c>WriteLine</c> (a type of the snippet's namespace comes before one its usings import), so snippets run in parallel
/// with each other and with other tests without sharing the process's console.
/// </summary>
internal static class SnippetRunner
{
    /// <summary>The watchdog of a run: only a hung snippet reaches it.</summary>
    internal static readonly TimeSpan Hang = TimeSpan.FromMinutes(2);

    private const string CapturingConsole = """
        internal static class Console
        {
            internal static readonly global::System.Text.StringBuilder Output = new();

            public static void WriteLine(string? value)
            {
                lock (Output)
                {
                    Output.Append(value).Append('\n');
                }
            }

            public static void WriteLine(object? value) => WriteLine(value?.ToString());

            public static void WriteLine() => WriteLine((string?)null);
        }
        """;

    /// <summary>The one C# fence of <paramref name="page"/> whose code contains <paramref name="marker"/>.</summary>
    internal static MarkdownSnippet Find(string page, string marker) =>
        Assert.Single(MarkdownSnippets.Read(page), s => s.Code.Contains(marker, StringComparison.Ordinal));

    /// <summary>Compiles, loads and runs the snippet's top-level statements; returns its printed lines, '\n'-terminated.</summary>
    internal static async Task<string> RunAsync(MarkdownSnippet snippet)
    {
        var compilation = SnippetCompiler.Compile(snippet, [CapturingConsole]);
        using var image = new MemoryStream();
        var emitted = compilation.Emit(image);
        Assert.True(emitted.Success, $"{snippet.Key} does not compile:\n" + string.Join('\n', emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));

        var context = new AssemblyLoadContext(snippet.Key, isCollectible: true);
        try
        {
            image.Position = 0;
            var assembly = context.LoadFromStream(image);
            var main = assembly.EntryPoint ?? throw new InvalidOperationException($"{snippet.Key} has no top-level statements to run");
            object?[]? arguments = main.GetParameters().Length == 0 ? null : [Array.Empty<string>()];
            object? result;
            try
            {
                result = main.Invoke(null, arguments);
            }
            catch (TargetInvocationException e) when (e.InnerException is not null)
            {
                throw new InvalidOperationException($"{snippet.Key} threw", e.InnerException);
            }

            if (result is Task task)
            {
                await task.WaitAsync(Hang);
            }

            var output = (System.Text.StringBuilder)assembly.GetType("Console", throwOnError: true)!
                .GetField("Output", BindingFlags.NonPublic | BindingFlags.Static)!.GetValue(null)!;
            lock (output)
            {
                return output.ToString();
            }
        }
        finally
        {
            context.Unload();
        }
    }
}
