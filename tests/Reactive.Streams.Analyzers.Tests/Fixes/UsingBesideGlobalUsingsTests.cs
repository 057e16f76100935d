using Reactive.Streams.Analyzers.CodeFixes.Fixes;
using Verifier = Reactive.Streams.Analyzers.Tests.Infrastructure.Verify<Reactive.Streams.Analyzers.Rules.UnboundedBoundaryAnalyzer>;

namespace Reactive.Streams.Analyzers.Tests.Fixes;

/// <summary>
/// A fix that adds <c>using Reactive.Streams;</c> to a file that declares global usings itself (a Program.cs or a
/// GlobalUsings.cs with code in it): a using directive must follow every global one (CS8915), so it goes after them,
/// in its sorted place among the plain ones.
/// </summary>
public sealed class UsingBesideGlobalUsingsTests
{
    [Fact]
    public Task The_using_goes_after_a_global_static_using() =>
        Verifier.CodeFixAsync<UnboundedBoundaryCodeFix>(
            """
            global using System;
            global using static System.Math;
            using System.Reactive.Concurrency;
            using System.Reactive.Linq;

            class C
            {
                IObservable<int> M(IObservable<int> source, IScheduler scheduler) => source.{|RXS0002:ObserveOn|}(scheduler).Select(x => Max(x, 0));
            }
            """,
            """
            global using System;
            global using static System.Math;
            using System.Reactive.Concurrency;
            using System.Reactive.Linq;
            using Reactive.Streams;

            class C
            {
                IObservable<int> M(IObservable<int> source, IScheduler scheduler) => source.DropOldest(1024, scheduler).Select(x => Max(x, 0));
            }
            """,
            UnboundedBoundaryCodeFix.PolicyKey("DropOldest"));

    [Fact]
    public Task The_using_goes_after_global_usings_that_sort_after_it() =>
        Verifier.CodeFixAsync<UnboundedBoundaryCodeFix>(
            """
            global using System.Threading.Channels;
            global using Xunit.Sdk;
            using System.Linq;

            namespace Xunit.Sdk { public sealed class Marker { } }

            class C
            {
                Channel<int> Lane = Channel.{|RXS0002:CreateUnbounded|}<int>();
            }
            """,
            """
            global using System.Threading.Channels;
            global using Xunit.Sdk;
            using System.Linq;
            using Reactive.Streams;

            namespace Xunit.Sdk { public sealed class Marker { } }

            class C
            {
                Channel<int> Lane = BackpressureChannel.Create<int>(BackpressurePolicy.DropOldest, 1024);
            }
            """,
            UnboundedBoundaryCodeFix.PolicyKey("DropOldest"));

    [Fact]
    public Task A_file_of_global_usings_only_gets_the_using_after_them() =>
        Verifier.CodeFixAsync<UnboundedBoundaryCodeFix>(
            """
            global using System.Threading.Channels;
            global using Zeta;

            namespace Zeta { public sealed class Marker { } }

            class C
            {
                Channel<int> Lane = Channel.{|RXS0002:CreateUnbounded|}<int>();
            }
            """,
            """
            global using System.Threading.Channels;
            global using Zeta;
            using Reactive.Streams;

            namespace Zeta { public sealed class Marker { } }

            class C
            {
                Channel<int> Lane = BackpressureChannel.Create<int>(BackpressurePolicy.DropOldest, 1024);
            }
            """,
            UnboundedBoundaryCodeFix.PolicyKey("DropOldest"));
}
