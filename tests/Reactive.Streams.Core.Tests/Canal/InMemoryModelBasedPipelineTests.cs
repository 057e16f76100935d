using Reactive.Streams.Tests.Pipeline;

namespace Reactive.Streams.Tests.Canal;

/// <summary>The model-based at-least-once pipeline on the in-memory log: one instance is the storage every "restart" opens again.</summary>
public sealed class InMemoryModelBasedPipelineTests : ModelBasedPipelineTests, IAsyncLifetime
{
    private readonly InMemoryStreamLog _log = new();

    protected override Task<IStreamLog> OpenLogAsync() => Task.FromResult<IStreamLog>(_log);

    protected override ValueTask CloseLogAsync(IStreamLog log) => default;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _log.DisposeAsync();
}
