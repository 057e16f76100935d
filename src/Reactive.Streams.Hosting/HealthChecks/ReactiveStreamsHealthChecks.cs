using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Reactive.Streams.Hosting;

/// <summary>The names and tags of the Reactive.Streams health checks.</summary>
public static class ReactiveStreamsHealthChecks
{
    /// <summary>The tag of checks that say whether the app can take work (ASP.NET Core's readiness probe filters on it).</summary>
    public const string ReadyTag = "ready";

    /// <summary>The tag of checks that say whether the process is alive and should not be restarted (liveness).</summary>
    public const string LiveTag = "live";

    /// <summary>The stream log is reachable (tagged <see cref="ReadyTag"/>).</summary>
    public const string LogCheckName = "reactive-streams-log";

    /// <summary>Every canal worker is running: none failed or stopped while the host runs (tagged <see cref="LiveTag"/> and <see cref="ReadyTag"/>).</summary>
    public const string CanalWorkersCheckName = "reactive-streams-canal-workers";

    /// <summary>No canal worker lags beyond its <c>MaxLagCount</c> or <c>MaxLagAge</c> (tagged <see cref="ReadyTag"/>).</summary>
    public const string CanalLagCheckName = "reactive-streams-canal-lag";

    /// <summary>No dispatcher's sink queue is deeper than its <c>MaxQueueDepth</c>, and none is shut down (tagged <see cref="ReadyTag"/>).</summary>
    public const string DispatchersCheckName = "reactive-streams-dispatchers";
}

internal sealed class StreamLogHealthCheck(HostedStreamLog log) : IHealthCheck
{
    // A stream no one writes: reading it exercises the connection (or file) and returns nothing.
    private const string ProbeStream = "reactive-streams-health";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await log.ReadAsync(ProbeStream, StreamId.Min, StreamId.Max, 1, cancellationToken).ConfigureAwait(false);
            return HealthCheckResult.Healthy("The stream log is reachable.");
        }
        catch (Exception error) when (error is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"The stream log is not reachable: {error.Message}", error);
        }
    }
}

internal sealed class CanalWorkersHealthCheck(IEnumerable<CanalWorkerService> workers) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var data = new Dictionary<string, object>();
        var problems = new List<string>();
        Exception? fault = null;
        foreach (var worker in workers)
        {
            data[worker.Name] = worker.Status.ToString();
            switch (worker.Status)
            {
                case CanalWorkerStatus.Faulted:
                    fault ??= worker.Fault;
                    problems.Add($"canal worker '{worker.Name}' failed: {worker.Fault?.Message}");
                    break;
                case CanalWorkerStatus.Stopped:
                    problems.Add($"canal worker '{worker.Name}' has stopped");
                    break;
            }
        }

        return Task.FromResult(problems.Count == 0
            ? HealthCheckResult.Healthy($"{data.Count} canal worker(s) running.", data)
            : new HealthCheckResult(context.Registration.FailureStatus, string.Join("; ", problems) + ".", fault, data));
    }
}

internal sealed class CanalLagHealthCheck(IEnumerable<CanalWorkerService> workers, IServiceProvider services) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var clock = services.GetService<TimeProvider>() ?? TimeProvider.System;
        var data = new Dictionary<string, object>();
        var problems = new List<string>();
        Exception? failure = null;
        foreach (var worker in workers)
        {
            // The limits follow configuration reloads; the stream and visibility are those the worker runs with.
            CanalWorkerHostOptions options;
            try
            {
                options = worker.Limits.Current;
            }
            catch (OptionsValidationException error)
            {
                problems.Add($"canal worker '{worker.Name}': its reloaded configuration is invalid: {error.Message.TrimEnd('.')}");
                continue;
            }

            if (options.MaxLagCount is null && options.MaxLagAge is null)
            {
                continue;
            }

            // Frames after the stored checkpoint: what the worker has not finished. One more than the limit is enough
            // to tell, so the check reads at most that many whatever the backlog, page by page: the log returns at
            // most its MaxReadCount frames per read, which a limit may exceed.
            var wanted = options.MaxLagCount is { } maxCount ? (long)maxCount + 1 : 1;
            var pending = 0;
            StreamFrame? oldest = null;
            try
            {
                var after = await worker.LagStartAsync(cancellationToken).ConfigureAwait(false);
                while (pending < wanted)
                {
                    var page = await worker.Log.TailAsync(worker.Stream, after, TimeSpan.Zero, (int)Math.Min(wanted - pending, int.MaxValue), worker.Options.Visibility, cancellationToken).ConfigureAwait(false);
                    if (page.Count == 0)
                    {
                        break;
                    }

                    oldest ??= page[0];
                    pending += page.Count;
                    after = page[^1].Id;
                }
            }
            catch (Exception error) when (error is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // Reported with the others: one worker whose lag cannot be read must not hide the lag of those after it.
                problems.Add($"canal worker '{worker.Name}': its lag cannot be read: {error.Message.TrimEnd('.')}");
                failure ??= error;
                continue;
            }

            data[$"{worker.Name}.pending"] = pending;
            if (options.MaxLagCount is { } max && pending > max)
            {
                problems.Add($"canal worker '{worker.Name}' has more than {max} frame(s) waiting (MaxLagCount)");
            }

            if (oldest is not null)
            {
                var age = clock.GetUtcNow() - DateTimeOffset.FromUnixTimeMilliseconds(oldest.Id.Milliseconds);
                data[$"{worker.Name}.age"] = age;
                if (options.MaxLagAge is { } maxAge && age > maxAge)
                {
                    problems.Add($"canal worker '{worker.Name}' has a frame waiting for {age} (MaxLagAge {maxAge})");
                }
            }
        }

        return problems.Count == 0
            ? HealthCheckResult.Healthy("No canal worker lags beyond its limits.", data)
            : new HealthCheckResult(context.Registration.FailureStatus, string.Join("; ", problems) + ".", failure, data);
    }
}

internal sealed class DispatchersHealthCheck(IEnumerable<IHostedDispatcher> dispatchers) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var data = new Dictionary<string, object>();
        var problems = new List<string>();
        foreach (var dispatcher in dispatchers)
        {
            if (dispatcher.IsShutdown)
            {
                problems.Add($"dispatcher '{dispatcher.Name}' is shut down");
                continue;
            }

            int? max;
            try
            {
                max = dispatcher.HostOptions.Current.MaxQueueDepth;
            }
            catch (OptionsValidationException error)
            {
                problems.Add($"dispatcher '{dispatcher.Name}': its reloaded configuration is invalid: {error.Message.TrimEnd('.')}");
                max = null;
            }

            foreach (var sink in dispatcher.GetSinkMetrics())
            {
                data[$"{dispatcher.Name}/{sink.SinkName}.depth"] = sink.QueueDepth;
                if (max is { } limit && sink.QueueDepth > limit)
                {
                    problems.Add($"dispatcher '{dispatcher.Name}': sink '{sink.SinkName}' has {sink.QueueDepth} queued item(s), more than {limit} (MaxQueueDepth)");
                }
            }
        }

        return Task.FromResult(problems.Count == 0
            ? HealthCheckResult.Healthy("Every dispatcher queue is within its limit.", data)
            : new HealthCheckResult(context.Registration.FailureStatus, string.Join("; ", problems) + ".", null, data));
    }
}
