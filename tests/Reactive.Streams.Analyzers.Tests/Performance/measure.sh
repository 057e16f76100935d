#!/usr/bin/env bash
# Measures the analyzers' share of compile time (issue 4 target: <= 5%, aim 1%) on a generated project of N files of Rx,
# Dataflow and Channels code that references the packed Reactive.Streams.Core. Not part of the test run: it takes
# minutes. Usage: measure.sh [files=500] [runs=3]
# Every 10th file carries two findings (an ObserveOn for RXS0002, a switch that misses the declared Stop variant for
# RXS0006; the generated Unknown is not required); VIOLATIONS=all puts the RXS0006 one in every file. Reporting costs
# over a millisecond a finding inside Roslyn's driver (suppression, pragma and severity checks), charged to the reporting analyzer, so a finding in every
# file measures that more than the rules.
set -euo pipefail
files="${1:-500}"
runs="${2:-3}"
repo="$(cd "$(dirname "$0")/../../.." && pwd)"
work="$(mktemp -d /tmp/rxs-perf.XXXXXX)"
version="0.0.0-perf.$(date +%s)"
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT

dotnet pack "$repo/src/Reactive.Streams.Core" -c Release -o "$work/feed" -p:PackageVersion="$version" -nodeReuse:false >/dev/null

mkdir -p "$work/app/src"
cat > "$work/app/nuget.config" <<EOF
<?xml version="1.0" encoding="utf-8"?>
<configuration><packageSources><add key="local" value="$work/feed" /></packageSources></configuration>
EOF
cat > "$work/app/App.csproj" <<EOF
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>net10.0</TargetFramework>
    <Nullable>enable</Nullable>
    <ImplicitUsings>disable</ImplicitUsings>
    <RestorePackagesPath>$work/packages</RestorePackagesPath>
    <RestoreAdditionalProjectFallbackFolders>${NUGET_PACKAGES:-$HOME/.nuget/packages}</RestoreAdditionalProjectFallbackFolders>
    <NoWarn>\$(NoWarn);NU1603;CS8509</NoWarn>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="Reactive.Streams.Core" Version="$version" />
  </ItemGroup>
</Project>
EOF
cat > "$work/app/src/Shared.cs" <<'EOF'
using Reactive.Streams;
namespace Perf;
[EventUnion]
public abstract partial record Ev
{
    public sealed partial record Tick(int N, double Value) : Ev;
    public sealed partial record Stop(string Reason) : Ev;
}
public sealed record Reading(string Sensor, double Value);
EOF
for i in $(seq 1 "$files"); do
  cat > "$work/app/src/File$i.cs" <<EOF
using System;
using System.Collections.Generic;
using System.Linq;
using System.Reactive.Concurrency;
using System.Reactive.Linq;
using System.Threading.Channels;
using System.Threading.Tasks;
using System.Threading.Tasks.Dataflow;
using Reactive.Streams;

namespace Perf;

public sealed class Pipeline$i
{
    private readonly List<int> _seen = new();
    private int _count;

    public IObservable<string> Prices(IObservable<int> source, IScheduler scheduler) =>
        source.Where(x => x % 2 == $((i % 7)))
            .Select(x => x * $i)
            .Buffer(TimeSpan.FromSeconds(1), scheduler)
            .Select(b => string.Join(",", b.Select(v => v.ToString())))
            $( (( i % 10 == 0 )) && echo '.ObserveOn(scheduler)' );

    public Channel<Reading> Channel$i() => BackpressureChannel.Create<Reading>(BackpressurePolicy.DegradeQuality, $((i + 16)), static r => r with { Value = Math.Round(r.Value / 2) });

    public BoundedStream<double> Stream$i() => BoundedStream.DegradeQuality<double>($((i + 8)), Halve);

    private static double Halve(double x) => Scale(x, 2);

    private static double Scale(double x, int by) => by <= 1 ? x : Scale(x / 2, by - 1);

    public ActionBlock<int> Block$i() => new(x => _seen.Add(x), new ExecutionDataflowBlockOptions { BoundedCapacity = $((i + 4)), MaxDegreeOfParallelism = 1 });

    public async Task<int> Drain$i(ChannelReader<int> reader)
    {
        var total = 0;
        await foreach (var item in reader.ReadAllAsync())
        {
            total += item;
            _count++;
            if (total > $((i * 100))) { break; }
        }

        return total + _count;
    }

    public string Describe(Ev e)
    {
        switch (e)
        {
            case Ev.Tick t when t.N > $i:
                return \$"big tick {t.N}";
            case Ev.Tick t:
                return \$"tick {t.N} {t.Value:F2}";
$( (( i % 10 != 0 )) && [ "${VIOLATIONS:-}" != all ] && echo '            case Ev.Stop s:' && echo '                return s.Reason;' )
            case Ev.Unknown u:
                return u.ToString();
        }

        return e switch { Ev.Tick => "t", Ev.Stop => "s", _ => "?" };
    }

