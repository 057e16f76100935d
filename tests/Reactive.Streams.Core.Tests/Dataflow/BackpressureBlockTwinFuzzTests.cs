using System.Text;
using System.Threading.Tasks.Dataflow;
using Reactive.Streams.Tests.Channels;
using Reactive.Streams.Tests.Support;

namespace Reactive.Streams.Tests.Dataflow;

/// <summary>
/// Differential, model-free random test of <see cref="BackpressureBlock{T}"/> under PauseUpstream against its twin,
/// <see cref="BufferBlock{T}"/> with <c>BoundedCapacity</c>: for fixed seeds, one random sequence of operations (Post,
/// SendAsync, TryReceive, TryReceiveAll, ReceiveAsync, OutputAvailableAsync, Complete, Fault, links to recording targets
/// and their disposal, offers from a manual source with and without <c>consumeToAccept</c>, its withdrawals) runs on
/// both side by side, and after every step every observable result must be the same: each call's result, each pending
/// task's state, Count, Completion, what each linked target received and whether it completed, and which calls the
/// block made back to the manual source.
/// </summary>
/// <remarks>
/// Both blocks move messages on the thread pool, so nothing is awaited: the test waits for the pool to be idle
/// (<see cref="ThreadPoolQuiescence"/>) after each step and after each observation. DropOldest, DegradeQuality and Fail
/// have no Dataflow twin and are not run here (the twin suite states their differences). A failure prints the seed and
/// the steps with both sides' results.
/// </remarks>
[Collection(nameof(TwinFuzzCollection))]
public sealed class BackpressureBlockTwinFuzzTests
{
    private static readonly int SeedsPerCapacity = int.TryParse(Environment.GetEnvironmentVariable("RXS_TWIN_FUZZ_SEEDS"), out var seeds) ? seeds : 100;
    private const int StepsPerSeed = 30;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Random_sequences_behave_as_the_twin(int capacity)
    {
        var quiescence = new ThreadPoolQuiescence();
        for (var seed = 0; seed < SeedsPerCapacity; seed++)
        {
            new Run(capacity, seed, quiescence).Execute();
        }
    }

    private sealed class Run
    {
        private readonly ThreadPoolQuiescence _quiescence;
        private readonly int _capacity;
        private readonly int _seed;
        private readonly Random _random;
        private readonly BackpressureBlock<int> _ours;
        private readonly BufferBlock<int> _twin;
        private readonly Side _oursSide = new();
        private readonly Side _twinSide = new();
        private readonly StringBuilder _log = new();
        private readonly List<CancellationTokenSource> _sources = [];
        private readonly Dictionary<CancellationToken, string> _tokenNames = [];
        private readonly List<Exception> _errors = [];
        private readonly List<(int Id, Task Ours, Task Twin)> _pending = [];
        private int _nextPending;
        private int _nextItem = 1;
        private long _nextId = 1;

        public Run(int capacity, int seed, ThreadPoolQuiescence quiescence)
        {
            _quiescence = quiescence;
            _capacity = capacity;
            _seed = seed;
            _random = new Random(seed);
            _ours = new BackpressureBlock<int>(BackpressurePolicy.PauseUpstream, capacity);
            _twin = new BufferBlock<int>(new DataflowBlockOptions { BoundedCapacity = capacity });
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
                for (var step = 0; step < StepsPerSeed; step++)
                {
                    var (ours, twin) = Step();
                    _quiescence.Wait();
                    ours += " | " + Observe(_ours, _oursSide, ours: true);
                    twin += " | " + Observe(_twin, _twinSide, ours: false);
                    _quiescence.Wait();
                    _log.Append(step).Append(": ").AppendLine(ours);
                    if (ours != twin)
                    {
                        _log.Append(step).Append(": twin ").AppendLine(twin);
                        Assert.Fail($"Diverged from BufferBlock at step {step} (capacity {_capacity}, seed {_seed}):\n{_log}");
                    }
                }
            }
            finally
            {
                foreach (var source in _sources)
                {
                    source.Dispose();
                }
            }
        }

