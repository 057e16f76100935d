namespace Reactive.Streams.Analyzers.Tests.Packaging;

/// <summary>The consumers' source. Line numbers in <see cref="ExpectedViolations"/> refer to <see cref="Violations"/>.</summary>
internal static class Consumers
{
    internal static readonly (string Id, int Line)[] ExpectedViolations =
    [
        ("RXS0001", 11),
        ("RXS0002", 21),
        ("RXS0002", 22),
        ("RXS0002", 23),
        ("RXS0005", 24),
        ("RXS0003", 25),
        ("RXS0004", 26),
        ("RXS0006", 27),
    ];

    internal const string Violations = """
        using System;
        using System.Reactive.Concurrency;
        using System.Reactive.Linq;
        using System.Threading.Channels;
        using System.Threading.Tasks.Dataflow;
        using Reactive.Streams;

        namespace Consumer;

        [StreamSink(typeof(Lease))]
        public partial class Audit
        {
            public void OnAcquired(Lease.Acquired e) { }
            public void OnRevoked(Lease.Revoked e) { }
        }

        public static class Program
        {
            public static int Main()
            {
                IObservable<int> ticks = Observable.Range(0, 3).ObserveOn(ImmediateScheduler.Instance);
                var channel = Channel.CreateUnbounded<int>();
                var block = new BufferBlock<int>();
                var stream = BoundedStream.DropOldest<int>(0);
                var degraded = BackpressureChannel.Create<int>(BackpressurePolicy.DegradeQuality, 8);
                var noisy = BoundedStream.DegradeQuality<int>(8, x => x + Environment.TickCount);
                Lease lease = new Lease.Acquired("a"); var text = lease switch { Lease.Acquired a => a.Id };
                GC.KeepAlive((ticks, channel, block, stream, degraded, noisy, text));
                return 0;
            }
        }

        [EventUnion]
        public abstract partial record Lease
        {
            public sealed partial record Acquired(string Id) : Lease;
            public sealed partial record Revoked(string Id, string By) : Lease;
        }
        """;

    internal const string Clean = """
        using System;
        using System.Threading.Channels;
        using System.Threading.Tasks.Dataflow;
        using Reactive.Streams;

        namespace Consumer;

        [StreamSink(typeof(Lease))]
        [Backpressure(BackpressurePolicy.DegradeQuality, Capacity = 64, Degrader = nameof(Degrade))]
        public partial class Audit
        {
            public void OnAcquired(Lease.Acquired e) { }
            public void OnRevoked(Lease.Revoked e) { }

            private static Lease Degrade(Lease lease) => lease switch
            {
                Lease.Revoked r => r with { By = r.By.Trim() },
                _ => lease,
            };
        }

        public static class Program
        {
            public static int Main()
            {
                var channel = BackpressureChannel.Create<int>(BackpressurePolicy.PauseUpstream, 1024);
                var block = new BufferBlock<int>(new DataflowBlockOptions { BoundedCapacity = 1024 });
                var stream = BoundedStream.DegradeQuality<double>(8, static x => Math.Round(x / 2));
                Lease lease = new Lease.Acquired("a");
                var text = lease switch
                {
                    Lease.Acquired a => a.Id,
                    Lease.Revoked r => $"{r.Id} by {r.By}",
                    // No discard: with the generated Unknown handled, RXSP0001 (shipped in the package) suppresses CS8509.
                    Lease.Unknown u => $"unknown {u.RawWireName}",
                };
                GC.KeepAlive((channel, block, stream, text));
                return 0;
            }
        }

        [EventUnion]
        public abstract partial record Lease
        {
            public sealed partial record Acquired(string Id) : Lease;
            public sealed partial record Revoked(string Id, string By) : Lease;
        }
        """;
}
