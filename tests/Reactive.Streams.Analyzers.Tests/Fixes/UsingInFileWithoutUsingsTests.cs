using Reactive.Streams.Analyzers.CodeFixes.Fixes;
using Verifier = Reactive.Streams.Analyzers.Tests.Infrastructure.Verify<Reactive.Streams.Analyzers.Rules.UnboundedBoundaryAnalyzer>;

namespace Reactive.Streams.Analyzers.Tests.Fixes;

/// <summary>
/// A fix that adds <c>using Reactive.Streams;</c> to a file with no using at all: the file's header (a license comment,
/// a <c>#nullable</c> directive) stays above it, and the first type's XML documentation stays on the type (moved above
/// the using it would document nothing: CS1587, and the type would lose its docs).
/// </summary>
public sealed class UsingInFileWithoutUsingsTests
{
    [Fact]
    public Task The_license_header_goes_above_the_using() =>
        Verifier.CodeFixAsync<UnboundedBoundaryCodeFix>(
            """
            // Copyright (c) Contoso. Licensed under the MIT license.

            public static class Lanes
            {
                public static System.Threading.Channels.Channel<int> Lane = System.Threading.Channels.Channel.{|RXS0002:CreateUnbounded|}<int>();
            }
            """,
            """
            // Copyright (c) Contoso. Licensed under the MIT license.

            using Reactive.Streams;

            public static class Lanes
            {
                public static System.Threading.Channels.Channel<int> Lane = BackpressureChannel.Create<int>(BackpressurePolicy.DropOldest, 1024);
            }
            """,
            UnboundedBoundaryCodeFix.PolicyKey("DropOldest"));

    [Fact]
    public Task The_first_type_s_documentation_stays_on_the_type() =>
        Verifier.CodeFixAsync<UnboundedBoundaryCodeFix>(
            """
            // Copyright (c) Contoso. Licensed under the MIT license.

            /// <summary>The lanes.</summary>
            public static class Lanes
            {
                /// <summary>The lane.</summary>
                public static System.Threading.Channels.Channel<int> Lane = System.Threading.Channels.Channel.{|RXS0002:CreateUnbounded|}<int>();
            }
            """,
            """
            // Copyright (c) Contoso. Licensed under the MIT license.

            using Reactive.Streams;

            /// <summary>The lanes.</summary>
            public static class Lanes
            {
                /// <summary>The lane.</summary>
                public static System.Threading.Channels.Channel<int> Lane = BackpressureChannel.Create<int>(BackpressurePolicy.DropOldest, 1024);
            }
            """,
            UnboundedBoundaryCodeFix.PolicyKey("DropOldest"));

    [Fact]
    public Task Documentation_without_a_header_stays_on_the_type() =>
        Verifier.CodeFixAsync<UnboundedBoundaryCodeFix>(
            """
            #nullable enable
            /// <summary>The lanes.</summary>
            public static class Lanes
            {
                public static System.Threading.Channels.Channel<int> Lane = System.Threading.Channels.Channel.{|RXS0002:CreateUnbounded|}<int>();
            }
            """,
            """
            #nullable enable
            using Reactive.Streams;

            /// <summary>The lanes.</summary>
            public static class Lanes
            {
                public static System.Threading.Channels.Channel<int> Lane = BackpressureChannel.Create<int>(BackpressurePolicy.DropOldest, 1024);
            }
            """,
            UnboundedBoundaryCodeFix.PolicyKey("DropOldest"));
}
