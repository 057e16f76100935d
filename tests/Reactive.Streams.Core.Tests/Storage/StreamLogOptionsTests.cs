namespace Reactive.Streams.Tests.Storage;

public sealed class StreamLogOptionsTests
{
    [Theory]
    [InlineData(0.0, 30, 1, 10, "Alpha")]
    [InlineData(1.5, 30, 1, 10, "Alpha")]
    [InlineData(double.NaN, 30, 1, 10, "Alpha")]
    [InlineData(0.5, 0, 1, 10, "Ttl")]
    [InlineData(0.5, 30, 0, 10, "Floor")]
    [InlineData(0.5, 30, 5, 4, "Ceiling")]
    public void Invalid_live_retention_options_are_rejected_by_name(double alpha, int ttlSeconds, int floor, int ceiling, string name)
    {
        var retention = new LiveRetentionOptions { Alpha = alpha, Ttl = TimeSpan.FromSeconds(ttlSeconds), Floor = floor, Ceiling = ceiling };

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new InMemoryStreamLog(new StreamLogOptions { LiveRetention = retention }));

        Assert.Equal(name, e.ParamName);
    }

    [Fact]
    public void A_max_read_count_below_one_is_rejected() =>
        Assert.Equal("MaxReadCount", Assert.Throws<ArgumentOutOfRangeException>(() => new InMemoryStreamLog(new StreamLogOptions { MaxReadCount = 0 })).ParamName);

    [Fact]
    public void The_first_rate_is_zero() =>
        Assert.Equal(0, new LiveRetentionOptions().NextRate(null, 0, 1_000));

    [Fact]
    public void The_rate_is_an_exponential_moving_average_of_inverse_intervals_and_a_backwards_clock_reads_as_one_millisecond()
    {
        var retention = new LiveRetentionOptions { Alpha = 0.25 };

        Assert.Equal((0.25 * 10) + (0.75 * 4), retention.NextRate(4, 1_000, 1_100));
        Assert.Equal((0.25 * 1000) + (0.75 * 4), retention.NextRate(4, 1_000, 900));
    }

    [Theory]
    [InlineData(0.0, 3)]
    [InlineData(1.0, 3)]   // 2·ceil(1·1) = 2, below the floor
    [InlineData(2.2, 6)]   // 2·ceil(2.2) = 6
    [InlineData(100.0, 50)]
    public void The_retained_length_is_twice_the_rate_times_ttl_rounded_up_and_clamped(double rate, int expected)
    {
        var retention = new LiveRetentionOptions { Ttl = TimeSpan.FromSeconds(1), Floor = 3, Ceiling = 50 };

        Assert.Equal(expected, retention.RetainedLength(rate));
    }
}
