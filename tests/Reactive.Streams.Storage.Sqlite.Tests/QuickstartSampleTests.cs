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
