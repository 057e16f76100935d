using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace Reactive.Streams.Benchmarks.Storage;

/// <summary>
/// A redis-server started by the benchmark itself on a free loopback port and a temporary directory (no append-only
/// file, no snapshots: the benchmarks compare client paths to one server, not disks), killed on dispose.
/// </summary>
internal sealed class ThrowawayRedis : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("rs-bench-redis-").FullName;
    private readonly Process _server;

    public ThrowawayRedis()
    {
        var port = FreePort();
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("REDIS_SERVER") is { Length: > 0 } b ? b : "redis-server")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in new[] { "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--dir", _directory, "--appendonly", "no", "--save", "" })
        {
            start.ArgumentList.Add(a);
        }

        _server = Process.Start(start) ?? throw new InvalidOperationException("Could not start redis-server.");
        _server.OutputDataReceived += (_, _) => { };
        _server.BeginOutputReadLine();
        Configuration = string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{port}");
        var guard = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var probe = ConnectionMultiplexer.Connect(Configuration + ",connectRetry=0");
                probe.GetDatabase().Ping();
                return;
            }
            catch (RedisConnectionException) when (guard.Elapsed < TimeSpan.FromMinutes(1))
            {
                Thread.Sleep(50);
            }
        }
    }

    public string Configuration { get; }

    public void Dispose()
    {
        _server.Kill();
        _server.WaitForExit();
        _server.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
