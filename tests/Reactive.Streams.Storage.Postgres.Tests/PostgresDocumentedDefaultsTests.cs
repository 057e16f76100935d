using Microsoft.Extensions.Logging.Abstractions;

namespace Reactive.Streams.Storage.Postgres.Tests;

/// <summary>The defaults docs/stream-log.md states for <see cref="PostgresStreamLogOptions"/>.</summary>
public sealed class PostgresDocumentedDefaultsTests
{
    [Fact]
    public void The_options_have_the_documented_defaults()
    {
        var options = new PostgresStreamLogOptions();
        Assert.Equal(TimeSpan.FromMinutes(2), options.WatchLease);
        Assert.Equal(TimeSpan.FromMilliseconds(100), options.ReconnectDelay);
        Assert.Equal(TimeSpan.FromSeconds(5), options.MaxReconnectDelay);
        Assert.Equal(TimeSpan.FromSeconds(30), options.ReconnectTimeout);
        Assert.Same(NullLogger.Instance, options.Logger);
        Assert.Equal(StreamLogOptions.DefaultMaxReadCount, options.MaxReadCount);
        Assert.Same(TimeProvider.System, options.TimeProvider);
    }
}
