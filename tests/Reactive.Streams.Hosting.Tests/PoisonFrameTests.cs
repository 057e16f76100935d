using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Reactive.Streams.Hosting.Tests;

/// <summary>
/// A frame a dispatching worker cannot map to its dispatcher's item type (a poison pill): with a dead-letter stream it is
/// parked there and the stream goes on, as a MassTransit <c>_error</c> queue or a Kafka dead-letter topic would; without
/// one the worker fails, and its error says which frame, of which stream, could not become which type.
/// </summary>
public sealed class PoisonFrameTests
{
    [JsonPolymorphic(TypeDiscriminatorPropertyName = "kind")]
    [JsonDerivedType(typeof(Placed), "placed")]
    [JsonDerivedType(typeof(Cancelled), "cancelled")]
    public abstract record OrderEvent(int Order);

    public sealed record Placed(int Order, string Sku) : OrderEvent(Order);

    public sealed record Cancelled(int Order) : OrderEvent(Order);

    private sealed class EventSink : IDeliverySink<OrderEvent>
    {
        public string Name => "orders-db";

        public System.Collections.Concurrent.ConcurrentQueue<OrderEvent> Written { get; } = new();

        public SemaphoreSlim Signal { get; } = new(0);

        public ValueTask WriteAsync(OrderEvent item, CancellationToken cancellationToken)
        {
            Written.Enqueue(item);
            Signal.Release();
            return default;
        }

        public async Task WaitForAsync(int count)
        {
            while (Written.Count < count)
            {
                Assert.True(await Signal.WaitAsync(TestHost.Hang), $"saw {Written.Count} of {count} events");
            }
        }
    }

    private static OrderEvent Map(StreamFrame frame) =>
        JsonSerializer.Deserialize<OrderEvent>(frame.Payload.Span) ?? throw new JsonException("The frame holds null.");

    private static async Task<StreamId> AppendAsync(IStreamLog log, string json, IReadOnlyDictionary<string, string>? headers = null) =>
        (await log.AppendAsync("orders", Encoding.UTF8.GetBytes(json), AppendMode.Durable, headers)).Id;

    private static Exception? MapError(string json)
    {
        try
        {
            JsonSerializer.Deserialize<OrderEvent>(json);
            return null;
        }
        catch (Exception error)
        {
            return error;
        }
    }

