using Reactive.Streams.Analyzers.CodeFixes.Fixes;
using Verifier = Reactive.Streams.Analyzers.Tests.Infrastructure.Verify<Reactive.Streams.Analyzers.Rules.UnboundedBoundaryAnalyzer>;

namespace Reactive.Streams.Analyzers.Tests.Fixes;

public sealed class UnboundedBoundaryCodeFixTests
{
    [Theory]
    [InlineData("DropOldest", "DropOldest(1024, scheduler)")]
    [InlineData("PauseUpstream", "PauseUpstream(1024, scheduler)")]
    [InlineData("Fail", "FailOnOverflow(1024, scheduler)")]
    [InlineData("DegradeQuality", "DegradeQuality(1024, static item => item, scheduler)")]
    public Task ObserveOn_is_rewritten_to_the_policy_operator_and_the_using_is_added(string policy, string call) =>
        Verifier.CodeFixAsync<UnboundedBoundaryCodeFix>(
            """
            using System;
            using System.Reactive.Concurrency;
            using System.Reactive.Linq;

            class C
            {
                IObservable<int> M(IObservable<int> source, IScheduler scheduler) =>
                    source
                        .Select(x => x + 1) // keep this comment
                        .{|RXS0002:ObserveOn|}(scheduler);
            }
            """,
            $$"""
            using System;
            using System.Reactive.Concurrency;
            using System.Reactive.Linq;
            using Reactive.Streams;

            class C
            {
                IObservable<int> M(IObservable<int> source, IScheduler scheduler) =>
                    source
                        .Select(x => x + 1) // keep this comment
                        .{{call}};
            }
            """,
            UnboundedBoundaryCodeFix.PolicyKey(policy));

    [Fact]
    public Task ObserveOn_a_SynchronizationContext_gets_no_rewrite() =>
        Verifier.CodeFixAsync<UnboundedBoundaryCodeFix>(
            """
            using System;
            using System.Reactive.Linq;
            using System.Threading;

            class C
            {
                IObservable<int> M(IObservable<int> source, SynchronizationContext context) => source.{|RXS0002:ObserveOn|}(context);
            }
            """,
            """
            using System;
            using System.Reactive.Linq;
            using System.Threading;

            class C
            {
                IObservable<int> M(IObservable<int> source, SynchronizationContext context) => source.{|RXS0002:ObserveOn|}(context);
            }
            """);

    [Fact]
    public Task ObserveOn_with_a_concrete_scheduler_type_is_rewritten() =>
        Verifier.CodeFixAsync<UnboundedBoundaryCodeFix>(
            """
            using System;
            using System.Reactive.Concurrency;
            using System.Reactive.Linq;
            using Reactive.Streams;

            class C
            {
                IObservable<int> M(IObservable<int> source) => source.{|RXS0002:ObserveOn|}(TaskPoolScheduler.Default);
            }
            """,
            """
            using System;
            using System.Reactive.Concurrency;
            using System.Reactive.Linq;
            using Reactive.Streams;

            class C
            {
                IObservable<int> M(IObservable<int> source) => source.PauseUpstream(1024, TaskPoolScheduler.Default);
            }
            """,
            UnboundedBoundaryCodeFix.PolicyKey("PauseUpstream"));

    [Fact]
    public Task The_rewritten_ObserveOn_is_a_bounded_replacement_the_rule_accepts() =>
        Verifier.AnalyzerAsync("""
            using System;
            using System.Reactive.Concurrency;
            using Reactive.Streams;

            class C
            {
                IObservable<int> M(IObservable<int> source, IScheduler scheduler) => source.DropOldest(1024, scheduler);
            }
            """);

    [Theory]
    [InlineData("DropOldest", "BackpressurePolicy.DropOldest, 1024")]
    [InlineData("Fail", "BackpressurePolicy.Fail, 1024")]
    [InlineData("DegradeQuality", "BackpressurePolicy.DegradeQuality, 1024, static item => item")]
    public Task Channel_CreateUnbounded_is_rewritten_to_the_policy_channel(string policy, string arguments) =>
        Verifier.CodeFixAsync<UnboundedBoundaryCodeFix>(
            """
            using System.Threading.Channels;

            class C
            {
                Channel<string> Ch = /* queue */ Channel.{|RXS0002:CreateUnbounded|}<string>();
            }
            """,
            $$"""
            using System.Threading.Channels;
            using Reactive.Streams;

            class C
            {
                Channel<string> Ch = /* queue */ BackpressureChannel.Create<string>({{arguments}});
            }
            """,
            UnboundedBoundaryCodeFix.PolicyKey(policy));

