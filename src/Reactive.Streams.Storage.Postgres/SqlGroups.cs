namespace Reactive.Streams.Storage.Postgres;

/// <summary>The consumer-group SQL of <see cref="PostgresStreamLog"/>; every value is a parameter.</summary>
internal static class SqlGroups
{
    /// <summary>The SQLSTATE the group functions raise for an unknown group (PL/pgSQL's no_data_found).</summary>
    public const string GroupNotFound = "P0002";

    // Created by the first group call of a log instance (idempotent, under the migration's advisory lock), so the frame
    // schema is not involved. Times are the log's clock in Unix milliseconds (see PostgresStreamLog.Groups.cs).
    //
    // Frames handed out and not acknowledged are kept as leases: one row per claim's run of frames held by one member,
    // not one row per frame. A lease has its frames' ids (two arrays) and bounds: every id is after (after_ms,
    // after_seq) and at most (last_ms, last_seq), and the bounds of different leases do not overlap, so the leases in
    // order of last id hold the pending frames in id order. A claim of new frames writes one lease, bounded by the
    // cursor before and after it; an acknowledgement of a whole lease deletes it, and one of part of a lease removes
    // ids from it; a reclaim moves a lease to the claimer, or splits it where the claim's limit ends. Nothing relies on
    // the order of the ids inside the arrays (a claim writes them in id order, as the fast path of an acknowledgement
    // expects). (Development builds kept one rs_group_pending row per frame; that table is no longer used.)
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

        CREATE TABLE IF NOT EXISTS rs_group_leases (
            stream       text     NOT NULL,
            grp          text     NOT NULL,
            last_ms      bigint   NOT NULL,
            last_seq     bigint   NOT NULL,
            after_ms     bigint   NOT NULL,
            after_seq    bigint   NOT NULL,
            ids_ms       bigint[] NOT NULL,
            ids_seq      bigint[] NOT NULL,
            consumer     text     NOT NULL,
            delivered_ms bigint   NOT NULL,
            deliveries   bigint   NOT NULL,
            PRIMARY KEY (stream, grp, last_ms, last_seq)
        );
        -- Claims look for expired leases by time: an index keeps that from reading every lease of the group.
        CREATE INDEX IF NOT EXISTS rs_group_leases_due ON rs_group_leases (stream, grp, delivered_ms);

        CREATE TABLE IF NOT EXISTS rs_group_consumers (
            stream   text   NOT NULL,
            grp      text   NOT NULL,
            consumer text   NOT NULL,
            seen_ms  bigint NOT NULL,
            PRIMARY KEY (stream, grp, consumer)
        ) WITH (fillfactor = 50);

