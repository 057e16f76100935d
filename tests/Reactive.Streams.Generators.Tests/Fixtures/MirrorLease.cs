using System.Text.Json.Serialization;

namespace Reactive.Streams.Generators.Tests.Fixtures;

/// <summary>The fixture's <see cref="LeaseEvent"/> as System.Text.Json's own polymorphism declares it.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(Acquired), "acquired")]
[JsonDerivedType(typeof(Revoked), "revoked")]
public abstract record MirrorLease
{
    public sealed record Acquired(Cursor Cursor, string ExecutionId, string? LeaseId, DateTimeOffset At) : MirrorLease;

    public sealed record Revoked(Cursor Cursor, string ExecutionId, DateTimeOffset At, [property: JsonPropertyName("by")] string RevokedBy, int? Attempt) : MirrorLease;
}
