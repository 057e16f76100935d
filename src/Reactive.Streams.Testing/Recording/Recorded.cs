using System.Globalization;

namespace Reactive.Streams.Testing;

/// <summary>
/// A value recorded together with the virtual time at which it was produced, as in Microsoft.Reactive.Testing.
/// </summary>
/// <typeparam name="T">The type of the recorded value; usually <see cref="System.Reactive.Notification{T}"/>.</typeparam>
/// <remarks>
/// Two records are equal when their times are equal and their values are equal by
/// <see cref="EqualityComparer{T}.Default"/>, so whole message lists compare with
/// <c>Assert.Equal(expected, observer.Messages)</c>. A predicate record made by
/// <see cref="ReactiveTest.OnNext{T}(long, Func{T, bool})"/> or <see cref="ReactiveTest.OnError{T}(long, Func{Exception, bool})"/>
/// matches a concrete record with the same time whose notification satisfies it, on either side of the comparison
/// (so <c>Assert.Contains(OnNext&lt;int&gt;(210, x =&gt; x &gt; 10), observer.Messages)</c> works too); two predicate
/// records are equal only when they are the same expectation. Equal records have equal hash codes: when
/// <typeparamref name="T"/> could hold a predicate (a non-sealed reference type such as
/// <see cref="System.Reactive.Notification{T}"/>) the hash code depends on the time only.
/// <see cref="ToString"/> prints <c>value@time</c> (for example <c>OnNext(42)@210</c>), which makes test failure diffs readable.
/// </remarks>
/// <param name="time">The virtual time (in scheduler ticks) at which the value was produced.</param>
/// <param name="value">The recorded value.</param>
public readonly struct Recorded<T>(long time, T value) : IEquatable<Recorded<T>>
{
    /// <summary>Gets the virtual time (in scheduler ticks) at which the value was produced.</summary>
    public long Time { get; } = time;

    /// <summary>Gets the recorded value.</summary>
    public T Value { get; } = value;

    /// <summary>Returns whether <paramref name="other"/> has the same time and an equal value.</summary>
    /// <param name="other">The record to compare with this one.</param>
    /// <returns><see langword="true"/> when both time and value are equal.</returns>
    public bool Equals(Recorded<T> other) =>
        Time == other.Time
        && (s_mayHoldPattern && other.Value is INotificationPattern pattern && Value is not INotificationPattern
            ? pattern.Matches(Value)
            : EqualityComparer<T>.Default.Equals(Value, other.Value));

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is Recorded<T> other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => s_mayHoldPattern ? Time.GetHashCode() : HashCode.Combine(Time, Value);

    // A predicate expectation (PredicateNotification<X>) fits only in a T that is a non-sealed reference type (object,
    // Notification<X>, an interface). A pattern equals values of different hashes, so there the hash is the time's.
    private static readonly bool s_mayHoldPattern = !typeof(T).IsValueType && !typeof(T).IsSealed;

    /// <summary>
    /// Returns the record as <c>value@time</c>, for example <c>OnNext(42)@210</c>, in the invariant culture: the value's
    /// own text too (<c>OnNext(1.5)@210</c> on every machine), as it is produced under the invariant culture.
    /// </summary>
    /// <returns>The readable form of the record.</returns>
    public override string ToString()
    {
        // Rx's Notification<T>.ToString and a payload's own ToString read the current culture, so switching it for the
        // call is what makes a transcript (string.Join(", ", observer.Messages)) the same on every machine.
        var culture = CultureInfo.CurrentCulture;
        if (ReferenceEquals(culture, CultureInfo.InvariantCulture))
        {
            return Format();
        }

        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        try
        {
            return Format();
        }
        finally
        {
            CultureInfo.CurrentCulture = culture;
        }
    }

    private string Format() =>
        string.Create(CultureInfo.InvariantCulture, $"{(Value is null ? "null" : Value.ToString())}@{Time}");

    /// <summary>Returns whether two records have the same time and equal values.</summary>
    /// <param name="left">The first record.</param>
    /// <param name="right">The second record.</param>
    /// <returns><see langword="true"/> when both are equal.</returns>
    public static bool operator ==(Recorded<T> left, Recorded<T> right) => left.Equals(right);

    /// <summary>Returns whether two records differ in time or value.</summary>
    /// <param name="left">The first record.</param>
    /// <param name="right">The second record.</param>
    /// <returns><see langword="true"/> when they differ.</returns>
    public static bool operator !=(Recorded<T> left, Recorded<T> right) => !left.Equals(right);
}