    [Theory]
    [InlineData("{\"kind\":\"placed\",\"Order\":2,")]
    [InlineData("{\"kind\":\"refunded\",\"Order\":2}")]
    [InlineData("not json at all")]
    public async Task A_frame_the_map_cannot_convert_is_dead_lettered_with_its_id_stream_error_and_headers_and_the_stream_goes_on(string poison)
    {
        var expected = MapError(poison);
        Assert.NotNull(expected);
        var sink = new EventSink();
        await using var test = new TestHost(new() { ["ReactiveStreams:Canals:orders:MaxBatch"] = "2" });
        test.Builder.Services.Configure<HostOptions>(o => o.BackgroundServiceExceptionBehavior = BackgroundServiceExceptionBehavior.Ignore);
        test.Builder.Services.AddReactiveStreams()
            .AddDispatcher<OrderEvent>("orders", d => d.AddSink(_ => sink).UseDeadLetterStream("orders.dead", e => JsonSerializer.SerializeToUtf8Bytes(e)))
            .AddCanalWorker("orders", "orders", Map);
        var host = await test.StartAsync();
        var log = host.Services.GetRequiredService<IStreamLog>();
        var traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

        await AppendAsync(log, "{\"kind\":\"placed\",\"Order\":1,\"Sku\":\"A-1\"}");
        var poisonId = await AppendAsync(log, poison, new Dictionary<string, string> { ["traceparent"] = traceparent });
        var lastId = await AppendAsync(log, "{\"kind\":\"cancelled\",\"Order\":1}");
        await sink.WaitForAsync(2);
        var worker = host.Services.GetRequiredKeyedService<CanalWorkerService>("orders");
        await host.StopAsync().WaitAsync(TestHost.Hang);

        // The stream went on past the poison frame, and the worker stopped cleanly: nothing failed.
        Assert.Equal([new Placed(1, "A-1"), new Cancelled(1)], sink.Written);
        Assert.Equal(CanalWorkerStatus.Stopped, worker.Status);
        Assert.Null(worker.Fault);
        Assert.Equal(1, worker.DeadLettered);
        Assert.Equal(lastId, await host.Services.GetRequiredService<ICheckpointStore>().ReadCheckpointAsync("orders"));

        // Nothing lost: the frame is kept in the dead-letter stream, with what failed and the producer's trace context.
        var dead = Assert.Single(await log.ReadAsync("orders.dead", StreamId.Min, StreamId.Max, 10));
        Assert.Equal(traceparent, dead.Headers["traceparent"]);
        using var letter = JsonDocument.Parse(dead.Payload);
        var root = letter.RootElement;
        Assert.Equal("orders", root.GetProperty("stream").GetString());
        Assert.Equal(poisonId.ToString(), root.GetProperty("id").GetString());
        Assert.Equal(typeof(OrderEvent).FullName, root.GetProperty("type").GetString());
        Assert.Equal(expected!.GetType().FullName, root.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal(expected.Message, root.GetProperty("error").GetProperty("message").GetString());
        Assert.True(root.TryGetProperty("failedAt", out _));
        var item = root.GetProperty("item");
        Assert.Equal(poison, item.ValueKind == JsonValueKind.String ? item.GetString() : item.GetRawText());

        // Logged, naming the frame, its stream, the type and where it went.
        var warning = Assert.Single(test.Logs.Entries, e => e.Id.Id == 7007);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains(poisonId.ToString(), warning.Message, StringComparison.Ordinal);
        Assert.Contains("orders.dead", warning.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(OrderEvent), warning.Message, StringComparison.Ordinal);
        Assert.Equal(expected.GetType(), warning.Error?.GetType());
        Assert.DoesNotContain(test.Logs.Entries, e => e.Id.Id == 7003);
        host.Dispose();

        // A restart does not meet the poison frame again.
        var again = new EventSink();
        await using var second = new TestHost(new() { ["ReactiveStreams:Log:Path"] = test.DatabasePath });
        second.Builder.Services.AddReactiveStreams()
            .AddDispatcher<OrderEvent>("orders", d => d.AddSink(_ => again).UseDeadLetterStream("orders.dead", e => JsonSerializer.SerializeToUtf8Bytes(e)))
            .AddCanalWorker("orders", "orders", Map);
        var restarted = await second.StartAsync();
        var nextLog = restarted.Services.GetRequiredService<IStreamLog>();
        await AppendAsync(nextLog, "{\"kind\":\"placed\",\"Order\":3,\"Sku\":\"C-3\"}");
        await again.WaitForAsync(1);
        await restarted.StopAsync().WaitAsync(TestHost.Hang);
        Assert.Equal([new Placed(3, "C-3")], again.Written);
        Assert.Single(await nextLog.ReadAsync("orders.dead", StreamId.Min, StreamId.Max, 10));
        restarted.Dispose();
    }

    [Fact]
    public async Task A_binary_frame_that_cannot_be_mapped_is_dead_lettered_byte_for_byte()
    {
        byte[] payload = [0x08, 0x96, 0x01, 0xFF, 0x00, 0xC3];
        var sink = new EventSink();
        await using var test = new TestHost();
        test.Builder.Services.Configure<HostOptions>(o => o.BackgroundServiceExceptionBehavior = BackgroundServiceExceptionBehavior.Ignore);
        test.Builder.Services.AddReactiveStreams()
            .AddDispatcher<OrderEvent>("orders", d => d.AddSink(_ => sink).UseDeadLetterStream("orders.dead", e => JsonSerializer.SerializeToUtf8Bytes(e)))
            .AddCanalWorker("orders", "orders", Map);
        var host = await test.StartAsync();
        var log = host.Services.GetRequiredService<IStreamLog>();
        await log.AppendAsync("orders", payload, AppendMode.Durable);
        await AppendAsync(log, "{\"kind\":\"cancelled\",\"Order\":9}");
        await sink.WaitForAsync(1);
        await host.StopAsync().WaitAsync(TestHost.Hang);

        var dead = Assert.Single(await log.ReadAsync("orders.dead", StreamId.Min, StreamId.Max, 10));
        using var letter = JsonDocument.Parse(dead.Payload);
        Assert.Equal("base64", letter.RootElement.GetProperty("itemEncoding").GetString());
        Assert.Equal(payload, letter.RootElement.GetProperty("item").GetBytesFromBase64());
        Assert.Empty(dead.Headers);
    }

    [Fact]
    public async Task Without_a_dead_letter_stream_the_worker_still_fails_and_its_error_names_the_stream_the_frame_and_the_type()
    {
        // A typed dead-letter sink takes items the map made, not frames it could not map: it is no route for this frame.
        var sink = new EventSink();
        await using var test = new TestHost();
        test.Builder.Services.Configure<HostOptions>(o => o.BackgroundServiceExceptionBehavior = BackgroundServiceExceptionBehavior.Ignore);
        test.Builder.Services.AddReactiveStreams()
            .AddDispatcher<OrderEvent>("orders", d => d.AddSink(_ => sink).UseDeadLetterSink(_ => new NoDeadLetters()))
            .AddCanalWorker("orders", "orders", Map);
        var host = await test.StartAsync();
        var log = host.Services.GetRequiredService<IStreamLog>();
        var poisonId = await AppendAsync(log, "null");
        var worker = host.Services.GetRequiredKeyedService<CanalWorkerService>("orders");

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => worker.ExecuteTask!.WaitAsync(TestHost.Hang));

        Assert.Equal(CanalWorkerStatus.Faulted, worker.Status);
        Assert.IsType<JsonException>(worker.Fault);
        Assert.Same(worker.Fault, failure.InnerException);
        Assert.Contains("'orders'", failure.Message, StringComparison.Ordinal);
        Assert.Contains(poisonId.ToString(), failure.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(OrderEvent), failure.Message, StringComparison.Ordinal);
        Assert.Equal(StreamId.Min, worker.CommittedPosition);
        Assert.Empty(await log.ReadAsync("orders.dead", StreamId.Min, StreamId.Max, 10));
        Assert.Empty(sink.Written);
        Assert.Equal(0, worker.DeadLettered);
    }

