using System.Threading.Tasks.Dataflow;
using Verifier = Reactive.Streams.Analyzers.Tests.Infrastructure.Verify<Reactive.Streams.Analyzers.Rules.UnboundedBoundaryAnalyzer>;

namespace Reactive.Streams.Analyzers.Tests.Rules;

/// <summary>
/// RXS0002 on Dataflow's join blocks: a <c>JoinBlock</c> buffers without bound by default, exactly as a <c>BatchBlock</c>
/// does, and takes <c>GroupingDataflowBlockOptions { BoundedCapacity = n }</c>; a <c>BatchedJoinBlock</c> refuses any
/// bounded capacity at run time, so a warning on it would be one the user cannot act on. The runtime itself is the
/// oracle for both decisions (the last tests here).
/// </summary>
public sealed class UnboundedJoinBlockAnalyzerTests
{
    private const string Message = "'JoinBlock' without a BoundedCapacity";
    private const string TargetAdvice = "set BoundedCapacity (a BackpressureBlock<T> linked in front of it then applies a policy other than waiting)";

    [Fact]
    public Task JoinBlocks_of_every_arity_without_a_bounded_capacity_are_reported() =>
        Verifier.AnalyzerAsync("""
            using System.Threading.Tasks.Dataflow;

            class C
            {
                object A = new {|#0:JoinBlock<int, string>|}();
                object B = new {|#1:JoinBlock<int, string, long>|}();
                object D = new {|#2:JoinBlock<int, string>|}(new GroupingDataflowBlockOptions { MaxNumberOfGroups = 10 });
                object E = new {|#3:JoinBlock<int, string, long>|}(new GroupingDataflowBlockOptions { BoundedCapacity = DataflowBlockOptions.Unbounded });
                object F = new {|#4:JoinBlock<int, string>|}(new GroupingDataflowBlockOptions { Greedy = false });
                object G = new {|#5:JoinBlock<int, string>|}(dataflowBlockOptions: new() { BoundedCapacity = -1 });
                JoinBlock<int, string> H = {|#6:new()|};
                JoinBlock<int, string, long> I = {|#7:new(new GroupingDataflowBlockOptions())|};
            }
            """,
            Verifier.Diagnostic(DiagnosticIds.UnboundedBoundary).WithLocation(0).WithArguments(Message, TargetAdvice),
            Verifier.Diagnostic(DiagnosticIds.UnboundedBoundary).WithLocation(1).WithArguments(Message, TargetAdvice),
            Verifier.Diagnostic(DiagnosticIds.UnboundedBoundary).WithLocation(2).WithArguments(Message, TargetAdvice),
            Verifier.Diagnostic(DiagnosticIds.UnboundedBoundary).WithLocation(3).WithArguments(Message, TargetAdvice),
            Verifier.Diagnostic(DiagnosticIds.UnboundedBoundary).WithLocation(4).WithArguments(Message, TargetAdvice),
            Verifier.Diagnostic(DiagnosticIds.UnboundedBoundary).WithLocation(5).WithArguments(Message, TargetAdvice),
            Verifier.Diagnostic(DiagnosticIds.UnboundedBoundary).WithLocation(6).WithArguments(Message, TargetAdvice),
            Verifier.Diagnostic(DiagnosticIds.UnboundedBoundary).WithLocation(7).WithArguments(Message, TargetAdvice));

    [Fact]
    public Task Bounded_JoinBlocks_and_options_built_elsewhere_are_not_reported() =>
        Verifier.AnalyzerAsync("""
            using System.Threading.Tasks.Dataflow;

            class C
            {
                static readonly GroupingDataflowBlockOptions Shared = new() { BoundedCapacity = 64 };

                object A = new JoinBlock<int, string>(new GroupingDataflowBlockOptions { BoundedCapacity = 100 });
                object B = new JoinBlock<int, string, long>(new GroupingDataflowBlockOptions { Greedy = false, BoundedCapacity = 8 });
                JoinBlock<int, string> D = new(new() { BoundedCapacity = 16 });
                object E = new JoinBlock<int, string>(Shared);

                object M(GroupingDataflowBlockOptions options) => new JoinBlock<int, string, long>(options);

                // A capacity that is not a constant is the user's to size: only a constant Unbounded is judged.
                object N(int size) => new JoinBlock<int, string>(new GroupingDataflowBlockOptions { BoundedCapacity = size });
            }
            """);

