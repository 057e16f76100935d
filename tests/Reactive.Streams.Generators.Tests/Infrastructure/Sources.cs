namespace Reactive.Streams.Generators.Tests.Infrastructure;

/// <summary>Consumer sources the driver tests compile, each a realistic use of the attributes.</summary>
internal static class Sources
{
    public const string LeaseHistory = """
        #pragma warning disable CS1591
        using System;
        using System.Collections.Generic;
        using System.Text.Json.Serialization;
        using Reactive.Streams;

        namespace Consumer.Leases;

        public readonly record struct Cursor(long Milliseconds, int Sequence);

        [EventUnion]
        public abstract partial record LeaseHistoryEvent
        {
            public sealed record Acquired(Cursor Cursor, string ExecutionId, string? LeaseId, DateTimeOffset At) : LeaseHistoryEvent;

            [WireName("lease_renewed")]
            public sealed record Renewed(Cursor Cursor, string ExecutionId, DateTimeOffset At, long TtlMs, int? Attempt) : LeaseHistoryEvent;

            public sealed record Revoked(Cursor Cursor, string ExecutionId, [property: JsonPropertyName("by")] string RevokedBy, DateTimeOffset At, IReadOnlyList<string> Reasons) : LeaseHistoryEvent;
        }
        """;

    public const string Completion = """
        #pragma warning disable CS1591
        using Reactive.Streams;

        namespace Consumer.Completion;

        [EventUnion]
        public abstract partial record CompletionOutcome
        {
            public sealed record Success : CompletionOutcome;

            public sealed record Failure : CompletionOutcome;

            public sealed record Cancelled : CompletionOutcome;
        }
        """;

    public const string NestedInternal = """
        #pragma warning disable CS1591
        using Reactive.Streams;

        public static partial class Outer
        {
            [EventUnion]
            internal abstract partial record InstanceTag
            {
                public sealed record Attached(string Key, string Value, System.Guid By) : InstanceTag;

                public sealed record Cleared(string Key, System.Guid By) : InstanceTag;
            }
        }
        """;

    public const string LeaseSink = """
        #pragma warning disable CS1591
        using System.Threading;
        using System.Threading.Tasks;
        using Reactive.Streams;

        namespace Consumer.Leases;

        [StreamSink(typeof(LeaseHistoryEvent))]
        [Backpressure(BackpressurePolicy.DegradeQuality, Capacity = 16, Degrader = nameof(Degrade))]
        public sealed partial class LeaseSink
        {
            public void OnAcquired(LeaseHistoryEvent.Acquired item) { }

            public ValueTask OnRenewed(LeaseHistoryEvent.Renewed item, CancellationToken cancellationToken) => default;

            public ValueTask OnRevoked(LeaseHistoryEvent.Revoked item) => default;

            public void OnUnknown(LeaseHistoryEvent.Unknown item, CancellationToken cancellationToken) { }

            private static LeaseHistoryEvent Degrade(LeaseHistoryEvent item) => item;
        }
        """;

    /// <summary>A file that mentions no annotated type, for unrelated edits.</summary>
    public const string Unrelated = """
        namespace Consumer.Other;

        public static class Helper
        {
            public static int Twice(int value) => value * 2;
        }
        """;
}
