namespace Reactive.Streams.Storage.Sqlite;

/// <summary>The consumer-group SQL of <see cref="SqliteStreamLog"/>; every value is a parameter.</summary>
internal static class SqlGroups
{
    // Created by the first group write of a log instance (idempotent; reads never create them), so files without groups gain no tables and the
    // frame schema's version is not involved. Times are the log's clock in Unix milliseconds. A group's row holds its
    // cursor (the last delivered id); rs_group_pending holds frames handed out and not acknowledged; rs_group_consumers
    // the members and when each last claimed.
    public const string Schema = """
        CREATE TABLE IF NOT EXISTS rs_groups (
            stream     TEXT    NOT NULL,
            grp        TEXT    NOT NULL,
            last_ms    INTEGER NOT NULL,
            last_seq   INTEGER NOT NULL,
            created_ms INTEGER NOT NULL,
            PRIMARY KEY (stream, grp)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS rs_group_pending (
            stream       TEXT    NOT NULL,
            grp          TEXT    NOT NULL,
            ms           INTEGER NOT NULL,
            seq          INTEGER NOT NULL,
            consumer     TEXT    NOT NULL,
            delivered_ms INTEGER NOT NULL,
            deliveries   INTEGER NOT NULL,
            PRIMARY KEY (stream, grp, ms, seq)
        ) WITHOUT ROWID;
        -- Claims look for expired entries by time: an index keeps that from scanning every pending entry.
        CREATE INDEX IF NOT EXISTS rs_group_pending_due ON rs_group_pending (stream, grp, delivered_ms);
        CREATE TABLE IF NOT EXISTS rs_group_consumers (
            stream   TEXT    NOT NULL,
            grp      TEXT    NOT NULL,
            consumer TEXT    NOT NULL,
            seen_ms  INTEGER NOT NULL,
            PRIMARY KEY (stream, grp, consumer)
        ) WITHOUT ROWID;
        """;

    public const string Group = "SELECT last_ms, last_seq FROM rs_groups WHERE stream = $stream AND grp = $grp";

    // The schema creates the three tables in one statement batch inside one transaction, so rs_groups stands for all.
    public const string TablesExist = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'rs_groups'";

    public const string CreateGroup = """
        INSERT INTO rs_groups (stream, grp, last_ms, last_seq, created_ms) VALUES ($stream, $grp, $ms, $seq, $now)
        ON CONFLICT (stream, grp) DO NOTHING
        """;

    public const string LastId = "SELECT ms, seq FROM rs_frames WHERE stream = $stream ORDER BY ms DESC, seq DESC LIMIT 1";

    // Pending frames after ($ms, $seq) whose holder took them at or before $due, oldest id first, with the frame (null
    // when trimmed).
    public const string Due = """
        SELECT p.ms, p.seq, p.deliveries, f.kind, f.payload, f.headers
        FROM rs_group_pending AS p
        LEFT JOIN rs_frames AS f ON f.stream = p.stream AND f.ms = p.ms AND f.seq = p.seq
        WHERE p.stream = $stream AND p.grp = $grp AND p.delivered_ms <= $due AND (p.ms, p.seq) > ($ms, $seq)
        ORDER BY p.ms, p.seq LIMIT $limit
        """;

    // The consumer's own pending frames after ($ms, $seq), oldest id first, whatever their time, with the frame (null
    // when trimmed).
    public const string Own = """
        SELECT p.ms, p.seq, p.deliveries, f.kind, f.payload, f.headers
        FROM rs_group_pending AS p
        LEFT JOIN rs_frames AS f ON f.stream = p.stream AND f.ms = p.ms AND f.seq = p.seq
        WHERE p.stream = $stream AND p.grp = $grp AND p.consumer = $consumer AND (p.ms, p.seq) > ($ms, $seq)
        ORDER BY p.ms, p.seq LIMIT $limit
        """;

    public const string Reclaim = """
        UPDATE rs_group_pending SET consumer = $consumer, delivered_ms = $now, deliveries = deliveries + 1
        WHERE stream = $stream AND grp = $grp AND ms = $ms AND seq = $seq
        """;

    public const string DeletePending = "DELETE FROM rs_group_pending WHERE stream = $stream AND grp = $grp AND ms = $ms AND seq = $seq";

    public const string New = """
        SELECT ms, seq, kind, payload, headers FROM rs_frames
        WHERE stream = $stream AND (ms, seq) > ($ms, $seq)
        ORDER BY ms, seq LIMIT $limit
        """;

    public const string InsertPending = """
        INSERT INTO rs_group_pending (stream, grp, ms, seq, consumer, delivered_ms, deliveries)
        VALUES ($stream, $grp, $ms, $seq, $consumer, $now, 1)
        """;

    public const string MoveCursor = "UPDATE rs_groups SET last_ms = $ms, last_seq = $seq WHERE stream = $stream AND grp = $grp";

    public const string SeeConsumer = """
        INSERT INTO rs_group_consumers (stream, grp, consumer, seen_ms) VALUES ($stream, $grp, $consumer, $now)
        ON CONFLICT (stream, grp, consumer) DO UPDATE SET seen_ms = excluded.seen_ms
        """;

    public const string Pending = """
        SELECT ms, seq, consumer, delivered_ms, deliveries FROM rs_group_pending
        WHERE stream = $stream AND grp = $grp AND ($consumer IS NULL OR consumer = $consumer)
        ORDER BY ms, seq LIMIT $limit
        """;

    public const string Info = """
        SELECT g.last_ms, g.last_seq,
            (SELECT COUNT(*) FROM rs_group_pending AS p WHERE p.stream = g.stream AND p.grp = g.grp),
            (SELECT COUNT(*) FROM rs_frames AS f WHERE f.stream = g.stream AND (f.ms, f.seq) > (g.last_ms, g.last_seq))
        FROM rs_groups AS g WHERE g.stream = $stream AND g.grp = $grp
        """;

    // In no order: the log sorts the members by ordinal (UTF-16) order of their names, as every backend does; the
    // database orders text by UTF-8 bytes, which puts characters above U+FFFF after U+E000-U+FFFF.
    public const string Members = """
        SELECT c.consumer, c.seen_ms,
            (SELECT COUNT(*) FROM rs_group_pending AS p WHERE p.stream = c.stream AND p.grp = c.grp AND p.consumer = c.consumer)
        FROM rs_group_consumers AS c WHERE c.stream = $stream AND c.grp = $grp
        """;
}
