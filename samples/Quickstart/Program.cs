using System.Diagnostics;
using System.Text.Json;
using Quickstart;
using Reactive.Streams;
using Reactive.Streams.Storage.Sqlite;

// The product's main job in one program:
//   sensor feed (fast) → DegradeQuality stream (pure degrader) → typed event union
//   → dispatcher: console sink, SQLite log sink, pager sink (with dead letters)
//   → cursor canal reading the log back from a durable checkpoint
//   → two members of one consumer group sharing the stream's work.
const int Readings = 50_000;
const double AlarmCelsius = 39.5;

const string Usage = "Usage: dotnet run --project samples/Quickstart [-- --db <file>]";
string? dbPath = null;
for (var i = 0; i < args.Length; i++)
{
    if (args[i] != "--db")
    {
        Console.Error.WriteLine($"Unknown argument '{args[i]}'. {Usage}");
        return 2;
    }

    if (i + 1 == args.Length)
    {
        Console.Error.WriteLine($"--db needs the path of a file to keep the log in. {Usage}");
        return 2;
    }

    dbPath = args[++i];
}

var tempDirectory = dbPath is null ? Directory.CreateTempSubdirectory("rxs-quickstart-").FullName : null;
dbPath ??= Path.Combine(tempDirectory!, "quickstart.db");
var clock = Stopwatch.StartNew();

SqliteStreamLog log;
try
{
    log = await SqliteStreamLog.OpenAsync(dbPath);
}
catch (Exception error) when (error is IOException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException or ArgumentException)
{
    Console.Error.WriteLine($"Cannot open the log at '{dbPath}': {error.Message}");
    Console.Error.WriteLine("Pass --db with the path of a file in a directory you can write to.");
    return 1;
}

await using (log)
{
    var stream = $"sensor-events-{DateTime.UtcNow:yyyyMMddHHmmssfff}";
    Console.WriteLine($"Reactive.Streams quickstart. Log: {dbPath} (stream '{stream}')");

    // 1. The feed: a producer far faster than anything downstream, into a bounded stream that degrades on overflow.
    var readings = BoundedStream.DegradeQuality<SensorReading>(256, SensorReading.Coarsen, "sensor-feed");

    // 2. The dispatcher: every event to every sink; the ack fires once all of them committed it.
    var console = new ConsoleReport();
    await using var consoleSink = console.CreateDeliverySink("console");
    var deadLetters = new DeadLetterSink(log);
    var acks = new AckCounter();
    var dispatcher = new DeliveryDispatcher<SensorEvent>(new DeliveryOptions<SensorEvent>
    {
        Name = "quickstart",
        DeadLetterSink = deadLetters,
        MaxBatch = 256,
    }
        .AddSink(consoleSink, consoleSink.Options)
        .AddSink(new LogSink(log, stream))
        .AddSink(new PagerSink()));

    Console.WriteLine($"[1/4] feeding {Readings:N0} readings through the pipeline...");
    var feeding = Task.Run(async () =>
    {
        // Bursts of 2,500 readings, each far faster than the pipeline drains, with short pauses between them.
        var random = new Random(7);
        for (var i = 0; i < Readings; i++)
        {
            var celsius = 25 + (15 * Math.Sin(i / 700.0)) + (random.NextDouble() * 6);
            readings.TryPush(new SensorReading(i % 8, i, celsius, IsCoarse: false));
            if (i % 2_500 == 2_499)
            {
                await Task.Delay(10);
            }
        }

        readings.Complete();
    });

    long dispatched = 0;
    await foreach (var reading in readings.ReadAllAsync())
    {
        SensorEvent evt = reading.Celsius > AlarmCelsius
            ? new SensorEvent.Overheated(reading.Sensor, reading.Sequence, reading.Celsius)
            : new SensorEvent.Measured(reading.Sensor, reading.Sequence, reading.Celsius, reading.IsCoarse);
        await dispatcher.DispatchAsync(evt, acks);
        dispatched++;
    }

    await feeding;
    var drained = await dispatcher.ShutdownAsync(TimeSpan.FromSeconds(30));
    var feed = readings.GetMetrics();
    var logMetrics = dispatcher.GetSinkMetrics("sqlite-log");

    // 3. Read the log back through a cursor canal, committing a checkpoint after every batch.
    Console.WriteLine("[2/4] reading the log back through a cursor canal...");
    var kinds = new Dictionary<SensorEventKind, long>();
    await using (var canal = await CursorCanal.OpenAsync(log, stream, new CursorCanalOptions { CheckpointId = "quickstart-reader" }))
    {
        while (true)
        {
            var batch = await canal.PullBatchAsync(1_000, TimeSpan.Zero);
            if (batch.IsEmpty)
            {
                break;
            }

            foreach (var frame in batch)
            {
                var evt = JsonSerializer.Deserialize(frame.Payload.Span, QuickstartJson.Default.SensorEvent)!;
                kinds[evt.Kind] = kinds.GetValueOrDefault(evt.Kind) + 1;
            }

            await canal.CommitAsync(batch.Last);
        }
    }

    // 4. Two members of one consumer group share the stream: each frame goes to one of them, which acknowledges it.
    //    Here both run in this process on one log; in production each is its own process or machine on the same file.
    Console.WriteLine("[3/4] two consumers of one group sharing the stream...");
    var members = await Task.WhenAll(new[] { "member-a", "member-b" }.Select(name => Task.Run(async () =>
    {
        long handled = 0;
        await using var member = await ConsumerGroupCanal.OpenAsync(log, stream, "quickstart-group", name);
        while (true)
        {
            var batch = await member.PullBatchAsync(500, TimeSpan.Zero);
            if (batch.IsEmpty)
            {
                return (Name: name, Handled: handled);
            }

            handled += batch.Count;
            await member.CommitAsync(batch.Last);
        }
    })));
    var group = await log.ReadGroupAsync(stream, "quickstart-group");

    Console.WriteLine("[4/4] summary");
    Console.WriteLine($"  items pushed        {feed.ItemsPushed,10:N0}");
    Console.WriteLine($"  degraded            {feed.DegradeQualityHits,10:N0}   (evicted oldest, enqueued a coarse reading instead)");
    Console.WriteLine($"  dispatched          {dispatched,10:N0}");
    Console.WriteLine($"  delivered to log    {logMetrics.Delivered,10:N0}");
    Console.WriteLine($"  dead-lettered       {deadLetters.Count,10:N0}   (pager refused them permanently)");
    Console.WriteLine($"  acknowledged        {acks.Count,10:N0}   (every sink committed)");
    Console.WriteLine($"  read back           {kinds.Values.Sum(),10:N0}   ({string.Join(", ", kinds.OrderBy(k => k.Key).Select(k => $"{k.Key}: {k.Value:N0}"))})");
    Console.WriteLine($"  group members       {string.Join(", ", members.Select(m => $"{m.Name}: {m.Handled:N0}"))}   (pending {group!.PendingCount}, lag {group.Lag})");
    Console.WriteLine($"  conserved           {feed.IsConserved,10}   (pushed = delivered + evicted + failed + depth)");
    Console.WriteLine($"  done in {clock.Elapsed.TotalSeconds:F1} s");

    var ok = drained && feed.IsConserved && acks.Count == dispatched && kinds.Values.Sum() == dispatched
        && members.Sum(m => m.Handled) == dispatched && group is { PendingCount: 0, Lag: 0 };
    if (!ok)
    {
        Console.Error.WriteLine("The pipeline did not account for every event.");
    }

    if (tempDirectory is not null)
    {
        await log.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(tempDirectory, recursive: true);
    }

    return ok ? 0 : 1;
}
