using Reactive.Streams;

// A fast sensor feed into a bounded stream whose policy degrades readings on overflow instead of queueing
// without bound: the consumer sees every reading it has room for, and coarse ones when it falls behind.
Console.WriteLine("Reactive.Streams quickstart: a fast sensor feed behind a DegradeQuality stream (capacity 64)");

var readings = BoundedStream.DegradeQuality<SensorReading>(64, SensorReading.Coarsen, "sensor-feed");

var consumer = Task.Run(async () =>
{
    var seen = 0;
    var coarse = 0;
    await foreach (var reading in readings.ReadAllAsync())
    {
        seen++;
        if (reading.IsCoarse)
        {
            coarse++;
        }

        if (seen % 1_000 == 0)
        {
            await Task.Yield(); // a consumer slower than the producer
        }
    }

    return (seen, coarse);
});

for (var i = 0; i < 200_000; i++)
{
    readings.TryPush(new SensorReading(i, Math.Sin(i / 100.0) * 20 + 20, IsCoarse: false));
}

readings.Complete();
var (delivered, coarseReadings) = await consumer;

var metrics = readings.GetMetrics();
Console.WriteLine($"items pushed        {metrics.ItemsPushed,10:N0}");
Console.WriteLine($"items delivered     {metrics.ItemsDelivered,10:N0}  (coarse: {coarseReadings:N0})");
Console.WriteLine($"degraded on overflow{metrics.DegradeQualityHits,10:N0}");
Console.WriteLine($"conserved           {metrics.IsConserved,10}  (pushed = delivered + evicted + failed + depth)");
return delivered == metrics.ItemsDelivered && metrics.IsConserved ? 0 : 1;

/// <summary>A temperature reading; a coarse one is rounded to whole degrees.</summary>
internal sealed record SensorReading(long Sequence, double Celsius, bool IsCoarse)
{
    /// <summary>The pure degrader: rounds the reading and marks it coarse.</summary>
    public static SensorReading Coarsen(SensorReading reading) => reading with { Celsius = Math.Round(reading.Celsius), IsCoarse = true };
}
