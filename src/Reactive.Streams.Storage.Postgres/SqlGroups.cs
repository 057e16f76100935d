namespace Reactive.Streams.Storage.Postgres;

/// <summary>The consumer-group SQL of <see cref="PostgresStreamLog"/>; every value is a parameter.</summary>
internal static class SqlGroups
{
    /// <summary>The SQLSTATE the group functions raise for an unknown group (PL/pgSQL's no_data_found).</summary>
    public const string GroupNotFound = "P0002";

    // Created by the first group call of a log instance (idempotent, under the migration's advisory lock), so the frame
    // schema is not involved. Times are the log's clock in Unix milliseconds (see PostgresStreamLog.Groups.cs).
    public const string Schema = """
        SELECT pg_advisory_xact_lock(5788903722057543);

        CREATE TABLE IF NOT EXISTS rs_groups (
            stream     text   NOT NULL,
            grp        text   NOT NULL,
            last_ms    bigint NOT NULL,
            last_seq   bigint NOT NULL,
            created_ms bigint NOT NULL,
            PRIMARY KEY (stream, grp)
        ) WITH (fillfactor = 50); -- the cursor row is updated by every claim of new frames: keep the updates HOT

        CREATE TABLE IF NOT EXISTS rs_group_pending (
            stream       text   NOT NULL,
            grp          text   NOT NULL,
            ms           bigint NOT NULL,
            seq          bigint NOT NULL,
            consumer     text   NOT NULL,
            delivered_ms bigint NOT NULL,
            deliveries   bigint NOT NULL,
            PRIMARY KEY (stream, grp, ms, seq)
        );
        -- Claims look for expired entries by time: an index keeps that from scanning every pending entry.
        CREATE INDEX IF NOT EXISTS rs_group_pending_due ON rs_group_pending (stream, grp, delivered_ms);

        CREATE TABLE IF NOT EXISTS rs_group_consumers (
            stream   text   NOT NULL,
            grp      text   NOT NULL,
            consumer text   NOT NULL,
            seen_ms  bigint NOT NULL,
            PRIMARY KEY (stream, grp, consumer)
        ) WITH (fillfactor = 50);

        -- One claim, one round trip. Reclaim: pending rows held since p_due or earlier, locked with SKIP LOCKED so
        -- concurrent claims on other connections take disjoint rows (a row another claim has just reclaimed is
        -- re-checked after its lock and is no longer due). New frames: the group's cursor row is locked FOR UPDATE, so
        -- claims of new frames take turns and each frame after the cursor goes to exactly one of them.
        CREATE OR REPLACE FUNCTION rs_group_claim(p_stream text, p_grp text, p_consumer text, p_limit integer, p_now bigint, p_due bigint)
        RETURNS TABLE (r_ms bigint, r_seq bigint, r_kind smallint, r_payload bytea, r_deliveries bigint, r_last_ms bigint, r_last_seq bigint, r_headers text)
        LANGUAGE plpgsql AS $fn$
        DECLARE
            v_count integer := 0;
            v_last_ms bigint;
            v_last_seq bigint;
            r record;
        BEGIN
            PERFORM 1 FROM rs_groups AS g WHERE g.stream = p_stream AND g.grp = p_grp;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'consumer group % does not exist on stream %', p_grp, p_stream USING ERRCODE = 'P0002';
            END IF;
            FOR r IN
                WITH due AS (
                    SELECT p.ms, p.seq FROM rs_group_pending AS p
                    WHERE p.stream = p_stream AND p.grp = p_grp AND p.delivered_ms <= p_due
                    ORDER BY p.ms, p.seq LIMIT p_limit
                    FOR UPDATE SKIP LOCKED),
                taken AS (
                    UPDATE rs_group_pending AS p SET consumer = p_consumer, delivered_ms = p_now, deliveries = p.deliveries + 1
                    FROM due WHERE p.stream = p_stream AND p.grp = p_grp AND p.ms = due.ms AND p.seq = due.seq
                    RETURNING p.ms, p.seq, p.deliveries)
                SELECT t.ms, t.seq, t.deliveries, f.kind, f.payload, f.headers
                FROM taken AS t LEFT JOIN rs_frames AS f ON f.stream = p_stream AND f.ms = t.ms AND f.seq = t.seq
                ORDER BY t.ms, t.seq
            LOOP
                IF r.payload IS NULL THEN
                    -- Trimmed while pending (best-effort retention): nothing left to hand out.
                    DELETE FROM rs_group_pending AS p WHERE p.stream = p_stream AND p.grp = p_grp AND p.ms = r.ms AND p.seq = r.seq;
                ELSE
                    r_ms := r.ms; r_seq := r.seq; r_kind := r.kind; r_payload := r.payload; r_deliveries := r.deliveries; r_headers := r.headers;
                    v_count := v_count + 1;
                    RETURN NEXT;
                END IF;
            END LOOP;

            SELECT g.last_ms, g.last_seq INTO v_last_ms, v_last_seq FROM rs_groups AS g
            WHERE g.stream = p_stream AND g.grp = p_grp FOR UPDATE;
            IF v_count < p_limit THEN
                FOR r IN
                    WITH fresh AS (
                        SELECT f.ms, f.seq, f.kind, f.payload, f.headers FROM rs_frames AS f
                        WHERE f.stream = p_stream AND (f.ms, f.seq) > (v_last_ms, v_last_seq)
                        ORDER BY f.ms, f.seq LIMIT p_limit - v_count),
                    ins AS (
                        INSERT INTO rs_group_pending (stream, grp, ms, seq, consumer, delivered_ms, deliveries)
                        SELECT p_stream, p_grp, fresh.ms, fresh.seq, p_consumer, p_now, 1 FROM fresh)
                    SELECT fresh.ms, fresh.seq, fresh.kind, fresh.payload, fresh.headers FROM fresh ORDER BY fresh.ms, fresh.seq
                LOOP
                    r_ms := r.ms; r_seq := r.seq; r_kind := r.kind; r_payload := r.payload; r_deliveries := 1; r_headers := r.headers;
                    v_last_ms := r.ms; v_last_seq := r.seq;
                    RETURN NEXT;
                END LOOP;
                UPDATE rs_groups AS g SET last_ms = v_last_ms, last_seq = v_last_seq
                WHERE g.stream = p_stream AND g.grp = p_grp AND (g.last_ms, g.last_seq) IS DISTINCT FROM (v_last_ms, v_last_seq);
            END IF;

            INSERT INTO rs_group_consumers AS c (stream, grp, consumer, seen_ms) VALUES (p_stream, p_grp, p_consumer, p_now)
            ON CONFLICT (stream, grp, consumer) DO UPDATE SET seen_ms = EXCLUDED.seen_ms;

            -- The cursor after the claim, on a row of its own (r_ms null).
            r_ms := NULL; r_seq := NULL; r_kind := NULL; r_payload := NULL; r_deliveries := NULL; r_headers := NULL;
            r_last_ms := v_last_ms; r_last_seq := v_last_seq;
            RETURN NEXT;
        END
        $fn$;

        CREATE OR REPLACE FUNCTION rs_group_ack(p_stream text, p_grp text, p_ms bigint[], p_seq bigint[])
        RETURNS bigint
        LANGUAGE plpgsql AS $fn$
        DECLARE
            v_removed bigint;
        BEGIN
            PERFORM 1 FROM rs_groups AS g WHERE g.stream = p_stream AND g.grp = p_grp;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'consumer group % does not exist on stream %', p_grp, p_stream USING ERRCODE = 'P0002';
            END IF;
            DELETE FROM rs_group_pending AS p
            USING unnest(p_ms, p_seq) AS a(ms, seq)
            WHERE p.stream = p_stream AND p.grp = p_grp AND p.ms = a.ms AND p.seq = a.seq;
            GET DIAGNOSTICS v_removed = ROW_COUNT;
            RETURN v_removed;
        END
        $fn$;
        """;

