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

    /// <summary>Records the span current in each write, by item.</summary>
    private sealed class PerItemTracingSink(string name, int expected) : IDeliverySink<string>
    {
        public string Name => name;

        public System.Collections.Concurrent.ConcurrentDictionary<string, Activity?> Spans { get; } = new();

        public TaskCompletionSource AllWritten { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ValueTask WriteAsync(string item, CancellationToken cancellationToken)
        {
            Spans[item] = Activity.Current;
            if (Spans.Count >= expected)
            {
                AllWritten.TrySetResult();
            }

            return default;
        }
    }

    [Fact]
    public async Task A_dispatching_worker_continues_each_producers_trace_when_it_pulls_several_frames_in_one_batch()
    {
        // docs/tracing.md: a dispatch's parent is the context its frame carries, "so each frame's trace continues even
        // when a batch handler dispatches it". The hosted worker maps each frame to the dispatcher's item type, which
        // must not lose the frame's context: each delivery belongs to the trace of the append that produced it.
        using var recorder = new TraceRecorder();
        var sink = new PerItemTracingSink("file", expected: 3);
        await using var test = new TestHost(new() { ["ReactiveStreams:Canals:billing:Stream"] = "orders" });
        var traces = new Dictionary<string, ActivityTraceId>();
        await using (var log = await Reactive.Streams.Storage.Sqlite.SqliteStreamLog.OpenAsync(test.DatabasePath))
        {
            foreach (var item in new[] { "o1", "o2", "o3" })
            {
                using var producer = recorder.StartTrace();
                traces[item] = producer.TraceId;
                await log.AppendAsync("orders", item, AppendMode.Durable);
            }
        }

        test.Builder.Services.AddReactiveStreams()
            .AddDispatcher<string>("billing", d => d.AddSink(_ => sink))
            .AddCanalWorker("billing", "billing", frame => Encoding.UTF8.GetString(frame.Payload.Span));
        var host = await test.StartAsync();
        await sink.AllWritten.Task.WaitAsync(TestHost.Hang);
        await host.StopAsync().WaitAsync(TestHost.Hang);

        // The three frames were ready at the first pull: one batch, one process span linked to the three producers.
        var process = recorder.Single("process orders");
        Assert.Equal(3, process.Links.Count());
        foreach (var (item, trace) in traces)
        {
            var deliver = sink.Spans[item];
            Assert.NotNull(deliver);
            Assert.Equal("deliver billing/file", deliver.DisplayName);
            Assert.Equal(trace, deliver.TraceId);
        }

        var dispatches = recorder.Spans.Where(s => s.DisplayName == "dispatch billing").ToList();
        Assert.Equal(3, dispatches.Count);
        Assert.All(dispatches, d => Assert.Contains(d.Links, l => l.Context.SpanId == process.SpanId));
        Assert.All(dispatches, d => Assert.NotNull(d.GetTagItem("messaging.message.id")));
        Assert.Equal(traces.Values.Select(t => t.ToHexString()).Order(), dispatches.Select(d => d.TraceId.ToHexString()).Order());
    }
}
