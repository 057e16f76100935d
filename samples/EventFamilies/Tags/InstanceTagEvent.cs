using Reactive.Streams;

namespace EventFamilies.Tags;

/// <summary>Tags attached to and cleared from a running instance; <c>InstanceId</c>, <c>Key</c> and <c>At</c> are shared.</summary>
[EventUnion]
public abstract partial record InstanceTagEvent
{
    public sealed record Attached(string InstanceId, string Key, string Value, DateTimeOffset At) : InstanceTagEvent;

    public sealed record Cleared(string InstanceId, string Key, DateTimeOffset At) : InstanceTagEvent;
}