    [Fact]
    public Task Prioritized_and_configured_unbounded_channels_get_no_rewrite() =>
        Verifier.CodeFixAsync<UnboundedBoundaryCodeFix>(
            """
            using System.Threading.Channels;

            class C
            {
                Channel<int> A = Channel.{|RXS0002:CreateUnboundedPrioritized|}<int>();
                Channel<int> B = Channel.{|RXS0002:CreateUnbounded|}<int>(new UnboundedChannelOptions { SingleReader = true });
            }
            """,
            """
            using System.Threading.Channels;

            class C
            {
                Channel<int> A = Channel.{|RXS0002:CreateUnboundedPrioritized|}<int>();
                Channel<int> B = Channel.{|RXS0002:CreateUnbounded|}<int>(new UnboundedChannelOptions { SingleReader = true });
            }
            """);

    [Fact]
    public Task Dataflow_block_without_options_gets_options_with_a_bounded_capacity() =>
        Verifier.CodeFixAsync<UnboundedBoundaryCodeFix>(
            """
            using System.Threading.Tasks.Dataflow;

            class C
            {
                object A = new {|RXS0002:ActionBlock<int>|}(x => { });
                object B = new {|RXS0002:BufferBlock<int>|}();
                object D = new {|RXS0002:BatchBlock<int>|}(4096);
                object E = new {|RXS0002:BatchBlock<int>|}(16);
            }
            """,
            """
            using System.Threading.Tasks.Dataflow;

            class C
            {
                object A = new ActionBlock<int>(x => { }, new ExecutionDataflowBlockOptions { BoundedCapacity = 1024 });
                object B = new BufferBlock<int>(new DataflowBlockOptions { BoundedCapacity = 1024 });
                object D = new BatchBlock<int>(4096, new GroupingDataflowBlockOptions { BoundedCapacity = 4096 });
                object E = new BatchBlock<int>(16, new GroupingDataflowBlockOptions { BoundedCapacity = 1024 });
            }
            """,
            UnboundedBoundaryCodeFix.PolicyKey("PauseUpstream"));

    [Fact]
    public Task Dataflow_options_created_inline_get_or_replace_BoundedCapacity() =>
        Verifier.CodeFixAsync<UnboundedBoundaryCodeFix>(
            """
            using System.Threading.Tasks.Dataflow;

            class C
            {
                object A = new {|RXS0002:TransformBlock<int, int>|}(x => x, new ExecutionDataflowBlockOptions { MaxDegreeOfParallelism = 2 });
                object B = new {|RXS0002:BufferBlock<int>|}(new DataflowBlockOptions { BoundedCapacity = DataflowBlockOptions.Unbounded });
            }
            """,
            """
            using System.Threading.Tasks.Dataflow;

            class C
            {
                object A = new TransformBlock<int, int>(x => x, new ExecutionDataflowBlockOptions { MaxDegreeOfParallelism = 2, BoundedCapacity = 1024 });
                object B = new BufferBlock<int>(new DataflowBlockOptions { BoundedCapacity = 1024 });
            }
            """,
            UnboundedBoundaryCodeFix.PolicyKey("PauseUpstream"));