        -- One claim, one round trip. Reclaim (only when some lease of the group has expired): expired leases are locked
        -- with SKIP LOCKED, so concurrent claims on other connections take disjoint leases (a lease another claim has
        -- just taken is re-checked after its lock and is no longer due); a lease's frames go to the claimer with their
        -- delivery count raised, and when the claim's limit ends inside a lease the rest stays with its holder as a
        -- lease of its own. A frame that best-effort retention trimmed is dropped from its lease when the claim passes it
        -- before its limit is met (one after the limit stays pending in the rest, as on the other backends). New frames: the
        -- group's cursor row is locked FOR UPDATE, so claims of new frames take turns and each frame after the cursor
        -- goes to exactly one of them, as one new lease. The plans are generic: a custom plan per call re-plans every
        -- statement, which cost more than the claim itself.
        CREATE OR REPLACE FUNCTION rs_group_lease_claim(p_stream text, p_grp text, p_consumer text, p_limit integer, p_now bigint, p_due bigint)
        RETURNS TABLE (r_ms bigint, r_seq bigint, r_kind smallint, r_payload bytea, r_deliveries bigint, r_last_ms bigint, r_last_seq bigint, r_headers text)
        LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $fn$
        DECLARE
            v_taken integer := 0;
            v_seen integer;
            v_ms bigint[];
            v_seq bigint[];
            v_split boolean;
            l record;
            r record;
        BEGIN
            IF EXISTS (SELECT 1 FROM rs_group_leases AS q WHERE q.stream = p_stream AND q.grp = p_grp AND q.delivered_ms <= p_due) THEN
              -- Rounds of due leases, until the limit is met or none is left: a lease whose frames were all trimmed is
              -- dropped and hands out nothing, so it must not use up the limit (a claim once took new frames while a
              -- due frame waited behind more trimmed leases than its limit). Each round takes or drops every lease it
              -- locks, so the rounds end.
              LOOP
                v_seen := 0;
                FOR l IN
                    SELECT q.ctid AS tid, q.last_ms, q.last_seq, q.after_ms, q.after_seq, q.ids_ms, q.ids_seq, q.consumer, q.delivered_ms, q.deliveries
                    FROM rs_group_leases AS q
                    WHERE q.stream = p_stream AND q.grp = p_grp AND q.delivered_ms <= p_due
                    ORDER BY q.last_ms, q.last_seq LIMIT p_limit - v_taken
                    FOR UPDATE SKIP LOCKED
                LOOP
                    v_seen := v_seen + 1;
                    EXIT WHEN v_taken >= p_limit;
                    v_ms := '{}';
                    v_seq := '{}';
                    v_split := false;
                    -- Every id of the lease, trimmed ones too (no frame row): one the claim passes before its limit is met
                    -- is dropped, one after it stays in the rest, pending, as on the other backends.
                    FOR r IN
                        SELECT x.ms, x.seq, f.kind, f.payload, f.headers, f.stream IS NULL AS trimmed
                        FROM unnest(l.ids_ms, l.ids_seq) AS x(ms, seq)
                        LEFT JOIN rs_frames AS f ON f.stream = p_stream AND f.ms = x.ms AND f.seq = x.seq
                        ORDER BY x.ms, x.seq
                    LOOP
                        IF v_taken >= p_limit THEN
                            v_split := true;
                            EXIT;
                        END IF;
                        CONTINUE WHEN r.trimmed;
                        r_ms := r.ms; r_seq := r.seq; r_kind := r.kind; r_payload := r.payload; r_deliveries := l.deliveries + 1; r_headers := r.headers;
                        RETURN NEXT;
                        v_taken := v_taken + 1;
                        v_ms := v_ms || r.ms;
                        v_seq := v_seq || r.seq;
                    END LOOP;
                    IF cardinality(v_ms) = 0 THEN
                        -- Every frame of the lease was trimmed: nothing left to hand out.
                        DELETE FROM rs_group_leases AS q WHERE q.ctid = l.tid;
                        CONTINUE;
                    END IF;
                    -- The claimer's lease ends at the last frame it took (its ids in order, trimmed ones gone).
                    UPDATE rs_group_leases AS q
                    SET last_ms = v_ms[cardinality(v_ms)], last_seq = v_seq[cardinality(v_seq)], ids_ms = v_ms, ids_seq = v_seq,
                        consumer = p_consumer, delivered_ms = p_now, deliveries = l.deliveries + 1
                    WHERE q.ctid = l.tid;
                    IF v_split THEN
                        -- The limit ended inside the lease: the rest stays with its holder (still expired, so the next
                        -- claim takes it), after the claimer's part.
                        INSERT INTO rs_group_leases (stream, grp, last_ms, last_seq, after_ms, after_seq, ids_ms, ids_seq, consumer, delivered_ms, deliveries)
                        SELECT p_stream, p_grp, l.last_ms, l.last_seq, v_ms[cardinality(v_ms)], v_seq[cardinality(v_seq)],
                            array_agg(x.ms), array_agg(x.seq), l.consumer, l.delivered_ms, l.deliveries
                        FROM unnest(l.ids_ms, l.ids_seq) AS x(ms, seq)
                        WHERE (x.ms, x.seq) > (v_ms[cardinality(v_ms)], v_seq[cardinality(v_seq)]);
                    END IF;
                END LOOP;
                EXIT WHEN v_taken >= p_limit OR v_seen = 0;
              END LOOP;
            END IF;

            IF v_taken >= p_limit THEN
                -- Only reclaimed frames: the cursor as it is, on a row of its own (r_ms null). The group exists, since it has leases.
                RETURN QUERY SELECT NULL::bigint, NULL::bigint, NULL::smallint, NULL::bytea, NULL::bigint, c.last_ms, c.last_seq, NULL::text
                FROM rs_groups AS c WHERE c.stream = p_stream AND c.grp = p_grp;
                INSERT INTO rs_group_consumers AS c (stream, grp, consumer, seen_ms) VALUES (p_stream, p_grp, p_consumer, p_now)
                ON CONFLICT (stream, grp, consumer) DO UPDATE SET seen_ms = EXCLUDED.seen_ms;
                RETURN;
            END IF;

