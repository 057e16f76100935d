using System.Text;

namespace Reactive.Streams.Storage.Tests;

/// <summary>The texts of frames received on other threads (a tail's loop, a worker's handler), in order of arrival.</summary>
internal sealed class FrameTexts
{
    private readonly List<string> _texts = [];
    private readonly Lock _gate = new();

    /// <summary>How many frames have arrived so far.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _texts.Count;
            }
        }
    }

    public void Add(IReadOnlyList<StreamFrame> frames)
    {
        lock (_gate)
        {
            foreach (var frame in frames)
            {
                _texts.Add(Encoding.UTF8.GetString(frame.Payload.Span));
            }
        }
    }

    public string[] ToArray()
    {
        lock (_gate)
        {
            return [.. _texts];
        }
    }
}

/// <summary>
/// A <c>TailAllAsync</c> from the start of a stream, run on the thread pool, that records each frame's text: for tests
/// that watch one tail across an event (a server restart) and then check it got every frame once, in order.
/// </summary>
internal sealed class TailRecorder : IDisposable
{
    private readonly CancellationTokenSource _stop = new();

    public TailRecorder(IStreamLog log, string stream)
    {
        Tail = Task.Run(async () =>
        {
            await foreach (var frame in log.TailAllAsync(stream, StreamId.Min, cancellationToken: _stop.Token))
            {
                Received.Add([frame]);
            }
        });
    }

    /// <summary>The tail; it ends only with an error, or with cancellation from <see cref="StopAsync"/>.</summary>
    public Task Tail { get; }

    /// <summary>What the tail has received so far.</summary>
    public FrameTexts Received { get; } = new();

    /// <summary>Stops the tail, asserts it ended by that cancellation (not an error), and returns what it received.</summary>
    public async Task<string[]> StopAsync(TimeSpan guard)
    {
        Assert.False(Tail.IsCompleted, Tail.Exception?.ToString());
        await _stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Tail.WaitAsync(guard));
        return Received.ToArray();
    }

    public void Dispose() => _stop.Dispose();
}
