using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Reactive.Streams.Hosting.Tests;

/// <summary>
/// docs/hosting.md's dispatching canal worker as one at-least-once pipeline, on a virtual clock: retries wait on the
/// registered TimeProvider, the stop's drain times out on it, and a restart on the same file redelivers exactly what
/// no sink had committed.
/// </summary>
public sealed class HostedPipelineTests
{
    /// <summary>Commits in order; fails each item's first attempt transiently when <see cref="Flaky"/>; may hang on an item until cancelled.</summary>
    private sealed class Sink(string name) : IDeliverySink<string>
    {
        private readonly ConcurrentQueue<string> _written = new();
        private readonly ConcurrentDictionary<string, int> _attempts = new();

        public string Name => name;

        public bool Flaky { get; init; }

        public Func<string, bool>? HangOn { get; init; }

        public TaskCompletionSource Hung { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public IReadOnlyList<string> Written => [.. _written];

        public async ValueTask WriteAsync(string item, CancellationToken cancellationToken)
        {
            if (item.EndsWith("bad", StringComparison.Ordinal))
            {
                throw new PermanentDeliveryException($"{name} refuses {item}");
            }

            if (Flaky && _attempts.AddOrUpdate(item, 1, (_, n) => n + 1) == 1)
            {
                throw new IOException($"{name}: first attempt at {item} fails");
            }

            if (HangOn?.Invoke(item) == true)
            {
                Hung.TrySetResult();
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }

            _written.Enqueue(item);
        }
    }

    private static FakeTimeProvider NewClock() => new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    private static string Text(StreamFrame frame) => Encoding.UTF8.GetString(frame.Payload.Span);

    /// <summary>Advances the virtual clock in small steps until <paramref name="condition"/> holds.</summary>
    private static async Task DriveUntilAsync(FakeTimeProvider clock, Func<bool> condition)
    {
        var watchdog = Task.Delay(TestHost.Hang);
        while (!condition())
        {
            Assert.False(watchdog.IsCompleted, "the pipeline never got there");
            clock.Advance(TimeSpan.FromMilliseconds(50));
            await Task.Yield();
        }
    }

    /// <summary>The items a sink is done with: committed, dead-lettered, discarded or dropped.</summary>
    private static long Settled(DeliverySinkMetrics m) => m.Delivered + m.DeadLettered + m.Discarded + m.Dropped;

    private static TestHost NewHost(FakeTimeProvider clock, Sink mail, Sink webhook, Sink preview, string? path = null)
    {
        var config = new Dictionary<string, string?>
        {
            ["ReactiveStreams:Dispatchers:orders:BackoffBase"] = "00:00:01",
            ["ReactiveStreams:Dispatchers:orders:MaxRetries"] = "3",
            ["ReactiveStreams:Dispatchers:orders:DrainTimeout"] = "00:00:10",
            ["ReactiveStreams:Dispatchers:orders:Sinks:preview:BestEffort"] = "true",
            ["ReactiveStreams:Dispatchers:orders:Sinks:preview:OnFull"] = "Drop",
            ["ReactiveStreams:Dispatchers:orders:Sinks:preview:QueueCapacity"] = "1",
        };
        if (path is not null)
        {
            config["ReactiveStreams:Log:Path"] = path;
        }

        var test = new TestHost(config);
        test.Builder.Services.AddSingleton<TimeProvider>(clock);
        test.Builder.Services.AddReactiveStreams()
            .AddDispatcher<string>("orders", d => d
                .AddSink(_ => mail)
                .AddSink(_ => webhook)
                .AddSink(_ => preview)
                .UseDeadLetterStream("orders.dead", item => Encoding.UTF8.GetBytes(item)))
            .AddCanalWorker("orders", "orders", Text);
        return test;
    }

