using Reactive.Streams.Analyzers.Rules;
using Reactive.Streams.Analyzers.Tests.Infrastructure;

namespace Reactive.Streams.Analyzers.Tests;

public sealed class HarnessTests
{
    [Fact]
    public Task Harness_compiles_against_the_runtime_and_the_library_offline() =>
        Verify<CapacityAnalyzer>.AnalyzerAsync("""
            using System.Threading.Channels;
            using System.Threading.Tasks.Dataflow;
            using Reactive.Streams;
            class C
            {
                BackpressurePolicy P = BackpressurePolicy.Fail;
                Channel<int> Ch = Channel.CreateBounded<int>(3);
                BufferBlock<int> B = new();
                System.IObservable<int> O = System.Reactive.Linq.Observable.Return(1);
            }
            """);
}