    private sealed class NoDeadLetters : IDeliverySink<DeadLetter<OrderEvent>>
    {
        public string Name => "no-dead-letters";

        public ValueTask WriteAsync(DeadLetter<OrderEvent> item, CancellationToken cancellationToken) => default;
    }

    [Fact]
    public async Task A_handler_that_always_throws_fails_the_worker_without_retrying_and_its_error_names_the_frames_of_the_batch()
    {
        var probe = new RecordingHandler.Probe();
        var id = Guid.NewGuid().ToString("N");
        RecordingHandler.Probes[id] = probe;
        probe.FailOn = frame => RecordingHandler.Probe.Text(frame).EndsWith("/poison", StringComparison.Ordinal);
        await using var test = new TestHost(new() { ["ReactiveStreams:Canals:orders:MaxBatch"] = "1" });
        test.Builder.Services.Configure<HostOptions>(o => o.BackgroundServiceExceptionBehavior = BackgroundServiceExceptionBehavior.Ignore);
        test.Builder.Services.AddReactiveStreams().AddCanalWorker<RecordingHandler>("orders");
        var host = await test.StartAsync();
        var log = host.Services.GetRequiredService<IStreamLog>();
        await log.AppendAsync("orders", id + "/ok", AppendMode.Durable);
        var poisonId = (await log.AppendAsync("orders", id + "/poison", AppendMode.Durable)).Id;
        var worker = host.Services.GetRequiredKeyedService<CanalWorkerService>("orders");

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => worker.ExecuteTask!.WaitAsync(TestHost.Hang));

        // As hosting.md says: no retry, the batch stays uncommitted, and the error says which frame it was.
        Assert.Equal([id + "/ok"], probe.Handled);
        Assert.Contains(poisonId.ToString(), failure.Message, StringComparison.Ordinal);
        Assert.Contains("'orders'", failure.Message, StringComparison.Ordinal);
        Assert.Same(worker.Fault, failure.InnerException);
        Assert.True(worker.CommittedPosition < poisonId);
    }
}
