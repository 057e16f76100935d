using System.Collections.Concurrent;

namespace Reactive.Streams.Generators.Tests.Fixtures;

/// <summary>
/// Handlers shared by the policy fixtures. Every handler records what it saw; <see cref="OnExpired"/> also holds the
/// pump until <see cref="Release"/>, so a test can fill the buffer deterministically behind it.
/// </summary>
public abstract class RecordingLeaseSink
{
    public ConcurrentQueue<string> Handled { get; } = new();

    public TaskCompletionSource HeldStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public CancellationToken LastToken { get; private set; }

    public void OnAcquired(LeaseEvent.Acquired item) => Handled.Enqueue("acquired:" + item.ExecutionId);

    public ValueTask OnRenewed(LeaseEvent.Renewed item, CancellationToken cancellationToken)
    {
        LastToken = cancellationToken;
        Handled.Enqueue("renewed:" + item.ExecutionId);
        return ValueTask.CompletedTask;
    }

    public async ValueTask OnExpired(LeaseEvent.Expired item)
    {
        Handled.Enqueue("expired:" + item.ExecutionId);
        HeldStarted.TrySetResult();
        await Release.Task;
    }

    public void OnRevoked(LeaseEvent.Revoked item, CancellationToken cancellationToken)
    {
        if (item.RevokedBy == "crash")
        {
            throw new InvalidOperationException("handler failed for " + item.ExecutionId);
        }

        Handled.Enqueue("revoked:" + item.ExecutionId);
    }
}

[StreamSink(typeof(LeaseEvent))]
[Backpressure(BackpressurePolicy.DropOldest, Capacity = 2)]
public sealed partial class DropOldestLeaseSink : RecordingLeaseSink
{
    public void OnUnknown(LeaseEvent.Unknown item) => Handled.Enqueue("unknown:" + item.RawWireName);
}

[StreamSink(typeof(LeaseEvent))]
[Backpressure(BackpressurePolicy.Fail, Capacity = 64)]
public sealed partial class WideLeaseSink : RecordingLeaseSink
{
    public ValueTask OnUnknown(LeaseEvent.Unknown item, CancellationToken cancellationToken)
    {
        Handled.Enqueue("unknown:" + item.RawWireName);
        return ValueTask.CompletedTask;
    }
}

[StreamSink(typeof(LeaseEvent))]
[Backpressure(BackpressurePolicy.DegradeQuality, Capacity = 2, Degrader = nameof(Degrade))]
public sealed partial class DegradingLeaseSink : RecordingLeaseSink
{
    private static LeaseEvent Degrade(LeaseEvent item)
        => item is LeaseEvent.Acquired acquired ? acquired with { ExecutionId = acquired.ExecutionId + "~", LeaseId = null } : item;
}

[StreamSink(typeof(LeaseEvent))]
[Backpressure(BackpressurePolicy.PauseUpstream, Capacity = 2)]
public sealed partial class PausingLeaseSink : RecordingLeaseSink;

[StreamSink(typeof(LeaseEvent))]
[Backpressure(BackpressurePolicy.Fail, Capacity = 2)]
public sealed partial class FailingLeaseSink : RecordingLeaseSink;

[StreamSink(typeof(Outcome))]
[Backpressure(BackpressurePolicy.Fail, Capacity = 8)]
public sealed partial class OutcomeSink
{
    public List<string> Handled { get; } = new();

    public void OnSuccess(Outcome.Success item) => Handled.Add("success");

    public void OnFailure(Outcome.Failure item) => Handled.Add("failure");

    public ValueTask OnCancelled(Outcome.Cancelled item, CancellationToken cancellationToken)
    {
        Handled.Add("cancelled");
        return ValueTask.CompletedTask;
    }

    public void OnOther(Outcome.Other item) => Handled.Add("other:" + item.RawValue);
}

/// <summary>A PauseUpstream sink of capacity 1 whose <c>Acquired</c> handler pushes into its own observer.</summary>
[StreamSink(typeof(LeaseEvent))]
[Backpressure(BackpressurePolicy.PauseUpstream, Capacity = 1)]
public sealed partial class EchoingLeaseSink
{
    public Observer? Self { get; set; }

    public int Echoed { get; private set; }

    public InvalidOperationException? EchoError { get; private set; }

    public async ValueTask OnAcquired(LeaseEvent.Acquired item)
    {
        // After an await too: the handler's flow is recognised, whichever thread it continues on.
        await Task.Yield();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                Self!.OnNext(new LeaseEvent.Expired(item.Cursor, item.ExecutionId + "-echo" + i, item.At));
                Echoed++;
            }
        }
        catch (InvalidOperationException error)
        {
            EchoError = error;
        }
    }

    public void OnRenewed(LeaseEvent.Renewed item) { }

    public void OnExpired(LeaseEvent.Expired item) { }

    public void OnRevoked(LeaseEvent.Revoked item) { }
}