    // kind 1 (End) starts at the stream's last id (none: 0-0); otherwise at the given id.
    public const string CreateGroup = """
        INSERT INTO rs_groups (stream, grp, last_ms, last_seq, created_ms)
        SELECT $1, $2,
            CASE WHEN $3 = 1 THEN COALESCE((SELECT s.last_ms FROM rs_streams AS s WHERE s.stream = $1 AND s.last_ms >= 0), 0) ELSE $4 END,
            CASE WHEN $3 = 1 THEN COALESCE((SELECT s.last_seq FROM rs_streams AS s WHERE s.stream = $1 AND s.last_ms >= 0), 0) ELSE $5 END,
            $6
        ON CONFLICT (stream, grp) DO NOTHING
        """;

    public const string Claim = "SELECT * FROM rs_group_claim($1, $2, $3, $4, $5, $6)";

    public const string Acknowledge = "SELECT rs_group_ack($1, $2, $3, $4)";

    // No row: no group. One row with a null id: a group with nothing pending (for this consumer).
    public const string Pending = """
        SELECT p.ms, p.seq, p.consumer, p.delivered_ms, p.deliveries
        FROM rs_groups AS g
        LEFT JOIN LATERAL (
            SELECT q.ms, q.seq, q.consumer, q.delivered_ms, q.deliveries FROM rs_group_pending AS q
            WHERE q.stream = g.stream AND q.grp = g.grp AND ($3::text IS NULL OR q.consumer = $3)
            ORDER BY q.ms, q.seq LIMIT $4) AS p ON true
        WHERE g.stream = $1 AND g.grp = $2
        ORDER BY p.ms, p.seq
        """;

    public const string Info = """
        SELECT g.last_ms, g.last_seq,
            (SELECT count(*) FROM rs_group_pending AS p WHERE p.stream = g.stream AND p.grp = g.grp),
            (SELECT count(*) FROM rs_frames AS f WHERE f.stream = g.stream AND (f.ms, f.seq) > (g.last_ms, g.last_seq))
        FROM rs_groups AS g WHERE g.stream = $1 AND g.grp = $2
        """;

    public const string Members = """
        SELECT c.consumer, c.seen_ms,
            (SELECT count(*) FROM rs_group_pending AS p WHERE p.stream = c.stream AND p.grp = c.grp AND p.consumer = c.consumer)
        FROM rs_group_consumers AS c WHERE c.stream = $1 AND c.grp = $2
        ORDER BY c.consumer COLLATE "C"
        """;
}
