using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Reactive.Streams;
using Reactive.Streams.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>The entry point of Reactive.Streams in a generic host: <c>builder.Services.AddReactiveStreams()</c>.</summary>
public static class ReactiveStreamsServiceCollectionExtensions
{
    /// <summary>The configuration section the options bind from unless another is given: <c>ReactiveStreams</c>.</summary>
    public const string DefaultSectionPath = "ReactiveStreams";

    /// <summary>
    /// Registers the stream log as <see cref="IStreamLog"/> and <see cref="ICheckpointStore"/> (a singleton, SQLite or
    /// PostgreSQL as <c>&lt;section&gt;:Log</c> says, opened when the host starts and disposed with the container), and
    /// returns a builder for dispatchers and canal workers. Options bind from <paramref name="sectionPath"/> and are
    /// validated when the host starts: a bad value fails the start with an error naming its configuration key.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="sectionPath">The configuration section; default <see cref="DefaultSectionPath"/>.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="InvalidOperationException">Reactive.Streams is already registered in this collection.</exception>
    public static ReactiveStreamsBuilder AddReactiveStreams(this IServiceCollection services, string sectionPath = DefaultSectionPath)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(sectionPath);
        if (services.Any(d => d.ServiceType == typeof(HostedStreamLog)))
        {
            throw new InvalidOperationException("AddReactiveStreams was already called on this service collection; keep the builder it returned to add more.");
        }

        services.AddOptions<StreamLogHostOptions>()
            .BindConfigurationIfAny(ConfigurationKeys.Join(sectionPath, "Log"))
            .PostConfigure<IServiceProvider>((options, provider) =>
            {
                if (options.DataSource is null && string.IsNullOrWhiteSpace(options.ConnectionString) && string.IsNullOrWhiteSpace(options.Path)
                    && provider.GetService<IConfiguration>()?.GetConnectionString(options.ConnectionStringName) is { Length: > 0 } named)
                {
                    options.ConnectionString = named;
                    options.ConnectionStringKey = $"ConnectionStrings:{options.ConnectionStringName}";
                }
            })
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<StreamLogHostOptions>>(new StreamLogHostOptionsValidator(sectionPath));
        services.AddSingleton(static provider => new HostedStreamLog(
            provider,
            provider.GetRequiredService<IOptions<StreamLogHostOptions>>(),
            provider.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance,
            provider.GetService<TimeProvider>() ?? TimeProvider.System));
        services.AddSingleton<IStreamLog>(static provider => provider.GetRequiredService<HostedStreamLog>());
        services.AddSingleton<ICheckpointStore>(static provider => provider.GetRequiredService<HostedStreamLog>());
        services.AddSingleton<IConsumerGroupLog>(static provider => provider.GetRequiredService<HostedStreamLog>());

        // Hosted services start in this order and stop in the reverse: the log opens first, the dispatchers are created
        // before the canal workers (added later) dispatch, and the workers stop before the dispatchers drain.
        services.AddHostedService<StreamLogStartupService>();
        services.AddHostedService<DispatcherLifetimeService>();
        return new ReactiveStreamsBuilder(services, sectionPath);
    }

    /// <summary>As <see cref="AddReactiveStreams(IServiceCollection, string)"/>, configuring the builder in place.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Adds dispatchers and canal workers.</param>
    /// <param name="sectionPath">The configuration section; default <see cref="DefaultSectionPath"/>.</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddReactiveStreams(this IServiceCollection services, Action<ReactiveStreamsBuilder> configure, string sectionPath = DefaultSectionPath)
    {
        ArgumentNullException.ThrowIfNull(configure);
        configure(services.AddReactiveStreams(sectionPath));
        return services;
    }
}
