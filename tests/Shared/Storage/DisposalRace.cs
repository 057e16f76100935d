using System.Text;

namespace Reactive.Streams.Storage.Tests;

/// <summary>The disposal-race check the SQLite and PostgreSQL logs share.</summary>
internal static class DisposalRace
{
    /// <summary>
    /// Disposal racing appends of every kind, over five rounds of logs from <paramref name="open"/>: each append either
    /// returned (and its frame is stored) or threw <see cref="ObjectDisposedException"/> (and its frame is not stored),
    /// read back through a fresh log; an append is never reported failed but written, nor reported written but lost.
    /// </summary>
    public static async Task AssertEachAppendIsStoredIffReportedAsync(Func<Task<StreamLog>> open, TimeSpan guard)
    {
        for (var round = 0; round < 5; round++)
        {
            var stream = $"race-{round}-{Guid.NewGuid():N}";
            var log = await open();
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
                    await t.WaitAsync(guard);
                    return (Index: i, Error: (Exception?)null);
                }
                catch (Exception e) when (e is not TimeoutException)
                {
                    return (Index: i, Error: e);
                }
            }));

            await using var reader = await open();
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
