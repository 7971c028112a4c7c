#!/usr/bin/env bash
# Benchmarks of the signing engine against the reference tools, on the same input in the same run,
# then of the signing service end to end.
#   bench/run.sh PATH/TO/signet        (make bench)
# Environment: BENCH_SIZE_MB (default 1024), BENCH_FILES (default 2000), BENCH_DIR (scratch, default a temp dir),
# BENCH_SERVICE_LEVELS (default 1,8,64), BENCH_SERVICE_REQUESTS (per level; default max(200, 8 x level)).
set -euo pipefail
signet=$(realpath "${1:-build/signet}")
root=$(cd "$(dirname "$0")/.." && pwd)
/usr/bin/python3 "$root/bench/bench.py" "$signet" "$root"
# Authenticode: a 1 GiB PE against osslsigncode and openssl dgst; 2,000 DLLs deep-signed against an
# osslsigncode loop (BENCH_PE_MB, BENCH_DLLS, BENCH_RUNS override).
echo
echo "== Authenticode (bench/pe_bench.py)"
/usr/bin/python3 "$root/bench/pe_bench.py" "$signet"
# The signing service end to end (submit, process, download over loopback HTTP) at concurrency
# 1, 8 and 64; BENCH_SERVICE_LEVELS and BENCH_SERVICE_REQUESTS override the levels and the count.
echo
echo "== signet serve: requests/s and latency (bench/service_bench.py)"
/usr/bin/python3 "$root/bench/service_bench.py" "$signet" --levels "${BENCH_SERVICE_LEVELS:-1,8,64}" \
  --requests "${BENCH_SERVICE_REQUESTS:-0}"
