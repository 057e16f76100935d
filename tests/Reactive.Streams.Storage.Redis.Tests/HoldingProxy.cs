using System.Net;
using System.Net.Sockets;

namespace Reactive.Streams.Storage.Redis.Tests;

/// <summary>
/// A loopback TCP proxy in front of the test server that holds every connection it accepts until <see cref="Release"/>
/// (a client connecting to it waits, as it would on a slow network), then forwards both ways. It counts the
/// connections it accepted and those still open, so a test can see a client close what it opened.
/// </summary>
public sealed class HoldingProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _serverPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _firstAccepted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _allClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _accepting;
    private int _accepted;
    private int _open;

    public HoldingProxy(int serverPort)
    {
        _serverPort = serverPort;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public int Accepted => Volatile.Read(ref _accepted);

    public int Open => Volatile.Read(ref _open);

    public void Release() => _released.TrySetResult();

    /// <summary>Completes when a client has connected to the proxy.</summary>
    public Task FirstAccepted => _firstAccepted.Task;

    /// <summary>Completes when every connection accepted so far has closed (after at least one was accepted).</summary>
    public Task AllClosed => _allClosed.Task;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _accepting;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            Interlocked.Increment(ref _accepted);
            Interlocked.Increment(ref _open);
            _firstAccepted.TrySetResult();
            _ = ForwardAsync(client);
        }
    }

    private async Task ForwardAsync(TcpClient client)
    {
        try
        {
            using (client)
            {
                await _released.Task.WaitAsync(_stop.Token);
                using var server = new TcpClient();
                await server.ConnectAsync(IPAddress.Loopback, _serverPort, _stop.Token);
                var fromClient = client.GetStream().CopyToAsync(server.GetStream(), _stop.Token);
                var fromServer = server.GetStream().CopyToAsync(client.GetStream(), _stop.Token);
                // Either side closing ends the pair.
                await Task.WhenAny(fromClient, fromServer);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            if (Interlocked.Decrement(ref _open) == 0)
            {
                _allClosed.TrySetResult();
            }
        }
    }
}
