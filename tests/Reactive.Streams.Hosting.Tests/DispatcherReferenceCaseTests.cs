using System.Text;
using Microsoft.Extensions.DependencyInjection;

namespace Reactive.Streams.Hosting.Tests;

/// <summary>
/// A dispatching canal worker names its dispatcher; the builder's names ignore case (they are configuration sections,
/// docs/hosting.md), so the reference does too: <c>"Orders"</c> is the dispatcher registered as <c>"orders"</c>, both
/// for the one-worker-per-dispatcher check at the call and for the dispatcher the worker finds at start.
/// </summary>
public sealed class DispatcherReferenceCaseTests
{
    private sealed class RecordingSink : IDeliverySink<string>
    {
        public TaskCompletionSource<string> First { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Name => "file";

        public ValueTask WriteAsync(string item, CancellationToken cancellationToken)
        {
            First.TrySetResult(item);
            return default;
        }
    }

    [Theory]
    [InlineData("Orders")]
    [InlineData("ORDERS")]
    public void A_second_worker_on_the_same_dispatcher_spelled_in_another_case_is_refused_at_the_call(string spelling)
    {
        var builder = new ServiceCollection().AddReactiveStreams();
        builder.AddDispatcher<string>("orders", d => d.AddSink(_ => new RecordingSink()));
        builder.AddCanalWorker<string>("eu", "orders", _ => "x");

        var error = Assert.Throws<ArgumentException>(() => builder.AddCanalWorker<string>("us", spelling, _ => "x"));

        Assert.Equal("dispatcher", error.ParamName);
        // Nothing was registered for the refused worker: its name is still free.
        builder.AddDispatcher<string>("audit", d => d.AddSink(_ => new RecordingSink()));
        builder.AddCanalWorker<string>("us", "audit", _ => "x");
    }

    [Fact]
    public async Task A_worker_naming_its_dispatcher_in_another_case_finds_it_and_dispatches_to_it()
    {
        var sink = new RecordingSink();
        await using var test = new TestHost();
        test.Builder.Services.AddReactiveStreams()
            .AddCanalWorker<string>("orders", "Audit", frame => Encoding.UTF8.GetString(frame.Payload.Span))
            .AddDispatcher<string>("audit", d => d.AddSink(_ => sink));

        await test.StartAsync();
        await test.Services.GetRequiredService<IStreamLog>().AppendAsync("orders", "first", AppendMode.Durable);

        Assert.Equal("first", await sink.First.Task.WaitAsync(TestHost.Hang));
    }
}
