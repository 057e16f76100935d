#!/usr/bin/env bash
# Issue 19: `dotnet build` of 200 unions of 5 variants with the packed Reactive.Streams.Core (generator and analyzers),
# against the same records without the package and without [EventUnion], alternating in one run.
# Usage: union-build.sh [rounds=3]. Prints each round's wall time and Csc task time, and the ratios.
# Round 0 warms the compiler server and is not reported. The server is left to exit on its own idle timeout (no
# `dotnet build-server shutdown`, which would stop other builds' servers on a shared machine).
set -euo pipefail
rounds="${1:-3}"
repo="$(cd "$(dirname "$0")/../../.." && pwd)"
work="$(mktemp -d /tmp/rxs-unions.XXXXXX)"
version="0.0.0-unions.$(date +%s)"
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT

dotnet pack "$repo/src/Reactive.Streams.Core" -c Release -o "$work/feed" -p:PackageVersion="$version" -nodeReuse:false >/dev/null

for kind in with without; do
  mkdir -p "$work/$kind/src"
  cat > "$work/$kind/nuget.config" <<EOF
<?xml version="1.0" encoding="utf-8"?>
<configuration><packageSources><add key="local" value="$work/feed" /></packageSources></configuration>
EOF
  reference=""
  [ "$kind" = with ] && reference="<ItemGroup><PackageReference Include=\"Reactive.Streams.Core\" Version=\"$version\" /></ItemGroup>"
  cat > "$work/$kind/App.csproj" <<EOF
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>net10.0</TargetFramework>
    <Nullable>enable</Nullable>
    <ImplicitUsings>disable</ImplicitUsings>
    <RestorePackagesPath>$work/packages</RestorePackagesPath>
    <RestoreAdditionalProjectFallbackFolders>${NUGET_PACKAGES:-$HOME/.nuget/packages}</RestoreAdditionalProjectFallbackFolders>
    <NoWarn>\$(NoWarn);NU1603</NoWarn>
  </PropertyGroup>
  $reference
</Project>
EOF
  for i in $(seq 0 199); do
    {
      echo "using System;"
      [ "$kind" = with ] && echo "using Reactive.Streams;"
      echo "namespace Bench;"
      [ "$kind" = with ] && echo "[EventUnion]"
      echo "public abstract partial record Union$i"
      echo "{"
      for v in 0 1 2 3 4; do
        echo "    public sealed record Variant$v(long Cursor, string ExecutionId, DateTimeOffset At, int Count$v, string? Note$v) : Union$i;"
      done
      echo "}"
    } > "$work/$kind/src/Union$i.cs"
  done
  (cd "$work/$kind" && dotnet restore -nodeReuse:false >/dev/null)
done

echo "200 unions x 5 variants in $work; $(uptime)"
declare -A wall csc
for round in $(seq 0 "$rounds"); do
  for kind in without with; do
    start=$(date +%s%N)
    (cd "$work/$kind" && dotnet build --no-restore --no-incremental -nodeReuse:false -p:UseSharedCompilation=true -p:ReportAnalyzer=true -v:d -clp:PerformanceSummary > "$work/$kind.$round.log" 2>&1) \
      || { tail -30 "$work/$kind.$round.log"; exit 1; }
    end=$(date +%s%N)
    wall[$kind]=$(( (end - start) / 1000000 ))
    csc[$kind]=$(grep -E '^\s+[0-9]+ ms\s+Csc\s+[0-9]+ calls' "$work/$kind.$round.log" | awk '{print $1}' | head -1)
  done
  [ "$round" = 0 ] && continue
  # With -p:ReportAnalyzer=true csc lists each analyzer and generator assembly's time (summed over its threads).
  ours=$(grep -E '^\s+[0-9<.]+\s+[0-9<]+\s+Reactive\.Streams\.(Analyzers|Generators), Version' "$work/with.$round.log" | sort -u | awk '{printf "%s %s s; ", $3, $1}' | tr -d ',')
  awk -v r="$round" -v wo="${wall[without]}" -v w="${wall[with]}" -v co="${csc[without]}" -v c="${csc[with]}" 'BEGIN {
    printf "round %d: build without %d ms, with %d ms (%.2fx); Csc task without %d ms, with %d ms (%.2fx)", r, wo, w, w / wo, co, c, c / co }'
  echo "; in the Csc task: ${ours:-?}"
done
