using System.Text;

namespace Reactive.Streams.Storage.Redis.Tests;

/// <summary>
/// An append whose call has ended (cancelled, or ended by the log's disposal) while its script was still in flight may
/// still run (docs/stream-log.md); what it then stores is the payload as it was at the call, not what the caller has put
/// in its buffer since. A caller owns its buffer again once the call has ended (it returns a pooled buffer to its pool),
/// so the log must not send bytes it reads from that buffer later.
/// </summary>
public sealed partial class RedisLoadingTests
{
    [Theory]
    [InlineData("cancel", AppendMode.Durable)]
    [InlineData("cancel", AppendMode.DurableSummary)]
    [InlineData("cancel", AppendMode.BestEffortLive)]
    [InlineData("dispose", AppendMode.Durable)]
    public async Task An_append_whose_call_ended_while_its_script_was_in_flight_stores_the_payload_as_it_was_at_the_call(string end, AppendMode mode)
    {
        var log = await OpenAsync();
        var stream = NewStream();
        var first = Encoding.UTF8.GetBytes("""{"a":1}""");
        var second = Encoding.UTF8.GetBytes("""{"b":2}""");
        var held = _loading.Hold(Script);
        using var cancel = new CancellationTokenSource();

        var append = log.AppendBatchAsync(stream, [first, second], mode, cancel.Token).AsTask();
        await held.Reached.Task.WaitAsync(Guard);
        if (end == "cancel")
        {
            await cancel.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => append.WaitAsync(Guard));
        }
        else
        {
            await log.DisposeAsync();
            await Assert.ThrowsAsync<ObjectDisposedException>(() => append.WaitAsync(Guard));
        }

        // The call has ended: the caller reuses its buffers (same lengths, other bytes).
        Encoding.UTF8.GetBytes("""{"x":9}""", first);
        Encoding.UTF8.GetBytes("""{"y":8}""", second);
        held.Release();
        await held.Ran.Task.WaitAsync(Guard);

        await using var reader = await RedisStreamLog.OpenAsync(Server.ConfigurationString, new RedisStreamLogOptions { TimeProvider = _clock });
        Assert.Equal(["""{"a":1}""", """{"b":2}"""], (await reader.ReadAsync(stream, StreamId.Min, StreamId.Max, 10)).Select(Text));
    }
}
