namespace Reactive.Streams.Internal;

/// <summary>
/// The caller's cancellation seen through a linked token source: a call that waits on its caller's token linked with
/// the owner's disposal gets an <see cref="OperationCanceledException"/> naming the linked token. As the runtime's own
/// types do (<c>ChannelReader.ReadAsync</c>, <c>Task.Delay</c>), the exception the caller sees names the caller's token,
/// so code that tells its own cancellation from another by the token (<c>when (e.CancellationToken == token)</c>) sees it.
/// </summary>
internal static class CallerCancellation
{
    /// <summary>Whether <paramref name="error"/> is the caller's cancellation under another token's name.</summary>
    public static bool IsRenamed(OperationCanceledException error, CancellationToken callerToken) =>
        callerToken.IsCancellationRequested && error.CancellationToken != callerToken;

    /// <summary>The same cancellation (same type, message, and <paramref name="error"/> as the inner exception) naming <paramref name="callerToken"/>.</summary>
    public static OperationCanceledException Rename(OperationCanceledException error, CancellationToken callerToken) =>
        error is TaskCanceledException
            ? new TaskCanceledException(error.Message, error, callerToken)
            : new OperationCanceledException(error.Message, error, callerToken);
}
