using System.Text;
using System.Threading.Channels;
using Reactive.Streams.Internal;
using Reactive.Streams.Tests.Support;

namespace Reactive.Streams.Tests.Channels;

/// <summary>The differential twin tests run alone: they wait for the thread pool to be idle after every step.</summary>
[CollectionDefinition(nameof(TwinFuzzCollection), DisableParallelization = true)]
public sealed class TwinFuzzCollection;

/// <summary>
/// Differential, model-free random test of the channel face against its twin, <c>Channel.CreateBounded</c>: for fixed
/// seeds, one random sequence of operations runs on both side by side, and after every step every observable result
/// (each operation's outcome, each pending operation's state, result or exception, Count, Completion) must be the
/// same. No model of the right answer exists here: the twin is the answer.
/// </summary>
/// <remarks>
/// Determinism: nothing is awaited. A pending operation is polled (<c>ValueTask.IsCompleted</c>) and read once it
/// completed; after each step the test waits for the thread pool to be idle (<see cref="ThreadPoolQuiescence"/>), so
/// every continuation a step released (an async iterator's, our <c>ReadAsync</c>'s) has run before anything is compared
/// or the next step starts. A failure prints the seed, the configuration and the steps with both sides' results.
/// </remarks>
[Collection(nameof(TwinFuzzCollection))]
public sealed class BackpressureChannelTwinFuzzTests
{
    private static readonly int SeedsPerConfiguration = int.TryParse(Environment.GetEnvironmentVariable("RXS_TWIN_FUZZ_SEEDS"), out var seeds) ? seeds : 100;
    private const int StepsPerSeed = 40;

    /// <summary>The engine modes the channel runs on, as its public options (or the capacity) select them.</summary>
    public static readonly string[] Modes =
    [
        "default",
        "SingleWriter",
        "SingleReader",
        "SingleWriter+SingleReader",
        "Locked", // the mode a capacity above 65,536 selects, at a capacity the sequence can fill
        "capacity 65537",
        "PauseTimeout", // a timeout nobody reaches (its clock is never advanced): every parked write is armed, none pooled
        "Locked+PauseTimeout",
    ];

