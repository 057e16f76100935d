using Microsoft.Extensions.Options;

namespace Reactive.Streams.Hosting;

/// <summary>
/// The named options of one registered component, read where they are used so that they follow configuration reloads
/// (the health checks' limits, the dispatcher's drain timeout). A reload is validated as the start was: an invalid value
/// makes <see cref="Current"/> throw its <see cref="OptionsValidationException"/> (naming the configuration key), which
/// the health checks report; <see cref="LastValid"/> falls back to the last value that passed, for what must go on
/// whatever the configuration says (a stop's drain).
/// </summary>
internal sealed class ReloadingOptions<TOptions>(IOptionsMonitor<TOptions> monitor, string name)
    where TOptions : class
{
    private volatile TOptions? _lastValid;

    /// <summary>The options as configured now.</summary>
    /// <exception cref="OptionsValidationException">The configuration was reloaded with a value that fails validation.</exception>
    public TOptions Current
    {
        get
        {
            var options = monitor.Get(name);
            _lastValid = options;
            return options;
        }
    }

    /// <summary>The options as configured now, or, while the configuration holds an invalid value, the last valid ones.</summary>
    public TOptions LastValid
    {
        get
        {
            try
            {
                return Current;
            }
            catch (OptionsValidationException) when (_lastValid is not null)
            {
                return _lastValid;
            }
        }
    }
}
