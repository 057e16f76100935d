using System.Collections.Concurrent;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Reactive.Streams.Hosting.Tests;

/// <summary>A real generic host (<see cref="Host.CreateApplicationBuilder()"/>) on a temporary SQLite file, with captured logs.</summary>
internal sealed class TestHost : IAsyncDisposable
{
    public static readonly TimeSpan Hang = TimeSpan.FromMinutes(2);

    private readonly string _directory = Directory.CreateTempSubdirectory("rs-hosting-").FullName;

    public TestHost(Dictionary<string, string?>? configuration = null, bool withLogPath = true)
    {
        Builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = _directory, EnvironmentName = "Test" });
        var values = new Dictionary<string, string?>();
        if (withLogPath)
        {
            values["ReactiveStreams:Log:Path"] = DatabasePath;
        }

        foreach (var (key, value) in configuration ?? [])
        {
            values[key] = value;
        }

        Builder.Configuration.AddInMemoryCollection(values);
        Builder.Logging.ClearProviders();
        Builder.Logging.AddProvider(Logs);
        Builder.Logging.SetMinimumLevel(LogLevel.Debug);
    }

    public HostApplicationBuilder Builder { get; }

    public string DatabasePath => Path.Combine(_directory, "streams.db");

    public CapturedLogs Logs { get; } = new();

    public IHost? Host { get; private set; }

    public IServiceProvider Services => Host!.Services;

    public async Task<IHost> StartAsync()
    {
        var host = Builder.Build();
        try
        {
            await host.StartAsync().WaitAsync(Hang);
        }
        catch
        {
            host.Dispose();
            throw;
        }

        return Host = host;
    }

    public async ValueTask DisposeAsync()
    {
        if (Host is not null)
        {
            try
            {
                await Host.StopAsync().WaitAsync(Hang);
            }
            catch (ObjectDisposedException)
            {
                // The test stopped and disposed it already.
            }

            Host.Dispose();
        }

        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

internal sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentDictionary<int, TaskCompletionSource> _seen = new();

    public ConcurrentQueue<(string Category, LogLevel Level, EventId Id, string Message, Exception? Error)> Entries { get; } = new();

    /// <summary>Completes when an entry with <paramref name="eventId"/> has been logged.</summary>
    public Task WaitForAsync(int eventId) => Seen(eventId).Task.WaitAsync(TestHost.Hang);

    private TaskCompletionSource Seen(int eventId) => _seen.GetOrAdd(eventId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturedLogs logs, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            logs.Entries.Enqueue((category, logLevel, eventId, formatter(state, exception), exception));
            logs.Seen(eventId.Id).TrySetResult();
        }
    }
}

/// <summary>Records the batches it handles; can be told to block until cancelled, or to fail.</summary>
internal sealed class RecordingHandler : ICanalBatchHandler
{
    public static readonly ConcurrentDictionary<string, Probe> Probes = new();

    public ValueTask HandleAsync(CanalBatch<StreamFrame> batch, CancellationToken cancellationToken) =>
        Probes[System.Text.Encoding.UTF8.GetString(batch[0].Payload.Span).Split('/')[0]].HandleAsync(batch, cancellationToken);

    /// <summary>What one test's handler does: frames carry "probe/payload", so concurrent tests do not share a probe.</summary>
    public sealed class Probe
    {
        private readonly Lock _gate = new();
        private readonly List<string> _handled = [];
        private readonly List<(int Count, TaskCompletionSource Done)> _waits = [];

        public Func<StreamFrame, bool>? FailOn { get; set; }

        public Func<StreamFrame, bool>? BlockOn { get; set; }

        public TaskCompletionSource Blocked { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public IReadOnlyList<string> Handled
        {
            get
            {
                lock (_gate)
                {
                    return [.. _handled];
                }
            }
        }

        public Task WaitForAsync(int count)
        {
            lock (_gate)
            {
                if (_handled.Count >= count)
                {
                    return Task.CompletedTask;
                }

                var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waits.Add((count, done));
                return done.Task.WaitAsync(TestHost.Hang);
            }
        }

        public async ValueTask HandleAsync(CanalBatch<StreamFrame> batch, CancellationToken cancellationToken)
        {
            foreach (var frame in batch)
            {
                if (FailOn?.Invoke(frame) == true)
                {
                    throw new InvalidOperationException($"handler failed on {Text(frame)}");
                }

                if (BlockOn?.Invoke(frame) == true)
                {
                    Blocked.TrySetResult();
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                }
            }

            lock (_gate)
            {
                _handled.AddRange(batch.Select(Text));
                _waits.RemoveAll(w =>
                {
                    if (w.Count > _handled.Count)
                    {
                        return false;
                    }

                    w.Done.TrySetResult();
                    return true;
                });
            }
        }

        public static string Text(StreamFrame frame) => System.Text.Encoding.UTF8.GetString(frame.Payload.Span);
    }
}
