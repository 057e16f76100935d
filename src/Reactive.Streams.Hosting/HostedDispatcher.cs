using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Reactive.Streams.Hosting;

/// <summary>A registered dispatcher, seen without its item type: for the lifetime service and the health check.</summary>
internal interface IHostedDispatcher
{
    string Name { get; }

    /// <summary>The hosting settings, following reloads (an invalid reload throws when read: see <see cref="ReloadingOptions{TOptions}"/>).</summary>
    ReloadingOptions<DispatcherHostOptions> HostOptions { get; }

    bool IsShutdown { get; }

    /// <summary>Creates the dispatcher (its sink workers start) if nothing has resolved it yet.</summary>
    void EnsureCreated();

    IReadOnlyList<DeliverySinkMetrics> GetSinkMetrics();

    /// <summary>Shuts the dispatcher down with its drain timeout; idempotent (the dispatcher returns the first call's task).</summary>
    Task<bool> ShutdownAsync();
}

internal sealed class HostedDispatcher<T>(string name, IServiceProvider services) : IHostedDispatcher
{
    private readonly Lock _shutdownGate = new();
    private volatile bool _created;
    private Task<bool>? _shutdown;

    public string Name => name;

    public ReloadingOptions<DispatcherHostOptions> HostOptions { get; } = new(services.GetRequiredService<IOptionsMonitor<DispatcherHostOptions>>(), name);

    private DeliveryDispatcher<T> Dispatcher
    {
        get
        {
            var dispatcher = services.GetRequiredKeyedService<DeliveryDispatcher<T>>(name);
            _created = true;
            return dispatcher;
        }
    }

    public bool IsShutdown => Dispatcher.IsShutdown;

    public void EnsureCreated()
    {
        _ = Dispatcher;

        // The options validated at start are the last valid ones until a reload passes validation.
        _ = HostOptions.Current;
    }

    public IReadOnlyList<DeliverySinkMetrics> GetSinkMetrics()
    {
        var dispatcher = Dispatcher;
        return [.. dispatcher.SinkNames.Select(dispatcher.GetSinkMetrics)];
    }

    public Task<bool> ShutdownAsync()
    {
        if (!_created)
        {
            // Never created (the host failed to start, or nothing used it): nothing to drain.
            return Task.FromResult(true);
        }

        // Once: the worker feeding the dispatcher, the lifetime service and a second host stop all shut it down, and
        // each must see the one drain's result without logging its start or its timeout again.
        lock (_shutdownGate)
        {
            return _shutdown ??= ShutdownOnceAsync();
        }
    }

    private async Task<bool> ShutdownOnceAsync()
    {
        // Runs under the gate only up to the dispatcher's first wait, so the dispatcher is shut when the first caller's
        // call returns, as before.
        var dispatcher = Dispatcher;
        // A reload with an invalid value (reported by the health check) does not stop the drain: it takes the last valid timeout.
        var drain = HostOptions.LastValid.DrainTimeout ?? DispatcherHostOptions.DefaultDrainTimeout;
        // Guarded: a logging provider that throws must not skip the drain.
        var logger = Reactive.Streams.Internal.NonThrowingLogger.Wrap((services.GetService<ILoggerFactory>() ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance).CreateLogger<DeliveryDispatcher<T>>());
        if (!dispatcher.IsShutdown)
        {
            HostingLog.DispatcherDraining(logger, name, drain);
        }

        var drained = await dispatcher.ShutdownAsync(drain).ConfigureAwait(false);
        if (!drained)
        {
            HostingLog.DispatcherNotDrained(logger, name, drain);
        }

        return drained;
    }
}

/// <summary>
/// Creates every registered dispatcher when the host starts (so their sink workers run before any canal worker
/// dispatches) and drains them when it stops. Registered before the canal workers, it stops after them; a dispatcher
/// fed by a canal worker is drained once that worker has stopped, also when the host stops its services concurrently
/// (<c>HostOptions.ServicesStopConcurrently</c>).
/// </summary>
internal sealed class DispatcherLifetimeService(IEnumerable<IHostedDispatcher> dispatchers, IEnumerable<CanalWorkerService> workers) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var dispatcher in dispatchers)
        {
            dispatcher.EnsureCreated();
        }

        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        Task drains = Task.WhenAll(dispatchers.Select(ShutdownAfterFeederAsync));

        // As BackgroundService does: when the host's shutdown timeout ends first, stop waiting (the drains go on, and
        // their timeouts are logged) rather than fail the host's stop with an OperationCanceledException.
        await drains.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (drains.IsCompleted)
        {
            await drains.ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Shuts <paramref name="dispatcher"/> down once the canal worker that dispatches to it has stopped: the worker drains
    /// it itself after its last dispatch, and a dispatcher shut under a running worker would fail that worker's dispatch.
    /// The host's stop token ends only the host's wait for this, in <see cref="StopAsync"/>: when the shutdown timeout
    /// ends first, the dispatcher is still shut after its worker, in the background.
    /// </summary>
    private async Task<bool> ShutdownAfterFeederAsync(IHostedDispatcher dispatcher)
    {
        foreach (var worker in workers)
        {
            if (worker.DispatchTarget == dispatcher && worker.ExecuteTask is { } running)
            {
                await running.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }

        return await dispatcher.ShutdownAsync().ConfigureAwait(false);
    }
}

/// <summary>Opens the stream log when the host starts, so that a log that cannot open fails the start with its error.</summary>
internal sealed class StreamLogStartupService(HostedStreamLog log, IOptions<StreamLogHostOptions> options, IServiceProvider services) : IHostedService
{
    // Guarded: a logging provider that throws must not replace the log's own error.
    private readonly ILogger _logger = Reactive.Streams.Internal.NonThrowingLogger.Wrap((services.GetService<ILoggerFactory>() ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance).CreateLogger<HostedStreamLog>());

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await log.Opened.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            HostingLog.LogOpenFailed(_logger, options.Value.Provider, error);
            throw;
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