    [Theory]
    [InlineData("DropOldest", "BackpressurePolicy.DropOldest, 1024")]
    [InlineData("PauseUpstream", "BackpressurePolicy.PauseUpstream, 1024")]
    [InlineData("Fail", "BackpressurePolicy.Fail, 1024")]
    [InlineData("DegradeQuality", "BackpressurePolicy.DegradeQuality, 1024, static item => item")]
    public Task BufferBlock_is_replaced_by_the_policy_block_and_the_using_is_added(string policy, string arguments) =>
        Verifier.CodeFixAsync<UnboundedBoundaryCodeFix>(
            """
            using System.Threading.Tasks.Dataflow;

            class C
            {
                IPropagatorBlock<string, string> A = /* queue */ new {|RXS0002:BufferBlock<string>|}();
            }
            """,
            $$"""
            using System.Threading.Tasks.Dataflow;
            using Reactive.Streams;

            class C
            {
                IPropagatorBlock<string, string> A = /* queue */ new BackpressureBlock<string>({{arguments}});
            }
            """,
            (policy == "PauseUpstream" ? nameof(UnboundedBoundaryCodeFix) + "BlockPauseUpstream" : UnboundedBoundaryCodeFix.PolicyKey(policy)));

    [Fact]
    public Task BufferBlock_declarations_are_retyped_with_the_policy_block() =>
        Verifier.CodeFixAsync<UnboundedBoundaryCodeFix>(
            """
            using System.Threading.Tasks.Dataflow;
            using Reactive.Streams;

            class C
            {
                BufferBlock<int> _field = new {|RXS0002:BufferBlock<int>|}(new DataflowBlockOptions { BoundedCapacity = DataflowBlockOptions.Unbounded });

                int M()
                {
                    BufferBlock<int> local = new {|RXS0002:BufferBlock<int>|}();
                    var inferred = new {|RXS0002:BufferBlock<int>|}();
                    local.Post(1);
                    inferred.LinkTo(local);
                    return local.Count + _field.Count;
                }
            }
            """,
            """
            using System.Threading.Tasks.Dataflow;
            using Reactive.Streams;

            class C
            {
                BackpressureBlock<int> _field = new BackpressureBlock<int>(BackpressurePolicy.PauseUpstream, 1024);

                int M()
                {
                    BackpressureBlock<int> local = new BackpressureBlock<int>(BackpressurePolicy.PauseUpstream, 1024);
                    var inferred = new BackpressureBlock<int>(BackpressurePolicy.PauseUpstream, 1024);
                    local.Post(1);
                    inferred.LinkTo(local);
                    return local.Count + _field.Count;
                }
            }
            """,
            nameof(UnboundedBoundaryCodeFix) + "BlockPauseUpstream");

    // nameof reads only the variable's name: the policy block serves it as well.
    [Fact]
    public Task A_BufferBlock_named_in_nameof_still_becomes_a_policy_block() =>
        Verifier.CodeFixAsync<UnboundedBoundaryCodeFix>(
            """
            using System.Threading.Tasks.Dataflow;

            class C
            {
                string M()
                {
                    var buffer = new {|RXS0002:BufferBlock<int>|}();
                    buffer.Post(1);
                    return nameof(buffer);
                }
            }
            """,
            """
            using System.Threading.Tasks.Dataflow;
            using Reactive.Streams;

            class C
            {
                string M()
                {
                    var buffer = new BackpressureBlock<int>(BackpressurePolicy.PauseUpstream, 1024);
                    buffer.Post(1);
                    return nameof(buffer);
                }
            }
            """,
            nameof(UnboundedBoundaryCodeFix) + "BlockPauseUpstream");

    [Fact]
    public Task BufferBlock_that_must_stay_a_BufferBlock_or_keeps_other_options_gets_only_the_bounded_capacity() =>
        Verifier.NoCodeFixAsync<UnboundedBoundaryCodeFix>(
            """
            using System.Threading;
            using System.Threading.Tasks.Dataflow;

            class C
            {
                static void Use(BufferBlock<int> block) { }

                void M(CancellationToken token)
                {
                    Use(new {|RXS0002:BufferBlock<int>|}());
                    object b = new {|RXS0002:BufferBlock<int>|}(new DataflowBlockOptions { CancellationToken = token });
                }
            }
            """,
            UnboundedBoundaryCodeFix.PolicyKey("DropOldest"));

