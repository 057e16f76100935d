using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Reactive.Streams.Storage.Tests;

namespace Reactive.Streams.Hosting.Tests;

/// <summary>docs/tracing.md in a host: a producer's trace continues through a hosted canal worker and its dispatcher.</summary>
public sealed class HostedTracingTests
{
    /// <summary>Records the item it writes with the span current in the write.</summary>
    private sealed class TracingSink(string name) : IDeliverySink<string>
    {
        public string Name => name;

        public TaskCompletionSource<Activity?> Written { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ValueTask WriteAsync(string item, CancellationToken cancellationToken)
        {
            Written.TrySetResult(Activity.Current);
            return default;
        }
    }

    [Fact]
    public async Task A_dispatching_worker_on_a_stream_processes_under_that_streams_name_and_continues_the_producers_trace()
    {
        using var recorder = new TraceRecorder();
        var sink = new TracingSink("file");
        await using var test = new TestHost(new() { ["ReactiveStreams:Canals:billing:Stream"] = "orders" });
        test.Builder.Services.AddReactiveStreams()
            .AddDispatcher<string>("billing", d => d.AddSink(_ => sink))
            .AddCanalWorker("billing", "billing", frame => Encoding.UTF8.GetString(frame.Payload.Span));
        var host = await test.StartAsync();
        ActivityTraceId trace;
        using (var producer = recorder.StartTrace())
        {
            trace = producer.TraceId;
            await host.Services.GetRequiredService<IStreamLog>().AppendAsync("orders", "o1", AppendMode.Durable);
        }

        var deliver = await sink.Written.Task.WaitAsync(TestHost.Hang);
        await host.StopAsync().WaitAsync(TestHost.Hang);

        // The worker pulls from a cursor canal on "orders": its process span is "process orders", as for a handler
        // worker (docs/tracing.md: "(anonymous)" is for in-memory canals only), the child of the append.
        var append = recorder.Single("append orders");
        var process = recorder.Single("process orders");
        Assert.Equal(ActivityKind.Consumer, process.Kind);
        Assert.Equal("orders", process.GetTagItem("messaging.destination.name"));
        Assert.Null(process.GetTagItem("messaging.destination.anonymous"));
        Assert.Equal(append.SpanId, process.ParentSpanId);
        var dispatch = recorder.Single("dispatch billing");
        Assert.Equal(process.SpanId, dispatch.ParentSpanId);
        Assert.Equal("deliver billing/file", deliver?.DisplayName);
        Assert.Equal(trace, deliver?.TraceId);
    }
}
