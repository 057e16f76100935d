using Microsoft.Extensions.Diagnostics.HealthChecks;
using Reactive.Streams.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Registers the Reactive.Streams health checks: <c>services.AddHealthChecks().AddReactiveStreams()</c>. With ASP.NET
/// Core, map readiness and liveness by tag: <c>MapHealthChecks("/health/ready", new() { Predicate = c =&gt;
/// c.Tags.Contains("ready") })</c> and the same with <c>"live"</c>.
/// </summary>
public static class ReactiveStreamsHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds every Reactive.Streams check (it sees every log, worker and dispatcher registered through
    /// <c>AddReactiveStreams</c>, whenever they were added): <see cref="AddStreamLogCheck"/>,
    /// <see cref="AddCanalWorkerChecks"/> and <see cref="AddDispatcherCheck"/>.
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="failureStatus">What a failing check reports; default <see cref="HealthStatus.Unhealthy"/>.</param>
    /// <param name="timeout">
    /// How long a check may run before it reports <paramref name="failureStatus"/>; default none. A log's calls keep
    /// trying while its server cannot be reached (<c>ReconnectTimeout</c>, 30 seconds by default on PostgreSQL and
    /// Redis), so give the checks that read the log a timeout shorter than your probe's.
    /// </param>
    /// <returns>The builder.</returns>
    public static IHealthChecksBuilder AddReactiveStreams(this IHealthChecksBuilder builder, HealthStatus failureStatus = HealthStatus.Unhealthy, TimeSpan? timeout = null) =>
        builder.AddStreamLogCheck(failureStatus, timeout).AddCanalWorkerChecks(failureStatus, timeout).AddDispatcherCheck(failureStatus, timeout);

    /// <summary>
    /// Adds <see cref="ReactiveStreamsHealthChecks.LogCheckName"/>: the registered stream log answers a read (tagged
    /// <see cref="ReactiveStreamsHealthChecks.ReadyTag"/>).
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="failureStatus">What a failing check reports; default <see cref="HealthStatus.Unhealthy"/>.</param>
    /// <param name="timeout">
    /// How long a check may run before it reports <paramref name="failureStatus"/>; default none. A log's calls keep
    /// trying while its server cannot be reached (<c>ReconnectTimeout</c>, 30 seconds by default on PostgreSQL and
    /// Redis), so give the checks that read the log a timeout shorter than your probe's.
    /// </param>
    /// <returns>The builder.</returns>
    public static IHealthChecksBuilder AddStreamLogCheck(this IHealthChecksBuilder builder, HealthStatus failureStatus = HealthStatus.Unhealthy, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Add(new HealthCheckRegistration(
            ReactiveStreamsHealthChecks.LogCheckName,
            static services => new StreamLogHealthCheck(services.GetService<HostedStreamLog>() ?? throw NotRegistered()),
            failureStatus,
            [ReactiveStreamsHealthChecks.ReadyTag],
            timeout));
    }

    // The log check has nothing to read without the registration: say which call is missing, not which internal type.
    private static InvalidOperationException NotRegistered() =>
        new($"The '{ReactiveStreamsHealthChecks.LogCheckName}' health check reads the stream log that services.AddReactiveStreams() registers; call AddReactiveStreams on the service collection.");

    /// <summary>
    /// Adds <see cref="ReactiveStreamsHealthChecks.CanalWorkersCheckName"/> (every hosted canal worker is running: tagged
    /// <see cref="ReactiveStreamsHealthChecks.LiveTag"/> and <see cref="ReactiveStreamsHealthChecks.ReadyTag"/>) and
    /// <see cref="ReactiveStreamsHealthChecks.CanalLagCheckName"/> (no worker has more than its <c>MaxLagCount</c> frames
    /// after its checkpoint, nor one older than its <c>MaxLagAge</c>: tagged <see cref="ReactiveStreamsHealthChecks.ReadyTag"/>
    /// only, since a lagging worker needs time or help, not a restart).
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="failureStatus">What a failing check reports; default <see cref="HealthStatus.Unhealthy"/>.</param>
    /// <param name="timeout">
    /// How long a check may run before it reports <paramref name="failureStatus"/>; default none. A log's calls keep
    /// trying while its server cannot be reached (<c>ReconnectTimeout</c>, 30 seconds by default on PostgreSQL and
    /// Redis), so give the checks that read the log a timeout shorter than your probe's.
    /// </param>
    /// <returns>The builder.</returns>
    public static IHealthChecksBuilder AddCanalWorkerChecks(this IHealthChecksBuilder builder, HealthStatus failureStatus = HealthStatus.Unhealthy, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder
            .Add(new HealthCheckRegistration(
                ReactiveStreamsHealthChecks.CanalWorkersCheckName,
                static services => new CanalWorkersHealthCheck(services.GetServices<CanalWorkerService>()),
                failureStatus,
                [ReactiveStreamsHealthChecks.LiveTag, ReactiveStreamsHealthChecks.ReadyTag],
                timeout))
            .Add(new HealthCheckRegistration(
                ReactiveStreamsHealthChecks.CanalLagCheckName,
                static services => new CanalLagHealthCheck(services.GetServices<CanalWorkerService>(), services),
                failureStatus,
                [ReactiveStreamsHealthChecks.ReadyTag],
            timeout));
    }

    /// <summary>
    /// Adds <see cref="ReactiveStreamsHealthChecks.DispatchersCheckName"/>: no registered dispatcher is shut down and no
    /// sink queue is deeper than the dispatcher's <c>MaxQueueDepth</c> (tagged <see cref="ReactiveStreamsHealthChecks.ReadyTag"/>).
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="failureStatus">What a failing check reports; default <see cref="HealthStatus.Unhealthy"/>.</param>
    /// <param name="timeout">
    /// How long a check may run before it reports <paramref name="failureStatus"/>; default none. A log's calls keep
    /// trying while its server cannot be reached (<c>ReconnectTimeout</c>, 30 seconds by default on PostgreSQL and
    /// Redis), so give the checks that read the log a timeout shorter than your probe's.
    /// </param>
    /// <returns>The builder.</returns>
    public static IHealthChecksBuilder AddDispatcherCheck(this IHealthChecksBuilder builder, HealthStatus failureStatus = HealthStatus.Unhealthy, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Add(new HealthCheckRegistration(
            ReactiveStreamsHealthChecks.DispatchersCheckName,
            static services => new DispatchersHealthCheck(services.GetServices<IHostedDispatcher>()),
            failureStatus,
            [ReactiveStreamsHealthChecks.ReadyTag],
            timeout));
    }
}
