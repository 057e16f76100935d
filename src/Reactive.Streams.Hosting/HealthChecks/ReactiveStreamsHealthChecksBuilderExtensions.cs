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
    // One factory per check, shared by every registration of it: a registration made by this class is known by it.
    private static readonly Func<IServiceProvider, IHealthCheck> s_logCheck =
        static services => new StreamLogHealthCheck(services.GetService<HostedStreamLog>() ?? throw NotRegistered());

    private static readonly Func<IServiceProvider, IHealthCheck> s_workersCheck =
        static services => new CanalWorkersHealthCheck(services.GetServices<CanalWorkerService>());

    private static readonly Func<IServiceProvider, IHealthCheck> s_lagCheck =
        static services => new CanalLagHealthCheck(services.GetServices<CanalWorkerService>(), services);

    private static readonly Func<IServiceProvider, IHealthCheck> s_dispatchersCheck =
        static services => new DispatchersHealthCheck(services.GetServices<IHostedDispatcher>());

    /// <summary>
    /// Adds every Reactive.Streams check (it sees every log, worker and dispatcher registered through
    /// <c>AddReactiveStreams</c>, whenever they were added): <see cref="AddStreamLogCheck"/>,
    /// <see cref="AddCanalWorkerChecks"/> and <see cref="AddDispatcherCheck"/>. Each check is registered once: calling
    /// this (or one of those) again replaces the earlier registration, with the last call's failure status and timeout.
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
        return builder.AddOrReplace(new HealthCheckRegistration(
            ReactiveStreamsHealthChecks.LogCheckName,
            s_logCheck,
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
            .AddOrReplace(new HealthCheckRegistration(
                ReactiveStreamsHealthChecks.CanalWorkersCheckName,
                s_workersCheck,
                failureStatus,
                [ReactiveStreamsHealthChecks.LiveTag, ReactiveStreamsHealthChecks.ReadyTag],
                timeout))
            .AddOrReplace(new HealthCheckRegistration(
                ReactiveStreamsHealthChecks.CanalLagCheckName,
                s_lagCheck,
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
        return builder.AddOrReplace(new HealthCheckRegistration(
            ReactiveStreamsHealthChecks.DispatchersCheckName,
            s_dispatchersCheck,
            failureStatus,
            [ReactiveStreamsHealthChecks.ReadyTag],
            timeout));
    }

    /// <summary>
    /// Adds <paramref name="registration"/> in place of an earlier registration of the same check by this class: the
    /// names are fixed, and the health check service refuses two registrations of one name (when it is first resolved,
    /// at the first probe), so a second call (<c>AddReactiveStreams</c> twice, or an <c>Add…Check</c> after it) replaces
    /// the first, and its failure status and timeout apply. A check the app registered under one of these names is not
    /// the library's (another factory) and still conflicts, as any duplicate does.
    /// </summary>
    private static IHealthChecksBuilder AddOrReplace(this IHealthChecksBuilder builder, HealthCheckRegistration registration)
    {
        builder.Services.Configure<HealthCheckServiceOptions>(options =>
        {
            foreach (var earlier in options.Registrations.Where(r => r.Name == registration.Name && r.Factory == registration.Factory).ToList())
            {
                options.Registrations.Remove(earlier);
            }

            options.Registrations.Add(registration);
        });
        return builder;
    }
}
