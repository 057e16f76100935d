using System.Text.Json;
using EventFamilies;
using EventFamilies.Completion;
using EventFamilies.Leases;
using EventFamilies.Signals;
using EventFamilies.Tags;

// The four event families of the seed design as generated unions, read from JSON, matched, and handed to generated sinks
// whose buffers follow the policy each sink declares.
var json = SampleJsonContext.WithUnionConverters;
var at = new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

// 1. Lease history, as a newer producer wrote it: one variant ("lease_transferred") this code has never heard of.
const string History = """
    [
      {"type":"acquired","cursor":{"Milliseconds":1700000000000,"Sequence":0},"execution_id":"exec-1","lease_id":"L1","holder":"worker-a","at":"2026-11-22T12:00:00+00:00"},
      {"type":"renewed","cursor":{"Milliseconds":1700000000500,"Sequence":0},"execution_id":"exec-1","lease_id":"L1","ttl_ms":30000,"at":"2026-11-22T12:00:01+00:00"},
      {"type":"lease_transferred","cursor":{"Milliseconds":1700000000600,"Sequence":0},"execution_id":"exec-1","at":"2026-11-22T12:00:02+00:00","to":"worker-c"},
      {"type":"expired","cursor":{"Milliseconds":1700000001000,"Sequence":0},"execution_id":"exec-1","lease_id":"L1","at":"2026-11-22T12:00:30+00:00"},
      {"type":"reclaimed","cursor":{"Milliseconds":1700000001000,"Sequence":1},"execution_id":"exec-1","lease_id":"L1","new_holder":"worker-b","at":"2026-11-22T12:00:31+00:00"},
      {"type":"acquired","cursor":{"Milliseconds":1700000002000,"Sequence":0},"execution_id":"exec-2","lease_id":"L2","holder":"worker-a","at":"2026-11-22T12:01:00+00:00"},
      {"type":"lease_revoked","cursor":{"Milliseconds":1700000003000,"Sequence":0},"execution_id":"exec-2","revoked_by":"ops","reason":null,"at":"2026-11-22T12:02:00+00:00"}
    ]
    """;
var history = JsonSerializer.Deserialize(History, json.LeaseHistoryEventArray)!;
foreach (var evt in history)
{
    // Cursor, ExecutionId and At are shared accessors: no match needed. Unknown reads them from its payload.
    var what = evt.Match(
        static a => $"acquired by {a.Holder}",
        static r => $"renewed for {r.TtlMs} ms",
        static e => "expired",
        static r => $"reclaimed by {r.NewHolder}",
        static r => $"revoked by {r.RevokedBy}",
        static u => $"unknown variant '{u.RawWireName}' (kept as is)");
    Console.WriteLine($"{evt.Cursor,-16} {evt.ExecutionId}  {evt.Kind,-9} {what}");
}

var transferred = history.OfType<LeaseHistoryEvent.Unknown>().Single();
Console.WriteLine($"unknown variant written back unchanged: {JsonSerializer.Serialize<LeaseHistoryEvent>(transferred, json.LeaseHistoryEvent)}");

var projection = new LeaseProjection();
await using (var observer = projection.CreateObserver())
{
    foreach (var evt in history)
    {
        observer.OnNext(evt);
    }

    observer.OnCompleted();
    await observer.Completion;
    Console.WriteLine($"lease holders: {string.Join(", ", projection.Holders.Select(static h => $"{h.Key}={h.Value}"))}; unknown seen: {projection.UnknownSeen}");
}

// The same projection as a delivery sink: the dispatcher's queue for it blocks at the declared capacity (PauseUpstream),
// and each item is acknowledged only after its handler ran.
var delivered = new LeaseProjection();
await using (var deliverySink = delivered.CreateDeliverySink())
{
    await using var dispatcher = new Reactive.Streams.DeliveryDispatcher<LeaseHistoryEvent>(
        new Reactive.Streams.DeliveryOptions<LeaseHistoryEvent>().AddSink(deliverySink, deliverySink.Options));
    var acks = history.Select(static _ => new Reactive.Streams.AckCompletionSource()).ToArray();
    for (var i = 0; i < history.Length; i++)
    {
        await dispatcher.DispatchAsync(history[i], acks[i]);
    }

    await Task.WhenAll(acks.Select(static a => a.Task));
    Console.WriteLine($"delivered and acknowledged {acks.Length} lease events; holders: {string.Join(", ", delivered.Holders.Select(static h => $"{h.Key}={h.Value}"))}");
}

// 2. Completion outcomes: payload-less, so they travel as plain strings; "timed_out" is kept as Other.
var outcomes = new[] { "success", "failure", "success", "cancelled", "timed_out" }.Select(CompletionOutcome.FromWire).ToList();
var tally = new OutcomeTally();
await using (var observer = tally.CreateObserver())
{
    outcomes.ForEach(observer.OnNext);
    observer.OnCompleted();
    await observer.Completion;
}

Console.WriteLine($"outcomes: {string.Join(", ", tally.Counts.OrderBy(static c => c.Key, StringComparer.Ordinal).Select(static c => $"{c.Key}={c.Value}"))}");
Console.WriteLine($"outcome JSON: {JsonSerializer.Serialize(outcomes[4], json.CompletionOutcome)} -> {JsonSerializer.Deserialize("\"timed_out\"", json.CompletionOutcome)}");

// 3. Signal delivery effects into a DropOldest dashboard.
var dashboard = new SignalDashboard();
await using (var observer = dashboard.CreateObserver())
{
    foreach (var wire in new[] { "satisfied", "buffered", "deduped", "satisfied", "expired_before_delivery" })
    {
        observer.OnNext(SignalEffect.FromWire(wire));
    }

    observer.OnCompleted();
    await observer.Completion;
}

Console.WriteLine($"signals: satisfied={dashboard.Satisfied} buffered={dashboard.Buffered} deduped={dashboard.Deduped} other=[{string.Join(", ", dashboard.Others)}]");

// 4. Instance tags into a DegradeQuality index.
var index = new TagIndex();
await using (var observer = index.CreateObserver())
{
    observer.OnNext(new InstanceTagEvent.Attached("i-1", "region", "eu-west-1", at));
    observer.OnNext(new InstanceTagEvent.Attached("i-1", "owner", "team-streams", at));
    observer.OnNext(new InstanceTagEvent.Cleared("i-1", "owner", at.AddMinutes(1)));
    observer.OnCompleted();
    await observer.Completion;
}

Console.WriteLine($"tags: {string.Join(", ", index.Tags.Select(static t => $"{t.Key.Instance}/{t.Key.Key}={t.Value}"))}");
Console.WriteLine($"tag JSON: {JsonSerializer.Serialize<InstanceTagEvent>(new InstanceTagEvent.Cleared("i-1", "owner", at), json.InstanceTagEvent)}");