    // Retyping a variable changes every use of it: one that needs a BufferBlock (passed as one, assigned another block)
    // would no longer compile, and a field other code can see changes its type for that code too.
    [Fact]
    public Task BufferBlock_variables_some_use_of_which_needs_a_BufferBlock_get_no_policy_block_fix() =>
        Verifier.NoCodeFixAsync<UnboundedBoundaryCodeFix>(
            """
            using System.Threading.Tasks.Dataflow;

            public class C
            {
                private readonly BufferBlock<int> _passed = new {|RXS0002:BufferBlock<int>|}();
                public BufferBlock<int> Exposed = new {|RXS0002:BufferBlock<int>|}();

                static void Use(BufferBlock<int> block) { }

                void M()
                {
                    var passed = new {|RXS0002:BufferBlock<int>|}();
                    Use(passed);
                    BufferBlock<int> reassigned = new {|RXS0002:BufferBlock<int>|}();
                    reassigned = new BufferBlock<int>(new DataflowBlockOptions { BoundedCapacity = 8 });
                    var aliased = new {|RXS0002:BufferBlock<int>|}();
                    BufferBlock<int> alias = aliased;
                    Use(this._passed);
                    Use(alias);
                }
            }
            """,
            UnboundedBoundaryCodeFix.PolicyKey("DropOldest"));

    [Fact]
    public Task Other_blocks_get_no_policy_block_fix() =>
        Verifier.NoCodeFixAsync<UnboundedBoundaryCodeFix>(
            """
            using System.Threading.Tasks.Dataflow;

            class C
            {
                object A = new {|RXS0002:ActionBlock<int>|}(x => { });
            }
            """,
            UnboundedBoundaryCodeFix.PolicyKey("Fail"));

    [Fact]
    public Task Fix_all_bounds_Rx_Channels_and_Dataflow_boundaries_in_one_run() =>
        Verifier.FixAllInOneRunAsync<UnboundedBoundaryCodeFix>(
            [
                """
                using System;
                using System.Reactive.Concurrency;
                using System.Reactive.Linq;
                using System.Threading.Channels;
                using System.Threading.Tasks.Dataflow;

                class C
                {
                    IObservable<int> M(IObservable<int> source, IScheduler scheduler) =>
                        source.{|RXS0002:ObserveOn|}(scheduler).Select(x => x + 1).{|RXS0002:ObserveOn|}(scheduler);

                    Channel<string> Ch = Channel.{|RXS0002:CreateUnbounded|}<string>();

                    object A = new {|RXS0002:ActionBlock<int>|}(x => { });

                    object B = new {|RXS0002:BufferBlock<int>|}();
                }
                """,
                """
                using System.Threading.Channels;

                class D
                {
                    Channel<int> Ch = Channel.{|RXS0002:CreateUnbounded|}<int>();
                }
                """,
            ],
            [
                """
                using System;
                using System.Reactive.Concurrency;
                using System.Reactive.Linq;
                using System.Threading.Channels;
                using System.Threading.Tasks.Dataflow;
                using Reactive.Streams;

                class C
                {
                    IObservable<int> M(IObservable<int> source, IScheduler scheduler) =>
                        source.PauseUpstream(1024, scheduler).Select(x => x + 1).PauseUpstream(1024, scheduler);

                    Channel<string> Ch = BackpressureChannel.Create<string>(BackpressurePolicy.PauseUpstream, 1024);

                    object A = new ActionBlock<int>(x => { }, new ExecutionDataflowBlockOptions { BoundedCapacity = 1024 });

                    object B = new BufferBlock<int>(new DataflowBlockOptions { BoundedCapacity = 1024 });
                }
                """,
                """
                using System.Threading.Channels;
                using Reactive.Streams;

                class D
                {
                    Channel<int> Ch = BackpressureChannel.Create<int>(BackpressurePolicy.PauseUpstream, 1024);
                }
                """,
            ],
            diagnostics: 6);

