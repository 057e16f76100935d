using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace Reactive.Streams.Storage.Redis.Tests;

/// <summary>
/// A throwaway Redis server for the test collection: <c>redis-server</c> started from its binary on a free port bound
/// to 127.0.0.1, with its working directory (append-only file, <c>appendfsync always</c>, no RDB snapshots) in a
/// temporary directory, killed and deleted after the collection. When the binary is missing or the server cannot
/// start, every test fails with the reason: these tests are never silently skipped (CI installs Debian's
/// <c>redis-server</c> package).
/// </summary>
public class RedisServerFixture : IAsyncLifetime
{
    private readonly bool _cluster;
    private readonly bool _persistent;
    private readonly string? _password;
    private string? _binary;
    private string? _directory;
    private Process? _server;
    private Exception? _startFailure;
    private int _clusterPort;

    public RedisServerFixture()
        : this(cluster: false)
    {
    }

    /// <param name="cluster">Whether the server runs in cluster mode, as the only node of a cluster that owns every slot.</param>
    /// <param name="persistent">
    /// Whether the server keeps an append-only file (<c>appendfsync always</c>) and so gets its data back on a restart;
    /// without, a restarted server starts empty.
    /// </param>
    /// <param name="password">The server's <c>requirepass</c>, which <see cref="Configuration"/> gives; null for none.</param>
    protected RedisServerFixture(bool cluster, bool persistent = true, string? password = null)
    {
        _cluster = cluster;
        _persistent = persistent;
        _password = password;
    }

    public int Port { get; private set; }

    /// <summary>A StackExchange.Redis configuration string for the server's database <paramref name="database"/>.</summary>
    public string Configuration(int database = 0) =>
        BareConfiguration(database) + (_password is null ? string.Empty : ",password=" + _password);

    /// <summary><see cref="Configuration"/> without the password.</summary>
    public string BareConfiguration(int database = 0) =>
        string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{Port},defaultDatabase={database},connectTimeout=5000,syncTimeout=10000,asyncTimeout=10000");

    public string ConfigurationString => Configuration();

    /// <summary>Throws, naming the reason, when the server is not running.</summary>
    public void EnsureRunning()
    {
        if (_startFailure is not null)
        {
            throw new InvalidOperationException(
                $"The Redis tests need a throwaway server and could not start one: {_startFailure.Message} " +
                "Install the server binary (Debian: apt-get install redis-server; .ci/run does this) or set REDIS_SERVER to its path.",
                _startFailure);
        }
    }

    public async Task InitializeAsync()
    {
        try
        {
            _binary = FindBinary();
            _directory = Directory.CreateTempSubdirectory("rs-redis-").FullName;
            Port = FreePort();
            if (_cluster)
            {
                // A cluster node also listens on its bus port, by default the client port + 10,000: beyond 65,535 for a
                // client port above 55,535, where redis-server refuses to start (about one free port in five on Linux's
                // default ephemeral range, 32768-60999). So the bus port is picked as freely as the client port.
                do
                {
                    _clusterPort = FreePort();
                }
                while (_clusterPort == Port);
            }

            await StartAsync();
        }
        catch (Exception e)
        {
            _startFailure = e;
        }
    }

    /// <summary>Kills the server (SIGKILL: no shutdown, every connection dropped) and starts it again on the same port and directory.</summary>
    public async Task RestartAsync()
    {
        Kill();
        await StartAsync();
    }

    /// <summary>Kills the server (SIGKILL); <see cref="StartAgainAsync"/> brings it back.</summary>
    public void Stop() => Kill();

    /// <summary>Starts the server <see cref="Stop"/> killed, on the same port and directory.</summary>
    public Task StartAgainAsync() => StartAsync();

    /// <summary>
    /// Stops the server the way an operator does, <c>SHUTDOWN NOSAVE</c> (it closes every connection and exits without
    /// writing a snapshot); <see cref="StartAgainAsync"/> brings it back.
    /// </summary>
    public async Task ShutdownNoSaveAsync()
    {
        var server = _server ?? throw new InvalidOperationException("The server is not running.");
        await using (var admin = await ConnectionMultiplexer.ConnectAsync(Configuration() + ",allowAdmin=true,connectRetry=0,abortConnect=true"))
        {
            try
            {
                await admin.GetDatabase().ExecuteAsync("SHUTDOWN", "NOSAVE");
            }
            catch (RedisConnectionException)
            {
                // The server closed the connection as it went down: what SHUTDOWN answers.
            }
        }

        await server.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
        server.Dispose();
        _server = null;
    }

    public Task DisposeAsync()
    {
        Kill();
        if (_directory is not null)
        {
            Directory.Delete(_directory, recursive: true);
        }

        return Task.CompletedTask;
    }

    private void Kill()
    {
        if (_server is { } server)
        {
            if (!server.HasExited)
            {
                server.Kill();
                server.WaitForExit(TimeSpan.FromMinutes(1));
            }

            server.Dispose();
            _server = null;
        }
    }