    public static TheoryData<BackpressurePolicy, string> Configurations()
    {
        var data = new TheoryData<BackpressurePolicy, string>();
        foreach (var policy in Enum.GetValues<BackpressurePolicy>())
        {
            foreach (var mode in Modes)
            {
                data.Add(policy, mode);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Random_sequences_behave_as_the_twin(BackpressurePolicy policy, string mode)
    {
        var quiescence = new ThreadPoolQuiescence();
        for (var seed = 0; seed < SeedsPerConfiguration; seed++)
        {
            new Run(policy, mode, seed, quiescence).Execute();
        }
    }

    /// <summary>One seed's sequence on both channels.</summary>
    private sealed class Run
    {
        private readonly ThreadPoolQuiescence _quiescence;
        private readonly BackpressurePolicy _policy;
        private readonly string _mode;
        private readonly int _seed;
        private readonly Random _random;
        private readonly int _capacity;
        private readonly bool _singleWriter;
        private readonly bool _singleReader;
        private readonly Channel<int> _ours;
        private readonly Channel<int> _twin;
        private readonly StringBuilder _log = new();
        private readonly List<CancellationTokenSource> _sources = [];
        private readonly List<CancellationTokenSource> _linked = [];
        private readonly Dictionary<CancellationToken, string> _tokenNames = [];
        private readonly List<Exception> _errors = [];
        private readonly List<Pending> _pending = [];
        private readonly List<Enumeration> _enumerations = [];
        private int _nextItem = 1;
        private int _step;

        public Run(BackpressurePolicy policy, string mode, int seed, ThreadPoolQuiescence quiescence)
        {
            _quiescence = quiescence;
            _policy = policy;
            _mode = mode;
            _seed = seed;
            _random = new Random(seed);
            _capacity = mode.Contains("65537", StringComparison.Ordinal) ? 65_537 : 1 + (seed % 4);
            _singleWriter = mode.Contains("SingleWriter", StringComparison.Ordinal);
            _singleReader = mode.Contains("SingleReader", StringComparison.Ordinal);
            var options = new BoundedStreamOptions<int>(policy, _capacity)
            {
                Degrader = static x => -x,
                SingleWriter = _singleWriter,
                SingleReader = _singleReader,
            };
            if (mode.Contains("PauseTimeout", StringComparison.Ordinal))
            {
                options.PauseTimeout = TimeSpan.FromHours(1);
                options.TimeProvider = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
            }

            _ours = mode.StartsWith("Locked", StringComparison.Ordinal) ? BackpressureChannel.Create(options, BufferMode.Locked) : BackpressureChannel.Create(options);

            // PauseUpstream's twin is Wait, DropOldest's and DegradeQuality's is DropOldest (DegradeQuality buffers the
            // degraded item, -x, which Item() compares as x). Fail has no twin; it runs against Wait and RunWrite()
            // accounts for the documented difference: a write to a full channel fails at once where Wait waits.
            var fullMode = policy is BackpressurePolicy.DropOldest or BackpressurePolicy.DegradeQuality
                ? BoundedChannelFullMode.DropOldest
                : BoundedChannelFullMode.Wait;
            _twin = Channel.CreateBounded<int>(new BoundedChannelOptions(_capacity)
            {
                FullMode = fullMode,
                SingleWriter = _singleWriter,
                SingleReader = _singleReader,
            });
            _tokenNames[default] = "none";
            for (var i = 0; i < 2; i++)
            {
                var source = new CancellationTokenSource();
                _sources.Add(source);
                _tokenNames[source.Token] = $"cts{i}";
            }
        }

        public void Execute()
        {
            try
            {
                for (_step = 0; _step < StepsPerSeed; _step++)
                {
                    var (ours, twin) = Step();
                    _quiescence.Wait();
                    ours += " | " + Observe(ours: true);
                    twin += " | " + Observe(ours: false);
                    _log.Append(_step).Append(": ").AppendLine(ours);
                    if (ours != twin)
                    {
                        _log.Append(_step).Append(": twin ").AppendLine(twin);
                        Assert.Fail($"Diverged from the twin at step {_step} (policy {_policy}, mode {_mode}, capacity {_capacity}, seed {_seed}):\n{_log}");
                    }
                }
            }
            finally
            {
                foreach (var source in _sources.Concat(_linked))
                {
                    source.Dispose();
                }
            }
        }

        private bool ReaderBusy => _singleReader && (_pending.Any(p => p.IsReader && !p.Done) || _enumerations.Any(e => e.Next is { Done: false }));

        // Both sides hand a write to the oldest pending ReadAsync and wake no WaitToReadAsync for it
        // (BackpressureChannelTwinTests.Pending_ReadAsyncs_take_items_in_the_order_they_were_called), so pending
        // ReadAsyncs may sit beside any other read. A ReadAllAsync's MoveNextAsync, though, waits to read and then takes
        // what it woke for (on both sides): two of them pending together would race for the item on the thread pool, so
        // at most one is.
        private bool EnumerationPending => _enumerations.Any(e => e.Next is { Done: false });

        private bool WriterBusy => _singleWriter && _pending.Any(p => !p.IsReader && !p.Done);

        /// <summary>Runs one random operation on both sides; returns what each side's call returned.</summary>
        private (string Ours, string Twin) Step()
        {
            while (true)
            {
                var choice = _random.Next(100);
                switch (choice)
                {
                    case < 14 when !WriterBusy:
                    {
                        var item = _nextItem++;
                        return Same($"TryWrite({item})", c => c.Writer.TryWrite(item).ToString());
                    }

                    case < 26 when !WriterBusy:
                        return RunWrite();

                    case < 32 when !WriterBusy:
                    {
                        var token = PickToken();
                        return Start($"WaitToWriteAsync({_tokenNames[token]})", isReader: false, (c, t) => Probe.Of(c.Writer.WaitToWriteAsync(t), Describe), token);
                    }

                    case < 46 when !ReaderBusy:
                        return Same("TryRead", c => c.Reader.TryRead(out var item) ? $"True {Item(item)}" : "False");

                    case < 56 when !ReaderBusy:
                    {
                        var token = PickToken();
                        return Start($"ReadAsync({_tokenNames[token]})", isReader: true, (c, t) => Probe.Of(c.Reader.ReadAsync(t), Item, Describe), token);
                    }

                    case < 62 when !ReaderBusy:
                    {
                        var token = PickToken();
                        return Start($"WaitToReadAsync({_tokenNames[token]})", isReader: true, (c, t) => Probe.Of(c.Reader.WaitToReadAsync(t), Describe), token);
                    }

                    case < 66 when !ReaderBusy:
                        return Same("TryPeek", c => c.Reader.TryPeek(out var item) ? $"True {Item(item)}" : "False");

                    case < 69:
                        return Same("Count", c => $"{c.Reader.CanCount} {c.Reader.CanPeek} {c.Reader.Count}");

                    case < 73:
                    {
                        var error = PickError();
                        return Same($"TryComplete({Describe(error)})", c => c.Writer.TryComplete(error).ToString());
                    }

                    case < 75:
                    {
                        var error = PickError();
                        return Same($"Complete({Describe(error)})", c =>
                        {
                            try
                            {
                                c.Writer.Complete(error);
                                return "returned";
                            }
                            catch (Exception thrown)
                            {
                                return "threw " + Describe(thrown);
                            }
                        });
                    }

                    case < 82:
                    {
                        var index = _random.Next(_sources.Count);
                        if (_sources[index].IsCancellationRequested)
                        {
                            continue;
                        }

                        // One source cancels both sides' operations (its callbacks run synchronously, in Cancel).
                        _sources[index].Cancel();
                        return ($"Cancel(cts{index})", $"Cancel(cts{index})");
                    }

                    case < 86 when !ReaderBusy && _enumerations.Count < 2:
                    {
                        var token = PickToken();
                        var enumeration = new Enumeration(_enumerations.Count, _ours.Reader.ReadAllAsync(token), _twin.Reader.ReadAllAsync(token), Describe);
                        _enumerations.Add(enumeration);
                        return Same($"ReadAllAsync#{enumeration.Index}({_tokenNames[token]})", _ => "started");
                    }

                    case < 100 when _enumerations.Count > 0:
                    {
                        var enumeration = _enumerations[_random.Next(_enumerations.Count)];
                        if (enumeration.Ended || enumeration.Next is { Done: false } || ReaderBusy || EnumerationPending)
                        {
                            continue;
                        }

                        enumeration.MoveNext(Item);
                        return Same($"ReadAll#{enumeration.Index}.MoveNextAsync", _ => "called");
                    }

                    default:
                        continue;
                }
            }
        }

        /// <summary>
        /// WriteAsync on both sides. Under Fail (no twin; its twin is Wait) the documented difference: a write to a full
        /// channel throws <see cref="StreamOverflowException"/> at once where Wait waits. Then the twin's waiting write
        /// is withdrawn through a token of its own, which leaves the twin as if it had never been called, and the step
        /// records the overflow on both sides.
        /// </summary>
        private (string Ours, string Twin) RunWrite()
        {
            var item = _nextItem++;
            var token = PickToken();
            var label = $"WriteAsync({item}, {_tokenNames[token]})";
            var ours = Probe.Of(_ours.Writer.WriteAsync(item, token), Describe);
            if (_policy != BackpressurePolicy.Fail)
            {
                var twin = Probe.Of(_twin.Writer.WriteAsync(item, token), Describe);
                return Track(new Pending(label, isReader: false, ours, twin));
            }

            var withdraw = CancellationTokenSource.CreateLinkedTokenSource(token);
            _linked.Add(withdraw);
            _tokenNames[withdraw.Token] = _tokenNames[token];
            var twinFail = Probe.Of(_twin.Writer.WriteAsync(item, withdraw.Token), Describe);
            if (ours.Poll() == "threw overflow" && twinFail.Poll() == "pending")
            {
                withdraw.Cancel();
                Assert.StartsWith("threw (cancelled) canceled", twinFail.Poll(), StringComparison.Ordinal);
                return (label + " -> overflow (Fail)", label + " -> overflow (Fail)");
            }

            // Otherwise the twin's write keeps the linked token, which a Cancel of the user's source cancels too.
            return Track(new Pending(label, isReader: false, ours, twinFail));
        }

        private (string Ours, string Twin) Start(string label, bool isReader, Func<Channel<int>, CancellationToken, Probe> start, CancellationToken token) =>
            Track(new Pending(label, isReader, start(_ours, token), start(_twin, token)));

        private (string Ours, string Twin) Track(Pending pending)
        {
            _pending.Add(pending);
            return ($"{pending.Label} #{_pending.Count - 1}", $"{pending.Label} #{_pending.Count - 1}");
        }

        private (string Ours, string Twin) Same(string label, Func<Channel<int>, string> call) =>
            ($"{label} -> {call(_ours)}", $"{label} -> {call(_twin)}");

        /// <summary>Every pending operation's state and the channel's: what a caller could see now.</summary>
        private string Observe(bool ours)
        {
            var text = new StringBuilder();
            for (var i = 0; i < _pending.Count; i++)
            {
                var pending = _pending[i];
                if (pending.Reported)
                {
                    continue;
                }

                var probe = ours ? pending.Ours : pending.Twin;
                text.Append('#').Append(i).Append(' ').Append(probe.Poll()).Append("; ");
            }

            foreach (var enumeration in _enumerations)
            {
                if (enumeration.Next is { } next)
                {
                    text.Append("all#").Append(enumeration.Index).Append(' ').Append((ours ? next.Ours : next.Twin).Poll()).Append("; ");
                }
            }

            var channel = ours ? _ours : _twin;
            text.Append("Count ").Append(channel.Reader.Count).Append("; Completion ").Append(DescribeTask(channel.Reader.Completion));
            if (!ours)
            {
                // Both sides observed: a completed operation is reported once, at the step it completed.
                foreach (var pending in _pending)
                {
                    pending.Reported |= pending.Done;
                }

                foreach (var enumeration in _enumerations)
                {
                    enumeration.Observed();
                }
            }

            return text.ToString();
        }

        private CancellationToken PickToken() => _random.Next(3) switch
        {
            0 => default,
            var i => _sources[i - 1].Token,
        };

        private Exception? PickError()
        {
            Exception? error = _random.Next(4) switch
            {
                0 or 1 => null,
                2 => new FormatException("producer failed"),
                _ => new OperationCanceledException("producer cancelled", _sources[0].Token),
            };
            if (error is not null)
            {
                _errors.Add(error);
            }

            return error;
        }

        private int Item(int item) => _policy == BackpressurePolicy.DegradeQuality ? Math.Abs(item) : item;

        private string Describe(Exception? error) => error switch
        {
            null => "null",
            // A cancellation is compared by its token, not its identity: the runtime answers some reads with a
            // cancelled task of its own (Task.FromCanceled) where it was completed with an OperationCanceledException.
            OperationCanceledException canceled => $"canceled({NameOf(canceled.CancellationToken)})",
            _ when _errors.IndexOf(error) is var i and >= 0 => $"error{i}",
            ChannelClosedException closed => $"{closed.GetType().Name}({Describe(closed.InnerException)})",
            StreamOverflowException => "overflow",
            _ => error.GetType().Name,
        };

        private string NameOf(CancellationToken token) => _tokenNames.TryGetValue(token, out var name) ? name : "other";

        private string DescribeTask(Task task) => task.Status switch
        {
            TaskStatus.RanToCompletion => "ok",
            TaskStatus.Canceled => "canceled " + Describe(TaskOutcome.ExceptionOf(task)),
            TaskStatus.Faulted => "faulted " + Describe(task.Exception!.InnerException),
            _ => "pending",
        };


        /// <summary>One operation on one side: polled without awaiting, read once when it completed.</summary>
        private sealed class Probe
        {
            private readonly Func<bool> _isCompleted;
            private readonly Func<Task> _asTask;
            private readonly Func<Task, string> _result;
            private readonly Func<Exception?, string> _describe;
            private string? _outcome;

            private Probe(Func<bool> isCompleted, Func<Task> asTask, Func<Task, string> result, Func<Exception?, string> describe)
            {
                _isCompleted = isCompleted;
                _asTask = asTask;
                _result = result;
                _describe = describe;
            }

            public bool Done => _outcome is not null;

            public static Probe Of(ValueTask operation, Func<Exception?, string> describe) =>
                new(() => operation.IsCompleted, operation.AsTask, static _ => "ok", describe);

            public static Probe Of(ValueTask<bool> operation, Func<Exception?, string> describe) =>
                new(() => operation.IsCompleted, () => operation.AsTask(), static t => "ok " + ((Task<bool>)t).Result, describe);

            public static Probe Of(ValueTask<int> operation, Func<int, int> item, Func<Exception?, string> describe) =>
                new(() => operation.IsCompleted, () => operation.AsTask(), t => "ok " + item(((Task<int>)t).Result), describe);

            public string Poll()
            {
                if (_outcome is not null)
                {
                    return _outcome;
                }

                if (!_isCompleted())
                {
                    return "pending";
                }

                // Read once: a completed ValueTask's source may be pooled and reused after its result was taken.
                var task = _asTask();
                // A failure is told apart by the task's state too: a caller sees a cancelled task and a task faulted with
                // an OperationCanceledException differently (IsCanceled, IsFaulted, Task.WhenAll's outcome).
                _outcome = task.Status switch
                {
                    TaskStatus.RanToCompletion => _result(task),
                    TaskStatus.Canceled => "threw (cancelled) " + _describe(TaskOutcome.ExceptionOf(task)),
                    _ => "threw " + _describe(TaskOutcome.ExceptionOf(task)),
                };
                return _outcome;
            }
        }

        private sealed class Pending(string label, bool isReader, Probe ours, Probe twin)
        {
            public string Label { get; } = label;

            public bool IsReader { get; } = isReader;

            public Probe Ours { get; } = ours;

            public Probe Twin { get; } = twin;

            public bool Done => Ours.Done && Twin.Done;

            public bool Reported { get; set; }
        }

        /// <summary>A <c>ReadAllAsync</c> enumeration on both sides, advanced one MoveNextAsync at a time.</summary>
        private sealed class Enumeration(int index, IAsyncEnumerable<int> ours, IAsyncEnumerable<int> twin, Func<Exception?, string> describe)
        {
            private readonly IAsyncEnumerator<int> _ours = ours.GetAsyncEnumerator();
            private readonly IAsyncEnumerator<int> _twin = twin.GetAsyncEnumerator();

            public int Index { get; } = index;

            public Pending? Next { get; private set; }

            public bool Ended { get; private set; }

            public void MoveNext(Func<int, int> item) => Next = new Pending(
                "MoveNextAsync",
                isReader: true,
                Probe.Of(Current(_ours.MoveNextAsync(), _ours, item), static x => x, describe),
                Probe.Of(Current(_twin.MoveNextAsync(), _twin, item), static x => x, describe));

            /// <summary>After both sides were observed: a finished MoveNextAsync is forgotten, and ends the enumeration unless it yielded.</summary>
            public void Observed()
            {
                if (Next is { Done: true } next)
                {
                    Ended = next.Ours.Poll() is var outcome && (outcome == $"ok {int.MinValue}" || outcome.StartsWith("threw", StringComparison.Ordinal));
                    Next = null;
                }
            }

            // A yielded item is read as the MoveNextAsync's result, as a caller reads Current right after it.
            private static ValueTask<int> Current(ValueTask<bool> moved, IAsyncEnumerator<int> enumerator, Func<int, int> item)
            {
                return Wrap(moved, enumerator, item);

                static async ValueTask<int> Wrap(ValueTask<bool> moved, IAsyncEnumerator<int> enumerator, Func<int, int> item) =>
                    await moved.ConfigureAwait(false) ? item(enumerator.Current) : int.MinValue;
            }
        }
    }
}
