using System.Text.Json;
using Reactive.Streams;

namespace Quickstart;

/// <summary>Commits events to the durable log, a whole batch per transaction.</summary>
internal sealed class LogSink(IStreamLog log, string stream) : IBatchDeliverySink<SensorEvent>
{
    public string Name => "sqlite-log";

    public ValueTask WriteAsync(SensorEvent item, CancellationToken cancellationToken) =>
        WriteBatchAsync([item], cancellationToken);

    public async ValueTask WriteBatchAsync(IReadOnlyList<SensorEvent> items, CancellationToken cancellationToken)
    {
        var frames = new ReadOnlyMemory<byte>[items.Count];
        for (var i = 0; i < items.Count; i++)
        {
            frames[i] = JsonSerializer.SerializeToUtf8Bytes(items[i], QuickstartJson.Default.SensorEvent);
        }

        await log.AppendBatchAsync(stream, frames, AppendMode.Durable, cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>A pager that refuses readings it cannot represent: its failures are permanent, so they go to the dead letters.</summary>
internal sealed class PagerSink : IDeliverySink<SensorEvent>
{
    public string Name => "pager";

    public ValueTask WriteAsync(SensorEvent item, CancellationToken cancellationToken) => item switch
    {
        SensorEvent.Overheated { Celsius: > 44.5 } hot => throw new PermanentDeliveryException($"pager cannot page {hot.Celsius:F1} °C: above its range"),
        _ => default,
    };
}

/// <summary>Keeps dead letters in their own stream of the log.</summary>
internal sealed class DeadLetterSink(IStreamLog log) : IDeliverySink<DeadLetter<SensorEvent>>
{
    private long _count;

    public string Name => "dead-letters";

    public long Count => Interlocked.Read(ref _count);

    public async ValueTask WriteAsync(DeadLetter<SensorEvent> item, CancellationToken cancellationToken)
    {
        await log.AppendAsync("dead-letters", $"{item.SinkName} after {item.Attempts} attempt(s): {item.Error.Message}", AppendMode.Durable, cancellationToken).ConfigureAwait(false);
        Interlocked.Increment(ref _count);
    }
}

/// <summary>Counts acknowledgements: one token shared by every event.</summary>
internal sealed class AckCounter : IAckToken
{
    private long _count;

    public long Count => Interlocked.Read(ref _count);

    public void Acknowledge() => Interlocked.Increment(ref _count);
}
