using System.Text.Json;
using System.Text.Json.Serialization;
using BenchmarkDotNet.Attributes;

namespace Reactive.Streams.Benchmarks.Generators;

/// <summary>
/// Target: a JSON round trip (serialize to UTF-8, deserialize) of every variant of a 6-variant union through the
/// generated converter is at least as fast as System.Text.Json's own polymorphism ([JsonPolymorphic]/[JsonDerivedType])
/// with a source-generated context, and allocates no more. Both write the same JSON.
/// </summary>
[MemoryDiagnoser]
public class UnionJsonBenchmarks
{
    private static readonly DateTimeOffset s_at = new(2026, 11, 22, 13, 0, 0, TimeSpan.Zero);

    private static readonly BenchJsonContext s_generated = new(new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, Converters = { new BenchLeaseEventJsonConverter() } });

    private readonly BenchLeaseEvent[] _generatedEvents =
    [
        new BenchLeaseEvent.Acquired(new BenchCursor(1700000000000, 0), "exec-1", "lease-1", "worker-a", s_at),
        new BenchLeaseEvent.Renewed(new BenchCursor(1700000000500, 0), "exec-1", "lease-1", 30000, s_at),
        new BenchLeaseEvent.Expired(new BenchCursor(1700000001000, 0), "exec-1", "lease-1", s_at),
        new BenchLeaseEvent.Reclaimed(new BenchCursor(1700000001000, 1), "exec-1", "lease-1", "worker-b", s_at),
        new BenchLeaseEvent.Revoked(new BenchCursor(1700000002000, 0), "exec-2", "ops", null, s_at),
        new BenchLeaseEvent.Released(new BenchCursor(1700000003000, 0), "exec-2", "lease-2", 3, s_at),
    ];

    private readonly StjLeaseEvent[] _stjEvents =
    [
        new StjLeaseEvent.Acquired(new BenchCursor(1700000000000, 0), "exec-1", "lease-1", "worker-a", s_at),
        new StjLeaseEvent.Renewed(new BenchCursor(1700000000500, 0), "exec-1", "lease-1", 30000, s_at),
        new StjLeaseEvent.Expired(new BenchCursor(1700000001000, 0), "exec-1", "lease-1", s_at),
        new StjLeaseEvent.Reclaimed(new BenchCursor(1700000001000, 1), "exec-1", "lease-1", "worker-b", s_at),
        new StjLeaseEvent.Revoked(new BenchCursor(1700000002000, 0), "exec-2", "ops", null, s_at),
        new StjLeaseEvent.Released(new BenchCursor(1700000003000, 0), "exec-2", "lease-2", 3, s_at),
    ];

    [GlobalSetup]
    public void Setup()
    {
        // Both sides must write the same bytes, or the comparison means nothing.
        for (var i = 0; i < _generatedEvents.Length; i++)
        {
            var generated = JsonSerializer.Serialize(_generatedEvents[i], s_generated.BenchLeaseEvent);
            var stj = JsonSerializer.Serialize(_stjEvents[i], StjJsonContext.Default.StjLeaseEvent);
            if (generated != stj)
            {
                throw new InvalidOperationException($"Different JSON:\n{generated}\n{stj}");
            }
        }
    }

    [Benchmark(Baseline = true)]
    public int SystemTextJsonPolymorphic()
    {
        var total = 0;
        foreach (var item in _stjEvents)
        {
            var bytes = JsonSerializer.SerializeToUtf8Bytes(item, StjJsonContext.Default.StjLeaseEvent);
            total += JsonSerializer.Deserialize(bytes, StjJsonContext.Default.StjLeaseEvent)!.ExecutionId.Length;
        }

        return total;
    }

    [Benchmark]
    public int GeneratedConverter()
    {
        var total = 0;
        foreach (var item in _generatedEvents)
        {
            var bytes = JsonSerializer.SerializeToUtf8Bytes(item, s_generated.BenchLeaseEvent);
            total += JsonSerializer.Deserialize(bytes, s_generated.BenchLeaseEvent)!.ExecutionId.Length;
        }

        return total;
    }
}

public readonly record struct BenchCursor(long Milliseconds, int Sequence);

[EventUnion]
public abstract partial record BenchLeaseEvent
{
    public sealed record Acquired(BenchCursor Cursor, string ExecutionId, string LeaseId, string Holder, DateTimeOffset At) : BenchLeaseEvent;

    public sealed record Renewed(BenchCursor Cursor, string ExecutionId, string LeaseId, long TtlMs, DateTimeOffset At) : BenchLeaseEvent;

    public sealed record Expired(BenchCursor Cursor, string ExecutionId, string LeaseId, DateTimeOffset At) : BenchLeaseEvent;

    public sealed record Reclaimed(BenchCursor Cursor, string ExecutionId, string LeaseId, string NewHolder, DateTimeOffset At) : BenchLeaseEvent;

    public sealed record Revoked(BenchCursor Cursor, string ExecutionId, string RevokedBy, string? Reason, DateTimeOffset At) : BenchLeaseEvent;

    public sealed record Released(BenchCursor Cursor, string ExecutionId, string LeaseId, int? Attempt, DateTimeOffset At) : BenchLeaseEvent;
}

[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(Acquired), "acquired")]
[JsonDerivedType(typeof(Renewed), "renewed")]
[JsonDerivedType(typeof(Expired), "expired")]
[JsonDerivedType(typeof(Reclaimed), "reclaimed")]
[JsonDerivedType(typeof(Revoked), "revoked")]
[JsonDerivedType(typeof(Released), "released")]
public abstract record StjLeaseEvent
{
    public abstract BenchCursor Cursor { get; init; }

    public abstract string ExecutionId { get; init; }

    public abstract DateTimeOffset At { get; init; }

    public sealed record Acquired(BenchCursor Cursor, string ExecutionId, string LeaseId, string Holder, DateTimeOffset At) : StjLeaseEvent;

    public sealed record Renewed(BenchCursor Cursor, string ExecutionId, string LeaseId, long TtlMs, DateTimeOffset At) : StjLeaseEvent;

    public sealed record Expired(BenchCursor Cursor, string ExecutionId, string LeaseId, DateTimeOffset At) : StjLeaseEvent;

    public sealed record Reclaimed(BenchCursor Cursor, string ExecutionId, string LeaseId, string NewHolder, DateTimeOffset At) : StjLeaseEvent;

    public sealed record Revoked(BenchCursor Cursor, string ExecutionId, string RevokedBy, string? Reason, DateTimeOffset At) : StjLeaseEvent;

    public sealed record Released(BenchCursor Cursor, string ExecutionId, string LeaseId, int? Attempt, DateTimeOffset At) : StjLeaseEvent;
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(BenchLeaseEvent))]
[JsonSerializable(typeof(BenchCursor))]
internal sealed partial class BenchJsonContext : JsonSerializerContext;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(StjLeaseEvent))]
internal sealed partial class StjJsonContext : JsonSerializerContext;
