using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Npgsql;

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
                errors.Add($"{log}:ConnectionString: {problem}");
            }

            ConfigurationKeys.Collect(errors, $"{log}:Sqlite", options.Sqlite.Validate, KeyOf);
        }
        else
        {
            if (string.IsNullOrWhiteSpace(options.ConnectionString))
            {
                errors.Add($"{log}:ConnectionString: a PostgreSQL log needs a connection string: set {log}:ConnectionString (or ConnectionStrings:{options.ConnectionStringName}).");
            }
            else
            {
                ConfigurationKeys.Collect(errors, $"{log}:ConnectionString", () => _ = new NpgsqlConnectionStringBuilder(options.ConnectionString), _ => "");
            }

            ConfigurationKeys.Collect(errors, $"{log}:Postgres", options.Postgres.Validate, KeyOf);
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static string KeyOf(string? parameter) =>
        parameter is null ? "" : s_liveRetention.Contains(parameter) ? $"LiveRetention:{parameter}" : parameter;
}

internal sealed class CanalWorkerHostOptionsValidator(string section, string worker) : IValidateOptions<CanalWorkerHostOptions>
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
    /// Runs Core's rules (<see cref="DeliveryOptions{T}.Validate"/>) on <paramref name="values"/> until they pass: each
    /// rule broken is an error, and the value it names then takes <paramref name="fallback"/>'s, so that the next run
    /// finds the next bad value. Core throws at the first one; one failed start names them all, as the docs say. A rule
    /// between two values (<c>BackoffBase</c> above <c>MaxBackoff</c>) is reported once: when the value it names already
    /// took the fallback's, or the fallback's is the same, the check ends.
    /// </summary>
    private static void CollectEach(List<string> errors, string prefix, DeliveryOptions<T> values, DeliveryOptions<T> fallback)
    {
        var reset = new HashSet<string>(StringComparer.Ordinal);
        while (true)
        {
            string? broken = null;
            var before = errors.Count;
            ConfigurationKeys.Collect(errors, prefix, () =>
            {
                try
                {
                    values.Validate();
                }
                catch (ArgumentException error)
                {
                    broken = error.ParamName;
                    throw;
                }
            });
            if (errors.Count == before)
            {
                return;
            }

            if (broken is null || !reset.Add(broken) || !TakeValue(values, fallback, broken))
            {
                return;
            }
        }
    }

    /// <summary>Sets <paramref name="values"/>' <paramref name="option"/> to <paramref name="fallback"/>'s; false when it is not one of them or already equal.</summary>
    private static bool TakeValue(DeliveryOptions<T> values, DeliveryOptions<T> fallback, string option)
    {
        switch (option)
        {
            case nameof(DeliveryOptions<T>.QueueCapacity) when values.QueueCapacity != fallback.QueueCapacity:
                values.QueueCapacity = fallback.QueueCapacity;
                return true;
            case nameof(DeliveryOptions<T>.OnFull) when values.OnFull != fallback.OnFull:
                values.OnFull = fallback.OnFull;
                return true;
            case nameof(DeliveryOptions<T>.MaxBatch) when values.MaxBatch != fallback.MaxBatch:
                values.MaxBatch = fallback.MaxBatch;
                return true;
            case nameof(DeliveryOptions<T>.BatchFlush) when values.BatchFlush != fallback.BatchFlush:
                values.BatchFlush = fallback.BatchFlush;
                return true;
            case nameof(DeliveryOptions<T>.MaxRetries) when values.MaxRetries != fallback.MaxRetries:
                values.MaxRetries = fallback.MaxRetries;
                return true;
            case nameof(DeliveryOptions<T>.BackoffBase) when values.BackoffBase != fallback.BackoffBase:
                values.BackoffBase = fallback.BackoffBase;
                return true;
            case nameof(DeliveryOptions<T>.MaxBackoff) when values.MaxBackoff != fallback.MaxBackoff:
                values.MaxBackoff = fallback.MaxBackoff;
                return true;
            default:
                return false;
        }
    }

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
