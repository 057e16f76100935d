using System.Runtime.CompilerServices;

namespace Reactive.Streams.Generators.Tests.Infrastructure;

/// <summary>
/// Snapshot comparison of emitted source against checked-in files under <c>Snapshots/</c> (Verify is not in the
/// package source). To regenerate after an intended change to the emitter:
/// <code>RXS_UPDATE_SNAPSHOTS=1 dotnet test tests/Reactive.Streams.Generators.Tests</code>
/// then review <c>git diff tests/Reactive.Streams.Generators.Tests/Snapshots</c> and commit it. On a mismatch the
/// actual text is written next to the test binaries as <c>&lt;name&gt;.received.cs</c> for diffing. The generator's version
/// in <c>[GeneratedCode]</c> is written <c>{GeneratorVersion}</c> in a snapshot, so that a release does not change them all
/// (<c>GeneratedCodeVersionTests</c> checks the version itself).
/// </summary>
internal static class Snapshot
{
    public static void Match(string name, string actual, [CallerFilePath] string callerPath = "")
    {
        var projectDirectory = FindProjectDirectory(callerPath);
        var expectedPath = Path.Combine(projectDirectory, "Snapshots", name);
        actual = Normalize(actual).Replace(
            $"GeneratedCode(\"Reactive.Streams.Generators\", \"{Generators.Unions.UnionEmitter.GeneratorVersion}\")",
            "GeneratedCode(\"Reactive.Streams.Generators\", \"{GeneratorVersion}\")",
            StringComparison.Ordinal);

        if (Environment.GetEnvironmentVariable("RXS_UPDATE_SNAPSHOTS") == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(expectedPath)!);
            File.WriteAllText(expectedPath, actual);
            return;
        }

        Assert.True(File.Exists(expectedPath), $"No snapshot '{expectedPath}'. Run with RXS_UPDATE_SNAPSHOTS=1 to create it, then review and commit it.");
        var expected = Normalize(File.ReadAllText(expectedPath));
        if (expected == actual)
        {
            return;
        }

        var receivedPath = Path.Combine(AppContext.BaseDirectory, name + ".received.cs");
        File.WriteAllText(receivedPath, actual);
        Assert.Fail($"Generated source differs from snapshot '{name}' at {FirstDifference(expected, actual)}. " +
            $"Actual text: {receivedPath}. If the change is intended, run with RXS_UPDATE_SNAPSHOTS=1 and commit the new snapshot.");
    }

    private static string Normalize(string text) => text.Replace("\r\n", "\n", StringComparison.Ordinal).TrimStart('\uFEFF');

    private static string FirstDifference(string expected, string actual)
    {
        var expectedLines = expected.Split('\n');
        var actualLines = actual.Split('\n');
        for (var i = 0; i < Math.Max(expectedLines.Length, actualLines.Length); i++)
        {
            var e = i < expectedLines.Length ? expectedLines[i] : "<end of file>";
            var a = i < actualLines.Length ? actualLines[i] : "<end of file>";
            if (e != a)
            {
                return $"line {i + 1}: expected `{e.Trim()}`, actual `{a.Trim()}`";
            }
        }

        return "line endings";
    }

    private static string FindProjectDirectory(string callerPath)
    {
        for (var directory = Path.GetDirectoryName(callerPath); directory is not null; directory = Path.GetDirectoryName(directory))
        {
            if (File.Exists(Path.Combine(directory, "Reactive.Streams.Generators.Tests.csproj")))
            {
                return directory;
            }
        }

        throw new InvalidOperationException($"No test project above '{callerPath}'.");
    }
}
