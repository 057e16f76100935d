using Reactive.Streams;

namespace EventFamilies.Tags;

/// <summary>
/// An index of instance tags. Under pressure a tag's value is truncated rather than dropped: the key still lands in
/// the index, which is what searches need.
/// </summary>
[StreamSink(typeof(InstanceTagEvent))]
[Backpressure(BackpressurePolicy.DegradeQuality, Capacity = 32, Degrader = nameof(Truncate))]
public sealed partial class TagIndex
{
    private readonly Dictionary<(string Instance, string Key), string> _tags = new();

    public IReadOnlyDictionary<(string Instance, string Key), string> Tags => _tags;

    public ValueTask OnAttached(InstanceTagEvent.Attached item, CancellationToken cancellationToken)
    {
        _tags[(item.InstanceId, item.Key)] = item.Value;
        return ValueTask.CompletedTask;
    }

    public void OnCleared(InstanceTagEvent.Cleared item) => _tags.Remove((item.InstanceId, item.Key));

    private static InstanceTagEvent Truncate(InstanceTagEvent item)
        => item is InstanceTagEvent.Attached { Value.Length: > 8 } attached ? attached with { Value = attached.Value[..8] } : item;
}