            -- New frames, as one statement: they are read once, and the lease, the cursor and the member's row are written
            -- from them. The cursor after the claim comes last, on a row of its own (r_ms null); no row means no group,
            -- and then nothing was written (every write reads the locked cursor row).
            RETURN QUERY
            WITH g AS MATERIALIZED (
                SELECT c.last_ms, c.last_seq FROM rs_groups AS c WHERE c.stream = p_stream AND c.grp = p_grp FOR UPDATE),
            fresh AS MATERIALIZED (
                -- The cursor is read through sub-selects so the btree scan starts at it (a join would filter instead).
                SELECT f.ms, f.seq, f.kind, f.payload, f.headers FROM rs_frames AS f
                WHERE f.stream = p_stream AND (f.ms, f.seq) > ((SELECT g.last_ms FROM g), (SELECT g.last_seq FROM g))
                ORDER BY f.ms, f.seq LIMIT p_limit - v_taken),
            -- The new cursor: the last frame read (a top-1 sort; the aggregate below does not promise an order).
            tip AS MATERIALIZED (
                SELECT x.ms, x.seq FROM fresh AS x ORDER BY x.ms DESC, x.seq DESC LIMIT 1),
            lease AS (
                INSERT INTO rs_group_leases (stream, grp, last_ms, last_seq, after_ms, after_seq, ids_ms, ids_seq, consumer, delivered_ms, deliveries)
                SELECT p_stream, p_grp, t.ms, t.seq, g.last_ms, g.last_seq, i.ms, i.seq, p_consumer, p_now, 1
                FROM g, tip AS t, (SELECT array_agg(x.ms) AS ms, array_agg(x.seq) AS seq FROM fresh AS x) AS i),
            moved AS (
                UPDATE rs_groups AS c SET last_ms = t.ms, last_seq = t.seq FROM tip AS t WHERE c.stream = p_stream AND c.grp = p_grp),
            seen AS (
                INSERT INTO rs_group_consumers AS c (stream, grp, consumer, seen_ms) SELECT p_stream, p_grp, p_consumer, p_now FROM g
                ON CONFLICT (stream, grp, consumer) DO UPDATE SET seen_ms = EXCLUDED.seen_ms)
            SELECT x.ms, x.seq, x.kind, x.payload, 1::bigint, NULL::bigint, NULL::bigint, x.headers FROM fresh AS x
            UNION ALL
            SELECT NULL, NULL, NULL, NULL, NULL, COALESCE(t.ms, g.last_ms), COALESCE(t.seq, g.last_seq), NULL FROM g LEFT JOIN tip AS t ON true;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'consumer group % does not exist on stream %', p_grp, p_stream USING ERRCODE = 'P0002';
            END IF;
        END
        $fn$;

