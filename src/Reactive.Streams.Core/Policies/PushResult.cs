using System.Runtime.CompilerServices;

namespace Reactive.Streams;

/// <summary>What a non-throwing push did with its item.</summary>
public enum PushStatus
{
    /// <summary>The item was enqueued; nothing was evicted.</summary>
    Enqueued = 0,

    /// <summary>The buffer was full under <see cref="BackpressurePolicy.DropOldest"/>: the oldest item was evicted and the new one enqueued.</summary>
    DroppedOldest = 1,

    /// <summary>The buffer was full under <see cref="BackpressurePolicy.DegradeQuality"/>: the oldest item was evicted and the degraded new one enqueued.</summary>
    Degraded = 2,

    /// <summary>
    /// The buffer was full under <see cref="BackpressurePolicy.PauseUpstream"/> and the push was not allowed to wait.
    /// The item was not taken and nothing was counted: the caller still owns it (as with <c>ChannelWriter.TryWrite</c>).
    /// </summary>
    Full = 3,

    /// <summary>The buffer was full and the policy rejected the item (<see cref="BackpressurePolicy.Fail"/>, or a PauseUpstream timeout).</summary>
    Overflow = 4,

    /// <summary>The stream was completed (or the wait was cancelled); the item was rejected.</summary>
    Closed = 5,

    /// <summary>The buffer overflowed under <see cref="BackpressurePolicy.DegradeQuality"/> with no degrader; the item was rejected.</summary>
    MissingDegrader = 6,

    /// <summary>The degrader threw; the item was rejected, nothing was evicted, and <see cref="PushResult.Error"/> holds the exception.</summary>
    DegraderFailed = 7,
}

/// <summary>
/// The outcome of a non-throwing push: a status, and for <see cref="PushStatus.DegraderFailed"/> the degrader's
/// exception. Returning a value instead of throwing lets a hot loop under <see cref="BackpressurePolicy.Fail"/>
/// reject items without paying for exceptions.
/// </summary>
public readonly struct PushResult : IEquatable<PushResult>
{
    internal PushResult(PushStatus status, Exception? error = null)
    {
        Status = status;
        Error = error;
    }

    /// <summary>What happened to the item.</summary>
    public PushStatus Status { get; }

    /// <summary>The degrader's exception when <see cref="Status"/> is <see cref="PushStatus.DegraderFailed"/>; otherwise <see langword="null"/>.</summary>
    public Exception? Error { get; }

    /// <summary>Whether the item (or its degraded form) is now in the buffer.</summary>
    public bool IsAccepted => Status <= PushStatus.Degraded;

    internal static PushResult Enqueued
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => new(PushStatus.Enqueued);
    }

    /// <inheritdoc />
    public bool Equals(PushResult other) => Status == other.Status && ReferenceEquals(Error, other.Error);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is PushResult other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Status, Error);

    /// <inheritdoc />
    public override string ToString() => Error is null ? Status.ToString() : $"{Status}: {Error.Message}";

    /// <summary>Compares two results.</summary>
    public static bool operator ==(PushResult left, PushResult right) => left.Equals(right);

    /// <summary>Compares two results.</summary>
    public static bool operator !=(PushResult left, PushResult right) => !left.Equals(right);
}
