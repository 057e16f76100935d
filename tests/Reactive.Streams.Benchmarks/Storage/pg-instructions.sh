#!/usr/bin/env bash
# Counts the PostgreSQL server's instructions per append statement with valgrind's callgrind: a count, not a time, so it
# repeats exactly whatever else the machine is doing (wall-clock figures for these statements drift by 15% between
# rounds here). Not part of the test run. Usage: pg-instructions.sh [variant ...]; no argument runs them all.
#
# Each variant runs in a single-user backend (postgres --single) on a fresh copy of one initialized cluster with the log's
# schema (Sql.Schema, read out of Sql.cs): a PREPARE, then N1 and N2 EXECUTEs, each its own transaction, streams
# changing every 1000 appends as in PostgresAppendBenchmarks. The figure is (count at N2 - count at N1) / (N2 - N1), so
# start-up, the migration and the shutdown checkpoint cancel out. Every variant pays the same parse of its EXECUTE line
# (about 9,000-10,000 instructions) and the single-user backend's debug printing of the rows it returns (about 5,000 a
# column), which the extended protocol Npgsql uses does not; compare variants that return the same columns, or allow
# for it.
#
# Variants:
#   bare            the benchmark's bare INSERT (PostgresAppendBenchmarks.BareInsert)
#   bare-returning  the bare INSERT returning the id it wrote
#   append          the log's durable append as shipped (Sql.AppendDurable)
#   update-only     the append's bookkeeping alone: a plain UPDATE of the stream's row by its key, returning the id
#   update-cte      the append with a plain UPDATE instead of the upsert and the frame insert on top (a new stream
#                   would need a second statement), returning the count and version through one sub-select
#   client-id       the cheapest order-keeping shape found: the client picks the id from a cached head, and a second
#                   unique index on a per-stream ordinal turns a stale cache into a conflict; no lease check
#   client-id-lease the same with the tail-lease check the append needs to decide whether to NOTIFY
#   client-id-safe  the same made correct: ON CONFLICT DO NOTHING (a stale cache falls back instead of raising an
#                   error the server logs) and the lease read under FOR SHARE (else a tail that leases between the
#                   append's snapshot and its commit is never notified of it), notifying in the statement
set -euo pipefail
repo="$(cd "$(dirname "$0")/../../.." && pwd)"
n1="${N1:-200}"
n2="${N2:-2200}"
source "$(dirname "$0")/pg-callgrind-common.sh" rs-pg-instr

# The log's schema and append statement, verbatim from the source.
python3 - "$repo/src/Reactive.Streams.Storage.Postgres/Sql.cs" "$work" <<'EOF'
import re, sys
src = open(sys.argv[1]).read()
def const(name):
    return re.search(name + r' = """\n(.*?)""";', src, re.S).group(1)
open(sys.argv[2] + '/schema.sql', 'w').write(const('Schema') + """

CREATE TABLE bare_frames (stream text NOT NULL, ms bigint NOT NULL, seq bigint NOT NULL, kind smallint NOT NULL,
    payload bytea NOT NULL, PRIMARY KEY (stream, ms, seq));

CREATE TABLE client_frames (stream text NOT NULL, ms bigint NOT NULL, seq bigint NOT NULL, kind smallint NOT NULL,
    payload bytea NOT NULL, n bigint NOT NULL, frame_count bigint NOT NULL, summary_version bigint NOT NULL,
    PRIMARY KEY (stream, ms, seq), UNIQUE (stream, n));

INSERT INTO rs_streams (stream, last_ms, last_seq, frame_count) SELECT 'pre-' || g, -1, -1, 0 FROM generate_series(0, 20) AS g;

""")
# Its parameters are (stream, ms, payload); the harness passes (stream, ms, ordinal, payload).
open(sys.argv[2] + '/append.sql', 'w').write(' '.join(const('AppendDurable').replace('$3', '$4').split()))
EOF

as_pg "$bin/initdb -D $work/cluster -U postgres -A trust --no-sync" >/dev/null
as_pg "$bin/postgres --single -j -D $work/cluster -c fsync=off postgres" < "$work/schema.sql" > "$work/schema.out" 2>&1
if grep -q ERROR "$work/schema.out"; then grep ERROR "$work/schema.out" >&2; exit 1; fi

