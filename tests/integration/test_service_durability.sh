#!/usr/bin/env bash
# kill -9 / restart, audit verify, first start, seeds, signet submit (see service_durability_test.py).
set -euo pipefail
: "${SIGNET:?SIGNET must point to the signet binary}"
exec /usr/bin/python3 "$(dirname "$0")/service_durability_test.py" "$SIGNET"