        private (string Ours, string Twin) Step()
        {
            while (true)
            {
                switch (_random.Next(100))
                {
                    case < 14:
                    {
                        var item = _nextItem++;
                        return Same($"Post({item})", b => b.Post(item).ToString());
                    }

                    case < 26:
                    {
                        var item = _nextItem++;
                        var token = PickToken();
                        return Start($"SendAsync({item}, {_tokenNames[token]})", b => b.SendAsync(item, token));
                    }

                    case < 34:
                    {
                        var even = _random.Next(3) == 0;
                        return Same(even ? "TryReceive(even)" : "TryReceive", b =>
                            ((IReceivableSourceBlock<int>)b).TryReceive(even ? static x => x % 2 == 0 : null, out var item) ? $"True {item}" : "False");
                    }

                    case < 38:
                        return Same("TryReceiveAll", b => ((IReceivableSourceBlock<int>)b).TryReceiveAll(out var items) ? string.Join(",", items) : "False");

                    case < 45:
                    {
                        var token = PickToken();
                        return Start($"ReceiveAsync({_tokenNames[token]})", b => b.ReceiveAsync(token));
                    }

                    case < 49:
                    {
                        var token = PickToken();
                        return Start($"OutputAvailableAsync({_tokenNames[token]})", b => b.OutputAvailableAsync(token));
                    }

                    case < 52:
                        return Same("Complete", b =>
                        {
                            b.Complete();
                            return "returned";
                        });

                    case < 54:
                    {
                        var error = new FormatException("faulted");
                        _errors.Add(error);
                        return Same($"Fault(error{_errors.Count - 1})", b =>
                        {
                            b.Fault(error);
                            return "returned";
                        });
                    }

                    case < 60:
                    {
                        var index = _random.Next(_sources.Count);
                        if (_sources[index].IsCancellationRequested)
                        {
                            continue;
                        }

                        _sources[index].Cancel();
                        return ($"Cancel(cts{index})", $"Cancel(cts{index})");
                    }

                    case < 65 when _oursSide.Links.Count < 3:
                        return Link();

                    case < 71 when _oursSide.Links.Any(l => !l.Disposed):
                    {
                        var index = _random.Next(_oursSide.Links.Count);
                        if (_oursSide.Links[index].Disposed)
                        {
                            continue;
                        }

                        _oursSide.Links[index].Dispose();
                        _twinSide.Links[index].Dispose();
                        return ($"Unlink(link{index})", $"Unlink(link{index})");
                    }

                    case < 74 when _oursSide.Links.Count > 0:
                    {
                        // A bounded target postpones what it cannot take; receiving from it makes it consume again.
                        var index = _random.Next(_oursSide.Links.Count);
                        return ($"Drain(link{index}) -> {_oursSide.Links[index].Drain()}", $"Drain(link{index}) -> {_twinSide.Links[index].Drain()}");
                    }

                    case < 90:
                    {
                        // An offer from the manual source: a fresh message, or one offered before (a source re-offers).
                        var known = _oursSide.Source.Offered;
                        var id = known.Count > 0 && _random.Next(3) == 0 ? known[_random.Next(known.Count)] : _nextId++;
                        var item = _nextItem++;
                        var consumeToAccept = _random.Next(2) == 0;
                        return Same($"Offer(id {id}, {item}, consumeToAccept {consumeToAccept})", b =>
                        {
                            var source = b == (object)_ours ? _oursSide.Source : _twinSide.Source;
                            source.Add(id, item);
                            return b.OfferMessage(new DataflowMessageHeader(id), item, source, consumeToAccept).ToString();
                        });
                    }

                    case < 95 when _oursSide.Source.Offered.Count > 0:
                    {
                        var known = _oursSide.Source.Offered;
                        var id = known[_random.Next(known.Count)];
                        _oursSide.Source.Withdraw(id);
                        _twinSide.Source.Withdraw(id);
                        return ($"Withdraw(id {id})", $"Withdraw(id {id})");
                    }

                    case < 100:
                        return Same("Count", b => (b is BackpressureBlock<int> policy ? policy.Count : ((BufferBlock<int>)b).Count).ToString());

                    default:
                        continue;
                }
            }
        }

