using Reactive.Streams.Analyzers.CodeFixes.Fixes;
using Verifier = Reactive.Streams.Analyzers.Tests.Infrastructure.Verify<Reactive.Streams.Analyzers.Rules.UnboundedBoundaryAnalyzer>;

namespace Reactive.Streams.Analyzers.Tests.Fixes;

/// <summary>
/// RXS0002 on channels and Dataflow blocks in the syntactic positions the other tests do not write: collection
/// expressions, switch arms, target-typed <c>new()</c> in a field, a block named through an alias, and names in
/// <c>nameof</c> (which create nothing and are not reported).
/// </summary>
public sealed class BoundaryPositionsCodeFixTests
{
    [Fact]
    public Task Names_in_nameof_create_no_boundary_and_are_not_reported() =>
        Verifier.AnalyzerAsync(
            """
            using System.Reactive.Linq;
            using System.Threading.Channels;
            using System.Threading.Tasks.Dataflow;

            class C
            {
                string[] Names = [nameof(Channel.CreateUnbounded), nameof(Observable.ObserveOn), nameof(BufferBlock<int>), nameof(ActionBlock<int>.Post)];
            }
            """);

    [Fact]
    public Task Unbounded_channels_in_a_collection_expression_and_a_switch_arm_become_policy_channels() =>
        Verifier.CodeFixAsync<UnboundedBoundaryCodeFix>(
            """
            using System.Threading.Channels;

            class C
            {
                Channel<int>[] A = [Channel.{|RXS0002:CreateUnbounded|}<int>()];
                Channel<int> B(int k) => k switch { 0 => Channel.{|RXS0002:CreateUnbounded|}<int>(), _ => Channel.CreateBounded<int>(1) };
            }
            """,
            """
            using System.Threading.Channels;
            using Reactive.Streams;

            class C
            {
                Channel<int>[] A = [BackpressureChannel.Create<int>(BackpressurePolicy.DropOldest, 1024)];
                Channel<int> B(int k) => k switch { 0 => BackpressureChannel.Create<int>(BackpressurePolicy.DropOldest, 1024), _ => Channel.CreateBounded<int>(1) };
            }
            """,
            UnboundedBoundaryCodeFix.PolicyKey("DropOldest"));

    [Fact]
    public Task A_target_typed_block_in_a_field_is_reported_on_the_creation_and_bounded() =>
        Verifier.CodeFixAsync<UnboundedBoundaryCodeFix>(
            """
            using System.Threading.Tasks.Dataflow;

            class C
            {
                private readonly ActionBlock<int> _a = {|RXS0002:new(x => { })|};
            }
            """,
            """
            using System.Threading.Tasks.Dataflow;

            class C
            {
                private readonly ActionBlock<int> _a = new(x => { }, new ExecutionDataflowBlockOptions { BoundedCapacity = 1024 });
            }
            """,
            UnboundedBoundaryCodeFix.PolicyKey("PauseUpstream"));

    // The file imports no Dataflow namespace: the options type is written so that it binds.
    [Fact]
    public Task A_block_named_through_an_alias_gets_options_the_file_can_name() =>
        Verifier.CodeFixAsync<UnboundedBoundaryCodeFix>(
            """
            using Queue = System.Threading.Tasks.Dataflow.BufferBlock<int>;

            class C
            {
                object A = new {|RXS0002:Queue|}();
            }
            """,
            """
            using Queue = System.Threading.Tasks.Dataflow.BufferBlock<int>;

            class C
            {
                object A = new Queue(new System.Threading.Tasks.Dataflow.DataflowBlockOptions { BoundedCapacity = 1024 });
            }
            """,
            UnboundedBoundaryCodeFix.PolicyKey("PauseUpstream"));

