using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Npgsql;
using Reactive.Streams.Storage.Postgres;
using Reactive.Streams.Storage.Sqlite;

namespace Reactive.Streams.Hosting;

/// <summary>
/// Validates the hosted options when the host starts (<c>ValidateOnStart</c>). The rules are Core's and the backends'
/// own (their setters and <c>Validate</c> methods throw an <see cref="ArgumentException"/> whose parameter name is the
/// option); this only runs them and turns the parameter name into the configuration key, so that the error a failed
/// start reports names the key to fix.
/// </summary>
internal static class ConfigurationKeys
{
    public static string Join(string section, params string[] parts) =>
        string.Join(':', new[] { section }.Concat(parts).Where(p => !string.IsNullOrEmpty(p)));

    /// <summary>
    /// As <c>BindConfiguration</c> (binds <paramref name="path"/> of the container's <see cref="IConfiguration"/> and follows
    /// its reloads), but a container without an <see cref="IConfiguration"/> (everything configured in code) binds
    /// nothing rather than failing to resolve the options.
    /// </summary>
    public static OptionsBuilder<TOptions> BindConfigurationIfAny<TOptions>(this OptionsBuilder<TOptions> builder, string path)
        where TOptions : class
    {
        builder.Configure<IServiceProvider>((options, services) => services.GetService<IConfiguration>()?.GetSection(path).Bind(options));
        builder.Services.AddSingleton<IOptionsChangeTokenSource<TOptions>>(services => services.GetService<IConfiguration>() is { } configuration
            ? new ConfigurationChangeTokenSource<TOptions>(builder.Name, configuration)
            : new NoChanges<TOptions>(builder.Name));
        return builder;
    }

    /// <summary>Runs <paramref name="check"/>; an <see cref="ArgumentException"/> becomes an error naming <c>prefix:ParamName</c>.</summary>
    public static void Collect(List<string> errors, string prefix, Action check, Func<string?, string>? keyOf = null)
    {
        try
        {
            check();
        }
        catch (ArgumentException error)
        {
            var key = keyOf?.Invoke(error.ParamName) ?? error.ParamName;
            errors.Add($"{Join(prefix, key ?? "")}: {FirstLine(error.Message)}");
        }
    }

    /// <summary>
    /// Runs <paramref name="check"/> (rules that throw at the first bad value) until it passes: each rule broken is an
    /// error, as in <see cref="Collect"/>, and <paramref name="fallBack"/> then puts the value it names back to a valid
    /// one (its default) on the copy being checked, so that the next run finds the next bad value: one failed start
    /// names them all. It ends when <paramref name="fallBack"/> cannot change the named value (a rule between two values,
    /// such as a maximum below a minimum, whose other value is the bad one), and a rule named twice is reported once.
    /// </summary>
    public static void CollectEach(List<string> errors, string prefix, Action check, Func<string, bool> fallBack, Func<string?, string>? keyOf = null)
    {
        var named = new HashSet<string>(StringComparer.Ordinal);
        var found = new List<string>();
        while (true)
        {
            string? broken = null;
            found.Clear();
            Collect(found, prefix, () =>
            {
                try
                {
                    check();
                }
                catch (ArgumentException error)
                {
                    broken = error.ParamName;
                    throw;
                }
            }, keyOf);
            if (found.Count == 0 || (broken is not null && !named.Add(broken)))
            {
                return;
            }

            errors.AddRange(found);
            if (broken is null || !fallBack(broken))
            {
                return;
            }
        }
    }

    /// <summary>Sets <paramref name="current"/> to <paramref name="fallback"/> with <paramref name="set"/>; false when they are equal already.</summary>
    public static bool Take<TValue>(TValue current, TValue fallback, Action<TValue> set)
    {
        if (EqualityComparer<TValue>.Default.Equals(current, fallback))
        {
            return false;
        }

        set(fallback);
        return true;
    }

    // ArgumentException appends " (Parameter 'x')" (the key says it better) and, for ArgumentOutOfRangeException, the
    // actual value on a new line.
    private static string FirstLine(string message)
    {
        var end = message.IndexOf('\n', StringComparison.Ordinal);
        var line = (end < 0 ? message : message[..end]).TrimEnd('\r');
        var parameter = line.LastIndexOf(" (Parameter '", StringComparison.Ordinal);
        return parameter > 0 && line.EndsWith("')", StringComparison.Ordinal) ? line[..parameter] : line;
    }
}

