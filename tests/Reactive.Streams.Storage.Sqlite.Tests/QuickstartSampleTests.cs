using System.Text.RegularExpressions;
using Reactive.Streams.Tests;

namespace Reactive.Streams.Storage.Sqlite.Tests;

/// <summary>
/// Runs samples/Quickstart as the README does (its own process, on a SQLite file): the whole at-least-once pipeline,
/// then the cursor canal and the two group members over the log it wrote. Then reads the group's state from the file.
/// </summary>
public sealed partial class QuickstartSampleTests
{
    private static readonly TimeSpan Hang = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task The_quickstart_accounts_for_every_event_and_its_group_members_share_the_stream_with_nothing_left_pending()
    {
        var sample = RepositoryFiles.Sample("Quickstart");
        var directory = Directory.CreateTempSubdirectory("rs-quickstart-sample-").FullName;
        try
        {
            var db = Path.Combine(directory, "quickstart.db");
            var (exitCode, text) = await RunAsync(sample, directory, "--db", db);

            Assert.True(exitCode == 0, $"exit code {exitCode}\n{text}");
            var dispatched = Count(text, "dispatched");
            Assert.True(dispatched > 0, text);
            Assert.Equal(dispatched, Count(text, "acknowledged"));
            Assert.Equal(dispatched, Count(text, "delivered to log"));
            Assert.Equal(dispatched, Count(text, "read back"));
            var members = MembersLine().Match(text);
            Assert.True(members.Success, text);
            Assert.Equal(dispatched, Number(members.Groups["a"].Value) + Number(members.Groups["b"].Value));
            Assert.Contains("conserved                 True", text, StringComparison.Ordinal);

            // The file it left: the group handed out every frame of the stream, and every one was acknowledged.
            var stream = StreamName().Match(text).Groups["stream"].Value;
            await using var log = await SqliteStreamLog.OpenAsync(db);
            var info = await log.ReadGroupAsync(stream, "quickstart-group");
            Assert.NotNull(info);
            Assert.Equal((0L, 0L), (info.PendingCount, info.Lag));
            Assert.Equal(["member-a", "member-b"], info.Members.Select(m => m.Name));
            var (count, last) = (0L, StreamId.Min);
            for (IReadOnlyList<StreamFrame> page; (page = await log.ReadAsync(stream, last.Successor(), StreamId.Max, 5_000)).Count > 0; last = page[^1].Id)
            {
                count += page.Count;
            }

            Assert.Equal(dispatched, count);
            Assert.Equal(last, info.LastDeliveredId);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task The_quickstart_refuses_an_unknown_argument_with_its_usage()
    {
        var sample = RepositoryFiles.Sample("Quickstart");

        var (exitCode, text) = await RunAsync(sample, Path.GetTempPath(), "--nope");

        Assert.Equal(2, exitCode);
        Assert.Contains("Unknown argument '--nope'", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_quickstart_refuses_a_db_option_without_a_path_saying_so_with_its_usage()
    {
        // Issue 8, bad input: "a clear message, exit code non-zero". A trailing --db is a known option missing its
        // value, not an unknown argument.
        var sample = RepositoryFiles.Sample("Quickstart");

        var (exitCode, text) = await RunAsync(sample, Path.GetTempPath(), "--db");

        Assert.Equal(2, exitCode);
        Assert.Contains("--db needs the path of a file", text, StringComparison.Ordinal);
        Assert.Contains("Usage: dotnet run --project samples/Quickstart [-- --db <file>]", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Unknown argument", text, StringComparison.Ordinal);
        Assert.DoesNotContain("[1/4]", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("directory")]
    [InlineData("under-a-file")]
    public async Task The_quickstart_refuses_a_bad_db_path_with_the_reason_and_exit_code_1(string kind)
    {
        // README: "A bad --db (a directory, or a path that cannot be written) prints what was wrong and exits with code 1."
        var sample = RepositoryFiles.Sample("Quickstart");
        var directory = Directory.CreateTempSubdirectory("rs-quickstart-bad-db-").FullName;
        try
        {
            var file = Path.Combine(directory, "not-a-directory");
            await File.WriteAllTextAsync(file, "x");
            var db = kind == "directory" ? directory : Path.Combine(file, "quickstart.db");

            var (exitCode, text) = await RunAsync(sample, directory, "--db", db);

            Assert.True(exitCode == 1, $"exit code {exitCode}\n{text}");
            Assert.Contains($"Cannot open the log at '{db}'", text, StringComparison.Ordinal);
            Assert.DoesNotContain("[1/4]", text, StringComparison.Ordinal);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Run_with_no_arguments_the_quickstart_keeps_its_log_in_a_temporary_directory_and_deletes_it()
    {
        // README: "by default it lives in a temporary directory that is deleted afterwards".
        var sample = RepositoryFiles.Sample("Quickstart");
        var directory = Directory.CreateTempSubdirectory("rs-quickstart-sample-").FullName;
        var temp = Directory.CreateDirectory(Path.Combine(directory, "tmp")).FullName;
        var environment = new Dictionary<string, string> { ["TMPDIR"] = temp, ["TMP"] = temp, ["TEMP"] = temp };
        try
        {
            var (exitCode, output, error) = await RepositoryFiles.RunAsync(sample, directory, environment, Hang);

            Assert.True(exitCode == 0, $"exit code {exitCode}\n{output}\n{error}");
            Assert.Contains($"Log: {temp}", output, StringComparison.Ordinal);
            Assert.Empty(Directory.EnumerateFileSystemEntries(temp));
            Assert.Equal(["tmp"], Directory.EnumerateFileSystemEntries(directory).Select(Path.GetFileName));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task<(int ExitCode, string Text)> RunAsync(string sample, string directory, params string[] arguments)
    {
        var (exitCode, output, error) = await RepositoryFiles.RunAsync(sample, directory, Hang, arguments);
        return (exitCode, $"{output}\n{error}");
    }

    private static long Count(string text, string label)
    {
        var match = Regex.Match(text, $@"^\s+{Regex.Escape(label)}\s+(?<n>[\d,]+)", RegexOptions.Multiline);
        Assert.True(match.Success, $"no '{label}' line in\n{text}");
        return Number(match.Groups["n"].Value);
    }

    private static long Number(string text) => long.Parse(text, System.Globalization.NumberStyles.AllowThousands, System.Globalization.CultureInfo.InvariantCulture);

    [GeneratedRegex(@"member-a: (?<a>[\d,]+), member-b: (?<b>[\d,]+)\s+\(pending 0, lag 0\)")]
    private static partial Regex MembersLine();

    [GeneratedRegex(@"\(stream '(?<stream>[^']+)'\)")]
    private static partial Regex StreamName();
}
