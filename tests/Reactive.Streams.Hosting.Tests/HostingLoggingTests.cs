using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Reactive.Streams.Hosting.Tests;

/// <summary>Logging never changes what the hosted components do: a logging provider that throws is only a lost log line.</summary>
public sealed class HostingLoggingTests
{
    /// <summary>A provider whose every log call throws, as a broken sink of a logging pipeline does.</summary>
    private sealed class ThrowingLogs : ILoggerProvider
    {
        public int Calls;

        public ILogger CreateLogger(string categoryName) => new Logger(this);

        public void Dispose()
        {
        }

        private sealed class Logger(ThrowingLogs owner) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (eventId.Id is >= 7001 and <= 7006)
                {
                    Interlocked.Increment(ref owner.Calls);
                    throw new InvalidOperationException($"logging provider down ({eventId.Id})");
                }
            }
        }
    }

    private static string Text(StreamFrame frame) => Encoding.UTF8.GetString(frame.Payload.Span);

    [Fact]
    public async Task A_throwing_logging_provider_does_not_stop_a_worker_or_skip_a_dispatchers_drain()
    {
        var throwing = new ThrowingLogs();
        var file = new DispatcherHostingTests.RecordingSink("file");
        var audit = new DispatcherHostingTests.RecordingSink("audit") { BlockOn = item => item == "a1", Release = new(TaskCreationOptions.RunContinuationsAsynchronously) };
        await using var test = new TestHost();
        test.Builder.Logging.AddProvider(throwing);
        test.Builder.Services.AddReactiveStreams()
            .AddDispatcher<string>("orders", d => d.AddSink(_ => file))
            .AddDispatcher<string>("audit", d => d.AddSink(_ => audit))
            .AddCanalWorker("orders", "orders", Text);
        var host = await test.StartAsync();
        var log = host.Services.GetRequiredService<IStreamLog>();

        // The worker's "started" line (7001) threw: the worker still runs and dispatches.
        var last = (await log.AppendAsync("orders", "o1", AppendMode.Durable)).Id;
        await file.WaitForAsync(1);
        var worker = host.Services.GetRequiredKeyedService<CanalWorkerService>("orders");
        Assert.Equal(CanalWorkerStatus.Running, worker.Status);

        // A dispatcher no worker feeds holds items when the host stops: its "draining" line (7005) throws, and it is
        // drained all the same.
        var dispatcher = host.Services.GetRequiredKeyedService<DeliveryDispatcher<string>>("audit");
        await dispatcher.DispatchAsync("a1");
        await dispatcher.DispatchAsync("a2");
        await audit.Blocked.Task.WaitAsync(TestHost.Hang);
        var stopping = host.StopAsync();
        audit.Release!.TrySetResult();
        var error = await Record.ExceptionAsync(() => stopping.WaitAsync(TestHost.Hang));

        Assert.Null(error);
        Assert.True(dispatcher.IsShutdown);
        Assert.Equal(["a1", "a2"], audit.Written);
        Assert.Equal(CanalWorkerStatus.Stopped, worker.Status);
        Assert.Null(worker.Fault);
        Assert.Equal(last, await host.Services.GetRequiredService<ICheckpointStore>().ReadCheckpointAsync("orders"));
        Assert.True(Volatile.Read(ref throwing.Calls) >= 3); // 7001, 7005 twice (one per dispatcher), 7002

        // The other provider got every line.
        Assert.Contains(test.Logs.Entries, e => e.Id.Id == 7001);
        Assert.Contains(test.Logs.Entries, e => e.Id.Id == 7002);
        Assert.Contains(test.Logs.Entries, e => e.Id.Id == 7005);
    }
}