    // dotnet format takes the key of the first fix of the first diagnostic; an unfixable one first gives it no key at all.
    [Fact]
    public Task Dotnet_format_fixes_every_boundary_when_the_first_one_has_no_fix() =>
        Verifier.DotnetFormatAsync<UnboundedBoundaryCodeFix>(
            [
                """
                using System;
                using System.Reactive.Linq;
                using System.Threading;
                using System.Threading.Channels;

                class C
                {
                    IObservable<int> M(IObservable<int> source, SynchronizationContext context) => source.ObserveOn(context);

                    Channel<string> Ch = Channel.CreateUnbounded<string>();
                }
                """,
                """
                using System.Threading.Tasks.Dataflow;

                class D
                {
                    object B = new BufferBlock<int>();
                }
                """,
            ],
            [
                """
                using System;
                using System.Reactive.Linq;
                using System.Threading;
                using System.Threading.Channels;
                using Reactive.Streams;

                class C
                {
                    IObservable<int> M(IObservable<int> source, SynchronizationContext context) => source.ObserveOn(context);

                    Channel<string> Ch = BackpressureChannel.Create<string>(BackpressurePolicy.PauseUpstream, 1024);
                }
                """,
                """
                using System.Threading.Tasks.Dataflow;

                class D
                {
                    object B = new BufferBlock<int>(new DataflowBlockOptions { BoundedCapacity = 1024 });
                }
                """,
            ]);

    // The fix formats what it adds, not the user's code around it: reformatting the block's arguments changed code the
    // fix does not own and, in a fix-all, collided with the fix of a boundary nested in them (left for a second run).
    [Fact]
    public Task Bounding_a_Dataflow_block_keeps_the_formatting_of_its_arguments() =>
        Verifier.CodeFixAsync<UnboundedBoundaryCodeFix>(
            """
            using System.Threading.Tasks.Dataflow;

            class C
            {
                object A = new {|RXS0002:ActionBlock<int>|}(x=>Handle( x ));
                object B = new {|RXS0002:TransformBlock<int, int>|}(x=>x*2, new ExecutionDataflowBlockOptions { MaxDegreeOfParallelism=2 });
                object D = new {|RXS0002:TransformBlock<int, int>|}(x => x, new ExecutionDataflowBlockOptions
                {
                    MaxDegreeOfParallelism = 4 // cores
                });

                static void Handle(int x) { }
            }
            """,
            """
            using System.Threading.Tasks.Dataflow;

            class C
            {
                object A = new ActionBlock<int>(x=>Handle( x ), new ExecutionDataflowBlockOptions { BoundedCapacity = 1024 });
                object B = new TransformBlock<int, int>(x=>x*2, new ExecutionDataflowBlockOptions { MaxDegreeOfParallelism=2, BoundedCapacity = 1024 });
                object D = new TransformBlock<int, int>(x => x, new ExecutionDataflowBlockOptions
                {
                    MaxDegreeOfParallelism = 4, // cores
                    BoundedCapacity = 1024
                });

                static void Handle(int x) { }
            }
            """,
            UnboundedBoundaryCodeFix.PolicyKey("PauseUpstream"));

    // A comment after the last entry stays with that entry: BoundedCapacity goes after it (and after the comma), not
    // before it, and a comment after a trailing comma is not copied to the new entry.
    [Fact]
    public Task Bounding_one_line_Dataflow_options_keeps_a_comment_with_the_entry_it_followed() =>
        Verifier.CodeFixAsync<UnboundedBoundaryCodeFix>(
            """
            using System.Threading.Tasks.Dataflow;

            class C
            {
                object A = new {|RXS0002:TransformBlock<int, int>|}(x => x, new ExecutionDataflowBlockOptions { MaxDegreeOfParallelism = 2 /* why */ });
                object B = new {|RXS0002:TransformBlock<int, int>|}(x => x, new ExecutionDataflowBlockOptions { MaxDegreeOfParallelism = 2, /* why */ });
                object D = new {|RXS0002:TransformBlock<int, int>|}(x => x, new ExecutionDataflowBlockOptions { MaxDegreeOfParallelism = 2 // why
                });
                object E = new {|RXS0002:TransformBlock<int, int>|}(x => x, new ExecutionDataflowBlockOptions { MaxDegreeOfParallelism = 2, // why
                });
            }
            """,
            """
            using System.Threading.Tasks.Dataflow;

            class C
            {
                object A = new TransformBlock<int, int>(x => x, new ExecutionDataflowBlockOptions { MaxDegreeOfParallelism = 2 /* why */, BoundedCapacity = 1024 });
                object B = new TransformBlock<int, int>(x => x, new ExecutionDataflowBlockOptions { MaxDegreeOfParallelism = 2, /* why */ BoundedCapacity = 1024, });
                object D = new TransformBlock<int, int>(x => x, new ExecutionDataflowBlockOptions { MaxDegreeOfParallelism = 2, // why
                    BoundedCapacity = 1024
                });
                object E = new TransformBlock<int, int>(x => x, new ExecutionDataflowBlockOptions { MaxDegreeOfParallelism = 2, // why
                    BoundedCapacity = 1024,
                });
            }
            """,
            UnboundedBoundaryCodeFix.PolicyKey("PauseUpstream"));