    public Dictionary<string, double> Aggregate(IEnumerable<Reading> readings) =>
        readings.GroupBy(r => r.Sensor)
            .ToDictionary(g => g.Key, g => g.Average(r => r.Value) * $i);

    public static int Loop(int n)
    {
        var acc = 0;
        for (var k = 0; k < n; k++)
        {
            acc = unchecked(acc * 31 + k ^ $i);
            if (acc % 3 == 0) { acc += Math.Abs(acc / 7); }
        }

        return acc;
    }
}
EOF
done

cd "$work/app"
dotnet restore -nodeReuse:false >/dev/null
echo "files: $files (+ Shared.cs) in $work/app/src"
# Run 0 warms the compiler server (loads and JITs the analyzers, as in any developer's second build); it is not reported.
# UseSharedCompilation is forced on because some environments (CI images, this workplace) set it to false, which runs a
# cold csc per build and charges the analyzers' JIT to every run; COLD=1 keeps the environment's setting.
shared="-p:UseSharedCompilation=true"
[ -n "${COLD:-}" ] && shared=""
for run in $(seq 0 "$runs"); do
  dotnet build --no-restore --no-incremental -nodeReuse:false -p:ReportAnalyzer=true $shared ${EXTRA:-} \
    -v:d -clp:PerformanceSummary > "$work/build$run.log" 2>&1 || { tail -30 "$work/build$run.log"; exit 1; }
  csc=$(grep -E '^\s+[0-9]+ ms\s+Csc\s+[0-9]+ calls' "$work/build$run.log" | awk '{print $1}' | head -1)
  total=$(grep -m1 -E 'Total analyzer execution time' "$work/build$run.log" | grep -oE '[0-9]+(\.[0-9]+)?' | head -1)
  ours=$(grep -m1 -A40 'Reactive.Streams.Analyzers, Version' "$work/build$run.log" | grep -m1 -oE '^\s+[0-9<]+(\.[0-9]+)?' | tr -d ' <' || true)
  [ "$run" = 0 ] && continue
  share=$(awk -v o="${ours:-0}" -v c="$csc" 'BEGIN { printf "%.2f", 100 * o * 1000 / c }')
  echo "run $run: Csc task ${csc} ms; all analyzers ${total} s; Reactive.Streams.Analyzers ${ours:-?} s = ${share}% of the Csc task"
  grep -E '^\s+[0-9<.]+\s+[0-9<]+\s+(Reactive\.Streams\.|Total)' "$work/build$run.log" | sed 's/^ */    /' | sort -u | head -20
done
# The build's figures sum wall-clock time over concurrent analyzer threads, which on a busy machine with few cores
# inflates every analyzer's share. Replaying the same csc command with /parallel- compiles the methods on one thread,
# but the analyzer driver, the garbage collector and the JIT's background tiering still run beside it (about 1.6 cores
# of CPU on two), so the compile's CPU time exceeds its wall time. Both denominators are printed: the analyzers' time
# over the process's CPU time (user + system) is their share of the compile's CPU; over the wall time it is the
# larger figure recorded before 2026-12-05. The numerator is the analyzers' callback time as /reportanalyzer charges
# it, which includes any time a callback waited or was descheduled.
cmd=$(grep -m1 -E '^\s+/.*/csc ' "$work/build$runs.log" | sed 's/^ *//')
csc=${cmd%% *}
echo "${cmd#* }" | sed -E 's# /out:[^ ]*##; s# /refout:[^ ]*##' > "$work/csc.rsp"
for run in $(seq 1 "$runs"); do
  TIMEFORMAT='%R %U %S'
  times=$( { time "$csc" @"$work/csc.rsp" /parallel- /out:"$work/out.dll" /refout:"$work/ref.dll" > "$work/serial$run.log" 2>&1 ; } 2>&1 )
  read -r wall user sys <<< "$times"
  ours=$(grep -m1 'Reactive.Streams.Analyzers, Version' "$work/serial$run.log" | awk '{print $1}' | tr -d '<')
  awk -v r="$run" -v o="${ours:-0}" -v w="$wall" -v u="$user" -v s="$sys" 'BEGIN {
    printf "csc /parallel- replay %s: %.0f ms wall, %.0f ms CPU; Reactive.Streams.Analyzers %s s = %.2f%% of compile CPU (%.2f%% of wall)\n",
      r, w * 1000, (u + s) * 1000, o, 100 * o / (u + s), 100 * o / w }'
done

echo "diagnostics reported (last run, each file:line once):"
grep -oE '[A-Za-z0-9]+\.cs\([0-9]+,[0-9]+\): (warning|error) RXS[0-9]{4}' "$work/build$runs.log" | sort -u | grep -oE 'RXS[0-9]{4}' | sort | uniq -c
# The compiler server this script started idles for minutes otherwise.
[ -n "$shared" ] && dotnet build-server shutdown >/dev/null 2>&1 || true