    // The fix retyped `BufferBlock<int>? _queue` as `BackpressureBlock<int> _queue`, dropping the annotation the user wrote.
    [Fact]
    public Task A_nullable_BufferBlock_declaration_stays_nullable_when_retyped() =>
        Verifier.CodeFixAsync<UnboundedBoundaryCodeFix>(
            """
            using System.Threading.Tasks.Dataflow;

            class C
            {
                private BufferBlock<int>? _queue = new {|RXS0002:BufferBlock<int>|}();
                void Stop() => _queue?.Complete();

                int M()
                {
                    BufferBlock<string>? local = new {|RXS0002:BufferBlock<string>|}();
                    return local.Count;
                }
            }
            """,
            """
            using System.Threading.Tasks.Dataflow;
            using Reactive.Streams;

            class C
            {
                private BackpressureBlock<int>? _queue = new BackpressureBlock<int>(BackpressurePolicy.DropOldest, 1024);
                void Stop() => _queue?.Complete();

                int M()
                {
                    BackpressureBlock<string>? local = new BackpressureBlock<string>(BackpressurePolicy.DropOldest, 1024);
                    return local.Count;
                }
            }
            """,
            UnboundedBoundaryCodeFix.PolicyKey("DropOldest"));

    [Fact]
    public Task BufferBlocks_in_a_collection_expression_a_named_argument_and_a_generic_wrapper_become_policy_blocks_and_channels() =>
        Verifier.CodeFixAsync<UnboundedBoundaryCodeFix>(
            """
            using System.Threading.Channels;
            using System.Threading.Tasks.Dataflow;

            class C
            {
                ITargetBlock<int>[] Targets = [new {|RXS0002:BufferBlock<int>|}()];
                static void Use(int n, ISourceBlock<int> source) { }
                void M() => Use(source: new {|RXS0002:BufferBlock<int>|}(), n: 1);
                static Channel<T> Make<T>() => Channel.{|RXS0002:CreateUnbounded|}<T>();
            }
            """,
            """
            using System.Threading.Channels;
            using System.Threading.Tasks.Dataflow;
            using Reactive.Streams;

            class C
            {
                ITargetBlock<int>[] Targets = [new BackpressureBlock<int>(BackpressurePolicy.DegradeQuality, 1024, static item => item)];
                static void Use(int n, ISourceBlock<int> source) { }
                void M() => Use(source: new BackpressureBlock<int>(BackpressurePolicy.DegradeQuality, 1024, static item => item), n: 1);
                static Channel<T> Make<T>() => BackpressureChannel.Create<T>(BackpressurePolicy.DegradeQuality, 1024, static item => item);
            }
            """,
            UnboundedBoundaryCodeFix.PolicyKey("DegradeQuality"));

    [Fact]
    public Task A_BufferBlock_local_of_a_lambda_used_by_its_local_function_becomes_a_policy_block() =>
        Verifier.CodeFixAsync<UnboundedBoundaryCodeFix>(
            """
            using System;
            using System.Threading.Tasks.Dataflow;

            class C
            {
                Func<int> F = () =>
                {
                    var q = new {|RXS0002:BufferBlock<int>|}();
                    q.Post(1);
                    return Count();
                    int Count() => q.Count;
                };
            }
            """,
            """
            using System;
            using System.Threading.Tasks.Dataflow;
            using Reactive.Streams;

            class C
            {
                Func<int> F = () =>
                {
                    var q = new BackpressureBlock<int>(BackpressurePolicy.Fail, 1024);
                    q.Post(1);
                    return Count();
                    int Count() => q.Count;
                };
            }
            """,
            UnboundedBoundaryCodeFix.PolicyKey("Fail"));

    // Inside `namespace Contoso.Reactive.Pipelines`, `Reactive` names Contoso.Reactive: the fix wrote
    // `using Reactive.Streams;` among the usings inside the namespace, which binds to Contoso.Reactive.Streams (CS0234).
    [Fact]
    public Task The_using_added_inside_a_namespace_with_a_Reactive_segment_is_global_qualified() =>
        Verifier.CodeFixAsync<UnboundedBoundaryCodeFix>(
            """
            namespace Contoso.Reactive.Pipelines
            {
                using System.Threading.Channels;

                class C
                {
                    Channel<int> A = Channel.{|RXS0002:CreateUnbounded|}<int>();
                }
            }
            """,
            """
            namespace Contoso.Reactive.Pipelines
            {
                using System.Threading.Channels;
                using global::Reactive.Streams;

                class C
                {
                    Channel<int> A = BackpressureChannel.Create<int>(BackpressurePolicy.PauseUpstream, 1024);
                }
            }
            """,
            UnboundedBoundaryCodeFix.PolicyKey("PauseUpstream"));
}
