using System.Net;
using System.Net.Sockets;

namespace Reactive.Streams.Storage.Postgres.Tests;

/// <summary>
/// A loopback TCP proxy in front of the test server that can lose a connection at the worst moment: once armed, the
/// next request a client sends is delivered to the server, and the connection is cut when the server's answer starts to
/// come back, before the client sees any of it. The server has executed (and committed) the request; the client only
/// knows the connection broke. It can also play a server that is down (<see cref="GoDown"/>, <see cref="ComeBack"/>).
/// </summary>
public sealed class CuttingProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _serverPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<CancellationTokenSource, byte> _relays = new();
    private int _armed;
    private volatile bool _down;

    public CuttingProxy(int serverPort)
    {
        _serverPort = serverPort;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>How many connections were cut.</summary>
    public int Cuts { get; private set; }

    /// <summary>Cuts the connection that sends the next request, once the server starts answering it.</summary>
    public void ArmCut() => Volatile.Write(ref _armed, 1);

    /// <summary>How many connections were refused while down.</summary>
    public int Refused => Volatile.Read(ref _refused);

    private int _refused;

    /// <summary>
    /// Plays a server that went down: every relayed connection ends, and until <see cref="ComeBack"/> each new one is
    /// closed as soon as it is accepted, before the server sees it.
    /// </summary>
    public void GoDown()
    {
        _down = true;
        foreach (var relay in _relays.Keys)
        {
            try
            {
                relay.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // That relay ended meanwhile.
            }
        }
    }

    /// <summary>Relays new connections to the server again.</summary>
    public void ComeBack() => _down = false;

    /// <summary>
    /// Refuses new connections as <see cref="GoDown"/> does, but keeps relaying the open ones: a pooled connection still
    /// works, a new one (the listener's) fails. <see cref="ComeBack"/> ends it.
    /// </summary>
    public void RefuseNewConnections() => _down = true;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _accepting;
        }
        catch (Exception)
        {
            // Stopping the listener ends the accept loop with an error.
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            if (_down)
            {
                Interlocked.Increment(ref _refused);
                client.Client.LingerState = new LingerOption(true, 0); // a reset, as from a port nobody listens on
                client.Dispose();
                continue;
            }

            _ = Task.Run(() => RelayAsync(client));
        }
    }

    private async Task RelayAsync(TcpClient client)
    {
        using (client)
        using (var server = new TcpClient())
        {
            await server.ConnectAsync(IPAddress.Loopback, _serverPort);
            var toClient = client.GetStream();
            var toServer = server.GetStream();
            var cutPending = 0;
            using var done = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            _relays[done] = 0;
            var upstream = PumpAsync(toClient, toServer, () =>
            {
                // A request went out while armed: this connection's next answer is the one to lose.
                if (Interlocked.Exchange(ref _armed, 0) == 1)
                {
                    Volatile.Write(ref cutPending, 1);
                }

                return false;
            }, done.Token);
            var downstream = PumpAsync(toServer, toClient, () =>
            {
                if (Volatile.Read(ref cutPending) == 1)
                {
                    Cuts++;
                    return true;
                }

                return false;
            }, done.Token);
            await Task.WhenAny(upstream, downstream);
            _relays.TryRemove(done, out _);
            await done.CancelAsync();
        }
    }

    /// <summary>Copies chunks until either side closes, or until <paramref name="cutBefore"/> says to drop a chunk and stop.</summary>
    private static async Task PumpAsync(NetworkStream from, NetworkStream to, Func<bool> cutBefore, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReadAsync(buffer, cancellationToken);
                if (read == 0 || cutBefore())
                {
                    return;
                }

                await to.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (IOException)
        {
        }
    }
}