payload="'\\x$(printf 'ab%.0s' $(seq 100))'"
statement() {
    case "$1" in
    bare) echo "INSERT INTO bare_frames (stream, ms, seq, kind, payload) VALUES (\$1, \$2, \$3, 0, \$4)" ;;
    bare-returning) echo "INSERT INTO bare_frames (stream, ms, seq, kind, payload) VALUES (\$1, \$2, \$3, 0, \$4) RETURNING ms, seq" ;;
    append) cat "$work/append.sql" ;;
    update-only) echo "UPDATE rs_streams AS t SET last_ms = GREATEST(t.last_ms, \$2), last_seq = CASE WHEN \$2 > t.last_ms THEN 0 ELSE t.last_seq + 1 END, frame_count = t.frame_count + 1 WHERE t.stream = \$1 RETURNING t.last_ms, t.last_seq, length(\$4)" ;;
    update-cte) echo "WITH s AS (UPDATE rs_streams AS t SET last_ms = GREATEST(t.last_ms, \$2), last_seq = CASE WHEN \$2 > t.last_ms THEN 0 ELSE t.last_seq + 1 END, frame_count = t.frame_count + 1 WHERE t.stream = \$1 RETURNING t.last_ms, t.last_seq, t.frame_count, t.summary_version, CASE WHEN t.watch_until > now() THEN pg_notify('rs_append', \$1) END) INSERT INTO rs_frames (stream, ms, seq, kind, payload) SELECT \$1, s.last_ms, s.last_seq, 0, \$4 FROM s RETURNING ms, seq, (SELECT ARRAY[s.frame_count, s.summary_version] FROM s)" ;;
    client-id) echo "INSERT INTO client_frames (stream, ms, seq, kind, payload, n, frame_count, summary_version) VALUES (\$1, \$2, \$3, 0, \$4, \$3, \$3, 0) RETURNING ms, seq" ;;
    client-id-safe) echo "INSERT INTO client_frames (stream, ms, seq, kind, payload, n, frame_count, summary_version) VALUES (\$1, \$2, \$3, 0, \$4, \$3, \$3, 0) ON CONFLICT DO NOTHING RETURNING (SELECT CASE WHEN t.watch_until > now() THEN pg_notify('rs_append', \$1) END IS NULL FROM rs_streams AS t WHERE t.stream = \$1 FOR SHARE)" ;;
    client-id-lease) echo "INSERT INTO client_frames (stream, ms, seq, kind, payload, n, frame_count, summary_version) VALUES (\$1, \$2, \$3, 0, \$4, \$3, \$3, 0) RETURNING ms, seq, (SELECT t.watch_until > now() FROM rs_streams AS t WHERE t.stream = \$1)" ;;
    *) echo "unknown variant: $1" >&2; exit 2 ;;
    esac
}

count() { # variant n -> instructions
    local v="$1" n="$2" d="$work/run-$1-$2"
    cp -a "$work/cluster" "$d"
    {
        echo "PREPARE p(text, bigint, bigint, bytea) AS $(statement "$v");"
        echo
        for ((i = 0; i < n; i++)); do
            # The streams the update variants touch exist beforehand (pre-0 .. pre-20); the others name new ones.
            echo "EXECUTE p('pre-$((i / 1000))', $((1700000000000 + i / 3)), $i, $payload);"
            echo
        done
    } > "$d.sql"
    as_pg "valgrind --tool=callgrind --callgrind-out-file=$d.cg $bin/postgres --single -j -D $d -c fsync=off -c autovacuum=off postgres" < "$d.sql" > "$d.out" 2>&1
    if grep -q ERROR "$d.out"; then grep -m3 ERROR "$d.out" >&2; exit 1; fi
    grep -E '^(summary|totals):' "$d.cg" | head -1 | awk '{print $2}'
    rm -rf "$d"
}

variants=("$@")
[ ${#variants[@]} -gt 0 ] || variants=(bare bare-returning append update-only update-cte client-id client-id-lease client-id-safe)
printf '%-16s %12s\n' variant 'instr/stmt'
for v in "${variants[@]}"; do
    a="$(count "$v" "$n1")"
    b="$(count "$v" "$n2")"
    printf '%-16s %12d\n' "$v" $(( (b - a) / (n2 - n1) ))
done