    [Fact]
    public Task Bounding_multi_line_Dataflow_options_keeps_a_comment_with_the_entry_it_followed() =>
        Verifier.CodeFixAsync<UnboundedBoundaryCodeFix>(
            """
            using System.Threading.Tasks.Dataflow;

            class C
            {
                object A = new {|RXS0002:TransformBlock<int, int>|}(x => x, new ExecutionDataflowBlockOptions
                {
                    MaxDegreeOfParallelism = 4 /* cores */
                });
                object B = new {|RXS0002:TransformBlock<int, int>|}(x => x, new ExecutionDataflowBlockOptions
                {
                    MaxDegreeOfParallelism = 4, /* cores */
                });
                object D = new {|RXS0002:TransformBlock<int, int>|}(x => x, new ExecutionDataflowBlockOptions
                {
                    MaxDegreeOfParallelism = 4 // cores
                });
                object E = new {|RXS0002:TransformBlock<int, int>|}(x => x, new ExecutionDataflowBlockOptions
                {
                    MaxDegreeOfParallelism = 4, // cores
                });
            }
            """,
            """
            using System.Threading.Tasks.Dataflow;

            class C
            {
                object A = new TransformBlock<int, int>(x => x, new ExecutionDataflowBlockOptions
                {
                    MaxDegreeOfParallelism = 4, /* cores */
                    BoundedCapacity = 1024
                });
                object B = new TransformBlock<int, int>(x => x, new ExecutionDataflowBlockOptions
                {
                    MaxDegreeOfParallelism = 4, /* cores */
                    BoundedCapacity = 1024,
                });
                object D = new TransformBlock<int, int>(x => x, new ExecutionDataflowBlockOptions
                {
                    MaxDegreeOfParallelism = 4, // cores
                    BoundedCapacity = 1024
                });
                object E = new TransformBlock<int, int>(x => x, new ExecutionDataflowBlockOptions
                {
                    MaxDegreeOfParallelism = 4, // cores
                    BoundedCapacity = 1024,
                });
            }
            """,
            UnboundedBoundaryCodeFix.PolicyKey("PauseUpstream"));

    [Fact]
    public Task Fix_all_bounds_a_boundary_nested_in_a_Dataflow_block_in_the_same_run() =>
        Verifier.FixAllInOneRunAsync<UnboundedBoundaryCodeFix>(
            [
                """
                using System.Threading.Channels;
                using System.Threading.Tasks.Dataflow;

                class C
                {
                    object A = new {|RXS0002:TransformBlock<int, Channel<int>>|}(x=>Channel.{|RXS0002:CreateUnbounded|}<int>());
                }
                """,
            ],
            [
                """
                using System.Threading.Channels;
                using System.Threading.Tasks.Dataflow;
                using Reactive.Streams;

                class C
                {
                    object A = new TransformBlock<int, Channel<int>>(x=>BackpressureChannel.Create<int>(BackpressurePolicy.PauseUpstream, 1024), new ExecutionDataflowBlockOptions { BoundedCapacity = 1024 });
                }
                """,
            ],
            diagnostics: 2);

