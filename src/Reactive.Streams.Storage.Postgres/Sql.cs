using System.Security.Cryptography;
using System.Text;

namespace Reactive.Streams.Storage.Postgres;

/// <summary>The SQL of <see cref="PostgresStreamLog"/>; every value is a parameter.</summary>
internal static class Sql
{
    public const string NotifyChannel = "rs_append";


    // The advisory lock (a fixed key) makes concurrent migrations from many processes take turns.
    // kind: 0 Durable, 1 DurableSummary, 2 BestEffortLive (AppendMode's values). rs_streams holds each stream's
    // high-water id and frame count; its row lock serializes appends to one stream, which is what makes ids strictly
    // increase across machines whose clocks disagree.
    public const string Schema = """
        SELECT pg_advisory_xact_lock(5788903722057543);

        CREATE TABLE IF NOT EXISTS rs_frames (
            stream  text     NOT NULL,
            ms      bigint   NOT NULL,
            seq     bigint   NOT NULL,
            kind    smallint NOT NULL,
            payload bytea    NOT NULL,
            headers text,
            PRIMARY KEY (stream, ms, seq)
        );
        CREATE INDEX IF NOT EXISTS rs_frames_live ON rs_frames (stream, ms, seq) WHERE kind = 2;
        -- Logs created before frames carried headers gain the column (a metadata-only change; old rows read NULL).
        -- It holds FrameHeaders.ToJson's JSON object text: text, not jsonb, so any header text is stored as given.
        ALTER TABLE rs_frames ADD COLUMN IF NOT EXISTS headers text;

        CREATE TABLE IF NOT EXISTS rs_streams (
            stream           text   NOT NULL PRIMARY KEY,
            last_ms          bigint NOT NULL,
            last_seq         bigint NOT NULL,
            frame_count      bigint NOT NULL,
            live_count       bigint NOT NULL DEFAULT 0,
            live_rate        double precision,
            live_ms          bigint,
            summary          jsonb,
            summary_version  bigint NOT NULL DEFAULT 0,
            summary_first_ms bigint,
            summary_last_ms  bigint,
            watch_until      timestamptz
        ) WITH (fillfactor = 50); -- room on each page keeps the per-append row updates HOT (no index writes)
        -- Logs created before tails leased their streams gain the lease column (a metadata-only change).
        ALTER TABLE rs_streams ADD COLUMN IF NOT EXISTS watch_until timestamptz;

        CREATE TABLE IF NOT EXISTS rs_checkpoints (
            checkpoint text   NOT NULL PRIMARY KEY,
            ms         bigint NOT NULL,
            seq        bigint NOT NULL,
            updated_ms bigint NOT NULL
        );

        -- RFC 7396 merge patch, with the "$null" sentinel setting a member to JSON null (JsonMergePatch in Core).
        CREATE OR REPLACE FUNCTION rs_merge_patch(target jsonb, patch jsonb) RETURNS jsonb
        LANGUAGE plpgsql IMMUTABLE AS $fn$
        DECLARE
            result jsonb;
            member record;
        BEGIN
            IF jsonb_typeof(patch) IS DISTINCT FROM 'object' THEN
                IF patch = '"$null"'::jsonb THEN
                    RETURN 'null'::jsonb;
                END IF;
                RETURN patch;
            END IF;
            result := CASE WHEN jsonb_typeof(target) = 'object' THEN target ELSE '{}'::jsonb END;
            FOR member IN SELECT key, value FROM jsonb_each(patch) LOOP
                IF jsonb_typeof(member.value) = 'null' THEN
                    result := result - member.key;
                ELSIF member.value = '"$null"'::jsonb THEN
                    result := result || jsonb_build_object(member.key, 'null'::jsonb);
                ELSE
                    result := result || jsonb_build_object(member.key, rs_merge_patch(result -> member.key, member.value));
                END IF;
            END LOOP;
            RETURN result;
        END
        $fn$;

        -- Summary, best-effort and batched appends: one call, one transaction, one round trip. p_headers holds one
        -- entry per frame (NULL for none), or is NULL when no frame has headers. (A database shared with an older
        -- library version also keeps that version's function without p_headers, which it goes on calling.)
        CREATE OR REPLACE FUNCTION rs_append_many(
            p_stream text, p_now bigint, p_kind smallint, p_payloads bytea[], p_patches jsonb[],
            p_alpha double precision, p_ttl_seconds double precision, p_floor bigint, p_ceiling bigint, p_headers text[])
        RETURNS TABLE (r_first_ms bigint, r_first_seq bigint, r_last_ms bigint, r_last_seq bigint, r_frame_count bigint, r_summary_version bigint)
        LANGUAGE plpgsql AS $fn$
        DECLARE
            st rs_streams%ROWTYPE;
            v_ms bigint;
            v_seq bigint;
            v_k double precision;
            v_retained bigint;
            v_excess bigint;
            v_deleted bigint;
        BEGIN
            INSERT INTO rs_streams AS t (stream, last_ms, last_seq, frame_count) VALUES (p_stream, -1, -1, 0)
            ON CONFLICT (stream) DO NOTHING;
            SELECT * INTO st FROM rs_streams AS t WHERE t.stream = p_stream FOR UPDATE;
            v_retained := st.live_count;
            FOR i IN 1 .. cardinality(p_payloads) LOOP
                IF p_now > st.last_ms THEN
                    v_ms := p_now;
                    v_seq := 0;
                ELSE
                    v_ms := st.last_ms;
                    v_seq := st.last_seq + 1;
                END IF;
                IF i = 1 THEN
                    r_first_ms := v_ms;
                    r_first_seq := v_seq;
                END IF;
                st.last_ms := v_ms;
                st.last_seq := v_seq;
                st.frame_count := st.frame_count + 1;
                IF p_kind = 1 THEN
                    st.summary := rs_merge_patch(st.summary, p_patches[i]);
                    st.summary_version := st.summary_version + 1;
                    st.summary_first_ms := COALESCE(st.summary_first_ms, p_now);
                    st.summary_last_ms := p_now;
                ELSIF p_kind = 2 THEN
                    IF st.live_rate IS NULL THEN
                        st.live_rate := 0;
                    ELSE
                        st.live_rate := p_alpha * (1000.0::double precision / GREATEST(p_now - st.live_ms, 1)::double precision)
                                        + (1 - p_alpha) * st.live_rate;
                    END IF;
                    st.live_ms := p_now; -- the next interval runs from this append, even after the clock went back
                    st.live_count := st.live_count + 1;
                    v_k := LEAST(GREATEST(2 * ceil(st.live_rate * p_ttl_seconds), p_floor::double precision), p_ceiling::double precision);
                    v_retained := LEAST(v_retained + 1, v_k::bigint);
                END IF;
                INSERT INTO rs_frames (stream, ms, seq, kind, payload, headers) VALUES (p_stream, v_ms, v_seq, p_kind, p_payloads[i], p_headers[i]);
            END LOOP;
            -- Trimming after every frame keeps the newest min(retained + 1, K) each time, so the newest v_retained
            -- live frames are what remains after the batch: delete the older ones once.
            v_excess := st.live_count - v_retained;
            IF v_excess > 0 THEN
                DELETE FROM rs_frames AS f WHERE f.ctid IN (
                    SELECT g.ctid FROM rs_frames AS g WHERE g.stream = p_stream AND g.kind = 2 ORDER BY g.ms, g.seq LIMIT v_excess);
                GET DIAGNOSTICS v_deleted = ROW_COUNT;
                st.live_count := st.live_count - v_deleted;
                st.frame_count := st.frame_count - v_deleted;
            END IF;
            UPDATE rs_streams AS t SET
                last_ms = st.last_ms, last_seq = st.last_seq, frame_count = st.frame_count,
                live_count = st.live_count, live_rate = st.live_rate, live_ms = st.live_ms,
                summary = st.summary, summary_version = st.summary_version,
                summary_first_ms = st.summary_first_ms, summary_last_ms = st.summary_last_ms
            WHERE t.stream = p_stream;
            IF st.watch_until > now() THEN
                PERFORM pg_notify('rs_append', p_stream);
            END IF;
            r_last_ms := st.last_ms;
            r_last_seq := st.last_seq;
            r_frame_count := st.frame_count;
            r_summary_version := st.summary_version;
            RETURN NEXT;
        END
        $fn$;
        """;

