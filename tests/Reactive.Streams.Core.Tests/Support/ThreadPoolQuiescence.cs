namespace Reactive.Streams.Tests.Support;

/// <summary>
/// Waits until the thread pool has nothing queued and runs nothing new: the differential twin tests compare two
/// implementations whose continuations (and Dataflow's offering loops) run on the pool, and they compare only once every
/// such continuation has run, so that a step's result never depends on how fast the pool was.
/// </summary>
/// <remarks>
/// The test framework keeps some pool threads blocked (counted as busy), so "idle" is the lowest number of busy workers
/// seen so far, measured from the first call on. Meaningful only in a test collection that runs alone
/// (<c>DisableParallelization</c>): another test's work only makes the wait longer. The wait is on a state, bounded by
/// <see cref="TestLimits.Hang"/> as a guard against a run that never quiesces; nothing measures time.
/// </remarks>
internal sealed class ThreadPoolQuiescence
{
    private readonly int _maxWorkers;
    private int _idleBusy;

    public ThreadPoolQuiescence()
    {
        ThreadPool.GetMaxThreads(out _maxWorkers, out _);
        _idleBusy = int.MaxValue;

        // Other tests' blocked threads can starve the pool for a moment: sample until the queue was seen empty often.
        var deadline = DateTime.UtcNow + TestLimits.Hang;
        for (var emptyLooks = 0; emptyLooks < 256;)
        {
            if (ThreadPool.PendingWorkItemCount == 0)
            {
                emptyLooks++;
                _idleBusy = Math.Min(_idleBusy, Busy());
            }
            else if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("The thread pool's queue never became empty.");
            }

            Thread.Yield();
        }
    }

    /// <summary>Returns once the pool is idle, seen twice in a row a short spin apart; throws after the guard.</summary>
    /// <remarks>
    /// Work queued by a step is counted from the moment it is queued (pending, then busy from the worker's release
    /// to its return to waiting), so two idle looks need no yield between them: the thread yields only while the pool
    /// has work, to give its workers the core. Yielding between idle looks as well cost a time slice per look on a
    /// machine whose cores are busy with other processes, which made the twin fuzzers several times slower there.
    /// </remarks>
    public void Wait()
    {
        var deadline = DateTime.UtcNow + TestLimits.Hang;
        var idleLooks = 0;
        var spins = 0;
        while (true)
        {
            var busy = Busy();
            if (ThreadPool.PendingWorkItemCount == 0 && busy <= _idleBusy)
            {
                _idleBusy = busy;
                if (++idleLooks == 2)
                {
                    return;
                }

                Thread.SpinWait(64);
                continue;
            }

            idleLooks = 0;
            if (++spins % 1024 == 0 && DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The thread pool did not become idle ({ThreadPool.PendingWorkItemCount} queued, {busy} busy, idle is {_idleBusy}).");
            }

            Thread.Yield();
        }
    }

    private int Busy()
    {
        ThreadPool.GetAvailableThreads(out var available, out _);
        return _maxWorkers - available;
    }
}