        private (string Ours, string Twin) Link()
        {
            var kind = _random.Next(4) switch { 0 => 0, 1 => 1, _ => 2 };
            var even = _random.Next(3) == 0;
            var maxMessages = _random.Next(3) == 0 ? 1 + _random.Next(3) : DataflowBlockOptions.Unbounded;
            var propagate = _random.Next(2) == 0;
            var append = _random.Next(4) != 0;
            var options = new DataflowLinkOptions { MaxMessages = maxMessages, PropagateCompletion = propagate, Append = append };
            var label = $"LinkTo(link{_oursSide.Links.Count}: {(kind switch { 0 => "BufferBlock", 1 => "ActionBlock", _ => "BufferBlock(capacity 1)" })}, " +
                $"{(even ? "even" : "any")}, MaxMessages {maxMessages}, PropagateCompletion {propagate}, Append {append})";
            _oursSide.Links.Add(new LinkedTarget(_ours, kind, even, options));
            _twinSide.Links.Add(new LinkedTarget(_twin, kind, even, options));
            return (label, label);
        }

        private (string Ours, string Twin) Same(string label, Func<IPropagatorBlock<int, int>, string> call) =>
            ($"{label} -> {call(_ours)}", $"{label} -> {call(_twin)}");

        private (string Ours, string Twin) Start(string label, Func<IPropagatorBlock<int, int>, Task> start)
        {
            var id = _nextPending++;
            _pending.Add((id, start(_ours), start(_twin)));
            return ($"{label} #{id}", $"{label} #{id}");
        }

        private string Observe(IPropagatorBlock<int, int> block, Side side, bool ours)
        {
            var text = new StringBuilder();
            for (var i = 0; i < _pending.Count; i++)
            {
                var task = ours ? _pending[i].Ours : _pending[i].Twin;
                text.Append('#').Append(_pending[i].Id).Append(' ').Append(DescribeTask(task)).Append("; ");
            }

            if (!ours)
            {
                // A completed pair is reported at the step it completed, then forgotten.
                _pending.RemoveAll(p => p.Ours.IsCompleted && p.Twin.IsCompleted);
            }

            for (var i = 0; i < side.Links.Count; i++)
            {
                text.Append("link").Append(i).Append(' ').Append(side.Links[i].Describe(DescribeTask)).Append("; ");
            }

            var calls = side.Source.TakeCalls();
            if (calls.Length > 0)
            {
                text.Append("source ").Append(calls).Append("; ");
            }

            var count = block is BackpressureBlock<int> policy ? policy.Count : ((BufferBlock<int>)block).Count;
            text.Append("Count ").Append(count).Append("; Completion ").Append(DescribeTask(block.Completion));
            return text.ToString();
        }

        private CancellationToken PickToken() => _random.Next(3) switch
        {
            0 => default,
            var i => _sources[i - 1].Token,
        };

        private string Describe(Exception? error) => error switch
        {
            null => "null",
            _ when _errors.IndexOf(error) is var i and >= 0 => $"error{i}",
            OperationCanceledException canceled => $"canceled({(_tokenNames.TryGetValue(canceled.CancellationToken, out var name) ? name : "other")})",
            AggregateException aggregate => $"aggregate({string.Join(",", aggregate.InnerExceptions.Select(Describe))})",
            _ => error.GetType().Name,
        };

