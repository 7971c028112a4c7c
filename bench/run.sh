#!/usr/bin/env bash
# Benchmarks of the signing engine against the reference tools, on the same input in the same run.
#   bench/run.sh PATH/TO/signet        (make bench)
# Environment: BENCH_SIZE_MB (default 1024), BENCH_FILES (default 2000), BENCH_DIR (scratch, default a temp dir).
set -euo pipefail
signet=$(realpath "${1:-build/signet}")
root=$(cd "$(dirname "$0")/.." && pwd)
exec /usr/bin/python3 "$root/bench/bench.py" "$signet" "$root"