        -- A member's own pending frames back to it, whatever their time (Redis's XREADGROUP reading a consumer's
        -- history): the frames of its leases after the cursor p_after, oldest id first, up to p_limit, their delivery
        -- count raised and their time reset. Its leases are first locked FOR UPDATE, in order of last id: a reclaim by
        -- another member that holds one of them is waited for, and the statements after it see what that reclaim left
        -- to this member (a lease is re-checked after its lock: one moved to the reclaimer is no longer this member's);
        -- a reclaim that comes later skips the locked leases (SKIP LOCKED), and after the commit they are no longer due.
        -- A lease is cut where the cursor falls inside it (the ids up to the cursor stay as they were, in a lease of
        -- their own) and where the limit ends inside it (the rest stays as it was, after the part taken). A frame
        -- that best-effort retention trimmed is dropped from its lease there, as a reclaim drops it, and does not count
        -- toward the limit. The cursor is not locked or moved; it comes last, on a row of its own (r_ms null).
        CREATE OR REPLACE FUNCTION rs_group_lease_own(p_stream text, p_grp text, p_consumer text, p_after_ms bigint, p_after_seq bigint, p_limit integer, p_now bigint)
        RETURNS TABLE (r_ms bigint, r_seq bigint, r_kind smallint, r_payload bytea, r_deliveries bigint, r_last_ms bigint, r_last_seq bigint, r_headers text)
        LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $fn$
        DECLARE
            v_taken integer := 0;
            v_last_ms bigint;
            v_last_seq bigint;
            v_ms bigint[];
            v_seq bigint[];
            v_keep_ms bigint[];
            v_keep_seq bigint[];
            v_split boolean;
            l record;
            r record;
        BEGIN
            SELECT c.last_ms, c.last_seq INTO v_last_ms, v_last_seq FROM rs_groups AS c WHERE c.stream = p_stream AND c.grp = p_grp;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'consumer group % does not exist on stream %', p_grp, p_stream USING ERRCODE = 'P0002';
            END IF;
            PERFORM 1 FROM rs_group_leases AS q
            WHERE q.stream = p_stream AND q.grp = p_grp AND q.consumer = p_consumer AND (q.last_ms, q.last_seq) > (p_after_ms, p_after_seq)
            ORDER BY q.last_ms, q.last_seq
            FOR UPDATE;
            FOR l IN
                SELECT q.ctid AS tid, q.last_ms, q.last_seq, q.after_ms, q.after_seq, q.ids_ms, q.ids_seq, q.delivered_ms, q.deliveries
                FROM rs_group_leases AS q
                WHERE q.stream = p_stream AND q.grp = p_grp AND q.consumer = p_consumer AND (q.last_ms, q.last_seq) > (p_after_ms, p_after_seq)
                ORDER BY q.last_ms, q.last_seq
                FOR UPDATE
            LOOP
                EXIT WHEN v_taken >= p_limit;
                v_ms := '{}';
                v_seq := '{}';
                v_split := false;
                -- Every id after the cursor, trimmed ones too (no frame row): one passed before the limit is met is
                -- dropped, one after it stays in the rest, pending, as on the other backends.
                FOR r IN
                    SELECT x.ms, x.seq, f.kind, f.payload, f.headers, f.stream IS NULL AS trimmed
                    FROM unnest(l.ids_ms, l.ids_seq) AS x(ms, seq)
                    LEFT JOIN rs_frames AS f ON f.stream = p_stream AND f.ms = x.ms AND f.seq = x.seq
                    WHERE (x.ms, x.seq) > (p_after_ms, p_after_seq)
                    ORDER BY x.ms, x.seq
                LOOP
                    IF v_taken >= p_limit THEN
                        v_split := true;
                        EXIT;
                    END IF;
                    CONTINUE WHEN r.trimmed;
                    r_ms := r.ms; r_seq := r.seq; r_kind := r.kind; r_payload := r.payload; r_deliveries := l.deliveries + 1; r_headers := r.headers;
                    RETURN NEXT;
                    v_taken := v_taken + 1;
                    v_ms := v_ms || r.ms;
                    v_seq := v_seq || r.seq;
                END LOOP;
                -- The ids up to the cursor (a caller's cursor may fall inside a lease): left as they are.
                SELECT array_agg(x.ms ORDER BY x.ms, x.seq), array_agg(x.seq ORDER BY x.ms, x.seq) INTO v_keep_ms, v_keep_seq
                FROM unnest(l.ids_ms, l.ids_seq) AS x(ms, seq)
                WHERE (x.ms, x.seq) <= (p_after_ms, p_after_seq);
                IF cardinality(v_ms) = 0 THEN
                    -- Every frame of the lease after the cursor was trimmed: nothing to hand back.
                    IF v_keep_ms IS NULL THEN
                        DELETE FROM rs_group_leases AS q WHERE q.ctid = l.tid;
                    ELSE
                        UPDATE rs_group_leases AS q
                        SET last_ms = v_keep_ms[cardinality(v_keep_ms)], last_seq = v_keep_seq[cardinality(v_keep_seq)], ids_ms = v_keep_ms, ids_seq = v_keep_seq
                        WHERE q.ctid = l.tid;
                    END IF;
                    CONTINUE;
                END IF;
                IF v_keep_ms IS NULL THEN
                    -- The part taken ends at its last frame (its ids in order, trimmed ones gone).
                    UPDATE rs_group_leases AS q
                    SET last_ms = v_ms[cardinality(v_ms)], last_seq = v_seq[cardinality(v_seq)], ids_ms = v_ms, ids_seq = v_seq,
                        delivered_ms = p_now, deliveries = l.deliveries + 1
                    WHERE q.ctid = l.tid;
                ELSE
                    UPDATE rs_group_leases AS q
                    SET last_ms = v_keep_ms[cardinality(v_keep_ms)], last_seq = v_keep_seq[cardinality(v_keep_seq)], ids_ms = v_keep_ms, ids_seq = v_keep_seq
                    WHERE q.ctid = l.tid;
                    INSERT INTO rs_group_leases (stream, grp, last_ms, last_seq, after_ms, after_seq, ids_ms, ids_seq, consumer, delivered_ms, deliveries)
                    VALUES (p_stream, p_grp, v_ms[cardinality(v_ms)], v_seq[cardinality(v_seq)], v_keep_ms[cardinality(v_keep_ms)], v_keep_seq[cardinality(v_keep_seq)],
                        v_ms, v_seq, p_consumer, p_now, l.deliveries + 1);
                END IF;
                IF v_split THEN
                    -- The limit ended inside the lease: the rest stays as it was (the next call, after the part taken, takes it).
                    INSERT INTO rs_group_leases (stream, grp, last_ms, last_seq, after_ms, after_seq, ids_ms, ids_seq, consumer, delivered_ms, deliveries)
                    SELECT p_stream, p_grp, l.last_ms, l.last_seq, v_ms[cardinality(v_ms)], v_seq[cardinality(v_seq)],
                        array_agg(x.ms), array_agg(x.seq), p_consumer, l.delivered_ms, l.deliveries
                    FROM unnest(l.ids_ms, l.ids_seq) AS x(ms, seq)
                    WHERE (x.ms, x.seq) > (v_ms[cardinality(v_ms)], v_seq[cardinality(v_seq)]);
                END IF;
            END LOOP;

            RETURN QUERY SELECT NULL::bigint, NULL::bigint, NULL::smallint, NULL::bytea, NULL::bigint, v_last_ms, v_last_seq, NULL::text;
            INSERT INTO rs_group_consumers AS c (stream, grp, consumer, seen_ms) VALUES (p_stream, p_grp, p_consumer, p_now)
            ON CONFLICT (stream, grp, consumer) DO UPDATE SET seen_ms = EXCLUDED.seen_ms;
        END
        $fn$;

        -- Acknowledges the ids (in id order, p_lo and p_hi the first and last, as the caller sends them) and returns how
        -- many were pending. A lease whose ids are exactly the ids given, the usual acknowledgement of a batch, is
        -- deleted after one comparison; otherwise the given ids are removed from each lease whose bounds they fall in.
        CREATE OR REPLACE FUNCTION rs_group_lease_ack(p_stream text, p_grp text, p_ms bigint[], p_seq bigint[], p_lo_ms bigint, p_lo_seq bigint, p_hi_ms bigint, p_hi_seq bigint)
        RETURNS bigint
        LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $fn$
        DECLARE
            v_acked bigint := 0;
            v_ms bigint[];
            v_seq bigint[];
            v_left integer;
            l record;
        BEGIN
            -- First wait for claims that hold a lease the ids may fall in: a reclaim may split it, and the part it
            -- inserts is visible only to the statements after that claim's commit.
            PERFORM 1 FROM rs_group_leases AS q
            WHERE q.stream = p_stream AND q.grp = p_grp AND (q.last_ms, q.last_seq) >= (p_lo_ms, p_lo_seq) AND (q.after_ms, q.after_seq) < (p_hi_ms, p_hi_seq)
            FOR UPDATE;
            IF NOT FOUND THEN
                PERFORM 1 FROM rs_groups AS g WHERE g.stream = p_stream AND g.grp = p_grp;
                IF NOT FOUND THEN
                    RAISE EXCEPTION 'consumer group % does not exist on stream %', p_grp, p_stream USING ERRCODE = 'P0002';
                END IF;
                RETURN 0;
            END IF;
            FOR l IN
                SELECT q.ctid AS tid, q.ids_ms, q.ids_seq FROM rs_group_leases AS q
                WHERE q.stream = p_stream AND q.grp = p_grp AND (q.last_ms, q.last_seq) >= (p_lo_ms, p_lo_seq) AND (q.after_ms, q.after_seq) < (p_hi_ms, p_hi_seq)
                FOR UPDATE
            LOOP
                IF l.ids_ms = p_ms AND l.ids_seq = p_seq THEN
                    DELETE FROM rs_group_leases AS q WHERE q.ctid = l.tid;
                    v_acked := v_acked + cardinality(p_ms);
                    CONTINUE;
                END IF;
                SELECT array_agg(x.ms ORDER BY x.ms, x.seq), array_agg(x.seq ORDER BY x.ms, x.seq), count(*) INTO v_ms, v_seq, v_left
                FROM unnest(l.ids_ms, l.ids_seq) AS x(ms, seq)
                WHERE NOT EXISTS (SELECT 1 FROM unnest(p_ms, p_seq) AS i(ms, seq) WHERE i.ms = x.ms AND i.seq = x.seq);
                v_acked := v_acked + cardinality(l.ids_ms) - v_left;
                IF v_left = 0 THEN
                    DELETE FROM rs_group_leases AS q WHERE q.ctid = l.tid;
                ELSIF v_left < cardinality(l.ids_ms) THEN
                    -- The bounds stay: they still enclose the ids left.
                    UPDATE rs_group_leases AS q SET ids_ms = v_ms, ids_seq = v_seq WHERE q.ctid = l.tid;
                END IF;
            END LOOP;
            RETURN v_acked;
        END
        $fn$;
        """;

    // The mark the group migration leaves on rs_groups, as Sql.SchemaMark on rs_streams: a log whose first group call
    // finds it current runs no DDL, so a role that may only read and write rows can use the groups created for it.
    public static readonly string SchemaMark = Sql.Mark("consumer group", Schema);

    public static readonly string MarkSchema = Sql.MarkTable("rs_groups", SchemaMark);

    // Looked up in current_schema(), where the migration creates the tables (see Sql.SchemaIsCurrent).
    public const string SchemaIsCurrent = """
        WITH t AS (
            SELECT to_regclass(quote_ident(current_schema()) || '.rs_groups') AS groups,
                   to_regclass(quote_ident(current_schema()) || '.rs_group_leases') AS leases,
                   to_regclass(quote_ident(current_schema()) || '.rs_group_consumers') AS consumers)
        SELECT t.leases IS NOT NULL AND t.consumers IS NOT NULL
            AND COALESCE(obj_description(t.groups, 'pg_class') = $1, false)
        FROM t
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

    public const string Claim = "SELECT * FROM rs_group_lease_claim($1, $2, $3, $4, $5, $6)";

    public const string ClaimOwnPending = "SELECT * FROM rs_group_lease_own($1, $2, $3, $4, $5, $6, $7)";

    public const string Acknowledge = "SELECT rs_group_lease_ack($1, $2, $3, $4, $5, $6, $7, $8)";

    // No row: no group. One row with a null id: a group with nothing pending (for this consumer). Leases in order of
    // last id, each one's ids in order, are the pending frames in id order.
    public const string Pending = """
        SELECT p.ms, p.seq, p.consumer, p.delivered_ms, p.deliveries
        FROM rs_groups AS g
        LEFT JOIN LATERAL (
            SELECT x.ms, x.seq, q.consumer, q.delivered_ms, q.deliveries
            FROM rs_group_leases AS q CROSS JOIN LATERAL unnest(q.ids_ms, q.ids_seq) AS x(ms, seq)
            WHERE q.stream = g.stream AND q.grp = g.grp AND ($3::text IS NULL OR q.consumer = $3)
            ORDER BY q.last_ms, q.last_seq, x.ms, x.seq LIMIT $4) AS p ON true
        WHERE g.stream = $1 AND g.grp = $2
        ORDER BY p.ms, p.seq
        """;

    public const string Info = """
        SELECT g.last_ms, g.last_seq,
            (SELECT COALESCE(sum(cardinality(q.ids_ms)), 0) FROM rs_group_leases AS q WHERE q.stream = g.stream AND q.grp = g.grp),
            (SELECT count(*) FROM rs_frames AS f WHERE f.stream = g.stream AND (f.ms, f.seq) > (g.last_ms, g.last_seq))
        FROM rs_groups AS g WHERE g.stream = $1 AND g.grp = $2
        """;

    // In no order: the log sorts the members by ordinal (UTF-16) order of their names, as every backend does; the
    // database orders text by UTF-8 bytes, which puts characters above U+FFFF after U+E000-U+FFFF.
    public const string Members = """
        SELECT c.consumer, c.seen_ms,
            (SELECT COALESCE(sum(cardinality(q.ids_ms)), 0) FROM rs_group_leases AS q WHERE q.stream = c.stream AND q.grp = c.grp AND q.consumer = c.consumer)
        FROM rs_group_consumers AS c WHERE c.stream = $1 AND c.grp = $2
        """;
}
