using System.Text;

namespace Reactive.Streams.Storage.Sqlite.Tests;

/// <summary>Disposing a SQLite log while appends are in flight, read back through a fresh log on the same file.</summary>
public sealed class SqliteDisposalRaceTests : IDisposable
{
    // A failure guard against hangs; never a bound on how long correct code takes.
    private static readonly TimeSpan Guard = TimeSpan.FromMinutes(1);

    private readonly string _directory = Directory.CreateTempSubdirectory("rs-sqlite-race-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>
    /// Disposal racing appends of every kind: each append either returned (and its frame is stored) or threw (and its
    /// frame is not stored); an append is never reported failed but written, nor reported written but lost.
    /// </summary>
    [Fact]
    public async Task Disposal_racing_appends_leaves_every_append_either_reported_and_stored_or_thrown_and_not_stored()
    {
        for (var round = 0; round < 5; round++)
        {
            var stream = $"race-{round}-{Guid.NewGuid():N}";
            var log = await SqliteStreamLog.OpenAsync(Path.Combine(_directory, "log.db"));
            await log.AppendAsync(stream, "first", AppendMode.Durable);
            var appends = Enumerable.Range(0, 60).Select(i => Task.Run(async () =>
            {
                switch (i % 3)
                {
                    case 0:
                        await log.AppendAsync(stream, $"d{i}", AppendMode.Durable);
                        break;
                    case 1:
                        await log.AppendAsync(stream, $$"""{"s{{i}}":{{i}}}""", AppendMode.DurableSummary);
                        break;
                    default:
                        await log.AppendBatchAsync(stream, [Encoding.UTF8.GetBytes($"b{i}"), Encoding.UTF8.GetBytes($"b{i}+")], AppendMode.Durable);
                        break;
                }
            })).ToArray();
            await log.DisposeAsync();
            var outcomes = await Task.WhenAll(appends.Select(async (t, i) =>
            {
                try
                {
                    await t.WaitAsync(Guard);
                    return (Index: i, Error: (Exception?)null);
                }
                catch (Exception e) when (e is not TimeoutException)
                {
                    return (Index: i, Error: e);
                }
            }));

            await using var reader = await SqliteStreamLog.OpenAsync(Path.Combine(_directory, "log.db"));
            var stored = (await reader.ReadAsync(stream, StreamId.Min, StreamId.Max, 1000)).Select(f => Encoding.UTF8.GetString(f.Payload.Span)).ToHashSet();
            foreach (var (i, error) in outcomes)
            {
                var payload = (i % 3) switch { 0 => $"d{i}", 1 => $$"""{"s{{i}}":{{i}}}""", _ => $"b{i}" };
                Assert.True(
                    stored.Contains(payload) == (error is null),
                    error is null
                        ? $"Append {i} returned but its frame is not stored."
                        : $"Append {i} threw {error.GetType().Name} ({error.Message}) but its frame was stored.");
                if (i % 3 == 2)
                {
                    Assert.Equal(stored.Contains(payload), stored.Contains(payload + "+"));
                }

                if (error is not null)
                {
                    Assert.IsType<ObjectDisposedException>(error);
                }
            }
        }
    }
}
