using System.Text.Json.Serialization;

namespace Reactive.Streams.Generators.Tests.Fixtures;

/// <summary>A cursor type of the tests' own (the library's StreamId is written elsewhere).</summary>
public readonly record struct Cursor(long Milliseconds, int Sequence);

[EventUnion]
public abstract partial record LeaseEvent
{
    public sealed record Acquired(Cursor Cursor, string ExecutionId, string? LeaseId, DateTimeOffset At) : LeaseEvent;

    public sealed record Renewed(Cursor Cursor, string ExecutionId, DateTimeOffset At, TimeSpan Extension) : LeaseEvent;

    [WireName("lease_expired")]
    public sealed record Expired(Cursor Cursor, string ExecutionId, DateTimeOffset At) : LeaseEvent;

    public sealed record Revoked(Cursor Cursor, string ExecutionId, DateTimeOffset At, [property: JsonPropertyName("by")] string RevokedBy, int? Attempt) : LeaseEvent;
}

[EventUnion]
public abstract partial record Outcome
{
    public sealed record Success : Outcome;

    public sealed record Failure : Outcome;

    public sealed record Cancelled : Outcome;
}

[JsonSerializable(typeof(LeaseEvent))]
[JsonSerializable(typeof(LeaseEvent[]))]
[JsonSerializable(typeof(Outcome))]
[JsonSerializable(typeof(Cursor))]
[JsonSerializable(typeof(TimeSpan))]
public partial class FixtureJsonContext : JsonSerializerContext;

[EventUnion]
public abstract partial record LongNames
{
    public sealed record LongVariantName : LongNames;

    public sealed record HTTPTimeoutV2 : LongNames;
}
