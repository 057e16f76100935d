using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;

namespace Reactive.Streams.Storage.Sqlite;

/// <summary>Frame headers in the SQLite log: the column's migration and the batch inserts that write it.</summary>
public sealed partial class SqliteStreamLog
{
    // Multi-row INSERTs with a headers parameter per row, per row count; guarded by _writeGate like _insertRows.
    private readonly Dictionary<int, SqliteCommand> _insertRowsWithHeaders = [];

    /// <summary>Adds the headers column to a file created before frames carried headers; runs in the migration's transaction.</summary>
    private static async Task MigrateHeadersAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        using var has = connection.CreateCommand();
        has.CommandText = Sql.HasHeadersColumn;
        if (Convert.ToInt64(await has.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture) == 0)
        {
            await ExecuteAsync(connection, Sql.AddHeadersColumn, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Binds the per-row headers parameters, which follow the payload parameters.</summary>
    private static void BindRowHeaders(SqliteParameterCollection parameters, int rows, ReadOnlySpan<string?> headersJson)
    {
        for (var r = 0; r < rows; r++)
        {
            parameters[5 + rows + r].Value = (object?)headersJson[r] ?? DBNull.Value;
        }
    }

    private SqliteCommand InsertRowsWithHeadersCommand(int rows)
    {
        if (!_insertRowsWithHeaders.TryGetValue(rows, out var command))
        {
            var sql = new StringBuilder("INSERT INTO rs_frames (stream, ms, seq, ordinal, kind, payload, headers) VALUES ");
            var payloads = new List<string>();
            var headers = new List<string>();
            for (var r = 0; r < rows; r++)
            {
                sql.Append(r == 0 ? "" : ", ")
                    .Append(CultureInfo.InvariantCulture, $"($stream, $ms, $seq + {r}, $ordinal + {r}, $kind, $p{r}, $h{r})");
                payloads.Add(string.Create(CultureInfo.InvariantCulture, $"$p{r}"));
                headers.Add(string.Create(CultureInfo.InvariantCulture, $"$h{r}"));
            }

            command = Command(sql.ToString(), ["$stream", "$ms", "$seq", "$ordinal", "$kind", .. payloads, .. headers]);
            _insertRowsWithHeaders[rows] = command;
        }

        return command;
    }
}