    [Fact]
    public Task A_constant_that_is_Unbounded_under_another_name_is_reported() =>
        Verifier.AnalyzerAsync("""
            using System.Threading.Tasks.Dataflow;

            class C
            {
                const int NoLimit = DataflowBlockOptions.Unbounded;

                object A = new {|#0:JoinBlock<int, string>|}(new GroupingDataflowBlockOptions { BoundedCapacity = NoLimit });
            }
            """,
            Verifier.Diagnostic(DiagnosticIds.UnboundedBoundary).WithLocation(0).WithArguments(Message, TargetAdvice));

    [Fact]
    public Task BatchedJoinBlocks_are_not_reported_since_the_runtime_refuses_them_a_bounded_capacity() =>
        Verifier.AnalyzerAsync("""
            using System.Threading.Tasks.Dataflow;

            class C
            {
                object A = new BatchedJoinBlock<int, string>(10);
                object B = new BatchedJoinBlock<int, string, long>(10);
                object D = new BatchedJoinBlock<int, string>(10, new GroupingDataflowBlockOptions { MaxNumberOfGroups = 3 });
                object E = new BatchedJoinBlock<int, string, long>(10, new GroupingDataflowBlockOptions { BoundedCapacity = DataflowBlockOptions.Unbounded });
                BatchedJoinBlock<int, string> F = new(10);
            }
            """);

    [Fact]
    public Task A_JoinBlock_of_another_namespace_is_not_reported() =>
        Verifier.AnalyzerAsync("""
            namespace Contoso
            {
                class JoinBlock<T1, T2> { }

                class C
                {
                    object A = new JoinBlock<int, string>();
                }
            }
            """);

    // The runtime oracle for not reporting BatchedJoinBlock: no BoundedCapacity can be given to it (while JoinBlock takes one).
    [Fact]
    public void The_runtime_refuses_a_bounded_capacity_to_BatchedJoinBlock_and_accepts_one_for_JoinBlock()
    {
        var options = new GroupingDataflowBlockOptions { BoundedCapacity = 1024 };
        Assert.Throws<ArgumentException>(() => new BatchedJoinBlock<int, string>(10, options));
        Assert.Throws<ArgumentException>(() => new BatchedJoinBlock<int, string, long>(10, options));

        Assert.True(new JoinBlock<int, string>(options).Target1.Post(1));
        Assert.True(new JoinBlock<int, string, long>(options).Target3.Post(1));
    }

    // The runtime oracle for still reporting Greedy = false: a non-greedy JoinBlock postpones its inputs, but it consumes a
    // pair whenever each target has one on offer, and its output queue grows with nobody taking from it, unless bounded.
    [Theory]
    [InlineData(DataflowBlockOptions.Unbounded, 100)]
    [InlineData(5, 5)]
    public void A_non_greedy_JoinBlock_queues_every_pair_offered_unless_bounded(int boundedCapacity, int queued)
    {
        var scheduler = new ManualTaskScheduler();
        var join = new JoinBlock<int, int>(new GroupingDataflowBlockOptions { Greedy = false, BoundedCapacity = boundedCapacity, TaskScheduler = scheduler });
        var left = new BufferBlock<int>(new DataflowBlockOptions { TaskScheduler = scheduler });
        var right = new BufferBlock<int>(new DataflowBlockOptions { TaskScheduler = scheduler });
        for (var i = 0; i < 100; i++)
        {
            Assert.True(left.Post(i));
            Assert.True(right.Post(i));
        }

        using var leftLink = left.LinkTo(join.Target1);
        using var rightLink = right.LinkTo(join.Target2);
        scheduler.RunUntilIdle();

        Assert.Equal(queued, join.OutputCount);
        Assert.Equal(100 - queued, left.Count);
        Assert.Equal(100 - queued, right.Count);
    }

    // Runs the blocks' tasks on the test's thread, one at a time, until none is left: no thread timing involved.
    private sealed class ManualTaskScheduler : TaskScheduler
    {
        private readonly Queue<Task> _tasks = new();

        public void RunUntilIdle()
        {
            for (var ran = 0; ; ran++)
            {
                Task? task;
                lock (_tasks)
                {
                    if (!_tasks.TryDequeue(out task))
                    {
                        return;
                    }
                }

                Assert.True(ran < 100_000, "the blocks never went idle");
                TryExecuteTask(task);
            }
        }

        protected override void QueueTask(Task task)
        {
            lock (_tasks)
            {
                _tasks.Enqueue(task);
            }
        }

        protected override bool TryExecuteTaskInline(Task task, bool taskWasPreviouslyQueued) => false;

        protected override IEnumerable<Task> GetScheduledTasks()
        {
            lock (_tasks)
            {
                return _tasks.ToArray();
            }
        }
    }
}
