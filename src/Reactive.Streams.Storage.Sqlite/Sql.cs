namespace Reactive.Streams.Storage.Sqlite;

/// <summary>The SQL of <see cref="SqliteStreamLog"/>; every value is a parameter.</summary>
internal static partial class Sql
{
    // kind: 0 Durable, 1 DurableSummary, 2 BestEffortLive (AppendMode's values).
    // ordinal: the frame's 1-based position among all frames ever appended to its stream; the last frame's ordinal
    // minus rs_streams.trimmed is the stream's frame count. Best-effort trimming keeps at least one frame (the newest),
    // so the last frame, which holds the stream's high-water id and ordinal, is never deleted.
    public const string Schema = """
        CREATE TABLE IF NOT EXISTS rs_frames (
            stream  TEXT    NOT NULL,
            ms      INTEGER NOT NULL,
            seq     INTEGER NOT NULL,
            ordinal INTEGER NOT NULL,
            kind    INTEGER NOT NULL,
            payload BLOB    NOT NULL,
            headers TEXT,
            PRIMARY KEY (stream, ms, seq)
        );
        CREATE INDEX IF NOT EXISTS rs_frames_live ON rs_frames (stream, ms, seq) WHERE kind = 2;
        CREATE TABLE IF NOT EXISTS rs_streams (
            stream           TEXT    NOT NULL PRIMARY KEY,
            trimmed          INTEGER NOT NULL DEFAULT 0,
            live_count       INTEGER NOT NULL DEFAULT 0,
            live_rate        REAL,
            live_ms          INTEGER,
            summary          TEXT,
            summary_version  INTEGER NOT NULL DEFAULT 0,
            summary_first_ms INTEGER,
            summary_last_ms  INTEGER
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS rs_checkpoints (
            checkpoint TEXT    NOT NULL PRIMARY KEY,
            ms         INTEGER NOT NULL,
            seq        INTEGER NOT NULL,
            updated_ms INTEGER NOT NULL
        ) WITHOUT ROWID;
        PRAGMA user_version = 1;
        """;

    // A durable append from the log's cached tip of the stream: inserts only if the stream's last id is still the one
    // the cache knows, i.e. no other connection appended since (every append raises the last id, and trimming never
    // removes the last frame); otherwise nothing is inserted and the log reloads the tip. The write lock is taken
    // before the guard is read, so check and insert are atomic. The guard reads only the primary-key index.
    public const string AppendAtTip = """
        INSERT INTO rs_frames (stream, ms, seq, ordinal, kind, payload, headers)
        SELECT $stream, $ms, $seq, $ordinal, 0, $payload, $headers
        WHERE (SELECT ms, seq FROM rs_frames WHERE stream = $stream ORDER BY ms DESC, seq DESC LIMIT 1) IS ($expected_ms, $expected_seq)
        """;

    // The stream's tip in one snapshot: last id and ordinal, frames trimmed, summary version.
    public const string Tip = """
        SELECT l.ms, l.seq, l.ordinal, COALESCE(s.trimmed, 0), COALESCE(s.summary_version, 0)
        FROM (SELECT 1) AS one
        LEFT JOIN (SELECT ms, seq, ordinal FROM rs_frames WHERE stream = $stream ORDER BY ms DESC, seq DESC LIMIT 1) AS l
        LEFT JOIN rs_streams AS s ON s.stream = $stream
        """;

    public const string LastFrame = "SELECT ms, seq, ordinal FROM rs_frames WHERE stream = $stream ORDER BY ms DESC, seq DESC LIMIT 1";

    public const string StreamState = """
        SELECT trimmed, live_count, live_rate, live_ms, summary, summary_version, summary_first_ms, summary_last_ms
        FROM rs_streams WHERE stream = $stream
        """;

    public const string SaveStreamState = """
        INSERT INTO rs_streams (stream, trimmed, live_count, live_rate, live_ms, summary, summary_version, summary_first_ms, summary_last_ms)
        VALUES ($stream, $trimmed, $live_count, $live_rate, $live_ms, $summary, $summary_version, $summary_first_ms, $summary_last_ms)
        ON CONFLICT (stream) DO UPDATE SET
            trimmed = excluded.trimmed, live_count = excluded.live_count, live_rate = excluded.live_rate, live_ms = excluded.live_ms,
            summary = excluded.summary, summary_version = excluded.summary_version,
            summary_first_ms = excluded.summary_first_ms, summary_last_ms = excluded.summary_last_ms
        """;

    public const string TrimLive = """
        DELETE FROM rs_frames WHERE rowid IN (
            SELECT rowid FROM rs_frames INDEXED BY rs_frames_live
            WHERE stream = $stream AND kind = 2 ORDER BY ms, seq LIMIT $excess)
        """;

    public const string Read = """
        SELECT ms, seq, kind, payload, headers FROM rs_frames
        WHERE stream = $stream AND (ms, seq) >= ($from_ms, $from_seq) AND (ms, seq) <= ($to_ms, $to_seq)
        ORDER BY ms, seq LIMIT $limit
        """;

    public const string ReadExcludingLive = """
        SELECT ms, seq, kind, payload, headers FROM rs_frames
        WHERE stream = $stream AND (ms, seq) >= ($from_ms, $from_seq) AND (ms, seq) <= ($to_ms, $to_seq) AND kind <> 2
        ORDER BY ms, seq LIMIT $limit
        """;

    public const string ReadSummary = """
        SELECT summary, summary_version, summary_first_ms, summary_last_ms FROM rs_streams
        WHERE stream = $stream AND summary_version > 0
        """;

    public const string ReadCheckpoint = "SELECT ms, seq FROM rs_checkpoints WHERE checkpoint = $checkpoint";

    public const string WriteCheckpoint = """
        INSERT INTO rs_checkpoints (checkpoint, ms, seq, updated_ms) VALUES ($checkpoint, $ms, $seq, $now)
        ON CONFLICT (checkpoint) DO UPDATE SET ms = excluded.ms, seq = excluded.seq, updated_ms = excluded.updated_ms
        """;
}
