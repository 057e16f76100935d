using System.Diagnostics.Metrics;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Reactive.Streams.Hosting;

/// <summary>
/// Registers the parts of a Reactive.Streams application in a service collection: returned by
/// <c>services.AddReactiveStreams()</c>. Everything it registers binds its options from the configuration section it
/// was created with (by default <c>ReactiveStreams</c>) and validates them when the host starts.
/// </summary>
public sealed class ReactiveStreamsBuilder
{
    // A name is a configuration section (Dispatchers:<name>, Canals:<name>), and configuration keys ignore case: two
    // names that differ only by case would share one section, so they are one name here.
    private readonly HashSet<string> _dispatchers = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _workers = new(StringComparer.OrdinalIgnoreCase);

    // The workers in the order they were registered: a worker's checkpoint is checked against those registered before it.
    private readonly List<string> _workerOrder = [];
    private readonly HashSet<string> _dispatchTargets = new(StringComparer.OrdinalIgnoreCase);

    // Each dispatcher's dead-letter stream (UseDeadLetterStream), or null: a worker dispatching to it must not read it.
    private readonly Dictionary<string, string?> _deadLetterStreams = new(StringComparer.OrdinalIgnoreCase);

    internal ReactiveStreamsBuilder(IServiceCollection services, string sectionPath)
    {
        Services = services;
        SectionPath = sectionPath;
    }

    /// <summary>The service collection.</summary>
    public IServiceCollection Services { get; }

    /// <summary>The configuration section the options bind from (<c>ReactiveStreams</c> unless given).</summary>
    public string SectionPath { get; }

    /// <summary>Changes the stream log's options after they are bound from <c>Log</c> (for example the provider or path in code).</summary>
    /// <param name="configure">Applied to the bound options.</param>
    /// <returns>This builder.</returns>
    public ReactiveStreamsBuilder ConfigureLog(Action<StreamLogHostOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        Services.Configure(configure);
        return this;
    }

    /// <summary>
    /// Makes the stream log a PostgreSQL log on an <c>NpgsqlDataSource</c> from the container (by default the one
    /// registered as <c>NpgsqlDataSource</c>, as Npgsql's <c>AddNpgsqlDataSource</c> registers it) instead of a
    /// connection string: its password provider, TLS callbacks and pool are used as configured, and the container, not
    /// the log, disposes it. <c>Log:Provider</c> becomes <c>Postgres</c>; <c>Log:ConnectionString</c> must stay unset
    /// (the <c>ConnectionStrings</c> entry is not consulted), and the other <c>Log:Postgres</c> options apply as usual.
    /// </summary>
    /// <param name="dataSource">Resolves the data source; null for the container's <c>NpgsqlDataSource</c>.</param>
    /// <returns>This builder.</returns>
    public ReactiveStreamsBuilder UseNpgsqlDataSource(Func<IServiceProvider, Npgsql.NpgsqlDataSource>? dataSource = null)
    {
        var resolve = dataSource ?? (static provider => provider.GetRequiredService<Npgsql.NpgsqlDataSource>());
        Services.Configure<StreamLogHostOptions>(options =>
        {
            options.Provider = StreamLogProvider.Postgres;
            options.DataSource = resolve;
        });
        return this;
    }

