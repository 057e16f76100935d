namespace Reactive.Streams.Tests.Pipeline;

/// <summary>
/// The whole pipeline (durable log → cursor canal → dispatcher → sinks) under injected faults, on each durable backend:
/// the consumer is stopped at random points (a cancellation anywhere in a pull, a dispatch or a sink write), sinks fail
/// at random, and a backend may inject its own faults (PostgreSQL restarts its server mid-run). Every run opens the log
/// afresh, as a restarted consumer would. At the end every event reached every sink at least once, duplicates stay
/// within the unacked window per restart, and no checkpoint write ever passed an event some sink had not committed.
/// </summary>
public abstract class PipelineFaultInjectionTests
{
    /// <summary>How many events the test runs through the pipeline.</summary>
    protected virtual int Events => 3_000;

    /// <summary>Opens a log on the test's storage (the same storage on every call).</summary>
    protected abstract Task<IStreamLog> OpenLogAsync();

    /// <summary>
    /// The backend fault for run <paramref name="run"/>, or null for none: started while the run is in full flow (when
    /// a sink reaches the run's random stop point) and given a task that completes when the run has ended; its own task
    /// ends when the backend is healthy again. A run it hits may fail with any error; one it misses goes on, and is
    /// stopped a little later.
    /// </summary>
    protected virtual Func<Task, Task>? BackendFault(int run, Random random) => null;

    /// <summary>Whether <see cref="BackendFault"/> injects any fault, so some run must have crashed.</summary>
    protected virtual bool HasBackendFaults => false;

    [Fact]
    public async Task Random_stops_sink_failures_and_backend_faults_lose_nothing_and_the_checkpoint_never_passes_an_unhandled_event()
    {
        await using (var seedLog = await OpenLogAsync())
        {
            await AtLeastOncePipeline.SeedAsync(seedLog, Events);
        }

        var sinks = new[]
        {
            new FlakyRecordingSink("a", failureRate: 0.05, seed: 11),
            new FlakyRecordingSink("b", failureRate: 0.20, seed: 12),
            new FlakyRecordingSink("c", failureRate: 0.00, seed: 13),
        };
        var random = new Random(18);
        var restarts = 0;
        var crashes = 0;
        var faults = 0;
        CheckpointGuard? guard = null;
        for (var run = 0; ; run++)
        {
            Assert.True(run < 200, "the pipeline never finished");
            await using var log = await OpenLogAsync();
            guard = new CheckpointGuard(log, (ICheckpointStore)log, sinks, guard);
            using var stop = new CancellationTokenSource();
            var stopAt = sinks[1].Committed.Count + random.Next(1, 600);
            var faultAction = BackendFault(run, random);
            var runEnded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Task? fault = null;
            sinks[1].OnCommit = count =>
            {
                if (count < stopAt)
                {
                    return;
                }

                if (faultAction is null || count >= stopAt + 300)
                {
                    stop.Cancel();
                }
                else if (Volatile.Read(ref fault) is null)
                {
                    Interlocked.CompareExchange(ref fault, Task.Run(() => faultAction(runEnded.Task)), null);
                }
            };

            bool finished;
            try
            {
                finished = await AtLeastOncePipeline.RunAsync(log, sinks, stop.Token, guard).WaitAsync(TimeSpan.FromSeconds(120));
            }
            catch (Exception) when (Volatile.Read(ref fault) is not null)
            {
                // The backend went away under the consumer: as good as a crash. What was not acknowledged comes again.
                finished = false;
                crashes++;
            }

            runEnded.SetResult();
            sinks[1].OnCommit = null;
            if (Volatile.Read(ref fault) is { } started)
            {
                await started.WaitAsync(TimeSpan.FromSeconds(120));
                faults++;
            }

            if (finished)
            {
                break;
            }

            restarts++;
        }

        Assert.True(restarts >= 3, $"only {restarts} restarts happened: the test did not exercise them");
        // A backend fault either crashes the consumer (counted in crashes) or is absorbed by the backend (an append that
        // certainly did not commit is sent again): both must lose nothing, but at least one fault must have happened.
        Assert.True(faults >= 1 || !HasBackendFaults, $"no backend fault ever hit a run ({crashes} crashes)");
        Assert.Empty(guard!.Violations);
        foreach (var sink in sinks)
        {
            var committed = sink.Committed;
            Assert.Equal(Enumerable.Range(0, Events), committed.Distinct().Order());
            Assert.InRange(committed.Count - Events, 0, restarts * AtLeastOncePipeline.UnackedWindow);
        }

        await using var final = await OpenLogAsync();
        Assert.Equal(await AtLeastOncePipeline.LastEventIdAsync(final), await ((ICheckpointStore)final).ReadCheckpointAsync(AtLeastOncePipeline.CheckpointId));
    }
}

/// <summary>
/// Stores checkpoints through <paramref name="inner"/>, and before each write checks that every event up to the new
/// position was committed by every sink; a checkpoint that passes an unhandled event is recorded as a violation.
/// </summary>
public sealed class CheckpointGuard(IStreamLog log, ICheckpointStore inner, IReadOnlyList<(string Name, Func<int, bool> HasCommitted)> sinks, CheckpointGuard? previous)
    : ICheckpointStore
{
    public CheckpointGuard(IStreamLog log, ICheckpointStore inner, IReadOnlyList<FlakyRecordingSink> sinks, CheckpointGuard? previous)
        : this(log, inner, [.. sinks.Select(Check)], previous)
    {
    }

    private readonly List<string> _violations = previous?._violations ?? [];
    private StreamId _verified = previous?._verified ?? StreamId.Min;

    public IReadOnlyList<string> Violations => _violations;

    public ValueTask<StreamId?> ReadCheckpointAsync(string checkpointId, CancellationToken cancellationToken = default) =>
        inner.ReadCheckpointAsync(checkpointId, cancellationToken);

    public async ValueTask WriteCheckpointAsync(string checkpointId, StreamId position, CancellationToken cancellationToken = default)
    {
        if (position > _verified)
        {
            for (var from = _verified.Successor(); ;)
            {
                var page = await log.ReadAsync(AtLeastOncePipeline.EventStream, from, position, 1_000, cancellationToken);
                if (page.Count == 0)
                {
                    break;
                }

                foreach (var frame in page)
                {
                    var value = AtLeastOncePipeline.Decode(frame.Payload);
                    for (var i = 0; i < sinks.Count; i++)
                    {
                        if (!sinks[i].HasCommitted(value))
                        {
                            lock (_violations)
                            {
                                _violations.Add($"checkpoint {position} passed event {value} ({frame.Id}), which sink {sinks[i].Name} had not committed");
                            }
                        }
                    }
                }

                from = page[^1].Id.Successor();
            }

            _verified = position;
        }

        await inner.WriteCheckpointAsync(checkpointId, position, cancellationToken);
    }

    private static (string, Func<int, bool>) Check(FlakyRecordingSink sink) => (sink.Name, sink.HasCommitted);
}
