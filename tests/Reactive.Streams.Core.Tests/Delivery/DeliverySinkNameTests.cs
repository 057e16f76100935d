namespace Reactive.Streams.Tests.Delivery;

/// <summary>
/// docs/delivery.md: a sink's <c>Name</c> is "unique within the dispatcher; used in logs, dead letters and metric tags",
/// and "an invalid value throws an ArgumentException whose parameter name is the option".
/// </summary>
public sealed class DeliverySinkNameTests
{
    [Fact]
    public void Two_sinks_with_one_name_are_refused_when_the_dispatcher_is_created()
    {
        var options = new DeliveryOptions<int>().AddSink(new RecordingSink<int>("audit")).AddSink(new RecordingSink<int>("audit"));

        var error = Assert.Throws<ArgumentException>(() => new DeliveryDispatcher<int>(options));

        Assert.Equal("Sinks", error.ParamName);
        Assert.Contains("'audit'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData(null)]
    public void A_sink_without_a_name_is_refused_when_the_dispatcher_is_created(string? name)
    {
        var options = new DeliveryOptions<int>().AddSink(new RecordingSink<int>("audit")).AddSink(new RecordingSink<int>(name!));

        var error = Assert.Throws<ArgumentException>(() => new DeliveryDispatcher<int>(options));

        Assert.Equal("Sinks", error.ParamName);
        Assert.Contains("#1", error.Message, StringComparison.Ordinal);
    }
}
