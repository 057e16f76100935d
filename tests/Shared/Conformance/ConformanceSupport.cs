using System.Threading.Channels;

namespace Reactive.Streams.Tests.Conformance;

/// <summary>What every adapter shares: the guard on pending operations and the mapping of errors to outcomes.</summary>
public static class ConformanceSupport
{
    /// <summary>
    /// How long a pending operation or a stream's end is waited for once the event should have resolved it. Only a
    /// failing row ever waits this long; the table asserts no elapsed time.
    /// </summary>
    public static readonly TimeSpan Guard = TimeSpan.FromSeconds(60);

    /// <summary>The error a Fault row completes the stream with.</summary>
    public static FormatException NewFault() => new("conformance fault");

    /// <summary>The party's result once it is settled, or <see cref="PartyResult.Pending"/> if the guard ran out.</summary>
    public static async Task<PartyResult> SettleAsync(Task<PartyResult> party)
    {
        if (!party.IsCompleted)
        {
            await Task.WhenAny(party, Task.Delay(Guard));
        }

        return party.IsCompleted ? await party : PartyResult.Pending;
    }

    /// <summary>The party's result if it completed at once.</summary>
    public static async Task<PartyResult> AtOnceAsync(Task<PartyResult> party) =>
        party.IsCompleted ? await party : PartyResult.Pending;

    /// <summary>Waits (up to the guard) for <paramref name="completion"/> when the row must end the stream.</summary>
    public static async Task SettleAsync(Task completion) => await Task.WhenAny(completion, Task.Delay(Guard));

    /// <summary>A push that threw: overflow, closed, cancelled; anything else is rethrown to fail the row.</summary>
    public static PartyResult WriteFailed(Exception error) => error switch
    {
        StreamOverflowException => new PartyResult(PartyOutcome.Overflow),
        InvalidOperationException { InnerException: ConformanceDegraderException } => new PartyResult(PartyOutcome.DegraderFailed),
        MissingDegraderException => new PartyResult(PartyOutcome.MissingDegrader),
        ChannelClosedException => new PartyResult(PartyOutcome.Closed),
        OperationCanceledException => new PartyResult(PartyOutcome.Cancelled),
        _ => throw new InvalidOperationException($"Unexpected push error {error.GetType().Name}: {error.Message}", error),
    };

    /// <summary>A read or wait that threw: the completion error (itself or wrapped), closed, cancelled.</summary>
    public static PartyResult ReadFailed(Exception error, Exception fault) => error switch
    {
        _ when ReferenceEquals(error, fault) || ReferenceEquals(error.InnerException, fault) => new PartyResult(PartyOutcome.Faulted),
        OperationCanceledException => new PartyResult(PartyOutcome.Cancelled),
        ChannelClosedException => new PartyResult(PartyOutcome.Ended),
        _ => throw new InvalidOperationException($"Unexpected read error {error.GetType().Name}: {error.Message}", error),
    };

    /// <summary>
    /// A synchronous push (an <c>OnNext</c>) as the table sees it: a throw maps as <see cref="WriteFailed"/>; a return is
    /// Accepted unless the surface's counters show the item rejected (an overflow, or closed), since an observer that
    /// cannot throw reports a rejection only there.
    /// </summary>
    public static PartyResult Push(Action onNext, Func<StreamMetricsSnapshot> metrics)
    {
        var before = metrics();
        try
        {
            onNext();
        }
        catch (Exception error)
        {
            return WriteFailed(error);
        }

        var after = metrics();
        return new PartyResult(
            after.ItemsPushed == before.ItemsPushed ? PartyOutcome.Ignored
            : after.FailOverflows > before.FailOverflows ? PartyOutcome.Overflow
            : after.ItemsRejected > before.ItemsRejected ? PartyOutcome.Closed
            : PartyOutcome.Accepted);
    }

    /// <summary>
    /// Starts a synchronous push. One that may block (PauseUpstream into a full buffer) runs on a thread of its own,
    /// and this returns once it has either finished or parked (the surface counted the pause).
    /// </summary>
    public static Task<PartyResult> StartPush(Action onNext, Func<StreamMetricsSnapshot> metrics, bool mayBlock)
    {
        if (!mayBlock)
        {
            return Task.FromResult(Push(onNext, metrics));
        }

        var pauses = metrics().PauseUpstreamBlocks;
        var pushing = Task.Factory.StartNew(
            () => Push(onNext, metrics), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        SpinWait.SpinUntil(() => pushing.IsCompleted || metrics().PauseUpstreamBlocks > pauses, Guard);
        return pushing;
    }

    /// <summary>
    /// An Rx <c>OnNext</c> that returned after its wait timed out reported nothing to its caller; the overflow error that
    /// ends the stream is how an observer surface reports the rejected push.
    /// </summary>
    public static PartyResult ReportedByTheEnd(PartyResult push, Terminal terminal) => (push.Outcome, terminal) switch
    {
        (PartyOutcome.Closed, Terminal.FaultedByOverflow) => new PartyResult(PartyOutcome.Overflow),
        (PartyOutcome.Closed, Terminal.FaultedByDegrader) => new PartyResult(PartyOutcome.DegraderFailed),
        (PartyOutcome.Closed, Terminal.FaultedByMissingDegrader) => new PartyResult(PartyOutcome.MissingDegrader),
        _ => push,
    };

    /// <summary>How a completion task ended, as the table names it.</summary>
    public static (Terminal Terminal, string? Detail) TerminalOf(Task completion, Exception fault, bool disposed)
    {
        if (!completion.IsCompleted)
        {
            return (disposed ? Terminal.Stopped : Terminal.Open, disposed ? "Completion still pending after disposal" : null);
        }

        if (completion.IsFaulted)
        {
            var error = completion.Exception!.InnerException!;
            return error switch
            {
                _ when ReferenceEquals(error, fault) || ReferenceEquals(error.InnerException, fault) => (Terminal.Faulted, null),
                StreamOverflowException => (Terminal.FaultedByOverflow, null),
                InvalidOperationException { InnerException: ConformanceDegraderException } => (Terminal.FaultedByDegrader, null),
                MissingDegraderException => (Terminal.FaultedByMissingDegrader, null),
                _ => (Terminal.Other, $"Completion faulted with {error.GetType().Name}: {error.Message}"),
            };
        }

        if (disposed)
        {
            return (Terminal.Stopped, completion.IsCanceled ? "Completion cancelled" : "Completion ran to completion");
        }

        return completion.IsCanceled ? (Terminal.Other, "Completion cancelled") : (Terminal.Completed, null);
    }
}
