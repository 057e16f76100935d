using Microsoft.Extensions.Time.Testing;
using Reactive.Streams.Tests.Support;

namespace Reactive.Streams.Tests.Delivery;

/// <summary>
/// docs/naming.md: "A component reads its options once, when it is created: changing an options object afterwards
/// changes nothing", and docs/delivery.md: "The dispatcher validates and copies the options when it is created".
/// </summary>
public sealed class DeliveryOptionsReadOnceTests
{
    [Fact]
    public async Task Changing_the_dispatcher_or_sink_options_after_creation_changes_nothing_the_dispatcher_does()
    {
        var clock = new FakeTimeProvider();
        var failing = new RecordingSink<int>("failing", behaviour: static (_, _, _) => throw new IOException("down"));
        var firstDeadLetters = new RecordingSink<DeadLetter<int>>("dead-letters");
        var laterDeadLetters = new RecordingSink<DeadLetter<int>>("later-dead-letters");
        var sinkOptions = new DeliverySinkOptions { MaxRetries = 0 };
        var options = new DeliveryOptions<int> { TimeProvider = clock, MaxRetries = 5, DeadLetterSink = firstDeadLetters };
        options.AddSink(failing, sinkOptions);
        await using var dispatcher = new DeliveryDispatcher<int>(options);

        // Every change below would make the item wait for retries on a clock nobody advances, or go elsewhere.
        sinkOptions.MaxRetries = null;
        sinkOptions.OnFull = OnFull.Drop;
        options.MaxRetries = 7;
        options.DeadLetterSink = laterDeadLetters;
        options.Name = "renamed";
        options.AddSink(new RecordingSink<int>("added-later"));

        var ack = new AckCompletionSource();
        await dispatcher.DispatchAsync(1, ack);
        await ack.Task.WaitAsync(TestLimits.Hang);

        Assert.NotEqual("renamed", dispatcher.Name);
        Assert.Equal(1, failing.Attempts);
        Assert.Equal(1, Assert.Single(firstDeadLetters.Committed).Item);
        Assert.Empty(laterDeadLetters.Committed);
        Assert.Equal(1, dispatcher.GetSinkMetrics("failing").DeadLettered);
        Assert.Equal("sinkName", Assert.Throws<ArgumentException>(() => dispatcher.GetSinkMetrics("added-later")).ParamName);
    }
}
