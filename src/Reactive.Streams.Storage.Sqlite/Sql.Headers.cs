namespace Reactive.Streams.Storage.Sqlite;

/// <summary>The SQL of frame headers (<see cref="FrameHeaders"/>): the column's migration.</summary>
internal static partial class Sql
{
    // rs_frames.headers holds a frame's headers as FrameHeaders.ToJson's JSON object text, NULL for none. Files created
    // before frames carried headers gain the column here (a schema-only change: existing rows read as NULL). The schema
    // version stays 1: older libraries can still open and append to such a file, their frames simply carry no headers.
    public const string HasHeadersColumn = "SELECT COUNT(*) FROM pragma_table_info('rs_frames') WHERE name = 'headers'";

    public const string AddHeadersColumn = "ALTER TABLE rs_frames ADD COLUMN headers TEXT";
}
