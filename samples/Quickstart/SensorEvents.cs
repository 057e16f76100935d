using System.Text.Json.Serialization;
using Reactive.Streams;

namespace Quickstart;

/// <summary>A raw reading from the simulated sensor feed.</summary>
internal sealed record SensorReading(int Sensor, long Sequence, double Celsius, bool IsCoarse)
{
    /// <summary>The pure degrader (the analyzer proves it, RXS0004): round to whole degrees and mark it coarse.</summary>
    public static SensorReading Coarsen(SensorReading reading) => reading with { Celsius = Math.Round(reading.Celsius), IsCoarse = true };
}

/// <summary>
/// The typed event union the pipeline carries: matched by variant, written to the log as JSON with a "type" discriminator.
/// The converter is declared here, where System.Text.Json's source generator sees it (RXS0007).
/// </summary>
[EventUnion]
[JsonConverter(typeof(EventUnionConverter<SensorEvent>))]
public abstract partial record SensorEvent
{
    /// <summary>An ordinary measurement.</summary>
    public sealed partial record Measured(int Sensor, long Sequence, double Celsius, bool Coarse) : SensorEvent;

    /// <summary>A measurement above the alarm threshold.</summary>
    public sealed partial record Overheated(int Sensor, long Sequence, double Celsius) : SensorEvent;
}

/// <summary>No reflection at run time: a source-generated context, used as is (QuickstartJson.Default.SensorEvent).</summary>
[JsonSerializable(typeof(SensorEvent))]
internal sealed partial class QuickstartJson : JsonSerializerContext;

/// <summary>
/// The console sink, a generated sink adapter: one handler per variant, behind a PauseUpstream buffer of 256.
/// It prints every overheating and one line per thousand measurements.
/// </summary>
[StreamSink(typeof(SensorEvent))]
[Backpressure(BackpressurePolicy.PauseUpstream, Capacity = 256)]
public sealed partial class ConsoleReport
{
    private long _measured;

    public long Overheated { get; private set; }

    public void OnMeasured(SensorEvent.Measured item)
    {
        if (++_measured % 5_000 == 0)
        {
            Console.WriteLine($"  console  {_measured,7:N0} measurements so far (sensor {item.Sensor}: {item.Celsius:F2} °C{(item.Coarse ? ", coarse" : "")})");
        }
    }

    public void OnOverheated(SensorEvent.Overheated item)
    {
        if (++Overheated <= 3)
        {
            Console.WriteLine($"  console  ALARM sensor {item.Sensor} at {item.Celsius:F1} °C (#{item.Sequence})");
        }
    }
}