    /// <summary>
    /// Registers a <see cref="DeliveryDispatcher{T}"/> named <paramref name="name"/>, resolvable as a keyed singleton
    /// (<c>[FromKeyedServices(name)] DeliveryDispatcher&lt;T&gt;</c>). Its <see cref="DeliveryOptions{T}"/> bind from
    /// <c>Dispatchers:&lt;name&gt;</c>, each sink's <see cref="DeliverySinkOptions"/> from
    /// <c>Dispatchers:&lt;name&gt;:Sinks:&lt;sink&gt;</c>, and its hosting settings (<see cref="DispatcherHostOptions"/>) from
    /// the same section. It logs through <c>ILogger&lt;DeliveryDispatcher&lt;T&gt;&gt;</c>, takes its clock from the
    /// registered <see cref="TimeProvider"/> (if any), publishes its metrics on a meter of the registered
    /// <see cref="IMeterFactory"/> (the generic host registers one; without one, the static <see cref="StreamMeter.Meter"/>),
    /// is created when the host starts and drains when it stops.
    /// </summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="name">The dispatcher's name: its key, its configuration section and its metric tag.</param>
    /// <param name="configure">Adds the sinks (at least one) and the dead-letter sink.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The name is empty or already registered (ignoring case, as configuration keys do).</exception>
    public ReactiveStreamsBuilder AddDispatcher<T>(string name, Action<DeliveryDispatcherBuilder<T>> configure)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(configure);
        if (_dispatchers.Contains(name))
        {
            throw new ArgumentException($"A dispatcher named '{name}' is already registered (names are configuration sections, which ignore case).", nameof(name));
        }

        var dispatcher = new DeliveryDispatcherBuilder<T>(name, Services);
        configure(dispatcher);

