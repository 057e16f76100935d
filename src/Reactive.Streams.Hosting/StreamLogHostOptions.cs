using Reactive.Streams.Storage.Postgres;
using Reactive.Streams.Storage.Sqlite;

namespace Reactive.Streams.Hosting;

/// <summary>Which backend the hosted stream log uses.</summary>
public enum StreamLogProvider
{
    /// <summary>SQLite (<c>Reactive.Streams.Storage.Sqlite</c>): one local file; the default.</summary>
    Sqlite = 0,

    /// <summary>PostgreSQL (<c>Reactive.Streams.Storage.Postgres</c>): a server shared by many machines.</summary>
    Postgres = 1,
}

/// <summary>
/// The hosted stream log, bound from the <c>Log</c> section of the Reactive.Streams configuration section (by default
/// <c>ReactiveStreams:Log</c>) and validated when the host starts.
/// </summary>
public sealed class StreamLogHostOptions
{
    /// <summary>The backend. Default <see cref="StreamLogProvider.Sqlite"/>.</summary>
    public StreamLogProvider Provider { get; set; } = StreamLogProvider.Sqlite;

    /// <summary>The SQLite file (relative paths are relative to the working directory). SQLite only; set this or <see cref="ConnectionString"/>.</summary>
    public string? Path { get; set; }

    /// <summary>
    /// The connection string: for SQLite, <c>Data Source=&lt;file&gt;</c> (the file is what counts: an in-memory database, <c>Mode=Memory</c> or a <c>file:</c> URI filename fails validation, and so do <c>Mode=ReadOnly</c> and a <c>Password</c>, which the log cannot honour); for PostgreSQL, an Npgsql
    /// connection string (required). When it is empty, the <c>ConnectionStrings</c> entry named
    /// <see cref="ConnectionStringName"/> is used, if there is one.
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>The entry of the configuration's <c>ConnectionStrings</c> section used when <see cref="ConnectionString"/> is empty. Default <c>ReactiveStreams</c>.</summary>
    public string ConnectionStringName { get; set; } = "ReactiveStreams";

    /// <summary>The SQLite backend's options (section <c>Log:Sqlite</c>); its clock is the host's <see cref="TimeProvider"/>.</summary>
    public SqliteStreamLogOptions Sqlite { get; set; } = new();

    /// <summary>The PostgreSQL backend's options (section <c>Log:Postgres</c>); its clock and logger come from the host.</summary>
    public PostgresStreamLogOptions Postgres { get; set; } = new();

    /// <summary>
    /// The data source a PostgreSQL log opens on instead of <see cref="ConnectionString"/>, set by
    /// <see cref="ReactiveStreamsBuilder.UseNpgsqlDataSource"/>; null to open on the connection string.
    /// </summary>
    internal Func<IServiceProvider, Npgsql.NpgsqlDataSource>? DataSource { get; set; }

    /// <summary>
    /// The configuration key <see cref="ConnectionString"/> was taken from when it came from the <c>ConnectionStrings</c>
    /// section (<c>ConnectionStrings:&lt;name&gt;</c>), so that an error names the key the user set; null when it was set
    /// under <c>Log</c> or in code.
    /// </summary>
    internal string? ConnectionStringKey { get; set; }
}
