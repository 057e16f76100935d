using Npgsql;
using NpgsqlTypes;

namespace Reactive.Streams.Storage.Postgres;

/// <summary>Frame headers in the PostgreSQL log: the parameters that carry them in the append's one round trip.</summary>
public sealed partial class PostgresStreamLog
{
    /// <summary>A single append's headers parameter (text, NULL for none).</summary>
    private static NpgsqlParameter HeadersParameter(string? headersJson) =>
        new() { Value = (object?)headersJson ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text };

    /// <summary><c>rs_append_many</c>'s <c>p_headers</c> (text[], NULL when no frame has headers).</summary>
    private static NpgsqlParameter HeadersArrayParameter(string?[]? headersJson) =>
        new() { Value = (object?)headersJson ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text };
}
