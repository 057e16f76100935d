using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;
using Reactive.Streams.Internal;

namespace Reactive.Streams.Tests.Streams;

/// <summary>
/// Every policy with pending operations around it, against a model, on one thread and a virtual clock: random pushes
/// (waiting and not), reads (immediate and pending), waits to read and for room, clock steps that make parked
/// PauseUpstream writers time out, cancellations of pending operations, and completions (normal and faulted), on the
/// stream and the channel face in the locked and the shared mode. After every step each pending operation that the model
/// says has ended has ended with the model's outcome (and no other one has), and the depth, the channel's Count, the
/// items handed to OnDropped, the counters and Completion are the model's. This is what issue 2's "PauseUpstream waits
/// until a consumer drains, and, given a timeout, fails with overflow after it in virtual time" and "completion wakes
/// every waiter" say, mixed with each other rather than one at a time. The twin fuzzer
/// (<c>BackpressureChannelTwinFuzzTests</c>) never fires a timeout, since its oracle has none, and has no
/// DegradeQuality; <c>EngineModelTests</c> has no pending operation.
/// </summary>
public sealed class PendingOperationModelTests
{
    public static TheoryData<string, bool, int, int> Cases()
    {
        var d = new TheoryData<string, bool, int, int>();
        foreach (var mode in new[] { nameof(BufferMode.Locked), nameof(BufferMode.SharedLane) })
        {
            foreach (var channel in new[] { false, true })
            {
                foreach (var capacity in new[] { 1, 2, 3 })
                {
                    foreach (var timeoutSeconds in new[] { -1, 0, 2, 5 })
                    {
                        d.Add(mode, channel, capacity, timeoutSeconds);
                    }
                }
            }
        }

        return d;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Timed_waits_reads_cancellations_and_completions_match_the_model(string mode, bool channel, int capacity, int timeoutSeconds)
    {
        for (var seed = 0; seed < 40; seed++)
        {
            new Run(mode, channel, capacity, timeoutSeconds < 0 ? null : TimeSpan.FromSeconds(timeoutSeconds), seed).Play(120);
        }
    }

    public static TheoryData<string, bool, int, string> OtherPolicies()
    {
        var d = new TheoryData<string, bool, int, string>();
        foreach (var mode in new[] { nameof(BufferMode.Locked), nameof(BufferMode.SharedLane) })
        {
            foreach (var channel in new[] { false, true })
            {
                foreach (var capacity in new[] { 1, 2, 3 })
                {
                    foreach (var variant in new[] { "DropOldest", "DegradeQuality", "DegradeQuality-no-degrader", "DegradeQuality-throwing", "Fail" })
                    {
                        d.Add(mode, channel, capacity, variant);
                    }
                }
            }
        }

        return d;
    }

    /// <summary>
    /// The same model under the policies that never park a writer: a full buffer evicts (DropOldest, DegradeQuality with a
    /// degrader, each eviction handed to <c>OnDropped</c>) or rejects (Fail, DegradeQuality without a degrader), with
    /// pending reads, waits to read and waits for room (which end at once where a write would not be refused, and wait
    /// for a read where it would) around it, and completions.
    /// </summary>
    [Theory]
    [MemberData(nameof(OtherPolicies))]
    public void Evicting_and_refusing_policies_with_pending_reads_waits_and_completions_match_the_model(string mode, bool channel, int capacity, string variant)
    {
        for (var seed = 0; seed < 40; seed++)
        {
            new Run(mode, channel, capacity, timeout: null, seed, variant).Play(120);
        }
    }

    private sealed class Run
    {
        private readonly Random _random;
        private readonly FakeTimeProvider _clock = new();
        private readonly bool _channel;
        private readonly int _capacity;
        private readonly TimeSpan? _timeout;
        private readonly string _where;
        private readonly BoundedStream<int>? _stream;
        private readonly Channel<int>? _chan;
        private readonly CancellationTokenSource[] _sources = [new(), new(), new()];
        private readonly BackpressurePolicy _policy;
        private readonly bool _hasDegrader;
        private readonly bool _throwingDegrader;
        private readonly List<int> _droppedSeen = [];
        private readonly List<int> _dropped = [];
        private long _dropOldest, _degraded, _overflows;

        // The model.
        private readonly Queue<int> _buffer = new();
        private readonly List<PendingWrite> _writers = [];
        private readonly List<PendingRead> _readers = [];
        private readonly List<PendingWait> _spaceWaiters = [];
        private readonly List<PendingWait> _readWaiters = [];
        private Exception? _error;
        private bool _completed;
        private long _pushed, _delivered, _paused, _rejected;
        private int _next = 1;
        private readonly List<string> _log = [];

        public Run(string mode, bool channel, int capacity, TimeSpan? timeout, int seed, string variant = "PauseUpstream")
        {
            _policy = Enum.Parse<BackpressurePolicy>(variant.Split('-')[0]);
            _hasDegrader = variant is "DegradeQuality" or "DegradeQuality-throwing";
            _throwingDegrader = variant == "DegradeQuality-throwing";
            _random = new Random(seed * 7919 + capacity * 31 + (timeout is null ? 99 : (int)timeout.Value.TotalSeconds) + (channel ? 1000 : 0));
            _channel = channel;
            _capacity = capacity;
            _timeout = timeout;
            _where = $"{variant} {mode} {(channel ? "channel" : "stream")} capacity {capacity} timeout {timeout} seed {seed}";
            var options = new BoundedStreamOptions<int>(_policy, capacity)
            {
                PauseTimeout = timeout,
                TimeProvider = _clock,
                Name = "timed-model",
                Degrader = _throwingDegrader ? x => throw new FormatException("degrader") : _hasDegrader ? x => -x : null,
                OnDropped = _droppedSeen.Add,
            };
            if (channel)
            {
                _chan = BackpressureChannel.Create(options, Enum.Parse<BufferMode>(mode));
            }
            else
            {
                _stream = new BoundedStream<int>(options, Enum.Parse<BufferMode>(mode));
            }
        }

        private BoundedBuffer<int> Buffer => _stream?.Buffer ?? BackpressureChannel.BufferOf(_chan!)!;

        public void Play(int steps)
        {
            for (var step = 0; step < steps; step++)
            {
                var op = _random.Next(100);
                switch (op)
                {
                    case < 26: PushAsync(); break;
                    case < 33: TryPush(); break;
                    case < 50: TryRead(); break;
                    case < 58: ReadAsync(); break;
                    case < 63: WaitToWriteAsync(); break;
                    case < 68: WaitToReadAsync(); break;
                    case < 80: Advance(); break;
                    case < 90: Cancel(); break;
                    case < 92 when !_completed: Complete(); break;
                    default: TryPeek(); break;
                }


                Check();
            }

            // The end: complete (if not yet), drain, and everything has ended.
            if (!_completed)
            {
                Complete();
                Check();
            }

            while (_buffer.Count > 0)
            {
                TryRead();
                Check();
            }

            Assert.Empty(_writers);
            Assert.Empty(_readers);
            Assert.Empty(_spaceWaiters);
            Assert.Empty(_readWaiters);
            Require(Buffer.Completion.IsCompleted, "Completion after the drain");
        }

        private CancellationToken PickToken(out int index)
        {
            index = _random.Next(_sources.Length + 1) - 1;
            return index < 0 ? CancellationToken.None : _sources[index].Token;
        }

        private void PushAsync()
        {
            var item = _next++;
            var token = PickToken(out var index);
            _log.Add($"PushAsync({item}, cts{index}) at {_clock.GetUtcNow():ss}");
            var task = _channel ? _chan!.Writer.WriteAsync(item, token) : _stream!.PushAsync(item, token);
            if (_completed)
            {
                _pushed++;
                _rejected++;
                ExpectClosed(task, reading: false);
            }
            else if (_readers.Count > 0)
            {
                var reader = _readers[0];
                _readers.RemoveAt(0);
                _pushed++;
                _delivered++;
                ExpectDone(task);
                Require(reader.Task.IsCompletedSuccessfully, "the oldest pending read takes the pushed item");
                Assert.Equal(item, reader.Task.Result);
            }
            else if (_buffer.Count < _capacity && _writers.Count == 0)
            {
                _buffer.Enqueue(item);
                _pushed++;
                ExpectDone(task);
            }
            else if (_policy != BackpressurePolicy.PauseUpstream)
            {
                var status = Overflowed(item);
                switch (status)
                {
                    case PushStatus.DroppedOldest or PushStatus.Degraded:
                        ExpectDone(task);
                        break;
                    case PushStatus.Overflow:
                        Require(task.IsCompleted, "a Fail push never waits");
                        var overflow = Assert.Throws<StreamOverflowException>(() => task.GetAwaiter().GetResult());
                        Assert.Equal((BackpressurePolicy.Fail, _capacity), (overflow.Policy, overflow.Capacity));
                        break;
                    case PushStatus.DegraderFailed:
                        Require(task.IsCompleted, "a push whose degrader throws never waits");
                        var failed = Assert.Throws<InvalidOperationException>(() => task.GetAwaiter().GetResult());
                        Assert.IsType<FormatException>(failed.InnerException);
                        break;
                    default:
                        Require(task.IsCompleted, "a push that misses its degrader never waits");
                        Assert.Throws<MissingDegraderException>(() => task.GetAwaiter().GetResult());
                        break;
                }
            }
            else if (_timeout == TimeSpan.Zero)
            {
                // A zero timeout never waits: a pause and a rejection at once (docs/metrics.md).
                _paused++;
                _pushed++;
                _rejected++;
                Require(task.IsCompleted, "a push with a zero timeout never waits");
                Assert.Throws<StreamOverflowException>(() => task.GetAwaiter().GetResult());
            }
            else
            {
                _paused++;
                _writers.Add(new PendingWrite(item, index, _clock.GetUtcNow() + (_timeout ?? TimeSpan.MaxValue / 4), task));
            }
        }

        private void TryPush()
        {
            var item = _next++;
            _log.Add($"TryPush({item})");
            bool accepted;
            PushStatus status = default;
            if (_channel)
            {
                accepted = _chan!.Writer.TryWrite(item);
            }
            else
            {
                status = _stream!.TryPush(item).Status;
                accepted = status is PushStatus.Enqueued or PushStatus.DroppedOldest or PushStatus.Degraded;
            }

            if (_completed)
            {
                _pushed++;
                _rejected++;
                Require(!(accepted), "TryPush after completion");
                Require(_channel || status == PushStatus.Closed, $"TryPush after completion: {status}");
            }
            else if (_readers.Count > 0)
            {
                var reader = _readers[0];
                _readers.RemoveAt(0);
                _pushed++;
                _delivered++;
                Require(accepted, "TryPush to a pending read");
                Require(reader.Task.IsCompletedSuccessfully, "the oldest pending read takes the item");
                Assert.Equal(item, reader.Task.Result);
            }
            else if (_buffer.Count < _capacity && _writers.Count == 0)
            {
                _buffer.Enqueue(item);
                _pushed++;
                Require(accepted, "TryPush with room");
            }
            else if (_policy != BackpressurePolicy.PauseUpstream)
            {
                var expected = Overflowed(item);
                Require(accepted == expected is PushStatus.DroppedOldest or PushStatus.Degraded, "TryPush on a full buffer");
                Require(_channel || status == expected, $"TryPush on a full buffer: {status}, expected {expected}");
            }
            else
            {
                Require(!(accepted), "TryPush on a full buffer");
                Require(_channel || status == PushStatus.Full, $"TryPush on a full buffer: {status}");
            }
        }

        /// <summary>A push found the buffer full under a policy that never parks it: the model's outcome.</summary>
        private PushStatus Overflowed(int item)
        {
            _pushed++;
            switch (_policy)
            {
                case BackpressurePolicy.DropOldest:
                    _dropped.Add(_buffer.Dequeue());
                    _buffer.Enqueue(item);
                    _dropOldest++;
                    return PushStatus.DroppedOldest;
                case BackpressurePolicy.DegradeQuality when _throwingDegrader:
                    _rejected++;
                    return PushStatus.DegraderFailed;
                case BackpressurePolicy.DegradeQuality when _hasDegrader:
                    _dropped.Add(_buffer.Dequeue());
                    _buffer.Enqueue(-item);
                    _degraded++;
                    return PushStatus.Degraded;
                case BackpressurePolicy.DegradeQuality:
                    _rejected++;
                    return PushStatus.MissingDegrader;
                default:
                    _overflows++;
                    return PushStatus.Overflow;
            }
        }

        private void TryRead()
        {
            _log.Add("TryRead");
            var ok = _channel ? _chan!.Reader.TryRead(out var got) : _stream!.TryRead(out got);
            Assert.Equal(_buffer.Count > 0, ok);
            if (ok)
            {
                Assert.Equal(_buffer.Dequeue(), got);
                Took();
            }
        }

        private void TryPeek()
        {
            _log.Add("TryPeek");
            var ok = Buffer.TryPeek(out var got);
            Assert.Equal(_buffer.Count > 0, ok);
            if (ok)
            {
                Assert.Equal(_buffer.Peek(), got);
            }
        }

        /// <summary>An item left the buffer: count it and let the oldest parked writer in.</summary>
        private void Took()
        {
            _delivered++;
            if (_writers.Count > 0)
            {
                var writer = _writers[0];
                _writers.RemoveAt(0);
                _buffer.Enqueue(writer.Item);
                _pushed++;
                ExpectDone(writer.Task);
            }
        }

        private void ReadAsync()
        {
            var token = PickToken(out var index);
            _log.Add($"ReadAsync(cts{index})");
            var task = _channel ? _chan!.Reader.ReadAsync(token) : _stream!.ReadAsync(token);
            if (_buffer.Count > 0)
            {
                var expected = _buffer.Dequeue();
                Took();
                Require(task.IsCompletedSuccessfully, "ReadAsync with an item buffered");
                Assert.Equal(expected, task.Result);
            }
            else if (_completed)
            {
                Require(task.IsCompleted, "ReadAsync of a completed, drained buffer");
                var error = Assert.ThrowsAny<ChannelClosedException>(() => task.GetAwaiter().GetResult());
                Require(_channel || error is StreamClosedException, "the stream's read throws StreamClosedException");
                Assert.Same(_error, error.InnerException);
            }
            else
            {
                _readers.Add(new PendingRead(index, task));
            }
        }

        private void WaitToWriteAsync()
        {
            var token = PickToken(out var index);
            _log.Add($"WaitToWriteAsync(cts{index})");
            var task = _channel ? _chan!.Writer.WaitToWriteAsync(token) : Buffer.WaitToPushAsync(token);
            _spaceWaiters.Add(new PendingWait(index, task));
        }

        private void WaitToReadAsync()
        {
            var token = PickToken(out var index);
            _log.Add($"WaitToReadAsync(cts{index})");
            var task = _channel ? _chan!.Reader.WaitToReadAsync(token) : _stream!.WaitToReadAsync(token);
            _readWaiters.Add(new PendingWait(index, task));
        }

        /// <summary>
        /// After a step: a wait for room ends true once there is room that no parked writer takes, and a wait to read
        /// once an item is buffered; both end false (or with the completion error) once writing is over, a wait to read
        /// only once the buffer is also drained.
        /// </summary>
        private void Wake()
        {
            var neverRefused = _policy == BackpressurePolicy.DropOldest || _hasDegrader;
            if (_completed || neverRefused || (_buffer.Count < _capacity && _writers.Count == 0))
            {
                foreach (var waiter in _spaceWaiters)
                {
                    EndWait(waiter, room: !_completed, "a wait for room");
                }

                _spaceWaiters.Clear();
            }

            if (_buffer.Count > 0 || _completed)
            {
                foreach (var waiter in _readWaiters)
                {
                    EndWait(waiter, room: _buffer.Count > 0, "a wait to read");
                }

                _readWaiters.Clear();
            }
        }

        private void EndWait(PendingWait waiter, bool room, string what)
        {
            Require(waiter.Task.IsCompleted, $"{what} has ended");
            if (room || _error is null)
            {
                Require(waiter.Task.IsCompletedSuccessfully, $"{what} ended without an error");
                Require(waiter.Task.Result == room, $"{what} ended {room}");
            }
            else
            {
                Assert.Same(_error, Assert.ThrowsAny<Exception>(() => waiter.Task.GetAwaiter().GetResult()));
            }
        }

        private void Advance()
        {
            var step = TimeSpan.FromSeconds(_random.Next(0, 4));
            _log.Add($"Advance({step.TotalSeconds})");
            _clock.Advance(step);
            var now = _clock.GetUtcNow();
            foreach (var writer in _writers.Where(w => w.Deadline <= now).ToList())
            {
                _writers.Remove(writer);
                _pushed++;
                _rejected++;
                Require(writer.Task.IsCompleted, $"the write of {writer.Item} timed out");
                var error = Assert.Throws<StreamOverflowException>(() => writer.Task.GetAwaiter().GetResult());
                Assert.Equal((BackpressurePolicy.PauseUpstream, _capacity, "timed-model"), (error.Policy, error.Capacity, error.StreamName));
            }
        }

        private void Cancel()
        {
            var index = _random.Next(_sources.Length);
            _log.Add($"Cancel(cts{index})");
            _sources[index].Cancel();
            _sources[index] = new CancellationTokenSource();
            foreach (var writer in _writers.Where(w => w.Source == index).ToList())
            {
                _writers.Remove(writer);
                _pushed++;
                _rejected++;
                Require(writer.Task.IsCompleted, $"the write of {writer.Item} was cancelled");
                Assert.ThrowsAny<OperationCanceledException>(() => writer.Task.GetAwaiter().GetResult());
            }

            foreach (var reader in _readers.Where(r => r.Source == index).ToList())
            {
                _readers.Remove(reader);
                Require(reader.Task.IsCanceled, "a pending read was cancelled");
            }

            foreach (var waiter in _spaceWaiters.Concat(_readWaiters).Where(w => w.Source == index).ToList())
            {
                _spaceWaiters.Remove(waiter);
                _readWaiters.Remove(waiter);
                Require(waiter.Task.IsCanceled, "a pending wait was cancelled");
            }
        }

        private void Complete()
        {
            var error = _random.Next(2) == 0 ? null : new InvalidOperationException("boom");
            _log.Add($"TryComplete({error?.Message})");
            Assert.Equal(!_completed, _channel ? _chan!.Writer.TryComplete(error) : _stream!.TryComplete(error));
            if (_completed)
            {
                return;
            }

            _completed = true;
            _error = error;
            foreach (var writer in _writers)
            {
                _pushed++;
                _rejected++;
                ExpectClosed(writer.Task, reading: false);
            }

            _writers.Clear();
            foreach (var reader in _readers)
            {
                Require(reader.Task.IsCompleted, "completion ends a pending read");
                var closed = Assert.ThrowsAny<ChannelClosedException>(() => reader.Task.GetAwaiter().GetResult());
                Assert.Same(error, closed.InnerException);
            }

            _readers.Clear();
        }

        private void ExpectDone(ValueTask task)
        {
            Require(task.IsCompletedSuccessfully, "the push entered the buffer");
            task.GetAwaiter().GetResult();
        }

        private void ExpectClosed(ValueTask task, bool reading)
        {
            Require(task.IsCompleted, reading ? "read after completion" : "push after completion");
            var error = Assert.ThrowsAny<ChannelClosedException>(() => task.GetAwaiter().GetResult());
            if (_channel)
            {
                Assert.IsType<ChannelClosedException>(error);
            }
            else
            {
                Assert.Equal("timed-model", Assert.IsType<StreamClosedException>(error).StreamName);
            }

            Assert.Same(_error, error.InnerException);
        }

        private void Check()
        {
            Wake();
            foreach (var writer in _writers)
            {
                Require(!(writer.Task.IsCompleted), $"the write of {writer.Item} still waits");
            }

            foreach (var reader in _readers)
            {
                Require(!(reader.Task.IsCompleted), "a read still waits");
            }

            foreach (var waiter in _spaceWaiters)
            {
                Require(!waiter.Task.IsCompleted, "a wait for room still waits");
            }

            foreach (var waiter in _readWaiters)
            {
                Require(!waiter.Task.IsCompleted, "a wait to read still waits");
            }

            Require(_writers.Count == 0 || _buffer.Count == _capacity, "model: writers park only on a full buffer");
            Assert.Equal(_buffer.Count, Buffer.Depth);
            Require(_dropped.SequenceEqual(_droppedSeen), "OnDropped saw every eviction, in order");
            if (_channel)
            {
                Assert.Equal(_buffer.Count, _chan!.Reader.Count);
            }

            var expected = new StreamMetricsSnapshot(_pushed, _delivered, _dropOldest, _degraded, _paused, _overflows, _rejected, _buffer.Count);
            var got = Buffer.GetMetrics();
            if (expected != got)
            {
                Assert.Fail(Describe($"counters: expected {expected}, got {got}"));
            }
            var completion = Buffer.Completion;
            if (_completed && _buffer.Count == 0)
            {
                Require(completion.IsCompleted, "Completion once completed and drained");
                Assert.Equal(_error is null ? TaskStatus.RanToCompletion : TaskStatus.Faulted, completion.Status);
                if (_error is not null)
                {
                    Assert.Same(_error, completion.Exception!.InnerException);
                }
            }
            else
            {
                Require(!(completion.IsCompleted), "Completion before the drain");
            }
        }

        private void Require(bool condition, string what)
        {
            if (!condition)
            {
                Assert.Fail(Describe(what));
            }
        }

        private string Describe(string what) => $"{what} [{_where}] after: {string.Join("; ", _log.TakeLast(12))}";

        private sealed record PendingWrite(int Item, int Source, DateTimeOffset Deadline, ValueTask Task);

        private sealed record PendingRead(int Source, ValueTask<int> Task);

        private sealed record PendingWait(int Source, ValueTask<bool> Task);
    }
}
