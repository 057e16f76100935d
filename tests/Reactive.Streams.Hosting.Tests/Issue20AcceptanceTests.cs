using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using OpenTelemetry.Trace;
using Reactive.Streams.Storage.Tests;

namespace Reactive.Streams.Hosting.Tests;

/// <summary>Issue 20's Deliver section, read as a user of the generic host would test it, where earlier tests were thin.</summary>
public sealed class Issue20AcceptanceTests
{
    private sealed class Handler : ICanalBatchHandler
    {
        public ValueTask HandleAsync(CanalBatch<StreamFrame> batch, CancellationToken cancellationToken) => default;
    }

    private sealed class NullSink(string name) : IDeliverySink<int>
    {
        public string Name => name;

        public ValueTask WriteAsync(int item, CancellationToken cancellationToken) => default;
    }

    private static async Task<OptionsValidationException> StartFailsAsync(Dictionary<string, string?> configuration)
    {
        await using var test = new TestHost(configuration, withLogPath: false);
        test.Builder.Services.AddReactiveStreams().AddCanalWorker<Handler>("orders");
        return Assert.IsType<OptionsValidationException>(await Assert.ThrowsAnyAsync<Exception>(test.StartAsync));
    }

    [Theory]
    [InlineData("Data Source=:memory:")]
    [InlineData("Data Source=orders.db;Mode=Memory")]
    public async Task A_bad_sqlite_connection_string_from_the_connection_strings_section_is_named_by_the_key_that_holds_it(string connectionString)
    {
        // The user set ConnectionStrings:ReactiveStreams, as an Npgsql or EF Core user does; an error naming
        // ReactiveStreams:Log:ConnectionString sends them to a key they never wrote.
        var error = await StartFailsAsync(new() { ["ConnectionStrings:ReactiveStreams"] = connectionString });

        Assert.StartsWith("ConnectionStrings:ReactiveStreams: ", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Log:ConnectionString", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_postgres_connection_string_from_a_renamed_connection_strings_entry_is_named_by_that_entry()
    {
        var error = await StartFailsAsync(new()
        {
            ["ReactiveStreams:Log:Provider"] = "Postgres",
            ["ReactiveStreams:Log:ConnectionStringName"] = "Orders",
            ["ConnectionStrings:Orders"] = "Hots=db.example.org;Username=app", // a typo of Host
        });

        Assert.StartsWith("ConnectionStrings:Orders: ", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Log:ConnectionString", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_connection_string_set_under_Log_is_still_named_by_Log_ConnectionString()
    {
        var error = await StartFailsAsync(new()
        {
            ["ReactiveStreams:Log:ConnectionString"] = "Data Source=:memory:",
            ["ConnectionStrings:ReactiveStreams"] = "Data Source=unused.db",
        });

        Assert.StartsWith("ReactiveStreams:Log:ConnectionString: ", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ReactiveStreams:Log:ConnectionString", "ReactiveStreams:Log:ConnectionString")]
    [InlineData("ConnectionStrings:ReactiveStreams", "ConnectionStrings:ReactiveStreams")]
    public async Task A_sqlite_connection_string_with_a_password_fails_the_start_rather_than_writing_an_unencrypted_file(string key, string named)
    {
        // The log opens the file with options of its own: a password in the connection string was dropped, and the
        // events the user meant to encrypt were written in clear.
        var directory = Directory.CreateTempSubdirectory("rs-i20-").FullName;
        try
        {
            var path = Path.Combine(directory, "orders.db");
            var error = await StartFailsAsync(new() { [key] = $"Data Source={path};Password=s3cret" });

            Assert.StartsWith($"{named}: ", error.Message, StringComparison.Ordinal);
            Assert.Contains("Password", error.Message, StringComparison.Ordinal);
            Assert.False(File.Exists(path));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task A_read_only_sqlite_connection_string_fails_the_start_rather_than_opening_the_log_for_writing()
    {
        // Mode=ReadOnly was dropped as well: the log opened read-write and created the file the user meant to protect.
        var directory = Directory.CreateTempSubdirectory("rs-i20-").FullName;
        try
        {
            var path = Path.Combine(directory, "orders.db");
            var error = await StartFailsAsync(new() { ["ReactiveStreams:Log:ConnectionString"] = $"Data Source={path};Mode=ReadOnly" });

            Assert.StartsWith("ReactiveStreams:Log:ConnectionString: ", error.Message, StringComparison.Ordinal);
            Assert.Contains("Mode=ReadOnly", error.Message, StringComparison.Ordinal);
            Assert.False(File.Exists(path));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Healthy_checks_report_each_workers_state_pending_count_and_age_and_each_sinks_depth_in_their_data()
    {
        var id = Guid.NewGuid().ToString("N");
        var probe = RecordingHandler.Probes[id] = new RecordingHandler.Probe { BlockOn = _ => true };
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var test = new TestHost(new()
        {
            ["ReactiveStreams:Canals:orders:MaxLagAge"] = "00:01:00",
            ["ReactiveStreams:Canals:orders:MaxLagCount"] = "10",
            ["ReactiveStreams:Canals:orders:MaxBatch"] = "1",
            ["ReactiveStreams:Dispatchers:audit:MaxQueueDepth"] = "5",
        });
        test.Builder.Services.AddSingleton<TimeProvider>(clock);
        test.Builder.Services.AddReactiveStreams()
            .AddDispatcher<int>("audit", d => d.AddSink(_ => new NullSink("file")).AddSink(_ => new NullSink("mail")))
            .AddCanalWorker<RecordingHandler>("orders");
        test.Builder.Services.AddHealthChecks().AddReactiveStreams();
        var host = await test.StartAsync();
        var log = host.Services.GetRequiredService<IStreamLog>();

        await log.AppendAsync("orders", $"{id}/1", AppendMode.Durable);
        await log.AppendAsync("orders", $"{id}/2", AppendMode.Durable);
        await probe.Blocked.Task.WaitAsync(TestHost.Hang);
        clock.Advance(TimeSpan.FromSeconds(30));
        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        Assert.Equal(HealthStatus.Healthy, report.Status);
        var workers = report.Entries[ReactiveStreamsHealthChecks.CanalWorkersCheckName];
        Assert.Equal(nameof(CanalWorkerStatus.Running), workers.Data["orders"]);
        var lag = report.Entries[ReactiveStreamsHealthChecks.CanalLagCheckName];
        Assert.Equal(2, lag.Data["orders.pending"]);
        Assert.Equal(TimeSpan.FromSeconds(30), lag.Data["orders.age"]);
        var dispatchers = report.Entries[ReactiveStreamsHealthChecks.DispatchersCheckName];
        Assert.Equal(0, dispatchers.Data["audit/file.depth"]);
        Assert.Equal(0, dispatchers.Data["audit/mail.depth"]);
        Assert.Equal(HealthStatus.Healthy, report.Entries[ReactiveStreamsHealthChecks.LogCheckName].Status);
    }

    /// <summary>Fails every write for good, so every item is dead-lettered at once.</summary>
    private sealed class RefusingSink : IDeliverySink<string>
    {
        public string Name => "webhook";

        public ValueTask WriteAsync(string item, CancellationToken cancellationToken) =>
            throw new PermanentDeliveryException($"refused {item}");
    }

    [Fact]
    public async Task A_dead_letter_written_to_the_log_carries_the_trace_of_the_frame_whose_delivery_failed()
    {
        // The dead-letter stream is read by whoever repairs the failures: its frames carry headers like any other, so
        // the failed item's trace continues there (docs/tracing.md: every append injects its context).
        using var recorder = new TraceRecorder();
        await using var test = new TestHost(new() { ["ReactiveStreams:Dispatchers:orders:MaxRetries"] = "0" });
        test.Builder.Services.AddReactiveStreams()
            .AddDispatcher<string>("orders", d => d.AddSink(_ => new RefusingSink()).UseDeadLetterStream("orders.dead", item => Encoding.UTF8.GetBytes(item)))
            .AddCanalWorker("orders", "orders", frame => Encoding.UTF8.GetString(frame.Payload.Span));
        var host = await test.StartAsync();
        var log = host.Services.GetRequiredService<IStreamLog>();
        ActivityTraceId trace;
        using (var producer = recorder.StartTrace())
        {
            trace = producer.TraceId;
            await log.AppendAsync("orders", "o1", AppendMode.Durable);
        }

        var dead = await log.TailAsync("orders.dead", StreamId.Min, TestHost.Hang, 1);
        await host.StopAsync().WaitAsync(TestHost.Hang);

        var letter = Assert.Single(dead);
        Assert.True(letter.Headers.TryGetValue(FrameHeaders.TraceParent, out var traceParent));
        Assert.Equal(trace.ToHexString(), traceParent.Split('-')[1]);
        var deadLetter = recorder.Single("dead_letter orders/webhook");
        Assert.Equal(trace, deadLetter.TraceId);
        Assert.Equal(ActivityKind.Producer, deadLetter.Kind);
    }

    /// <summary>Records the span current while it handles a batch (registered as a singleton, so the test holds it).</summary>
    private sealed class TracingHandler : ICanalBatchHandler
    {
        public TaskCompletionSource<(Activity? Span, string Baggage)> Handled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ValueTask HandleAsync(CanalBatch<StreamFrame> batch, CancellationToken cancellationToken)
        {
            Handled.TrySetResult((Activity.Current, Activity.Current?.GetBaggageItem("tenant") ?? ""));
            return default;
        }
    }

    [Fact]
    public async Task A_handler_worker_runs_its_handler_in_the_producers_trace_with_its_baggage()
    {
        using var recorder = new TraceRecorder();
        var handler = new TracingHandler();
        await using var test = new TestHost();
        test.Builder.Services.AddSingleton(handler);
        test.Builder.Services.AddReactiveStreams().AddCanalWorker<TracingHandler>("orders");
        var host = await test.StartAsync();
        ActivityTraceId trace;
        using (var producer = recorder.StartTrace())
        {
            producer.SetBaggage("tenant", "eu-7");
            trace = producer.TraceId;
            await host.Services.GetRequiredService<IStreamLog>().AppendAsync("orders", "o1", AppendMode.Durable);
        }

        var (span, baggage) = await handler.Handled.Task.WaitAsync(TestHost.Hang);
        await host.StopAsync().WaitAsync(TestHost.Hang);

        Assert.NotNull(span);
        Assert.Equal("process orders", span.DisplayName);
        Assert.Equal(ActivityKind.Consumer, span.Kind);
        Assert.Equal(trace, span.TraceId);
        Assert.Equal(recorder.Single("append orders").SpanId, span.ParentSpanId);
        Assert.Equal("reactive_streams", span.GetTagItem("messaging.system"));
        Assert.Equal("process", span.GetTagItem("messaging.operation.type"));
        Assert.Equal("orders", span.GetTagItem("messaging.destination.name"));
        Assert.Equal("eu-7", baggage);
    }

    /// <summary>Ignores its token until released: a handler stuck in a call that takes no token.</summary>
    private sealed class StuckHandler : ICanalBatchHandler
    {
        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public List<string> Handled { get; } = [];

        public bool Stick { get; set; } = true;

        public async ValueTask HandleAsync(CanalBatch<StreamFrame> batch, CancellationToken cancellationToken)
        {
            if (Stick)
            {
                Entered.TrySetResult();
                await Release.Task;
                return;
            }

            lock (Handled)
            {
                Handled.AddRange(batch.Select(RecordingHandler.Probe.Text));
            }

            Entered.TrySetResult();
        }
    }

    [Fact]
    public async Task A_handler_that_ignores_the_stop_does_not_hold_the_host_past_its_shutdown_timeout_and_its_batch_is_handled_again()
    {
        var directory = Directory.CreateTempSubdirectory("rs-i20-").FullName;
        var path = Path.Combine(directory, "orders.db");
        try
        {
            var stuck = new StuckHandler();
            var logs = new CapturedLogs();
            var first = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = directory, EnvironmentName = "Test" });
            first.Configuration["ReactiveStreams:Log:Path"] = path;
            first.Logging.ClearProviders();
            first.Logging.AddProvider(logs);
            first.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromMilliseconds(200));
            first.Services.AddSingleton(stuck);
            first.Services.AddReactiveStreams().AddCanalWorker<StuckHandler>("orders");
            Task? run;
            using (var host = first.Build())
            {
                await host.StartAsync().WaitAsync(TestHost.Hang);
                await host.Services.GetRequiredService<IStreamLog>().AppendAsync("orders", "o1", AppendMode.Durable);
                await stuck.Entered.Task.WaitAsync(TestHost.Hang);

                // The host gives up on the worker when its shutdown timeout ends, without an error.
                await host.StopAsync().WaitAsync(TestHost.Hang);
                run = host.Services.GetRequiredKeyedService<CanalWorkerService>("orders").ExecuteTask;
            }

            // The handler returns after the host was disposed: its batch was not committed, and it is no failure.
            stuck.Release.SetResult();
            await Task.WhenAny(run!, Task.Delay(TestHost.Hang));
            Assert.DoesNotContain(logs.Entries, e => e.Id.Id == 7003);

            var again = new StuckHandler { Stick = false };
            var second = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = directory, EnvironmentName = "Test" });
            second.Configuration["ReactiveStreams:Log:Path"] = path;
            second.Logging.ClearProviders();
            second.Services.AddSingleton(again);
            second.Services.AddReactiveStreams().AddCanalWorker<StuckHandler>("orders");
            using (var host = second.Build())
            {
                await host.StartAsync().WaitAsync(TestHost.Hang);
                await again.Entered.Task.WaitAsync(TestHost.Hang);
                await host.StopAsync().WaitAsync(TestHost.Hang);
            }

            Assert.Equal(["o1"], again.Handled);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task A_dispatching_worker_stopped_while_it_waits_for_room_in_a_full_queue_stops_cleanly_and_the_next_run_delivers_the_rest()
    {
        // The worker's await on a full Block queue is one of its await points: the stop must end it as a stop (no 7003,
        // Stopped), the drain delivers what was queued, and what was never dispatched stays after the checkpoint.
        var file = new DispatcherHostingTests.RecordingSink("file") { BlockOn = item => item == "o1", Release = new(TaskCreationOptions.RunContinuationsAsynchronously) };
        await using var first = new TestHost(new()
        {
            ["ReactiveStreams:Dispatchers:orders:QueueCapacity"] = "1",
            ["ReactiveStreams:Dispatchers:orders:MaxBatch"] = "1",
        });
        first.Builder.Services.AddReactiveStreams()
            .AddDispatcher<string>("orders", d => d.AddSink(_ => file))
            .AddCanalWorker("orders", "orders", frame => Encoding.UTF8.GetString(frame.Payload.Span));
        await using (var log = await Reactive.Streams.Storage.Sqlite.SqliteStreamLog.OpenAsync(first.DatabasePath))
        {
            foreach (var item in new[] { "o1", "o2", "o3", "o4" })
            {
                await log.AppendAsync("orders", item, AppendMode.Durable);
            }
        }

        var host = await first.StartAsync();
        await file.Blocked.Task.WaitAsync(TestHost.Hang);
        var dispatcher = host.Services.GetRequiredKeyedService<DeliveryDispatcher<string>>("orders");
        Assert.True(SpinWait.SpinUntil(() => dispatcher.GetSinkMetrics("file").QueueDepth == 1, TestHost.Hang));

        // o1 is in the sink, o2 fills the queue, and the worker waits for room for o3 when the host stops. The sink is
        // let go once the drain has begun (7005), that is once the worker's dispatches have ended.
        var stopping = host.StopAsync();
        await first.Logs.WaitForAsync(7005);
        file.Release!.SetResult();
        await stopping.WaitAsync(TestHost.Hang);

        var worker = host.Services.GetRequiredKeyedService<CanalWorkerService>("orders");
        Assert.Equal(CanalWorkerStatus.Stopped, worker.Status);
        Assert.Null(worker.Fault);
        Assert.DoesNotContain(first.Logs.Entries, e => e.Id.Id == 7003 || e.Level >= LogLevel.Error);
        Assert.Equal(["o1", "o2"], file.Written);
        host.Dispose();

        var again = new DispatcherHostingTests.RecordingSink("file");
        await using var second = new TestHost(new() { ["ReactiveStreams:Log:Path"] = first.DatabasePath });
        second.Builder.Services.AddReactiveStreams()
            .AddDispatcher<string>("orders", d => d.AddSink(_ => again))
            .AddCanalWorker("orders", "orders", frame => Encoding.UTF8.GetString(frame.Payload.Span));
        var restarted = await second.StartAsync();
        await again.WaitForAsync(2);
        await restarted.StopAsync().WaitAsync(TestHost.Hang);
        Assert.Equal(["o3", "o4"], again.Written);
    }

    [Fact]
    public async Task A_worker_that_excludes_best_effort_frames_neither_handles_them_nor_counts_them_as_lag()
    {
        var id = Guid.NewGuid().ToString("N");
        var probe = RecordingHandler.Probes[id] = new RecordingHandler.Probe { BlockOn = frame => RecordingHandler.Probe.Text(frame).EndsWith("/d3", StringComparison.Ordinal) };
        await using var test = new TestHost(new()
        {
            ["ReactiveStreams:Canals:orders:Visibility"] = "ExcludeBestEffort",
            ["ReactiveStreams:Canals:orders:MaxLagCount"] = "2",
            ["ReactiveStreams:Canals:orders:MaxBatch"] = "1",
        });
        test.Builder.Services.AddReactiveStreams().AddCanalWorker<RecordingHandler>("orders");
        test.Builder.Services.AddHealthChecks().AddReactiveStreams();
        var host = await test.StartAsync();
        var log = host.Services.GetRequiredService<IStreamLog>();

        await log.AppendAsync("orders", $"{id}/d1", AppendMode.Durable);
        await log.AppendAsync("orders", $"{id}/live1", AppendMode.BestEffortLive);
        await log.AppendAsync("orders", $"{id}/d2", AppendMode.Durable);
        await log.AppendAsync("orders", $"{id}/d3", AppendMode.Durable);
        for (var i = 2; i <= 5; i++)
        {
            await log.AppendAsync("orders", $"{id}/live{i}", AppendMode.BestEffortLive);
        }

        await log.AppendAsync("orders", $"{id}/d4", AppendMode.Durable);
        await probe.Blocked.Task.WaitAsync(TestHost.Hang);
        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(c => c.Name == ReactiveStreamsHealthChecks.CanalLagCheckName);

        // d3 (being handled) and d4 wait; the five best-effort frames are not the worker's to handle.
        var lag = report.Entries[ReactiveStreamsHealthChecks.CanalLagCheckName];
        Assert.Equal(HealthStatus.Healthy, lag.Status);
        Assert.Equal(2, lag.Data["orders.pending"]);
        Assert.Equal([$"{id}/d1", $"{id}/d2"], probe.Handled);
    }

    [Fact]
    public async Task The_one_line_tracing_registration_exports_a_producers_trace_through_the_hosted_worker_to_each_sink_with_messaging_attributes()
    {
        // What an OpenTelemetry user sees: their own span, then the library's spans of the same trace, each with the
        // messaging conventions' kind and attributes, exported by the SDK the host configured.
        var exported = new List<Activity>();
        var appSource = $"orders-app-{Guid.NewGuid():N}";
        using var app = new ActivitySource(appSource);
        var sink = new DispatcherHostingTests.RecordingSink("file");
        await using var test = new TestHost(new() { ["ReactiveStreams:Canals:billing:Stream"] = "orders" });
        test.Builder.Services.AddReactiveStreams()
            .AddDispatcher<string>("billing", d => d.AddSink(_ => sink))
            .AddCanalWorker("billing", "billing", frame => Encoding.UTF8.GetString(frame.Payload.Span));
        test.Builder.Services.AddOpenTelemetry().WithTracing(tracing => tracing.AddSource(appSource).AddReactiveStreamsInstrumentation().AddInMemoryExporter(exported));
        var host = await test.StartAsync();
        ActivityTraceId trace;
        using (var order = app.StartActivity("place order", ActivityKind.Server))
        {
            Assert.NotNull(order);
            trace = order.TraceId;
            await host.Services.GetRequiredService<IStreamLog>().AppendAsync("orders", "o1", AppendMode.Durable);
        }

        await sink.WaitForAsync(1);
        await host.StopAsync().WaitAsync(TestHost.Hang);
        host.Dispose(); // the tracer provider too: nothing is exported after this

        var spans = exported.Where(a => a.TraceId == trace).ToDictionary(a => a.DisplayName);
        Assert.Equal(ActivityKind.Server, spans["place order"].Kind);
        var append = spans["append orders"];
        var process = spans["process orders"];
        var dispatch = spans["dispatch billing"];
        var deliver = spans["deliver billing/file"];
        Assert.Equal((ActivityKind.Producer, ActivityKind.Consumer, ActivityKind.Producer, ActivityKind.Consumer), (append.Kind, process.Kind, dispatch.Kind, deliver.Kind));
        Assert.Equal(spans["place order"].SpanId, append.ParentSpanId);
        Assert.Equal(append.SpanId, process.ParentSpanId);
        Assert.Equal(process.SpanId, dispatch.ParentSpanId);
        Assert.Equal(dispatch.SpanId, deliver.ParentSpanId);
        foreach (var (span, operation, name, destination) in new[]
        {
            (append, "send", "append", "orders"),
            (process, "process", "process", "orders"),
            (dispatch, "send", "dispatch", "billing"),
            (deliver, "process", "deliver", "billing/file"),
        })
        {
            Assert.Equal(ReactiveStreamsInstrumentation.ActivitySourceName, span.Source.Name);
            Assert.Equal("reactive_streams", span.GetTagItem("messaging.system"));
            Assert.Equal(operation, span.GetTagItem("messaging.operation.type"));
            Assert.Equal(name, span.GetTagItem("messaging.operation.name"));
            Assert.Equal(destination, span.GetTagItem("messaging.destination.name"));
            Assert.Equal(ActivityStatusCode.Unset, span.Status);
        }
    }

    [Fact]
    public async Task A_dispatching_worker_whose_sinks_delivered_everything_does_not_lag_while_its_pull_waits_in_virtual_time()
    {
        // A dispatching worker's checkpoint takes the sinks' acknowledgements at its next pull, and that pull waits for a
        // frame or its Deadline: on a FakeTimeProvider (or with a long Deadline) the acknowledged frames stayed after the
        // stored checkpoint, and the lag check reported delivered frames as waiting, unhealthy once they outnumbered
        // MaxLagCount or outlived MaxLagAge.
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var file = new DispatcherHostingTests.RecordingSink("file") { BlockOn = item => item == "o1", Release = new(TaskCreationOptions.RunContinuationsAsynchronously) };
        await using var test = new TestHost(new()
        {
            ["ReactiveStreams:Canals:orders:MaxLagCount"] = "1",
            ["ReactiveStreams:Canals:orders:MaxLagAge"] = "00:01:00",
            ["ReactiveStreams:Dispatchers:orders:MaxBatch"] = "1",
        });
        test.Builder.Services.AddSingleton<TimeProvider>(clock);
        test.Builder.Services.AddReactiveStreams()
            .AddDispatcher<string>("orders", d => d.AddSink(_ => file))
            .AddCanalWorker("orders", "orders", frame => Encoding.UTF8.GetString(frame.Payload.Span));
        test.Builder.Services.AddHealthChecks().AddReactiveStreams();
        await using (var log = await Reactive.Streams.Storage.Sqlite.SqliteStreamLog.OpenAsync(test.DatabasePath))
        {
            await log.AppendAsync("orders", "o1", AppendMode.Durable);
            await log.AppendAsync("orders", "o2", AppendMode.Durable);
        }

        var host = await test.StartAsync();
        await file.Blocked.Task.WaitAsync(TestHost.Hang);
        var dispatcher = host.Services.GetRequiredKeyedService<DeliveryDispatcher<string>>("orders");
        Assert.True(SpinWait.SpinUntil(() => dispatcher.GetSinkMetrics("file").QueueDepth == 1, TestHost.Hang));
        var health = host.Services.GetRequiredService<HealthCheckService>();
        var lagging = await health.CheckHealthAsync(c => c.Name == ReactiveStreamsHealthChecks.CanalLagCheckName);
        Assert.Equal(HealthStatus.Unhealthy, lagging.Status); // o1 in the sink and o2 queued: two frames wait

        file.Release!.SetResult();
        await file.WaitForAsync(2);

        // Both delivered: once their acknowledgements are in (just after the writes return), nothing waits.
        HealthReportEntry lag;
        var waited = Stopwatch.StartNew();
        while (true)
        {
            lag = (await health.CheckHealthAsync(c => c.Name == ReactiveStreamsHealthChecks.CanalLagCheckName)).Entries[ReactiveStreamsHealthChecks.CanalLagCheckName];
            if (lag.Status == HealthStatus.Healthy || waited.Elapsed > TestHost.Hang)
            {
                break;
            }

            await Task.Yield();
        }

        Assert.Equal(HealthStatus.Healthy, lag.Status);
        Assert.Equal(0, lag.Data["orders.pending"]);
        clock.Advance(TimeSpan.FromMinutes(2));
        lag = (await health.CheckHealthAsync(c => c.Name == ReactiveStreamsHealthChecks.CanalLagCheckName)).Entries[ReactiveStreamsHealthChecks.CanalLagCheckName];
        Assert.Equal(HealthStatus.Healthy, lag.Status);
    }
}