    // The mark the migration leaves on rs_streams: Schema's own hash, so any change to the schema's text makes every
    // database migrate again once. Opening skips the migration's DDL when the mark is current, so a role that may only
    // read and write rows (no CREATE on the schema, not the tables' owner) can open a log that was created for it.
    public static readonly string SchemaMark = Mark("stream log", Schema);

    public static readonly string MarkSchema = MarkTable("rs_streams", SchemaMark);

    /// <summary>A schema's mark: what it is and a hash of its SQL, so any change to the text migrates every database once.</summary>
    public static string Mark(string what, string schema) =>
        $"Reactive.Streams {what} schema " + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(schema)))[..16];

    /// <summary>The statement that leaves <paramref name="mark"/> on <paramref name="table"/>.</summary>
    // COMMENT takes no parameter; a mark is fixed text (letters, digits and spaces).
    public static string MarkTable(string table, string mark) => $"COMMENT ON TABLE {table} IS '{mark}'";

    // The migration's CREATE TABLEs create in current_schema(), the first schema of the search path that exists, so
    // that is where the tables must be, even when a later schema of the path holds another log's. When no schema of
    // the path exists it is NULL: no table is found, and the migration fails with the server's own error. The columns
    // later versions added are checked too, so a table altered by hand since is migrated again.
    public const string SchemaIsCurrent = """
        WITH t AS (
            SELECT to_regclass(quote_ident(current_schema()) || '.rs_frames') AS frames,
                   to_regclass(quote_ident(current_schema()) || '.rs_streams') AS streams,
                   to_regclass(quote_ident(current_schema()) || '.rs_checkpoints') AS checkpoints)
        SELECT t.checkpoints IS NOT NULL
            AND COALESCE(obj_description(t.streams, 'pg_class') = $1, false)
            AND (SELECT count(*) FROM pg_attribute
                 WHERE NOT attisdropped AND ((attrelid = t.frames AND attname = 'headers')
                     OR (attrelid = t.streams AND attname = 'watch_until'))) = 2
        FROM t
        """;

    // A durable append in one statement: the upsert locks the stream's row (serializing appends to the stream) and
    // yields the next id; the frame insert and the notification (sent at commit, only while a tail's lease on the
    // stream runs) ride in the same statement.
    public const string AppendDurable = """
        WITH s AS (
            INSERT INTO rs_streams AS t (stream, last_ms, last_seq, frame_count) VALUES ($1, $2, 0, 1)
            ON CONFLICT (stream) DO UPDATE SET
                last_ms = GREATEST(t.last_ms, EXCLUDED.last_ms),
                last_seq = CASE WHEN EXCLUDED.last_ms > t.last_ms THEN 0 ELSE t.last_seq + 1 END,
                frame_count = t.frame_count + 1
            RETURNING t.last_ms, t.last_seq, t.frame_count, t.summary_version, t.watch_until > now() AS watched),
        f AS (
            INSERT INTO rs_frames (stream, ms, seq, kind, payload, headers) SELECT $1, s.last_ms, s.last_seq, 0, $3, $4 FROM s)
        SELECT s.last_ms, s.last_seq, s.frame_count, s.summary_version, CASE WHEN s.watched THEN pg_notify('rs_append', $1) END FROM s
        """;

    // A tail about to park leases its stream: until watch_until, appends to it send NOTIFY. The row lock orders the
    // lease against appends: an append that locked the row first has committed before the lease does (and the tail
    // re-reads after the lease), and one that locks it after sees the lease. The row is created if the stream has
    // none yet, with no frames; GREATEST ignores a null lease.
    public const string Watch = """
        INSERT INTO rs_streams AS t (stream, last_ms, last_seq, frame_count, watch_until)
        VALUES ($1, -1, -1, 0, now() + make_interval(secs => $2))
        ON CONFLICT (stream) DO UPDATE SET watch_until = GREATEST(t.watch_until, EXCLUDED.watch_until)
        """;

    public const string AppendMany = "SELECT * FROM rs_append_many($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";

    public const string Read = """
        SELECT ms, seq, kind, payload, headers FROM rs_frames
        WHERE stream = $1 AND (ms, seq) >= ($2, $3) AND (ms, seq) <= ($4, $5)
        ORDER BY ms, seq LIMIT $6
        """;

    public const string ReadExcludingLive = """
        SELECT ms, seq, kind, payload, headers FROM rs_frames
        WHERE stream = $1 AND (ms, seq) >= ($2, $3) AND (ms, seq) <= ($4, $5) AND kind <> 2
        ORDER BY ms, seq LIMIT $6
        """;

    public const string ReadSummary = """
        SELECT summary::text, summary_version, summary_first_ms, summary_last_ms FROM rs_streams
        WHERE stream = $1 AND summary_version > 0
        """;

    public const string ReadCheckpoint = "SELECT ms, seq FROM rs_checkpoints WHERE checkpoint = $1";

    public const string WriteCheckpoint = """
        INSERT INTO rs_checkpoints (checkpoint, ms, seq, updated_ms) VALUES ($1, $2, $3, $4)
        ON CONFLICT (checkpoint) DO UPDATE SET ms = EXCLUDED.ms, seq = EXCLUDED.seq, updated_ms = EXCLUDED.updated_ms
        """;
}