        // Reserved only once nothing can fail: a call that throws registers nothing, and the name stays free.
        _dispatchers.Add(name);
        _deadLetterStreams[name] = dispatcher.DeadLetterStream;
        var section = ConfigurationKeys.Join(SectionPath, "Dispatchers", name);
        var validator = new DispatcherOptionsValidator<T>(SectionPath, name);
        Services.AddOptions<DispatcherHostOptions>(name).BindConfigurationIfAny(section).ValidateOnStart();
        Services.AddSingleton<IValidateOptions<DispatcherHostOptions>>(validator);
        Services.AddKeyedSingleton(name, (services, _) => dispatcher.CreateSinks(services));
        Services.AddOptions<DeliveryOptions<T>>(name)
            .BindConfigurationIfAny(section)
            .Configure<IServiceProvider>((options, services) => dispatcher.Apply(options, services, section))
            .ValidateOnStart();
        Services.AddSingleton<IValidateOptions<DeliveryOptions<T>>>(validator);
        Services.AddKeyedSingleton(name, static (services, key) =>
            new DeliveryDispatcher<T>(services.GetRequiredService<IOptionsMonitor<DeliveryOptions<T>>>().Get((string)key!)));
        Services.AddSingleton<IHostedDispatcher>(services => new HostedDispatcher<T>(name, services));
        Services.AddKeyedSingleton<IHostedDispatcher>(name, (services, _) => services.GetServices<IHostedDispatcher>().First(d => d.Name == name));
        return this;
    }

    /// <summary>
    /// Registers a hosted canal worker named <paramref name="name"/> that hands each batch of its stream to a
    /// <typeparamref name="THandler"/> resolved from a new scope, and commits the batch when the handler returns
    /// (<see cref="ICanalBatchHandler"/>). Its options (<see cref="CanalWorkerHostOptions"/>) bind from
    /// <c>Canals:&lt;name&gt;</c>; it is resolvable as a keyed <see cref="CanalWorkerService"/>.
    /// </summary>
    /// <typeparam name="THandler">The handler; registered as scoped unless it already is registered.</typeparam>
    /// <param name="name">The worker's name: its key, configuration section, and by default its stream and checkpoint.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The name is empty or already registered (ignoring case, as configuration keys do).</exception>
    public ReactiveStreamsBuilder AddCanalWorker<THandler>(string name)
        where THandler : class, ICanalBatchHandler
    {
        EnsureNewWorker(name);
        Services.TryAddScoped<THandler>();
        return AddWorker(name, deadLetterStream: null, services => new HandlerMode<THandler>(services.GetRequiredService<IServiceScopeFactory>()));
    }

    /// <summary>
    /// Registers a hosted canal worker named <paramref name="name"/> that dispatches each frame of its stream, mapped by
    /// <paramref name="map"/>, to the dispatcher <paramref name="dispatcher"/> with the canal's ack token: its checkpoint
    /// passes a frame only once every sink committed it (or dead-lettered it). When the host stops, the worker stops
    /// pulling, the dispatcher drains for its drain timeout, and what did not drain is redelivered by the next run.
    /// </summary>
    /// <typeparam name="T">The dispatcher's item type.</typeparam>
    /// <param name="name">The worker's name: its key, configuration section, and by default its stream and checkpoint.</param>
    /// <param name="dispatcher">The name of a dispatcher registered with <see cref="AddDispatcher{T}"/> (before or after this call), ignoring case as every name here; one worker per dispatcher.</param>
    /// <param name="map">Turns a frame into the item to dispatch (deserialize it). When it throws, the frame goes to the
    /// dispatcher's dead-letter stream (<see cref="DeliveryDispatcherBuilder{T}.UseDeadLetterStream"/>), if it has one,
    /// and is acknowledged; otherwise the worker fails, its error naming the stream, the frame and <typeparamref name="T"/>.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">A name is empty, the worker is already registered (ignoring case, as configuration keys do), or another worker already dispatches to <paramref name="dispatcher"/>.</exception>
    public ReactiveStreamsBuilder AddCanalWorker<T>(string name, string dispatcher, Func<StreamFrame, T> map)
    {
        EnsureNewWorker(name);
        ArgumentException.ThrowIfNullOrEmpty(dispatcher);
        ArgumentNullException.ThrowIfNull(map);
        if (_dispatchTargets.Contains(dispatcher))
        {
            // The worker shuts its dispatcher down when it stops (so the dispatcher's acknowledgements reach the
            // checkpoint before the canal closes); a second worker would find it shut.
            throw new ArgumentException($"Dispatcher '{dispatcher}' already receives the frames of another canal worker; register one dispatcher per worker.", nameof(dispatcher));
        }

        // Every check passed: the dispatcher is taken only by a registration that succeeds.
        _dispatchTargets.Add(dispatcher);
        // Read at start, when every dispatcher is registered (this one may come after the worker).
        return AddWorker(name, () => (dispatcher, _deadLetterStreams.GetValueOrDefault(dispatcher)), services =>
        {
            // Resolved at start, once every dispatcher is registered: as a name, the reference ignores case, and the
            // keyed services are registered under the dispatcher's own spelling.
            var key = _dispatchers.TryGetValue(dispatcher, out var registered) ? registered : dispatcher;
            var hosted = services.GetKeyedService<IHostedDispatcher>(key) is { } found && found is HostedDispatcher<T>
                ? found
                : throw new InvalidOperationException(
                    $"Canal worker '{name}' dispatches to '{dispatcher}', but no DeliveryDispatcher<{typeof(T).Name}> of that name is registered: add AddDispatcher<{typeof(T).Name}>(\"{dispatcher}\", ...).");
            return new DispatchMode<T>(hosted, () => services.GetRequiredKeyedService<DeliveryDispatcher<T>>(key), map, name, _deadLetterStreams.GetValueOrDefault(key), services);
        });
    }

    private void EnsureNewWorker(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (_workers.Contains(name))
        {
            throw new ArgumentException($"A canal worker named '{name}' is already registered (names are configuration sections, which ignore case).", nameof(name));
        }
    }

    private ReactiveStreamsBuilder AddWorker(string name, Func<(string Dispatcher, string? Stream)>? deadLetterStream, Func<IServiceProvider, CanalWorkerMode> mode)
    {
        EnsureNewWorker(name);
        _workers.Add(name);
        var earlier = _workerOrder.Count;
        _workerOrder.Add(name);

        Services.AddOptions<CanalWorkerHostOptions>(name).BindConfigurationIfAny(ConfigurationKeys.Join(SectionPath, "Canals", name)).ValidateOnStart();
        Services.AddSingleton<IValidateOptions<CanalWorkerHostOptions>>(services =>
            new CanalWorkerHostOptionsValidator(SectionPath, name, deadLetterStream, () => CheckpointsOf(services, earlier)));
        Services.AddKeyedSingleton(name, (services, _) => new CanalWorkerService(name, services, mode(services)));
        Services.AddSingleton(services => services.GetRequiredKeyedService<CanalWorkerService>(name));
        Services.AddSingleton<IHostedService>(services => services.GetRequiredKeyedService<CanalWorkerService>(name));
        return this;
    }

    /// <summary>
    /// The checkpoint of each of the first <paramref name="count"/> workers, as configuration (and code) set it now. Built
    /// without validation (each worker's own validator reports its values) and outside the options cache, so that checking
    /// one worker neither validates nor caches another. A worker whose section does not bind (a value that does not
    /// parse) is left out: its own options fail with the binder's error, which this check must not put in another's place.
    /// </summary>
    private List<(string Worker, string Checkpoint)> CheckpointsOf(IServiceProvider services, int count)
    {
        var factory = new OptionsFactory<CanalWorkerHostOptions>(
            services.GetServices<IConfigureOptions<CanalWorkerHostOptions>>(),
            services.GetServices<IPostConfigureOptions<CanalWorkerHostOptions>>());
        var checkpoints = new List<(string Worker, string Checkpoint)>();
        foreach (var worker in _workerOrder.Take(count))
        {
            try
            {
                checkpoints.Add((worker, factory.Create(worker).CheckpointOrDefault(worker)));
            }
            catch (InvalidOperationException)
            {
            }
        }

        return checkpoints;
    }
}

