namespace Reactive.Streams;

/// <summary>
/// Thrown by a sink (<see cref="IDeliverySink{T}"/>) to say an item can never be delivered (a malformed payload, a
/// rejected schema): the dispatcher skips the retries and dead-letters the item after this one attempt. Every other
/// exception is transient unless <see cref="DeliveryOptions{T}.IsTransient"/> says otherwise.
/// </summary>
public class PermanentDeliveryException : Exception
{
    /// <summary>Creates the exception with a default message.</summary>
    public PermanentDeliveryException()
        : base("The item can never be delivered to this sink.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">Why the item can never be delivered; null for the default message of <see cref="Exception"/>.</param>
    public PermanentDeliveryException(string? message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the underlying error.</summary>
    /// <param name="message">Why the item can never be delivered; null for the default message of <see cref="Exception"/>.</param>
    /// <param name="innerException">The underlying error.</param>
    public PermanentDeliveryException(string? message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
