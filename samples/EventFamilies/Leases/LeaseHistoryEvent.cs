using Reactive.Streams;

namespace EventFamilies.Leases;

/// <summary>
/// The history of one execution's lease. <c>Cursor</c>, <c>ExecutionId</c> and <c>At</c> are in every variant, so the
/// generator lifts them onto the base: <c>evt.Cursor</c> works without a match.
/// </summary>
[EventUnion]
public abstract partial record LeaseHistoryEvent
{
    public sealed record Acquired(Cursor Cursor, string ExecutionId, string LeaseId, string Holder, DateTimeOffset At) : LeaseHistoryEvent;

    public sealed record Renewed(Cursor Cursor, string ExecutionId, string LeaseId, long TtlMs, DateTimeOffset At) : LeaseHistoryEvent;

    public sealed record Expired(Cursor Cursor, string ExecutionId, string LeaseId, DateTimeOffset At) : LeaseHistoryEvent;

    /// <summary>Another worker took over an expired lease.</summary>
    public sealed record Reclaimed(Cursor Cursor, string ExecutionId, string LeaseId, string NewHolder, DateTimeOffset At) : LeaseHistoryEvent;

    /// <summary>An operator revoked the lease; written as <c>"lease_revoked"</c> by the producers that predate this type.</summary>
    [WireName("lease_revoked")]
    public sealed record Revoked(Cursor Cursor, string ExecutionId, string RevokedBy, string? Reason, DateTimeOffset At) : LeaseHistoryEvent;
}
