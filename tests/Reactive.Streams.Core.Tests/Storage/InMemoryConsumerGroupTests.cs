using Reactive.Streams.Storage.Tests;

namespace Reactive.Streams.Tests.Storage;

/// <summary>The consumer-group conformance suite on the in-memory log ("another instance" is the same instance).</summary>
public sealed class InMemoryConsumerGroupTests : ConsumerGroupConformanceTests
{
    private InMemoryStreamLog? _log;

    protected override ValueTask<IConsumerGroupLog> OpenLogAsync(StreamLogOptions options) =>
        new(_log ??= new InMemoryStreamLog(options));
}
