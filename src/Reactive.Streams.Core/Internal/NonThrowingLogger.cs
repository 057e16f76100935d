using Microsoft.Extensions.Logging;

namespace Reactive.Streams.Internal;

/// <summary>
/// A user's <see cref="ILogger"/> whose failures are swallowed at the call: logging must never change what the library
/// does. Microsoft.Extensions.Logging's own <c>Logger</c> calls every provider and then rethrows what they threw (as an
/// <see cref="AggregateException"/>), so a broken provider would otherwise end a worker, skip an acknowledgement or
/// fault a shutdown. Wrapping the logger once covers every log call made through it.
/// </summary>
internal sealed class NonThrowingLogger : ILogger
{
    private readonly ILogger _inner;

    private NonThrowingLogger(ILogger inner) => _inner = inner;

    /// <summary>The logger to log through: <paramref name="logger"/> guarded, or the null logger when there is none.</summary>
    public static ILogger Wrap(ILogger? logger) => logger switch
    {
        null => Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance,
        NonThrowingLogger guarded => guarded,
        _ => new NonThrowingLogger(logger),
    };

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull
    {
        try
        {
            return _inner.BeginScope(state);
        }
        catch (Exception)
        {
            return null;
        }
    }

    public bool IsEnabled(LogLevel logLevel)
    {
        try
        {
            return _inner.IsEnabled(logLevel);
        }
        catch (Exception)
        {
            return false;
        }
    }

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        try
        {
            _inner.Log(logLevel, eventId, state, exception, formatter);
        }
        catch (Exception)
        {
            // Nowhere left to report it: the logger is the reporting channel that failed.
        }
    }
}
