using Microsoft.Extensions.Logging.Abstractions;

namespace Reactive.Streams.Storage.Redis.Tests;

/// <summary>The defaults docs/stream-log.md states for <see cref="RedisStreamLogOptions"/>.</summary>
public sealed class RedisDocumentedDefaultsTests
{
    [Fact]
    public void The_options_have_the_documented_defaults()
    {
        var options = new RedisStreamLogOptions();
        Assert.Equal("rs:", RedisStreamLogOptions.DefaultKeyPrefix);
        Assert.Equal(RedisStreamLogOptions.DefaultKeyPrefix, options.KeyPrefix);
        Assert.Equal(-1, options.Database);
        Assert.Equal(TimeSpan.FromSeconds(30), options.ReconnectTimeout);
        Assert.Same(NullLogger.Instance, options.Logger);
        Assert.Equal(StreamLogOptions.DefaultMaxReadCount, options.MaxReadCount);
        Assert.Same(TimeProvider.System, options.TimeProvider);
    }
}
