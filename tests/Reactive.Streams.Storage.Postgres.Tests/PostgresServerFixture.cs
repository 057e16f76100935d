using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Reactive.Streams.Storage.Postgres.Tests;

/// <summary>
/// A throwaway PostgreSQL server for the test collection: <c>initdb</c> into a temporary directory (as the
/// <c>postgres</c> user when running as root), <c>pg_ctl start</c> on a free port bound to 127.0.0.1, stopped and
/// deleted after the collection. When the server binaries are missing or the server cannot start, every test
/// fails with the reason: these tests are never silently skipped (CI installs Debian's <c>postgresql</c> package).
/// </summary>
public sealed class PostgresServerFixture : IAsyncLifetime
{
    private string? _binDirectory;
    private string? _directory;
    private string? _dataDirectory;
    private bool _asPostgresUser;
    private Exception? _startFailure;

    public int Port { get; private set; }

    public string ConnectionString => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = "postgres",
        Database = "postgres",
        Timeout = 60,
        MaxPoolSize = 20,
    }.ToString();

    /// <summary>Throws, naming the reason, when the server is not running.</summary>
    public void EnsureRunning()
    {
        if (_startFailure is not null)
        {
            throw new InvalidOperationException(
                $"The PostgreSQL tests need a throwaway server and could not start one: {_startFailure.Message} " +
                "Install the server binaries (Debian: apt-get install postgresql; .ci/run does this) or set PG_BIN to their directory.",
                _startFailure);
        }
    }

    public async Task InitializeAsync()
    {
        try
        {
            _binDirectory = FindBinDirectory();
            _asPostgresUser = Environment.UserName == "root";
            _directory = Directory.CreateTempSubdirectory("rs-pg-").FullName;
            _dataDirectory = Path.Combine(_directory, "data");
            if (_asPostgresUser)
            {
                await RunAsync("chown", ["-R", "postgres:postgres", _directory], asPostgres: false);
            }

            await RunAsync(Path.Combine(_binDirectory, "initdb"), ["-D", _dataDirectory, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync", "--no-instructions"], _asPostgresUser);
            Port = FreePort();
            await StartAsync();
        }
        catch (Exception e)
        {
            _startFailure = e;
        }
    }

    /// <summary>Restarts the server (fast shutdown: every client connection is terminated).</summary>
    public async Task RestartAsync()
    {
        await StopAsync();
        await StartAgainAsync();
    }

    /// <summary>Stops the server (fast shutdown); <see cref="StartAgainAsync"/> brings it back.</summary>
    public Task StopAsync() => StopAsync("fast");

    /// <summary>
    /// Stops the server in <paramref name="mode"/>: <c>fast</c> ends every session with the error 57P01;
    /// <c>immediate</c> makes every server process quit at once (a warning, then the socket closes), and the next start
    /// recovers from the WAL as after a crash. <see cref="StartAgainAsync"/> brings it back.
    /// </summary>
    public Task StopAsync(string mode) =>
        RunAsync(Path.Combine(_binDirectory!, "pg_ctl"), ["-D", _dataDirectory!, "-m", mode, "-w", "stop"], _asPostgresUser);

    /// <summary>Starts the server <see cref="StopAsync"/> stopped, on the same port.</summary>
    public async Task StartAgainAsync()
    {
        await StartAsync();
        // Connections the tests' own NpgsqlConnections left in Npgsql's global pool died with the server; the
        // logs under test recover by themselves, and that is what the restart test checks.
        NpgsqlConnection.ClearAllPools();
    }

    public async Task DisposeAsync()
    {
        if (_directory is null)
        {
            return;
        }

        if (_startFailure is null && _binDirectory is not null)
        {
            await RunAsync(Path.Combine(_binDirectory, "pg_ctl"), ["-D", _dataDirectory!, "-m", "immediate", "-w", "stop"], _asPostgresUser);
        }

        Directory.Delete(_directory, recursive: true);
    }

    private Task StartAsync() =>
        RunAsync(Path.Combine(_binDirectory!, "pg_ctl"),
        [
            "-D", _dataDirectory!, "-l", Path.Combine(_directory!, "server.log"), "-w", "-t", "60",
            "-o", string.Create(CultureInfo.InvariantCulture,
                $"-c listen_addresses=127.0.0.1 -p {Port} -c unix_socket_directories={_directory} -c fsync=off -c full_page_writes=off -c max_connections=200"),
            "start",
        ], _asPostgresUser);

    private static string FindBinDirectory()
    {
        if (Environment.GetEnvironmentVariable("PG_BIN") is { Length: > 0 } configured)
        {
            return configured;
        }

        var candidates = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql")
                .Select(d => Path.Combine(d, "bin"))
                .Where(b => File.Exists(Path.Combine(b, "initdb")) && File.Exists(Path.Combine(b, "pg_ctl")))
                .OrderByDescending(b => int.TryParse(Path.GetFileName(Path.GetDirectoryName(b)), out var v) ? v : 0)
                .ToList()
            : [];
        return candidates.FirstOrDefault()
            ?? throw new FileNotFoundException("initdb and pg_ctl were not found under /usr/lib/postgresql/<version>/bin.");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task RunAsync(string program, string[] arguments, bool asPostgres)
    {
        var start = new ProcessStartInfo
        {
            FileName = asPostgres ? "runuser" : program,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (asPostgres)
        {
            foreach (var a in new[] { "-u", "postgres", "--", program })
            {
                start.ArgumentList.Add(a);
            }
        }

        foreach (var a in arguments)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {program}.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"{Path.GetFileName(program)} {string.Join(' ', arguments)} exited with {process.ExitCode}: {await error} {await output}");
        }
    }
}

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServerFixture>
{
    public const string Name = "postgres";
}