/// <summary>A PauseUpstream sink whose <c>Expired</c> handler waits until its token is cancelled.</summary>
[StreamSink(typeof(LeaseEvent))]
[Backpressure(BackpressurePolicy.PauseUpstream, Capacity = 4)]
public sealed partial class CancellableLeaseSink
{
    public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource Cancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void OnAcquired(LeaseEvent.Acquired item) { }

    public void OnRenewed(LeaseEvent.Renewed item) { }

    public async ValueTask OnExpired(LeaseEvent.Expired item, CancellationToken cancellationToken)
    {
        Started.TrySetResult();
        try
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            Cancelled.TrySetResult();
            throw;
        }
    }

    public void OnRevoked(LeaseEvent.Revoked item) { }
}

/// <summary>
/// Lossy sinks (their delivery sink keeps a buffer of its own) whose <c>Expired</c> handler disposes the delivery sink it
/// runs in, after an await (on another thread), and records whether that disposal returned.
/// </summary>
public abstract class SelfDisposingLeaseSink
{
    public ConcurrentQueue<string> Handled { get; } = new();

    public IAsyncDisposable? Self { get; set; }

    /// <summary>Awaited by the <c>Expired</c> handler before it disposes, so a test can buffer items behind it first.</summary>
    public TaskCompletionSource Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource DisposedFromHandler { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async ValueTask OnExpired(LeaseEvent.Expired item, CancellationToken cancellationToken)
    {
        Handled.Enqueue("expired:" + item.ExecutionId);
        await Gate.Task;
        await Self!.DisposeAsync();
        Handled.Enqueue("disposed-in:" + item.ExecutionId);
        DisposedFromHandler.TrySetResult();
    }

    public void OnAcquired(LeaseEvent.Acquired item) => Handled.Enqueue("acquired:" + item.ExecutionId);

    public void OnRenewed(LeaseEvent.Renewed item) { }

    public void OnRevoked(LeaseEvent.Revoked item) { }
}

[StreamSink(typeof(LeaseEvent))]
[Backpressure(BackpressurePolicy.DropOldest, Capacity = 8)]
public sealed partial class SelfDisposingDropOldestLeaseSink : SelfDisposingLeaseSink;

[StreamSink(typeof(LeaseEvent))]
[Backpressure(BackpressurePolicy.DegradeQuality, Capacity = 8, Degrader = nameof(Degrade))]
public sealed partial class SelfDisposingDegradingLeaseSink : SelfDisposingLeaseSink
{
    private static LeaseEvent Degrade(LeaseEvent item) => item;
}

/// <summary>A PauseUpstream sink whose <c>Expired</c> handler disposes the observer it runs in (<see cref="SelfDisposingLeaseSink.Self"/>).</summary>
[StreamSink(typeof(LeaseEvent))]
[Backpressure(BackpressurePolicy.PauseUpstream, Capacity = 8)]
public sealed partial class SelfDisposingPausingLeaseSink : SelfDisposingLeaseSink;

/// <summary>A sink whose <c>Revoked</c> handler throws <see cref="OperationCanceledException"/> (its own, no token cancelled).</summary>
[StreamSink(typeof(LeaseEvent))]
[Backpressure(BackpressurePolicy.PauseUpstream, Capacity = 8)]
public sealed partial class GivingUpLeaseSink
{
    public ConcurrentQueue<string> Handled { get; } = new();

    public void OnAcquired(LeaseEvent.Acquired item) => Handled.Enqueue("acquired:" + item.ExecutionId);

    public void OnRenewed(LeaseEvent.Renewed item) { }

    public void OnExpired(LeaseEvent.Expired item) { }

    public async ValueTask OnRevoked(LeaseEvent.Revoked item)
    {
        await Task.Yield();
        throw new OperationCanceledException("gave up on " + item.ExecutionId);
    }
}

/// <summary>A DegradeQuality sink of capacity 2 whose degrader throws for an <c>Acquired</c> whose id is "poison".</summary>
[StreamSink(typeof(LeaseEvent))]
[Backpressure(BackpressurePolicy.DegradeQuality, Capacity = 2, Degrader = nameof(Degrade))]
public sealed partial class PoisonDegraderLeaseSink : RecordingLeaseSink
{
    private static LeaseEvent Degrade(LeaseEvent item)
        => item is LeaseEvent.Acquired { ExecutionId: "poison" } ? throw new FormatException("cannot degrade poison") : item;
}