/// <summary>Adds the sinks of a dispatcher registered with <see cref="ReactiveStreamsBuilder.AddDispatcher{T}"/>.</summary>
/// <typeparam name="T">The item type.</typeparam>
public sealed class DeliveryDispatcherBuilder<T>
{
    // Each sink's maker says whether the sink is the dispatcher's to dispose (created here or by a factory, as the
    // container disposes what a factory registration returns) or the container's (a registered TSink).
    private readonly List<(Func<IServiceProvider, (IDeliverySink<T> Sink, bool Owned)> Create, DeliverySinkOptions? Options)> _sinks = [];
    private readonly List<Action<DeliveryOptions<T>>> _configure = [];
    private Func<IServiceProvider, (IDeliverySink<DeadLetter<T>> Sink, bool Owned)>? _deadLetter;

    internal DeliveryDispatcherBuilder(string name, IServiceCollection services)
    {
        Name = name;
        Services = services;
    }

    /// <summary>The dispatcher's name.</summary>
    public string Name { get; }

    /// <summary>The service collection.</summary>
    public IServiceCollection Services { get; }

    /// <summary>The stream <see cref="UseDeadLetterStream"/> appends to; null when dead letters go elsewhere (or nowhere).</summary>
    internal string? DeadLetterStream { get; private set; }

    /// <summary>
    /// Adds a sink created by DI (constructor injection; it need not be registered). A <typeparamref name="TSink"/>
    /// registered in the container is resolved from it (and disposed by it); one created here is disposed with the
    /// container, after the dispatcher has stopped. The sink lives as long as the dispatcher, a singleton: it is created
    /// from the root provider and takes singleton services only (create a scope per write from an
    /// <see cref="IServiceScopeFactory"/> for scoped work).
    /// </summary>
    /// <typeparam name="TSink">The sink type.</typeparam>
    /// <param name="options">Per-sink settings in code; <c>Sinks:&lt;sink name&gt;</c> in configuration overrides them.</param>
    /// <returns>This builder.</returns>
    public DeliveryDispatcherBuilder<T> AddSink<TSink>(DeliverySinkOptions? options = null)
        where TSink : class, IDeliverySink<T>
    {
        _sinks.Add((static services => Resolve<TSink>(services), options));
        return this;
    }

