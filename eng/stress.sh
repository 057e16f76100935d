#!/usr/bin/env bash
# Runs the whole test suite N times in a row (default 20) with two CPU-bound processes beside it, to flush out tests
# that depend on timing. Prints one line per run and a summary; exits non-zero if any run failed.
#   bash eng/stress.sh [runs] [extra dotnet test arguments...]
set -uo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20}
shift || true

burners=()
for _ in 1 2; do
  # A busy loop with no I/O: one core's worth of load each.
  bash -c 'while :; do :; done' &
  burners+=($!)
done
trap 'kill "${burners[@]}" 2>/dev/null' EXIT

dotnet build Reactive.Streams.sln -c Release -v quiet >/dev/null || { echo "build failed" >&2; exit 1; }

failed_runs=0
log=$(mktemp -d)
for run in $(seq 1 "$runs"); do
  out="$log/run-$run.txt"
  dotnet test Reactive.Streams.sln -c Release --no-build "$@" >"$out" 2>&1
  status=$?
  totals=$(grep -E '^(Passed|Failed)!' "$out" | sed -E 's/.*Failed: *([0-9]+), Passed: *([0-9]+), Skipped: *([0-9]+).*/\2 \1 \3/' \
    | awk '{p+=$1; f+=$2; s+=$3} END {print p+0 " passed, " f+0 " failed, " s+0 " skipped"}')
  echo "run $run: exit $status, $totals"
  if [ "$status" -ne 0 ]; then
    failed_runs=$((failed_runs + 1))
    grep -E '^\s+Failed ' "$out" | sed 's/^/    /'
    echo "    full output: $out"
  fi
done

echo "$runs runs, $failed_runs failed (two CPU-bound processes beside each run)"
[ "$failed_runs" -eq 0 ]