    [Fact]
    public async Task Retries_dead_letters_a_drain_that_times_out_in_virtual_time_and_a_restart_lose_nothing()
    {
        var clock = NewClock();
        var mail = new Sink("mail") { Flaky = true, HangOn = item => item == "o7" };
        var webhook = new Sink("webhook");
        var preview = new Sink("preview");
        await using var first = NewHost(clock, mail, webhook, preview);
        var host = await first.StartAsync();
        var log = host.Services.GetRequiredService<IStreamLog>();
        var worker = host.Services.GetRequiredKeyedService<CanalWorkerService>("orders");
        var ids = new List<StreamId>();
        foreach (var item in new[] { "o1", "o2", "o3-bad", "o4", "o5", "o6" })
        {
            ids.Add((await log.AppendAsync("orders", item, AppendMode.Durable)).Id);
        }

        // Each of mail's first attempts fails; its retry waits one virtual second. The empty pulls of the idle worker
        // (100 ms deadline, virtual too) write the acknowledged prefix.
        // The best-effort preview (queue of one, Drop) acknowledges nothing, so wait for it too: how many items it got
        // rather than dropped depends on the scheduling, and o3-bad, when it gets it, is its dead letter as well.
        var dispatcher = host.Services.GetRequiredKeyedService<DeliveryDispatcher<string>>("orders");
        await DriveUntilAsync(clock, () => mail.Written.Count == 5 && worker.CommittedPosition == ids[^1] && Settled(dispatcher.GetSinkMetrics("preview")) == 6);
        Assert.Equal(["o1", "o2", "o4", "o5", "o6"], mail.Written);
        Assert.Equal(["o1", "o2", "o4", "o5", "o6"], webhook.Written);
        Assert.Equal(0, worker.Unacknowledged);
        Assert.Equal(6, dispatcher.AcknowledgedCount);
        Assert.Equal(5, dispatcher.GetSinkMetrics("mail").Retries); // o3-bad failed permanently at once
        var dead = await log.ReadAsync("orders.dead", StreamId.Min, StreamId.Max, 10);
        var previewDead = dispatcher.GetSinkMetrics("preview").DeadLettered;
        Assert.InRange(previewDead, 0, 1);
        Assert.Equal(2 + previewDead, dead.Count); // mail and webhook each refused o3-bad; preview did if it got it
        foreach (var name in new[] { "mail", "webhook", "preview" })
        {
            var m = dispatcher.GetSinkMetrics(name);
            Assert.Equal(6, m.Delivered + m.DeadLettered + m.Discarded + m.Dropped + m.QueueDepth);
        }

        // o7 hangs in mail; o8 waits behind it. The stop drains for ten virtual seconds, then gives up.
        var o7 = (await log.AppendAsync("orders", "o7", AppendMode.Durable)).Id;
        await log.AppendAsync("orders", "o8", AppendMode.Durable);
        await DriveUntilAsync(clock, () => mail.Hung.Task.IsCompleted);
        var stopping = host.StopAsync();
        await first.Logs.WaitForAsync(7005);
        await DriveUntilAsync(clock, () => stopping.IsCompleted);
        await stopping.WaitAsync(TestHost.Hang);
        Assert.Contains(first.Logs.Entries, e => e.Id.Id == 7006 && e.Level == LogLevel.Warning);
        Assert.Equal(CanalWorkerStatus.Stopped, worker.Status);
        Assert.Equal(ids[^1], await host.Services.GetRequiredService<ICheckpointStore>().ReadCheckpointAsync("orders"));
        Assert.DoesNotContain(first.Logs.Entries, e => e.Level >= LogLevel.Error);
        host.Dispose();

        // The next run on the same file gets o7 and o8 again, and nothing before them.
        var clock2 = NewClock();
        var mail2 = new Sink("mail");
        var webhook2 = new Sink("webhook");
        var preview2 = new Sink("preview");
        await using var second = NewHost(clock2, mail2, webhook2, preview2, first.DatabasePath);
        var restarted = await second.StartAsync();
        var worker2 = restarted.Services.GetRequiredKeyedService<CanalWorkerService>("orders");
        await DriveUntilAsync(clock2, () => mail2.Written.Count == 2 && webhook2.Written.Count == 2);
        await restarted.StopAsync().WaitAsync(TestHost.Hang);
        Assert.Equal(["o7", "o8"], mail2.Written);
        Assert.Equal(["o7", "o8"], webhook2.Written);
        Assert.True(worker2.CommittedPosition > o7);
        Assert.Equal(0, worker2.Unacknowledged);
    }

    [Fact]
    public async Task A_map_that_fails_mid_batch_faults_the_worker_and_the_next_run_resumes_at_the_first_unacknowledged_frame()
    {
        var clock = NewClock();
        var mail = new Sink("mail");
        var webhook = new Sink("webhook");
        var preview = new Sink("preview");
        string? path;
        var ids = new List<StreamId>();
        var seeded = new TestHost();
        path = seeded.DatabasePath;
        await using (var log = await Reactive.Streams.Storage.Sqlite.SqliteStreamLog.OpenAsync(path))
        {
            foreach (var item in new[] { "o1", "o2", "poison", "o4" })
            {
                ids.Add((await log.AppendAsync("orders", item, AppendMode.Durable)).Id);
            }
        }

        var config = new Dictionary<string, string?> { ["ReactiveStreams:Log:Path"] = path };
        await using var test = new TestHost(config);
        test.Builder.Services.AddSingleton<TimeProvider>(clock);
        test.Builder.Services.Configure<Microsoft.Extensions.Hosting.HostOptions>(o =>
            o.BackgroundServiceExceptionBehavior = Microsoft.Extensions.Hosting.BackgroundServiceExceptionBehavior.Ignore);
        test.Builder.Services.AddReactiveStreams()
            .AddDispatcher<string>("orders", d => d.AddSink(_ => mail).AddSink(_ => webhook))
            .AddCanalWorker("orders", "orders", frame => Text(frame) == "poison" ? throw new FormatException("cannot map") : Text(frame));
        var host = await test.StartAsync();
        var worker = host.Services.GetRequiredKeyedService<CanalWorkerService>("orders");
        await DriveUntilAsync(clock, () => worker.Status == CanalWorkerStatus.Faulted);
        Assert.IsType<FormatException>(worker.Fault);
        await host.StopAsync().WaitAsync(TestHost.Hang);
        Assert.Equal(["o1", "o2"], mail.Written);
        var checkpoint = await host.Services.GetRequiredService<ICheckpointStore>().ReadCheckpointAsync("orders");
        Assert.True(checkpoint is null || checkpoint <= ids[1], $"checkpoint {checkpoint} passed a frame never dispatched");
        host.Dispose();

        // The next run (with a map that copes) gets the poison frame and what follows, and at most o1 and o2 again.
        var mail2 = new Sink("mail");
        await using var second = new TestHost(config);
        var clock2 = NewClock();
        second.Builder.Services.AddSingleton<TimeProvider>(clock2);
        second.Builder.Services.AddReactiveStreams()
            .AddDispatcher<string>("orders", d => d.AddSink(_ => mail2))
            .AddCanalWorker("orders", "orders", Text);
        var restarted = await second.StartAsync();
        await DriveUntilAsync(clock2, () => mail2.Written.Contains("o4"));
        await restarted.StopAsync().WaitAsync(TestHost.Hang);
        Assert.Equal(["poison", "o4"], mail2.Written.SkipWhile(i => i is "o1" or "o2"));
        await seeded.DisposeAsync();
    }
}