    /// <summary>
    /// Adds a sink made by <paramref name="factory"/>. As for a factory registration, the container disposes the sink
    /// (if it is disposable) when it is disposed, after the dispatcher has stopped.
    /// </summary>
    /// <param name="factory">Creates the sink when the dispatcher's options are first built (at host start).</param>
    /// <param name="options">Per-sink settings in code; <c>Sinks:&lt;sink name&gt;</c> in configuration overrides them.</param>
    /// <returns>This builder.</returns>
    public DeliveryDispatcherBuilder<T> AddSink(Func<IServiceProvider, IDeliverySink<T>> factory, DeliverySinkOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(factory);
        _sinks.Add((services => (factory(services), true), options));
        return this;
    }

    /// <summary>
    /// Sends what a sink failed to commit to a dead-letter sink created by DI (disposed as <see cref="AddSink{TSink}"/>
    /// says).
    /// </summary>
    /// <typeparam name="TSink">The dead-letter sink type.</typeparam>
    /// <returns>This builder.</returns>
    public DeliveryDispatcherBuilder<T> UseDeadLetterSink<TSink>()
        where TSink : class, IDeliverySink<DeadLetter<T>>
    {
        _deadLetter = static services => Resolve<TSink>(services);
        DeadLetterStream = null;
        return this;
    }

    /// <summary>
    /// Sends what a sink failed to commit to the dead-letter sink made by <paramref name="factory"/> (disposed with the
    /// container, as <see cref="AddSink(Func{IServiceProvider, IDeliverySink{T}}, DeliverySinkOptions?)"/> says).
    /// </summary>
    /// <param name="factory">Creates the sink.</param>
    /// <returns>This builder.</returns>
    public DeliveryDispatcherBuilder<T> UseDeadLetterSink(Func<IServiceProvider, IDeliverySink<DeadLetter<T>>> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        _deadLetter = services => (factory(services), true);
        DeadLetterStream = null;
        return this;
    }

    /// <summary>A registered <typeparamref name="TSink"/> (the container's to dispose), or a new one (the dispatcher's).</summary>
    private static (TSink Sink, bool Owned) Resolve<TSink>(IServiceProvider services)
        where TSink : class =>
        services.GetService<TSink>() is { } registered ? (registered, false) : (ActivatorUtilities.CreateInstance<TSink>(services), true);

    /// <summary>
    /// Appends what a sink failed to commit, as a durable frame, to <paramref name="stream"/> of the registered log: a
    /// JSON object with <c>sink</c>, <c>attempts</c>, <c>error</c> (type and message), <c>failedAt</c> and <c>item</c>
    /// (the item as <paramref name="payload"/> renders it: embedded as JSON when it is JSON, as a string when it is other
    /// UTF-8 text, and otherwise in base64 with <c>"itemEncoding": "base64"</c> beside it, so that no byte is lost).
    /// </summary>
    /// <param name="stream">The dead-letter stream; a canal worker dispatching to this dispatcher must not read it (the
    /// start fails naming the worker's <c>Stream</c> key), or each dead letter would be dispatched again.</param>
    /// <param name="payload">Renders the item (for <see cref="StreamFrame"/> items, <c>frame =&gt; frame.Payload</c>).</param>
    /// <returns>This builder.</returns>
    public DeliveryDispatcherBuilder<T> UseDeadLetterStream(string stream, Func<T, ReadOnlyMemory<byte>> payload)
    {
        StreamLog.ValidateStream(stream);
        ArgumentNullException.ThrowIfNull(payload);
        UseDeadLetterSink(services => new DeadLetterStreamSink<T>(services.GetRequiredService<IStreamLog>(), stream, payload));
        DeadLetterStream = stream;
        return this;
    }

    /// <summary>Changes the options in code (a transient-failure classifier, for example), after configuration is bound.</summary>
    /// <param name="configure">Applied to the options.</param>
    /// <returns>This builder.</returns>
    public DeliveryDispatcherBuilder<T> Configure(Action<DeliveryOptions<T>> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        _configure.Add(configure);
        return this;
    }