/// <summary>The change token source of options bound from no configuration: they never reload.</summary>
internal sealed class NoChanges<TOptions>(string? name) : IOptionsChangeTokenSource<TOptions>
{
    public string? Name => name;

    private static readonly IChangeToken s_never = new CancellationChangeToken(CancellationToken.None);

    public IChangeToken GetChangeToken() => s_never;
}

internal sealed class StreamLogHostOptionsValidator(string section) : IValidateOptions<StreamLogHostOptions>
{
    private static readonly HashSet<string> s_liveRetention = [nameof(LiveRetentionOptions.Alpha), nameof(LiveRetentionOptions.Ttl), nameof(LiveRetentionOptions.Floor), nameof(LiveRetentionOptions.Ceiling)];

    public ValidateOptionsResult Validate(string? name, StreamLogHostOptions options)
    {
        var log = ConfigurationKeys.Join(section, "Log");
        // Named where the user set it: a connection string taken from the ConnectionStrings section is that entry's.
        var connectionStringKey = options.ConnectionStringKey ?? $"{log}:ConnectionString";
        var errors = new List<string>();
        if (!Enum.IsDefined(options.Provider))
        {
            errors.Add($"{log}:Provider: '{options.Provider}' is not a provider; use Sqlite or Postgres.");
            return ValidateOptionsResult.Fail(errors);
        }

        if (options.Provider == StreamLogProvider.Sqlite)
        {
            var hasPath = !string.IsNullOrWhiteSpace(options.Path);
            var hasConnectionString = !string.IsNullOrWhiteSpace(options.ConnectionString);
            if (hasPath && hasConnectionString)
            {
                errors.Add($"{log}:Path and {log}:ConnectionString are both set; set one.");
            }
            else if (!hasPath && !hasConnectionString)
            {
                errors.Add($"{log}:Path: a SQLite log needs a file: set {log}:Path or {log}:ConnectionString (or ConnectionStrings:{options.ConnectionStringName}).");
            }
            else if (hasConnectionString && HostedStreamLog.SqlitePathOf(options.ConnectionString!, out var problem) is null)
            {
                errors.Add($"{connectionStringKey}: {problem}");
            }

            var sqlite = new SqliteStreamLogOptions(options.Sqlite)
            {
                Synchronous = options.Sqlite.Synchronous,
                PollInterval = options.Sqlite.PollInterval,
                MaxPollInterval = options.Sqlite.MaxPollInterval,
                BusyTimeout = options.Sqlite.BusyTimeout,
            };
            var defaults = new SqliteStreamLogOptions();
            ConfigurationKeys.CollectEach(errors, $"{log}:Sqlite", sqlite.Validate, option => option switch
            {
                nameof(sqlite.Synchronous) => ConfigurationKeys.Take(sqlite.Synchronous, defaults.Synchronous, v => sqlite.Synchronous = v),
                nameof(sqlite.PollInterval) => ConfigurationKeys.Take(sqlite.PollInterval, defaults.PollInterval, v => sqlite.PollInterval = v),
                nameof(sqlite.MaxPollInterval) => ConfigurationKeys.Take(sqlite.MaxPollInterval, defaults.MaxPollInterval, v => sqlite.MaxPollInterval = v),
                nameof(sqlite.BusyTimeout) => ConfigurationKeys.Take(sqlite.BusyTimeout, defaults.BusyTimeout, v => sqlite.BusyTimeout = v),
                _ => FallBack(sqlite, defaults, option),
            }, KeyOf);
        }
        else
        {
            if (options.DataSource is not null)
            {
                if (!string.IsNullOrWhiteSpace(options.ConnectionString))
                {
                    errors.Add($"{log}:ConnectionString is set, but the log opens on the NpgsqlDataSource given to UseNpgsqlDataSource; remove one.");
                }
            }
            else if (string.IsNullOrWhiteSpace(options.ConnectionString))
            {
                errors.Add($"{log}:ConnectionString: a PostgreSQL log needs a connection string: set {log}:ConnectionString (or ConnectionStrings:{options.ConnectionStringName}), or call UseNpgsqlDataSource.");
            }
            else
            {
                ConfigurationKeys.Collect(errors, connectionStringKey, () => _ = new NpgsqlConnectionStringBuilder(options.ConnectionString), _ => "");
            }

            var postgres = new PostgresStreamLogOptions(options.Postgres)
            {
                ReconnectDelay = options.Postgres.ReconnectDelay,
                MaxReconnectDelay = options.Postgres.MaxReconnectDelay,
                ReconnectTimeout = options.Postgres.ReconnectTimeout,
                WatchLease = options.Postgres.WatchLease,
                Logger = options.Postgres.Logger,
            };
            var defaults = new PostgresStreamLogOptions();
            ConfigurationKeys.CollectEach(errors, $"{log}:Postgres", postgres.Validate, option => option switch
            {
                nameof(postgres.ReconnectDelay) => ConfigurationKeys.Take(postgres.ReconnectDelay, defaults.ReconnectDelay, v => postgres.ReconnectDelay = v),
                nameof(postgres.MaxReconnectDelay) => ConfigurationKeys.Take(postgres.MaxReconnectDelay, defaults.MaxReconnectDelay, v => postgres.MaxReconnectDelay = v),
                nameof(postgres.ReconnectTimeout) => ConfigurationKeys.Take(postgres.ReconnectTimeout, defaults.ReconnectTimeout, v => postgres.ReconnectTimeout = v),
                nameof(postgres.WatchLease) => ConfigurationKeys.Take(postgres.WatchLease, defaults.WatchLease, v => postgres.WatchLease = v),
                nameof(postgres.Logger) => ConfigurationKeys.Take(postgres.Logger, defaults.Logger, v => postgres.Logger = v),
                _ => FallBack(postgres, defaults, option),
            }, KeyOf);
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>The options every backend shares, put back to their defaults one by one for <see cref="ConfigurationKeys.CollectEach"/>.</summary>
    private static bool FallBack(StreamLogOptions options, StreamLogOptions defaults, string option)
    {
        if (options.LiveRetention is null)
        {
            // Null (set in code): nothing under it can be checked until it is there.
            if (option != nameof(options.LiveRetention))
            {
                return false;
            }

            options.LiveRetention = defaults.LiveRetention;
            return true;
        }

        var retention = options.LiveRetention;
        return option switch
        {
            nameof(options.TimeProvider) => ConfigurationKeys.Take(options.TimeProvider, defaults.TimeProvider, v => options.TimeProvider = v),
            nameof(options.MaxReadCount) => ConfigurationKeys.Take(options.MaxReadCount, defaults.MaxReadCount, v => options.MaxReadCount = v),
            nameof(retention.Alpha) => ConfigurationKeys.Take(retention.Alpha, defaults.LiveRetention.Alpha, v => retention.Alpha = v),
            nameof(retention.Ttl) => ConfigurationKeys.Take(retention.Ttl, defaults.LiveRetention.Ttl, v => retention.Ttl = v),
            nameof(retention.Floor) => ConfigurationKeys.Take(retention.Floor, defaults.LiveRetention.Floor, v => retention.Floor = v),
            nameof(retention.Ceiling) => ConfigurationKeys.Take(retention.Ceiling, defaults.LiveRetention.Ceiling, v => retention.Ceiling = v),
            _ => false,
        };
    }

    private static string KeyOf(string? parameter) =>
        parameter is null ? "" : s_liveRetention.Contains(parameter) ? $"LiveRetention:{parameter}" : parameter;
}

internal sealed class CanalWorkerHostOptionsValidator(
    string section,
    string worker,
    Func<(string Dispatcher, string? Stream)>? deadLetterStream = null,
    Func<IEnumerable<(string Worker, string Checkpoint)>>? earlierCheckpoints = null)
    : IValidateOptions<CanalWorkerHostOptions>
{
    public ValidateOptionsResult Validate(string? name, CanalWorkerHostOptions options)
    {
        if (name != worker)
        {
            return ValidateOptionsResult.Skip;
        }

        var prefix = ConfigurationKeys.Join(section, "Canals", worker);
        var errors = new List<string>();
        // One value at a time: the setters throw at the first bad value, and a start names every one.
        ConfigurationKeys.Collect(errors, prefix, () => _ = new CanalWorkerOptions { MaxBatch = options.MaxBatch });
        ConfigurationKeys.Collect(errors, prefix, () => _ = new CanalWorkerOptions { Deadline = options.Deadline });
        ConfigurationKeys.Collect(errors, prefix, () => StreamLog.ValidateStream(options.StreamOrDefault(worker)), _ => nameof(options.Stream));
        ConfigurationKeys.Collect(errors, prefix, () => StreamLog.ValidateName(options.CheckpointOrDefault(worker), nameof(options.CheckpointId), "checkpoint id"), _ => nameof(options.CheckpointId));
        if (!Enum.IsDefined(options.Visibility))
        {
            errors.Add($"{prefix}:Visibility: '{options.Visibility}' is not a visibility; use All or ExcludeBestEffort.");
        }

        if (deadLetterStream?.Invoke() is (var dispatcher, { } deadLetters) && string.Equals(deadLetters, options.StreamOrDefault(worker), StringComparison.Ordinal))
        {
            // A frame dead-lettered there would be read by this worker and dispatched again, round after round.
            errors.Add($"{prefix}:Stream: '{deadLetters}' is the dead-letter stream of dispatcher '{dispatcher}', which this worker dispatches to; a dead-lettered frame would be read and dispatched again. Read another stream, or dead-letter to another.");
        }

        // A checkpoint is one position, whatever its stream, and the log compares ids ordinally: two workers on one would
        // each move it past frames the other has not handled, or resume at a position of the other's stream.
        var checkpoint = options.CheckpointOrDefault(worker);
        foreach (var (other, taken) in earlierCheckpoints?.Invoke() ?? [])
        {
            if (string.Equals(taken, checkpoint, StringComparison.Ordinal))
            {
                errors.Add($"{prefix}:CheckpointId: '{checkpoint}' is the checkpoint of canal worker '{other}' too; two workers on one checkpoint overwrite each other's progress (and one would resume at a position of the other's stream). Give each worker its own CheckpointId.");
                break;
            }
        }

        if (options.MaxLagCount is < 1)
        {
            errors.Add($"{prefix}:MaxLagCount: must be at least 1 (was {options.MaxLagCount}).");
        }

        if (options.MaxLagAge is { } age && age <= TimeSpan.Zero)
        {
            errors.Add($"{prefix}:MaxLagAge: must be positive (was {age}).");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

internal sealed class DispatcherOptionsValidator<T>(string section, string dispatcher) : IValidateOptions<DeliveryOptions<T>>, IValidateOptions<DispatcherHostOptions>
{
    public ValidateOptionsResult Validate(string? name, DeliveryOptions<T> options)
    {
        if (name != dispatcher)
        {
            return ValidateOptionsResult.Skip;
        }

        var prefix = ConfigurationKeys.Join(section, "Dispatchers", dispatcher);
        var errors = new List<string>();
        ConfigurationKeys.Collect(errors, prefix, () => ArgumentException.ThrowIfNullOrEmpty(options.Name, nameof(options.Name)));
        if (!string.IsNullOrEmpty(options.Name) && options.Name != dispatcher)
        {
            // The builder names the options as registered; only a Configure callback can rename them.
            errors.Add($"{prefix}:Name: the dispatcher registered as '{dispatcher}' was renamed '{options.Name}' by its Configure; its registered name is its key, configuration section, log and metric name, so it cannot change (register it under the name you want).");
        }

        ConfigurationKeys.Collect(errors, prefix, () => ArgumentNullException.ThrowIfNull(options.TimeProvider, nameof(options.TimeProvider)));

        // The dispatcher-wide values, with each one found invalid put back to its default: the sinks' overrides are
        // checked against these, so a sink that inherits a bad value is not blamed for it.
        // (Named as registered whatever the name check said: only the values are checked here.)
        var global = WithOverrides(options, new DeliverySinkOptions());
        global.Name = dispatcher;
        CollectEach(errors, prefix, global, new DeliveryOptions<T>());
        var beforeSinks = errors.Count;
        ValidateSinks(errors, prefix, options);
        if (errors.Count == beforeSinks)
        {
            // Each sink's overrides, checked by the same rules against the dispatcher-wide values they replace.
            foreach (var (sink, overrides) in options.Sinks)
            {
                if (overrides is not null)
                {
                    CollectEach(errors, $"{prefix}:Sinks:{sink.Name}", WithOverrides(global, overrides), global);
                }
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    public ValidateOptionsResult Validate(string? name, DispatcherHostOptions options)
    {
        if (name != dispatcher)
        {
            return ValidateOptionsResult.Skip;
        }

        var prefix = ConfigurationKeys.Join(section, "Dispatchers", dispatcher);
        var errors = new List<string>();
        if (options.MaxQueueDepth is < 0)
        {
            errors.Add($"{prefix}:MaxQueueDepth: must be zero or more (was {options.MaxQueueDepth}).");
        }

        if (options.DrainTimeout is { } drain && drain < TimeSpan.Zero && drain != Timeout.InfiniteTimeSpan)
        {
            errors.Add($"{prefix}:DrainTimeout: must be zero or positive (was {drain}).");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>
    /// The dispatcher's own rules for its sinks (at least one, each named, no two of one name), checked here so that the
    /// start fails with an error naming the dispatcher's section rather than the dispatcher's constructor's bare
    /// <see cref="ArgumentException"/>. Names that differ only by case are refused too: each sink's settings bind from
    /// <c>Sinks:&lt;sink name&gt;</c>, and configuration keys ignore case, so such sinks could not be configured apart.
    /// </summary>
    private static void ValidateSinks(List<string> errors, string prefix, DeliveryOptions<T> options)
    {
        if (options.Sinks.Count == 0)
        {
            errors.Add($"{prefix}: dispatcher '{options.Name}' has no sink; add one with AddSink in AddDispatcher's configure.");
            return;
        }

        var names = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < options.Sinks.Count; i++)
        {
            var sink = options.Sinks[i].Sink;
            var name = sink.Name;
            if (string.IsNullOrEmpty(name))
            {
                errors.Add($"{prefix}:Sinks: sink #{i} ({sink.GetType().Name}) has no name; a sink's Name must be set.");
            }
            else if (names.TryGetValue(name, out var first))
            {
                errors.Add(first == name
                    ? $"{prefix}:Sinks:{name}: two sinks are named '{name}'; sink names must be unique within a dispatcher."
                    : $"{prefix}:Sinks:{name}: sinks '{first}' and '{name}' differ only by case, and would share one configuration section; sink names must be unique ignoring case.");
            }
            else
            {
                names.Add(name, name);
            }
        }
    }

    /// <summary>
    /// Runs Core's rules (<see cref="DeliveryOptions{T}.Validate"/>, which throws at the first bad value) on
    /// <paramref name="values"/>, a copy, until they pass; each value found invalid takes <paramref name="fallback"/>'s
    /// before the next run, so that one failed start names every bad value (see <see cref="ConfigurationKeys.CollectEach"/>).
    /// </summary>
    private static void CollectEach(List<string> errors, string prefix, DeliveryOptions<T> values, DeliveryOptions<T> fallback) =>
        ConfigurationKeys.CollectEach(errors, prefix, values.Validate, option => option switch
        {
            nameof(values.QueueCapacity) => ConfigurationKeys.Take(values.QueueCapacity, fallback.QueueCapacity, v => values.QueueCapacity = v),
            nameof(values.OnFull) => ConfigurationKeys.Take(values.OnFull, fallback.OnFull, v => values.OnFull = v),
            nameof(values.MaxBatch) => ConfigurationKeys.Take(values.MaxBatch, fallback.MaxBatch, v => values.MaxBatch = v),
            nameof(values.BatchFlush) => ConfigurationKeys.Take(values.BatchFlush, fallback.BatchFlush, v => values.BatchFlush = v),
            nameof(values.MaxRetries) => ConfigurationKeys.Take(values.MaxRetries, fallback.MaxRetries, v => values.MaxRetries = v),
            nameof(values.BackoffBase) => ConfigurationKeys.Take(values.BackoffBase, fallback.BackoffBase, v => values.BackoffBase = v),
            nameof(values.MaxBackoff) => ConfigurationKeys.Take(values.MaxBackoff, fallback.MaxBackoff, v => values.MaxBackoff = v),
            _ => false,
        });

    private static DeliveryOptions<T> WithOverrides(DeliveryOptions<T> global, DeliverySinkOptions local) => new()
    {
        Name = global.Name,
        QueueCapacity = local.QueueCapacity ?? global.QueueCapacity,
        OnFull = local.OnFull ?? global.OnFull,
        MaxBatch = local.MaxBatch ?? global.MaxBatch,
        BatchFlush = local.BatchFlush ?? global.BatchFlush,
        MaxRetries = local.MaxRetries ?? global.MaxRetries,
        BackoffBase = local.BackoffBase ?? global.BackoffBase,
        MaxBackoff = local.MaxBackoff ?? global.MaxBackoff,
    };
}