    private async Task StartAsync()
    {
        var start = new ProcessStartInfo
        {
            FileName = _binary!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _directory!,
        };
        foreach (var a in new[]
        {
            "--port", Port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--dir", _directory!,
            "--appendonly", _persistent ? "yes" : "no", "--appendfsync", "always", "--save", "", "--daemonize", "no",
            "--logfile", Path.Combine(_directory!, "server.log"), "--databases", "16",
        })
        {
            start.ArgumentList.Add(a);
        }

        if (_password is not null)
        {
            start.ArgumentList.Add("--requirepass");
            start.ArgumentList.Add(_password);
        }

        if (_cluster)
        {
            foreach (var a in new[]
            {
                "--cluster-enabled", "yes", "--cluster-port", _clusterPort.ToString(CultureInfo.InvariantCulture),
                "--cluster-config-file", Path.Combine(_directory!, "nodes.conf"), "--cluster-announce-ip", "127.0.0.1",
            })
            {
                start.ArgumentList.Add(a);
            }
        }

        _server = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {_binary}.");
        _server.OutputDataReceived += (_, _) => { };
        _server.ErrorDataReceived += (_, _) => { };
        _server.BeginOutputReadLine();
        _server.BeginErrorReadLine();

        // Ready when it answers PING rather than LOADING (it loads the append-only file first).
        var guard = Stopwatch.StartNew();
        while (true)
        {
            if (_server.HasExited)
            {
                var log = Path.Combine(_directory!, "server.log");
                throw new InvalidOperationException(
                    $"redis-server exited with {_server.ExitCode}: {(File.Exists(log) ? await File.ReadAllTextAsync(log) : "(no log)")}");
            }

            try
            {
                await using var probe = await ConnectionMultiplexer.ConnectAsync(Configuration() + ",connectRetry=0,abortConnect=true");
                await probe.GetDatabase().PingAsync();
                if (_cluster)
                {
                    await AssignEverySlotAsync(probe, guard);
                }

                return;
            }
            catch (Exception e) when (e is RedisConnectionException || (e is RedisServerException && e.Message.StartsWith("LOADING", StringComparison.Ordinal)))
            {
                if (guard.Elapsed > TimeSpan.FromMinutes(1))
                {
                    throw;
                }


                await Task.Delay(50);
            }
        }
    }

    // A new cluster node owns no slot: it takes them all (a restarted one keeps them in nodes.conf), then the log's
    // connection is opened once the node reports the cluster's state as ok. The node announces 127.0.0.1: without it,
    // CLUSTER NODES gives it no address and every new connection waits out its connect timeout on that second endpoint.
    private async Task AssignEverySlotAsync(ConnectionMultiplexer probe, Stopwatch guard)
    {
        var node = probe.GetServer("127.0.0.1", Port);
        if (ClusterInfo(await node.ExecuteAsync("CLUSTER", "INFO"), "cluster_slots_assigned") == "0")
        {
            await node.ExecuteAsync("CLUSTER", "ADDSLOTSRANGE", "0", "16383");
        }

        while (ClusterInfo(await node.ExecuteAsync("CLUSTER", "INFO"), "cluster_state") != "ok")
        {
            if (guard.Elapsed > TimeSpan.FromMinutes(1))
            {
                throw new InvalidOperationException("The one-node Redis cluster did not reach the state ok within a minute.");
            }

            await Task.Delay(50);
        }
    }

    private static string? ClusterInfo(RedisResult info, string field) =>
        ((string?)info ?? string.Empty).Split('\n').Select(l => l.Trim().Split(':')).FirstOrDefault(p => p.Length == 2 && p[0] == field)?[1];

    private static string FindBinary()
    {
        if (Environment.GetEnvironmentVariable("REDIS_SERVER") is { Length: > 0 } configured)
        {
            return configured;
        }

        foreach (var candidate in new[] { "/usr/bin/redis-server", "/usr/local/bin/redis-server", "/usr/bin/valkey-server" })
        {
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException("redis-server was not found in /usr/bin or /usr/local/bin.");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

[CollectionDefinition(Name)]
public sealed class RedisCollection : ICollectionFixture<RedisServerFixture>
{
    public const string Name = "redis";
}

/// <summary>The same throwaway server with no persistence at all (no append-only file, no snapshots): a restart loses every key.</summary>
public sealed class RedisVolatileServerFixture() : RedisServerFixture(cluster: false, persistent: false);

/// <summary>The same throwaway server in cluster mode: one node that owns all 16,384 slots, so Redis checks that the keys of every command and script share one slot, as a real cluster does.</summary>
public sealed class RedisClusterFixture() : RedisServerFixture(cluster: true);

/// <summary>The same throwaway server with a password (<c>requirepass</c>): <see cref="RedisServerFixture.Configuration"/> carries it.</summary>
public sealed class RedisPasswordServerFixture() : RedisServerFixture(cluster: false, password: Password)
{
    public const string Password = "s3cret-pass";
}

[CollectionDefinition(Name)]
public sealed class RedisPasswordCollection : ICollectionFixture<RedisPasswordServerFixture>
{
    public const string Name = "redis-password";
}

[CollectionDefinition(Name)]
public sealed class RedisClusterCollection : ICollectionFixture<RedisClusterFixture>
{
    public const string Name = "redis-cluster";
}