    /// <summary>
    /// Creates the sinks, once per container (a keyed singleton): the options are rebuilt whenever the configuration
    /// reloads (the options monitor rebuilds them eagerly), and that must not create sinks again.
    /// </summary>
    internal DispatcherSinks<T> CreateSinks(IServiceProvider services)
    {
        var owned = new List<object>();
        var sinks = new List<(IDeliverySink<T> Sink, DeliverySinkOptions? Options)>();
        foreach (var (create, options) in _sinks)
        {
            var (sink, isOwned) = create(services);
            sinks.Add((sink, options));
            if (isOwned)
            {
                owned.Add(sink);
            }
        }

        IDeliverySink<DeadLetter<T>>? deadLetter = null;
        if (_deadLetter is not null)
        {
            (deadLetter, var isOwned) = _deadLetter(services);
            if (isOwned)
            {
                owned.Add(deadLetter);
            }
        }

        return new(sinks, deadLetter, owned);
    }

    private static DeliverySinkOptions Copy(DeliverySinkOptions? options) => options is null ? new() : new()
    {
        QueueCapacity = options.QueueCapacity,
        OnFull = options.OnFull,
        MaxBatch = options.MaxBatch,
        BatchFlush = options.BatchFlush,
        MaxRetries = options.MaxRetries,
        BackoffBase = options.BackoffBase,
        MaxBackoff = options.MaxBackoff,
        BackoffJitter = options.BackoffJitter,
        IsTransient = options.IsTransient,
        BestEffort = options.BestEffort,
    };

    internal void Apply(DeliveryOptions<T> options, IServiceProvider services, string section)
    {
        options.Name = Name;
        options.Logger = (services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance).CreateLogger<DeliveryDispatcher<T>>();
        options.TimeProvider = services.GetService<TimeProvider>() ?? TimeProvider.System;

        // The container's meter (the host's, and what a test observes with its factory); none registered: the static one.
        options.MeterFactory = services.GetService<IMeterFactory>();
        var configuration = services.GetService<IConfiguration>();
        var sinks = services.GetRequiredKeyedService<DispatcherSinks<T>>(Name);
        foreach (var (sink, inCode) in sinks.Sinks)
        {
            var overrides = inCode;
            if (configuration?.GetSection($"{section}:Sinks:{sink.Name}") is { } sinkSection && sinkSection.Exists())
            {
                // Bound onto a copy: the object given in code may be shared by several sinks (or dispatchers), and one
                // sink's section must not change another's settings.
                overrides = Copy(inCode);
                sinkSection.Bind(overrides);
            }

            options.AddSink(sink, overrides);
        }

        if (sinks.DeadLetter is not null)
        {
            options.DeadLetterSink = sinks.DeadLetter;
        }

        foreach (var configure in _configure)
        {
            configure(options);
        }
    }
}

