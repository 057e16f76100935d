using System.Globalization;

namespace Reactive.Streams.Testing;

/// <summary>
/// The virtual times at which an observer subscribed to a test observable and released its subscription, as in
/// Microsoft.Reactive.Testing.
/// </summary>
/// <remarks>
/// <see cref="ToString"/> prints <c>(subscribe, unsubscribe)</c>, or <c>(subscribe, Infinite)</c> while the subscription
/// is still active, which makes test failure diffs readable.
/// </remarks>
public readonly struct Subscription : IEquatable<Subscription>
{
    /// <summary>The unsubscription time of a subscription that has not been released.</summary>
    public const long Infinite = long.MaxValue;

    /// <summary>Creates a record of a subscription made at <paramref name="subscribe"/> and never released.</summary>
    /// <param name="subscribe">The virtual time of the subscription.</param>
    public Subscription(long subscribe)
        : this(subscribe, Infinite)
    {
    }

    /// <summary>Creates a record of a subscription made at <paramref name="subscribe"/> and released at <paramref name="unsubscribe"/>.</summary>
    /// <param name="subscribe">The virtual time of the subscription.</param>
    /// <param name="unsubscribe">The virtual time of the release, or <see cref="Infinite"/>.</param>
    public Subscription(long subscribe, long unsubscribe)
    {
        Subscribe = subscribe;
        Unsubscribe = unsubscribe;
    }

    /// <summary>Gets the virtual time of the subscription.</summary>
    public long Subscribe { get; }

    /// <summary>Gets the virtual time of the release, or <see cref="Infinite"/> while the subscription is active.</summary>
    public long Unsubscribe { get; }

    /// <summary>Returns whether <paramref name="other"/> has the same subscription and release times.</summary>
    /// <param name="other">The subscription record to compare with this one.</param>
    /// <returns><see langword="true"/> when both times are equal.</returns>
    public bool Equals(Subscription other) => Subscribe == other.Subscribe && Unsubscribe == other.Unsubscribe;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is Subscription other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Subscribe, Unsubscribe);

    /// <summary>Returns the record as <c>(subscribe, unsubscribe)</c> or <c>(subscribe, Infinite)</c>.</summary>
    /// <returns>The readable form of the record.</returns>
    public override string ToString() => Unsubscribe == Infinite
        ? string.Create(CultureInfo.InvariantCulture, $"({Subscribe}, Infinite)")
        : string.Create(CultureInfo.InvariantCulture, $"({Subscribe}, {Unsubscribe})");

    /// <summary>Returns whether two subscription records have the same times.</summary>
    /// <param name="left">The first record.</param>
    /// <param name="right">The second record.</param>
    /// <returns><see langword="true"/> when both are equal.</returns>
    public static bool operator ==(Subscription left, Subscription right) => left.Equals(right);

    /// <summary>Returns whether two subscription records differ.</summary>
    /// <param name="left">The first record.</param>
    /// <param name="right">The second record.</param>
    /// <returns><see langword="true"/> when they differ.</returns>
    public static bool operator !=(Subscription left, Subscription right) => !left.Equals(right);
}
