using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Reactive.Streams.Benchmarks.Storage;

/// <summary>
/// A throwaway PostgreSQL server for one benchmark process (initdb + pg_ctl on a temporary directory and a free
/// loopback port, fsync off so the figures measure the log, not the disk), or the server that the
/// <c>RS_BENCH_POSTGRES</c> connection string names.
/// </summary>
internal sealed class ThrowawayPostgres : IDisposable
{
    private readonly string? _directory;
    private readonly string? _pgCtl;
    private readonly bool _asPostgres = Environment.UserName == "root";

    public ThrowawayPostgres()
    {
        if (Environment.GetEnvironmentVariable("RS_BENCH_POSTGRES") is { Length: > 0 } given)
        {
            ConnectionString = given;
            return;
        }

        var bin = Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin"))
            .FirstOrDefault(b => File.Exists(Path.Combine(b, "initdb")))
            ?? throw new InvalidOperationException("PostgreSQL server binaries not found (apt-get install postgresql), and RS_BENCH_POSTGRES is not set.");
        _pgCtl = Path.Combine(bin, "pg_ctl");
        _directory = Directory.CreateTempSubdirectory("rs-pg-bench-").FullName;
        if (_asPostgres)
        {
            Run("chown", "-R", "postgres:postgres", _directory);
        }

        var data = Path.Combine(_directory, "data");
        Run(Path.Combine(bin, "initdb"), "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync");
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        Run(_pgCtl, "-D", data, "-l", Path.Combine(_directory, "server.log"), "-w", "-o",
            string.Create(CultureInfo.InvariantCulture, $"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={_directory} -c fsync=off"), "start");
        ConnectionString = new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = port, Username = "postgres", Database = "postgres" }.ToString();
    }

    public string ConnectionString { get; }

    public void Dispose()
    {
        if (_directory is null)
        {
            return;
        }

        Run(_pgCtl!, "-D", Path.Combine(_directory, "data"), "-m", "immediate", "-w", "stop");
        Directory.Delete(_directory, recursive: true);
    }

    private void Run(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(_asPostgres && program != "chown" ? "runuser" : program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (_asPostgres && program != "chown")
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

        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} failed: {error.Result}");
        }
    }
}