/// <summary>
/// The sinks of one registered dispatcher, created once per container (a keyed singleton). Disposed with the container,
/// it disposes the sinks it owns (<paramref name="Owned"/>: those not resolved from the container), in reverse order of
/// creation as the container does; it was created before the dispatcher that uses them, so the container disposes it
/// after that dispatcher has stopped. A sink whose disposal throws does not keep the others from being disposed (their
/// files and connections would stay open): every sink is disposed, then the error is thrown (as it was, or the
/// <see cref="AggregateException"/> of several).
/// </summary>
internal sealed record DispatcherSinks<T>(
    IReadOnlyList<(IDeliverySink<T> Sink, DeliverySinkOptions? Options)> Sinks,
    IDeliverySink<DeadLetter<T>>? DeadLetter,
    IReadOnlyList<object> Owned) : IAsyncDisposable, IDisposable
{
    public async ValueTask DisposeAsync()
    {
        List<Exception>? errors = null;
        for (var i = Owned.Count - 1; i >= 0; i--)
        {
            try
            {
                switch (Owned[i])
                {
                    case IAsyncDisposable asyncDisposable:
                        await asyncDisposable.DisposeAsync().ConfigureAwait(false);
                        break;
                    case IDisposable disposable:
                        disposable.Dispose();
                        break;
                }
            }
            catch (Exception error)
            {
                (errors ??= []).Add(error);
            }
        }

        ThrowIfAny(errors);
    }

    /// <summary>A container disposed synchronously: as the container, it refuses a sink that can only be disposed asynchronously.</summary>
    public void Dispose()
    {
        List<Exception>? errors = null;
        for (var i = Owned.Count - 1; i >= 0; i--)
        {
            try
            {
                switch (Owned[i])
                {
                    case IDisposable disposable:
                        disposable.Dispose();
                        break;
                    case IAsyncDisposable:
                        throw new InvalidOperationException($"The sink '{Owned[i].GetType().Name}' only implements IAsyncDisposable. Use DisposeAsync to dispose the container.");
                }
            }
            catch (Exception error)
            {
                (errors ??= []).Add(error);
            }
        }

        ThrowIfAny(errors);
    }

    private static void ThrowIfAny(List<Exception>? errors)
    {
        if (errors is null)
        {
            return;
        }

        if (errors.Count == 1)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(errors[0]);
        }

        throw new AggregateException("More than one sink failed to dispose.", errors);
    }
}

/// <summary>Appends dead letters to a stream of the log as JSON documents.</summary>
internal sealed class DeadLetterStreamSink<T>(IStreamLog log, string stream, Func<T, ReadOnlyMemory<byte>> payload) : IDeliverySink<DeadLetter<T>>
{
    public string Name => $"dead-letter:{stream}";

    public async ValueTask WriteAsync(DeadLetter<T> item, CancellationToken cancellationToken)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("sink", item.SinkName);
            json.WriteNumber("attempts", item.Attempts);
            json.WriteStartObject("error");
            json.WriteString("type", item.Error.GetType().FullName);
            json.WriteString("message", item.Error.Message);
            json.WriteEndObject();
            json.WriteString("failedAt", item.FailedAt);
            DeadLetterJson.WriteItem(json, payload(item.Item).Span);
            json.WriteEndObject();
        }

        await log.AppendAsync(stream, buffer.WrittenMemory, AppendMode.Durable, cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>How a dead letter of the log holds its item: the sinks' dead letters and the frames a worker could not map.</summary>
internal static class DeadLetterJson
{
    /// <summary>Writes <c>item</c>: embedded when <paramref name="bytes"/> are JSON, a string when other UTF-8 text, else base64 with <c>itemEncoding</c>.</summary>
    public static void WriteItem(Utf8JsonWriter json, ReadOnlySpan<byte> bytes)
    {
        if (IsJson(bytes))
        {
            json.WritePropertyName("item");
            json.WriteRawValue(bytes, skipInputValidation: true);
        }
        else if (System.Text.Unicode.Utf8.IsValid(bytes))
        {
            json.WriteString("item", bytes);
        }
        else
        {
            // Not text: decoded as UTF-8 it would turn into U+FFFD and the dead letter would no longer hold the item.
            // Kept byte for byte in base64, as System.Text.Json writes a byte[], and marked so a reader can tell.
            json.WriteBase64String("item", bytes);
            json.WriteString("itemEncoding", "base64");
        }
    }

    private static bool IsJson(ReadOnlySpan<byte> bytes)
    {
        // The reader does not check the UTF-8 inside strings, and the value is written unchecked: invalid bytes are not JSON.
        if (!System.Text.Unicode.Utf8.IsValid(bytes))
        {
            return false;
        }

        try
        {
            var reader = new Utf8JsonReader(bytes);
            while (reader.Read())
            {
            }

            return bytes.Length > 0;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
