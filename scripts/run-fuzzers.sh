#!/usr/bin/env bash
# Runs every fuzz target for a short while (CI); longer runs: FUZZ_SECONDS=3600 make fuzz.
set -euo pipefail
build=$1; seconds=${2:-20}
root=$(cd "$(dirname "$0")/.." && pwd)
status=0
for fuzzer in "$build"/fuzz/fuzz_*; do
  [ -x "$fuzzer" ] || continue
  name=$(basename "$fuzzer")
  corpus="$build/fuzz-corpus/$name"; mkdir -p "$corpus"
  seeds="$root/fuzz/seeds/${name#fuzz_}"
  args=("$corpus"); [ -d "$seeds" ] && args+=("$seeds")
  echo "fuzzing $name for ${seconds}s"
  if ! "$fuzzer" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=0 \
      "${args[@]}" > "$build/$name.log" 2>&1; then
    echo "FAILED: $name (log: $build/$name.log)"; tail -40 "$build/$name.log"; status=1
  else
    echo "ok: $name"
  fi
done
exit $status
