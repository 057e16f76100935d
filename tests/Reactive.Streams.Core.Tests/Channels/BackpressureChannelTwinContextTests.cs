using System.Collections.Concurrent;
using System.Threading.Channels;
using Reactive.Streams.Internal;
using Reactive.Streams.Tests.Support;

namespace Reactive.Streams.Tests.Channels;

/// <summary>
/// Where the continuation of a pending channel operation runs, against <c>Channel.CreateBounded</c>: awaited on a
/// <see cref="SynchronizationContext"/>, it is posted to that context (a UI thread's, say), and with
/// <c>ConfigureAwait(false)</c> it is not; either way it sees the awaiting code's <see cref="AsyncLocal{T}"/> values, not
/// those of the call that completed it. Each pending operation (<c>ReadAsync</c>, which a write hands its item,
/// <c>WaitToReadAsync</c>, a parked <c>WriteAsync</c>, <c>WaitToWriteAsync</c>) runs with and without a token (without
/// one both sides wait on a pooled object), on the runtime's channel and on <see cref="BackpressureChannel"/> in the shared
/// and the locked mode.
/// </summary>
public sealed class BackpressureChannelTwinContextTests
{
    private static readonly AsyncLocal<string?> s_flow = new();

    public static TheoryData<string, string, bool, bool> Cases()
    {
        var data = new TheoryData<string, string, bool, bool>();
        foreach (var operation in new[] { "ReadAsync", "WaitToReadAsync", "WriteAsync", "WaitToWriteAsync" })
        {
            foreach (var variant in new[] { "runtime", "shared", "locked" })
            {
                foreach (var continueOnContext in new[] { true, false })
                {
                    data.Add(operation, variant, continueOnContext, false);
                    data.Add(operation, variant, continueOnContext, true);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_pending_operations_continuation_runs_where_the_awaiting_code_asked_with_its_own_async_locals(
        string operation, string variant, bool continueOnContext, bool withToken)
    {
        using var cts = new CancellationTokenSource();
        var token = withToken ? cts.Token : default;
        var channel = Open(variant);
        if (operation.Contains("Write", StringComparison.Ordinal))
        {
            Assert.True(channel.Writer.TryWrite(1));
        }

        var context = new QueueContext();
        var previous = SynchronizationContext.Current;
        Task<(SynchronizationContext? Context, string? Flow, string Result)> awaiting;
        SynchronizationContext.SetSynchronizationContext(context);
        try
        {
            s_flow.Value = "awaiting";
            awaiting = Await(channel, operation, token, continueOnContext);
        }
        finally
        {
            s_flow.Value = null;
            SynchronizationContext.SetSynchronizationContext(previous);
        }

        Assert.False(awaiting.IsCompleted);

        // The call that completes the operation runs with an async local of its own.
        s_flow.Value = "completing";
        if (operation.Contains("Write", StringComparison.Ordinal))
        {
            Assert.True(channel.Reader.TryRead(out var first));
            Assert.Equal(1, first);
        }
        else
        {
            Assert.True(channel.Writer.TryWrite(7));
        }

        s_flow.Value = null;

        if (continueOnContext)
        {
            Assert.True(context.Posted.TryTake(out var posted, TestLimits.Hang), "The continuation was not posted to the awaiting code's context.");
            Assert.False(awaiting.IsCompleted);
            posted();
        }

        var (ranOn, flow, result) = await awaiting.WaitAsync(TestLimits.Hang);
        Assert.Same(continueOnContext ? context : null, ranOn);
        Assert.Equal("awaiting", flow);
        Assert.Equal(operation switch
        {
            "ReadAsync" => "7",
            "WriteAsync" => "written",
            _ => "True",
        }, result);
        Assert.Empty(context.Posted);
    }

    private static async Task<(SynchronizationContext? Context, string? Flow, string Result)> Await(
        Channel<int> channel, string operation, CancellationToken token, bool continueOnContext)
    {
        string result;
        switch (operation)
        {
            case "ReadAsync":
                result = (await channel.Reader.ReadAsync(token).ConfigureAwait(continueOnContext)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                break;
            case "WaitToReadAsync":
                result = (await channel.Reader.WaitToReadAsync(token).ConfigureAwait(continueOnContext)).ToString();
                break;
            case "WriteAsync":
                await channel.Writer.WriteAsync(2, token).ConfigureAwait(continueOnContext);
                result = "written";
                break;
            default:
                result = (await channel.Writer.WaitToWriteAsync(token).ConfigureAwait(continueOnContext)).ToString();
                break;
        }

        return (SynchronizationContext.Current, s_flow.Value, result);
    }

    private static Channel<int> Open(string variant)
    {
        if (variant == "runtime")
        {
            return Channel.CreateBounded<int>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.Wait });
        }

        var options = new BoundedStreamOptions<int>(BackpressurePolicy.PauseUpstream, 1);
        return BackpressureChannel.Create(options, variant == "locked" ? BufferMode.Locked : BufferMode.SharedLane);
    }

    /// <summary>A context that keeps what is posted to it until the test runs it, on the test's thread, as itself.</summary>
    private sealed class QueueContext : SynchronizationContext
    {
        public BlockingCollection<Action> Posted { get; } = [];

        public override void Post(SendOrPostCallback d, object? state) => Posted.Add(() =>
        {
            var previous = Current;
            SetSynchronizationContext(this);
            try
            {
                d(state);
            }
            finally
            {
                SetSynchronizationContext(previous);
            }
        });

        public override void Send(SendOrPostCallback d, object? state) => throw new NotSupportedException();
    }
}
