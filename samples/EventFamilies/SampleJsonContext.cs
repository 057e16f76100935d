using System.Text.Json.Serialization;
using EventFamilies.Completion;
using EventFamilies.Leases;
using EventFamilies.Signals;
using EventFamilies.Tags;

namespace EventFamilies;

/// <summary>
/// A source-generated context: no reflection at run time. The generated union converters are added to its options;
/// <see cref="Cursor"/> is listed because the lease converter reads and writes it through the context.
/// </summary>
[JsonSerializable(typeof(LeaseHistoryEvent))]
[JsonSerializable(typeof(LeaseHistoryEvent[]))]
[JsonSerializable(typeof(CompletionOutcome))]
[JsonSerializable(typeof(SignalEffect))]
[JsonSerializable(typeof(InstanceTagEvent))]
[JsonSerializable(typeof(Cursor))]
internal sealed partial class SampleJsonContext : JsonSerializerContext
{
    public static SampleJsonContext WithUnionConverters { get; } = new(new System.Text.Json.JsonSerializerOptions
    {
        Converters =
        {
            new LeaseHistoryEventJsonConverter(),
            new CompletionOutcomeJsonConverter(),
            new SignalEffectJsonConverter(),
            new InstanceTagEventJsonConverter(),
        },
    });
}