        private string DescribeTask(Task task) => task.Status switch
        {
            TaskStatus.RanToCompletion => task switch
            {
                Task<bool> b => "ok " + b.Result,
                Task<int> i => "ok " + i.Result,
                _ => "ok",
            },
            TaskStatus.Canceled => "canceled " + Describe(TaskOutcome.ExceptionOf(task)),
            TaskStatus.Faulted => "faulted " + Describe(task.Exception!.InnerExceptions.Count == 1 ? task.Exception.InnerException : task.Exception),
            _ => "pending",
        };

    }

    /// <summary>What one side (ours, or the twin) has besides its block: its targets and its manual source.</summary>
    private sealed class Side
    {
        public List<LinkedTarget> Links { get; } = [];

        public ManualSource Source { get; } = new();
    }

    /// <summary>A recording target linked to a block, and its link.</summary>
    private sealed class LinkedTarget
    {
        private readonly List<int> _received = [];
        private readonly BufferBlock<int>? _buffer;
        private readonly ActionBlock<int>? _action;
        private readonly IDisposable _link;

        public LinkedTarget(ISourceBlock<int> block, int kind, bool even, DataflowLinkOptions options)
        {
            ITargetBlock<int> target;
            if (kind == 1)
            {
                target = _action = new ActionBlock<int>(item =>
                {
                    lock (_received)
                    {
                        _received.Add(item);
                    }
                });
            }
            else
            {
                target = _buffer = new BufferBlock<int>(new DataflowBlockOptions { BoundedCapacity = kind == 0 ? DataflowBlockOptions.Unbounded : 1 });
            }

            _link = even ? block.LinkTo(target, options, static x => x % 2 == 0) : block.LinkTo(target, options);
        }

        public bool Disposed { get; private set; }

        public void Dispose()
        {
            _link.Dispose();
            Disposed = true;
        }

        /// <summary>Receives what a buffer target holds (an ActionBlock takes everything itself).</summary>
        public string Drain()
        {
            if (_buffer is null || !_buffer.TryReceiveAll(out var items))
            {
                return "nothing";
            }

            lock (_received)
            {
                _received.AddRange(items);
            }

            return string.Join(",", items);
        }

        public string Describe(Func<Task, string> describeTask)
        {
            lock (_received)
            {
                var held = _buffer is null ? "" : $" holding {_buffer.Count}";
                return $"received [{string.Join(",", _received)}]{held}, completion {describeTask(_buffer?.Completion ?? _action!.Completion)}";
            }
        }
    }

    /// <summary>
    /// A source the sequence offers from by hand: it holds the messages it offered until they are consumed or withdrawn,
    /// and records every call the block makes back to it (consume, reserve, release), which the test compares.
    /// </summary>
    private sealed class ManualSource : ISourceBlock<int>
    {
        private readonly Lock _lock = new();
        private readonly Dictionary<long, int> _messages = [];
        private readonly HashSet<long> _reserved = [];
        private readonly StringBuilder _calls = new();

        public List<long> Offered { get; } = [];

        public Task Completion { get; } = new TaskCompletionSource().Task;

        public void Add(long id, int item)
        {
            lock (_lock)
            {
                _messages[id] = item;
                if (!Offered.Contains(id))
                {
                    Offered.Add(id);
                }
            }
        }

        public void Withdraw(long id)
        {
            lock (_lock)
            {
                _messages.Remove(id);
                _reserved.Remove(id);
            }
        }

        public string TakeCalls()
        {
            lock (_lock)
            {
                var calls = _calls.ToString();
                _calls.Clear();
                return calls;
            }
        }

        public int ConsumeMessage(DataflowMessageHeader messageHeader, ITargetBlock<int> target, out bool messageConsumed)
        {
            lock (_lock)
            {
                messageConsumed = _messages.Remove(messageHeader.Id, out var item);
                _reserved.Remove(messageHeader.Id);
                _calls.Append($"consume({messageHeader.Id})={messageConsumed} ");
                return messageConsumed ? item : 0;
            }
        }

        public bool ReserveMessage(DataflowMessageHeader messageHeader, ITargetBlock<int> target)
        {
            lock (_lock)
            {
                var reserved = _messages.ContainsKey(messageHeader.Id) && _reserved.Add(messageHeader.Id);
                _calls.Append($"reserve({messageHeader.Id})={reserved} ");
                return reserved;
            }
        }

        public void ReleaseReservation(DataflowMessageHeader messageHeader, ITargetBlock<int> target)
        {
            lock (_lock)
            {
                _reserved.Remove(messageHeader.Id);
                _calls.Append($"release({messageHeader.Id}) ");
            }
        }

        public IDisposable LinkTo(ITargetBlock<int> target, DataflowLinkOptions linkOptions) => throw new NotSupportedException("Offers are made by hand.");

        public void Complete()
        {
        }

        public void Fault(Exception exception)
        {
        }
    }
}
