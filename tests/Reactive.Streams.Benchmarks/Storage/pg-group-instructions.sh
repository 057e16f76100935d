#!/usr/bin/env bash
# Counts the PostgreSQL server's instructions per consumer-group call with valgrind's callgrind, as pg-instructions.sh
# does for appends: a count, not a time, so it repeats exactly on a loaded machine. Not part of the test run.
# Usage: pg-group-instructions.sh [variant ...]; no argument runs them all.
#
# Each variant runs in a single-user backend (postgres --single) on a fresh copy of one cluster holding the log's
# schema and the group schema (Sql.Schema and SqlGroups.Schema, read out of the source) and the stream of
# PostgresGroupClaimBenchmarks (20 batches of 1,000 frames of 100 bytes; rs_frames analyzed, the group tables not, as
# in a new database): N1 and N2 calls, each its own transaction, and the figure is (count at N2 - count at N1) /
# (N2 - N1). Every call is a prepared statement on a generic plan, as Npgsql's automatic preparation runs them (the
# server settles on generic plans for both after five calls: forcing them changes neither benchmark's time). Its rows
# are counted, not printed, so no variant pays the single-user backend's printing of rows; the read's count reads the
# payload, so its frames come from the table as a client's read does (a count of rows alone lets the planner answer
# it from the index, which measured 434,000 instead of 509,000).
#
# Variants:
#   read        the CursorCanal's read of 100 frames (Sql.Read), from positions across the stream
#   claim       a claim of 100 new frames (rs_group_lease_claim), a new group every 200 claims as in the benchmark
#   claim-ack   the same, each followed by the acknowledgement of its 100 ids (rs_group_lease_ack)
#   claim-args  the same claims, each followed by a no-op function taking the acknowledgement's arguments: the
#               acknowledgement's own cost is claim-ack minus claim-args (the single-user backend parses the id arrays
#               from text, where Npgsql sends them in binary)
set -euo pipefail
repo="$(cd "$(dirname "$0")/../../.." && pwd)"
n1="${N1:-50}"
n2="${N2:-250}"
source "$(dirname "$0")/pg-callgrind-common.sh" rs-pg-group-instr

# The schemas and the read, verbatim from the source. The single-user backend ends a command at a semicolon followed
# by a blank line, so the schemas lose their blank lines (each then runs as one multi-statement command).
python3 - "$repo/src/Reactive.Streams.Storage.Postgres" "$work" <<'EOF'
import re, sys
def const(path, name):
    text = open(path).read()
    return re.search(r'const string ' + name + r' = \$*"""\n(.*?)""";', text, re.S).group(1)
def compact(sql):
    return '\n'.join(line for line in sql.splitlines() if line.strip())
sql = sys.argv[1] + '/Sql.cs'
groups = sys.argv[1] + '/SqlGroups.cs'
open(sys.argv[2] + '/schema.sql', 'w').write(compact(const(sql, 'Schema')) + '\n\n' + compact(const(groups, 'Schema')) + """

SELECT count(*) FROM (SELECT rs_append_many('claims', 1700000000000 + b, 0::smallint, array_fill(decode(repeat('ab', 100), 'hex'), ARRAY[1000]),
    NULL, 0, 0, 0, 0, NULL) FROM generate_series(1, 20) AS b) AS appended;

CREATE FUNCTION noop_ack(text, text, bigint[], bigint[], bigint, bigint, bigint, bigint) RETURNS bigint LANGUAGE sql AS 'SELECT 0::bigint';

VACUUM ANALYZE rs_frames;

""")
open(sys.argv[2] + '/read.sql', 'w').write(' '.join(const(sql, 'Read').split()))
EOF

as_pg "$bin/initdb -D $work/cluster -U postgres -A trust --no-sync" >/dev/null
as_pg "$bin/postgres --single -j -D $work/cluster -c fsync=off postgres" < "$work/schema.sql" > "$work/schema.out" 2>&1
if grep -q ERROR "$work/schema.out"; then grep ERROR "$work/schema.out" >&2; exit 1; fi

# Frames are batch b's sequence numbers 0-999 at millisecond 1700000000000 + b (the stream's first frame is b = 1).
prepare() {
    echo "SET plan_cache_mode = force_generic_plan;"
    echo
    case "$1" in
    read) echo "PREPARE r(text, bigint, bigint, bigint, bigint, int) AS SELECT count(x.payload) FROM ($(cat "$work/read.sql")) AS x;" ;;
    *) echo "PREPARE c(text, text, text, int, bigint, bigint) AS SELECT count(*) FROM rs_group_lease_claim(\$1, \$2, \$3, \$4, \$5, \$6);"
       echo
       echo "PREPARE a(text, text, bigint[], bigint[], bigint, bigint, bigint, bigint) AS SELECT $([ "$1" = claim-args ] && echo noop_ack || echo rs_group_lease_ack)(\$1, \$2, \$3, \$4, \$5, \$6, \$7, \$8);" ;;
    esac
}
call() { # variant i
    local g=$(( $2 / 200 )) k=$(( $2 % 200 ))
    local ms=$(( 1700000000001 + k / 10 )) from=$(( (k % 10) * 100 ))
    case "$1" in
    read) echo "EXECUTE r('claims', $ms, $from, 9223372036854775807, 9223372036854775807, 100);" ;;
    *)
        [ "$k" = 0 ] && { echo "INSERT INTO rs_groups VALUES ('claims', 'g$g', 0, 0, 0);"; echo; }
        echo "EXECUTE c('claims', 'g$g', 'member', 100, $(( 1800000000000 + $2 )), $(( 1800000000000 + $2 - 30000 )));"
        if [ "$1" != claim ]; then
            echo
            local msl seql
            msl="$(printf "$ms,%.0s" $(seq 100))"
            seql="$(seq -s, "$from" $(( from + 99 )))"
            echo "EXECUTE a('claims', 'g$g', '{${msl%,}}', '{$seql}', $ms, $from, $ms, $(( from + 99 )));"
        fi ;;
    esac
}

count() { # variant n -> instructions
    local v="$1" n="$2" d="$work/run-$1-$2"
    cp -a "$work/cluster" "$d"
    {
        prepare "$v"
        echo
        for ((i = 0; i < n; i++)); do
            call "$v" "$i"
            echo
        done
    } > "$d.sql"
    as_pg "valgrind --tool=callgrind --callgrind-out-file=$d.cg $bin/postgres --single -j -D $d -c fsync=off -c autovacuum=off postgres" < "$d.sql" > "$d.out" 2>&1
    if grep -q ERROR "$d.out"; then grep -m3 ERROR "$d.out" >&2; exit 1; fi
    grep -E '^(summary|totals):' "$d.cg" | head -1 | awk '{print $2}'
    rm -rf "$d"
}

variants=("$@")
[ ${#variants[@]} -gt 0 ] || variants=(read claim claim-ack claim-args)
printf '%-12s %12s\n' variant 'instr/call'
for v in "${variants[@]}"; do
    a="$(count "$v" "$n1")"
    b="$(count "$v" "$n2")"
    printf '%-12s %12d\n' "$v" $(( (b - a) / (n2 - n1) ))
done
