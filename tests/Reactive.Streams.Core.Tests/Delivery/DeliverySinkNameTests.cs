using Reactive.Streams.Tests.Support;

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

    // Names are compared ordinally, as Microsoft.Extensions.Options compares named options: two sinks whose names differ in
    // case only are two sinks, each with its own counters, and a lookup by another casing finds neither.
    [Fact]
    public async Task Two_sinks_whose_names_differ_in_case_only_are_two_sinks_with_counters_of_their_own()
    {
        var upper = new RecordingSink<int>("Mail");
        var lower = new RecordingSink<int>("mail");
        await using var dispatcher = new DeliveryDispatcher<int>(new DeliveryOptions<int>().AddSink(upper).AddSink(lower));

        var ack = new CountingAck();
        await dispatcher.DispatchAsync(1, ack);
        await ack.First;
        Assert.True(await dispatcher.ShutdownAsync(TestLimits.Hang).WaitAsync(TestLimits.Hang));

        Assert.Equal([1], upper.Committed);
        Assert.Equal([1], lower.Committed);
        Assert.Equal(1, ack.Count);
        Assert.Equal("Mail", dispatcher.GetSinkMetrics("Mail").SinkName);
        Assert.Equal(1, dispatcher.GetSinkMetrics("Mail").Delivered);
        Assert.Equal("mail", dispatcher.GetSinkMetrics("mail").SinkName);
        Assert.Equal(1, dispatcher.GetSinkMetrics("mail").Delivered);
        var error = Assert.Throws<ArgumentException>(() => dispatcher.GetSinkMetrics("MAIL"));
        Assert.Equal("sinkName", error.ParamName);
    }
}
