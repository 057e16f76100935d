using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;

namespace Reactive.Streams.Hosting.Tests;

/// <summary>
/// Calls on the registered log that wait for its backend to open (a server that accepts the connection and never
/// answers) when the registration is disposed or the caller cancels: each ends as a call on a disposed log does, or
/// with the caller's own token, never with the registration's internal one.
/// </summary>
public sealed class HostedLogOpenLifecycleTests
{
    [Fact]
    public async Task Calls_waiting_for_the_open_when_the_registration_is_disposed_fail_with_ObjectDisposedException()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        await using var test = SilentServerHost(silent);
        test.Builder.Services.AddReactiveStreams();
        var provider = test.Builder.Services.BuildServiceProvider();
        var log = provider.GetRequiredService<IStreamLog>();
        var groups = provider.GetRequiredService<IConsumerGroupLog>();
        var checkpoints = provider.GetRequiredService<ICheckpointStore>();

        // Each call waits for the open; none of them carries a token that can cancel.
        var append = log.AppendAsync("orders", "a"u8.ToArray(), AppendMode.Durable).AsTask();
        using var accepted = await silent.AcceptTcpClientAsync().WaitAsync(TestHost.Hang);
        var tail = log.TailAsync("orders", StreamId.Min, TimeSpan.FromMinutes(10), 10).AsTask();
        var claim = groups.ClaimAsync("orders", "billing", "m1", 10, TimeSpan.FromSeconds(30)).AsTask();
        var checkpoint = checkpoints.WriteCheckpointAsync("orders-cp", new StreamId(1, 0)).AsTask();
        var endless = log.TailAllAsync("orders", StreamId.Min).GetAsyncEnumerator();
        var next = endless.MoveNextAsync().AsTask();

        await provider.DisposeAsync().AsTask().WaitAsync(TestHost.Hang);

        // As a call on a disposed log (or a parked tail the log's disposal ends): ObjectDisposedException, not a
        // cancellation on a token the caller never passed.
        foreach (var call in new Task[] { append, tail, claim, checkpoint, next })
        {
            var error = await Record.ExceptionAsync(() => call.WaitAsync(TestHost.Hang));
            Assert.IsType<ObjectDisposedException>(error);
        }

        await endless.DisposeAsync();
    }

    [Fact]
    public async Task A_call_waiting_for_the_open_cancelled_by_its_caller_names_the_callers_token_and_leaves_the_open_running()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        await using var test = SilentServerHost(silent);
        test.Builder.Services.AddReactiveStreams();
        await using var provider = test.Builder.Services.BuildServiceProvider();
        var log = provider.GetRequiredService<IStreamLog>();

        using var cts = new CancellationTokenSource();
        var append = log.AppendAsync("orders", "a"u8.ToArray(), AppendMode.Durable, cts.Token).AsTask();
        using var accepted = await silent.AcceptTcpClientAsync().WaitAsync(TestHost.Hang);
        await cts.CancelAsync();

        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => append.WaitAsync(TestHost.Hang));
        Assert.Equal(cts.Token, error.CancellationToken);

        // One caller's cancellation is not the open's: another call still waits for the same open (no second
        // connection is made), and ends when the registration is disposed.
        var read = log.ReadAsync("orders", StreamId.Min, StreamId.Max, 10).AsTask();
        Assert.False(read.IsCompleted);
        await provider.DisposeAsync().AsTask().WaitAsync(TestHost.Hang);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => read.WaitAsync(TestHost.Hang));
    }

    private static TestHost SilentServerHost(TcpListener silent)
    {
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        return new TestHost(new()
        {
            ["ReactiveStreams:Log:Provider"] = "Postgres",
            ["ReactiveStreams:Log:ConnectionString"] = $"Host=127.0.0.1;Port={port};Username=u;Password=p;Database=d;Timeout=1024;Pooling=false",
        }, withLogPath: false);
    }
}