    // Arguments are matched to parameters by name, not by position: with named arguments in another order the fix
    // found no options and no batch size, and was offered without changing anything.
    [Fact]
    public Task Dataflow_blocks_with_named_arguments_in_any_order_are_bounded() =>
        Verifier.CodeFixAsync<UnboundedBoundaryCodeFix>(
            """
            using System.Threading.Tasks.Dataflow;

            class C
            {
                object A = new {|RXS0002:ActionBlock<int>|}(dataflowBlockOptions: new ExecutionDataflowBlockOptions { MaxDegreeOfParallelism = 2 }, action: x => { });
                object B = new {|RXS0002:BatchBlock<int>|}(dataflowBlockOptions: new GroupingDataflowBlockOptions { Greedy = true }, batchSize: 2000);
                object D = new {|RXS0002:ActionBlock<int>|}(action: x => { });
            }
            """,
            """
            using System.Threading.Tasks.Dataflow;

            class C
            {
                object A = new ActionBlock<int>(dataflowBlockOptions: new ExecutionDataflowBlockOptions { MaxDegreeOfParallelism = 2, BoundedCapacity = 1024 }, action: x => { });
                object B = new BatchBlock<int>(dataflowBlockOptions: new GroupingDataflowBlockOptions { Greedy = true, BoundedCapacity = 2000 }, batchSize: 2000);
                object D = new ActionBlock<int>(action: x => { }, dataflowBlockOptions: new ExecutionDataflowBlockOptions { BoundedCapacity = 1024 });
            }
            """,
            UnboundedBoundaryCodeFix.PolicyKey("PauseUpstream"));

    // Code in namespace Reactive does not see the types of Reactive.Streams; code in Reactive.Streams.App does.
    [Theory]
    [InlineData("Reactive", true)]
    [InlineData("Reactive.Streams.App", false)]
    public Task The_using_is_added_unless_an_enclosing_namespace_brings_the_library_in(string ns, bool added) =>
        Verifier.CodeFixAsync<UnboundedBoundaryCodeFix>(
            $$"""
            using System;
            using System.Reactive.Concurrency;
            using System.Reactive.Linq;

            namespace {{ns}}
            {
                class C
                {
                    IObservable<int> M(IObservable<int> source, IScheduler scheduler) => source.{|RXS0002:ObserveOn|}(scheduler);
                }
            }
            """,
            $$"""
            using System;
            using System.Reactive.Concurrency;
            using System.Reactive.Linq;
            {{(added ? "using Reactive.Streams;\n" : string.Empty)}}
            namespace {{ns}}
            {
                class C
                {
                    IObservable<int> M(IObservable<int> source, IScheduler scheduler) => source.PauseUpstream(1024, scheduler);
                }
            }
            """,
            UnboundedBoundaryCodeFix.PolicyKey("PauseUpstream"));

    // A global using (a GlobalUsings file, <Using Include="Reactive.Streams" /> in the project) already imports it.
    [Fact]
    public Task No_using_is_added_when_a_global_using_imports_the_library() =>
        Verifier.FixAllInOneRunAsync<UnboundedBoundaryCodeFix>(
            [
                """
                global using global::Reactive.Streams;
                """,
                """
                using System.Threading.Channels;

                class C
                {
                    Channel<string> Ch = Channel.{|RXS0002:CreateUnbounded|}<string>();
                }
                """,
            ],
            [
                """
                global using global::Reactive.Streams;
                """,
                """
                using System.Threading.Channels;

                class C
                {
                    Channel<string> Ch = BackpressureChannel.Create<string>(BackpressurePolicy.PauseUpstream, 1024);
                }
                """,
            ],
            diagnostics: 1);

    // The overload decides (a scheduler typed as a type parameter constrained to IScheduler binds the IScheduler one).
    [Fact]
    public Task ObserveOn_with_a_scheduler_of_a_constrained_type_parameter_is_rewritten() =>
        Verifier.CodeFixAsync<UnboundedBoundaryCodeFix>(
            """
            using System;
            using System.Reactive.Concurrency;
            using System.Reactive.Linq;
            using Reactive.Streams;

            class C
            {
                IObservable<T> M<T, TScheduler>(IObservable<T> source, TScheduler scheduler)
                    where TScheduler : IScheduler => source.{|RXS0002:ObserveOn|}(scheduler);
            }
            """,
            """
            using System;
            using System.Reactive.Concurrency;
            using System.Reactive.Linq;
            using Reactive.Streams;

            class C
            {
                IObservable<T> M<T, TScheduler>(IObservable<T> source, TScheduler scheduler)
                    where TScheduler : IScheduler => source.PauseUpstream(1024, scheduler);
            }
            """,
            UnboundedBoundaryCodeFix.PolicyKey("PauseUpstream"));
}

