using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Reactive.Streams.Hosting.Tests;

/// <summary>
/// A dispatching canal worker must not read the stream its dispatcher dead-letters to: every frame dead-lettered there
/// would be read and dispatched again, round after round (ConsumerGroupCanal refuses the same loop). The start fails
/// with the options error naming the worker's <c>Stream</c> key, whichever of the two was registered first.
/// </summary>
public sealed class DeadLetterLoopTests
{
    private sealed class NullSink : IDeliverySink<string>
    {
        public string Name => "file";

        public ValueTask WriteAsync(string item, CancellationToken cancellationToken) => default;
    }

    private static string Text(StreamFrame frame) => Encoding.UTF8.GetString(frame.Payload.Span);

    [Theory]
    [InlineData(false, null)]
    [InlineData(true, null)]
    [InlineData(false, "orders.dead")]
    public async Task A_worker_reading_its_dispatcher_s_dead_letter_stream_fails_the_start_naming_its_Stream_key(bool workerFirst, string? configuredStream)
    {
        // The worker reads its name ("orders.dead") unless configuration names its stream.
        var name = configuredStream is null ? "orders.dead" : "orders";
        await using var test = new TestHost(configuredStream is null ? null : new() { [$"ReactiveStreams:Canals:{name}:Stream"] = configuredStream });
        var builder = test.Builder.Services.AddReactiveStreams();
        void Dispatcher() => builder.AddDispatcher<string>("audit", d => d.AddSink(_ => new NullSink()).UseDeadLetterStream("orders.dead", s => Encoding.UTF8.GetBytes(s)));
        void Worker() => builder.AddCanalWorker<string>(name, "audit", Text);
        if (workerFirst)
        {
            Worker();
            Dispatcher();
        }
        else
        {
            Dispatcher();
            Worker();
        }

        var error = await Assert.ThrowsAsync<OptionsValidationException>(test.StartAsync);

        Assert.Contains($"ReactiveStreams:Canals:{name}:Stream: 'orders.dead' is the dead-letter stream of dispatcher 'audit'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_dispatcher_whose_dead_letter_stream_was_replaced_by_a_sink_does_not_stop_a_worker_on_that_stream()
    {
        await using var test = new TestHost();
        test.Builder.Services.AddReactiveStreams()
            .AddDispatcher<string>("audit", d => d.AddSink(_ => new NullSink())
                .UseDeadLetterStream("orders.dead", s => Encoding.UTF8.GetBytes(s))
                .UseDeadLetterSink(_ => new DeadLetters()))
            .AddCanalWorker<string>("orders.dead", "audit", Text);

        await test.StartAsync();
    }

    private sealed class DeadLetters : IDeliverySink<DeadLetter<string>>
    {
        public string Name => "dead";

        public ValueTask WriteAsync(DeadLetter<string> item, CancellationToken cancellationToken) => default;
    }
}
