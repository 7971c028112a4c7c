#!/usr/bin/env bash
# The signing service's REST API over real HTTP (see service_api_test.py).
set -euo pipefail
: "${SIGNET:?SIGNET must point to the signet binary}"
exec /usr/bin/python3 "$(dirname "$0")/service_api_test.py" "$SIGNET"
