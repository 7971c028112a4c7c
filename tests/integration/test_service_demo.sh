#!/usr/bin/env bash
# `make run`: scripts/run-demo.sh starts `signet serve` on a fresh data directory and prints the URL,
# the admin token and a curl example. The printed curl commands are run as printed and the signed
# artifact they download is checked with openssl cms (with a tampered negative control).
source "$(dirname "$0")/lib.sh"
root=${SIGNET_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export SIGNET_VAR=$T/var SIGNET_LISTEN=127.0.0.1:$port
bash "$root/scripts/run-demo.sh" "$SIGNET" > demo.out 2>&1 &
demo=$!
stop_demo() { kill -TERM "$demo" 2>/dev/null || true; wait "$demo" 2>/dev/null || true; cleanup; }
trap stop_demo EXIT
for _ in $(seq 1 1200); do
  grep -q "Serving in the foreground" demo.out && break
  kill -0 "$demo" 2>/dev/null || { cat demo.out >&2; fail "run-demo.sh ended before serving"; }
  sleep 0.1
done
grep -q "Serving in the foreground" demo.out || { cat demo.out >&2; fail "run-demo.sh did not start the service"; }
data=$SIGNET_VAR/service
token=$(cat "$data/admin-token")
expect_ok "the demo prints the service URL" grep -q "Signing service: http://127.0.0.1:$port" demo.out
expect_ok "the demo prints the admin token of DIR/admin-token" grep -q "Admin token: *$token" demo.out
expect_ok "the demo's own signet submit produced a signed artifact" test -s "$SIGNET_VAR/sample-1.0.0-service-signed.zip"

# The printed curl commands, exactly as printed (between the heading and "Or in one step:").
sed -n '/^Submit, wait for the result, download with curl/,/^Or in one step:/p' demo.out | sed '1d;$d' > curl.sh
expect_ok "the demo prints a curl example" grep -q "SubmitWithArtifact" curl.sh
mkdir curl && cd curl
expect_ok "the printed curl commands run as printed" bash -euo pipefail ../curl.sh
cp "$T/last.out" curl.out
expect_ok "the curl example reports Completed" grep -q '"status":"Completed"' curl.out
mkdir x && (cd x && unzip -q ../signed.zip)
ca=$data/pki/ca.crt
expect_ok "the artifact downloaded with curl verifies with openssl cms" openssl cms -verify -binary -inform PEM \
  -in x/docs/release-notes.txt.p7s -content x/docs/release-notes.txt -CAfile "$ca" -purpose any -out /dev/null
echo tampered >> x/docs/release-notes.txt
expect_fail "a tampered file fails openssl cms (negative control)" openssl cms -verify -binary -inform PEM \
  -in x/docs/release-notes.txt.p7s -content x/docs/release-notes.txt -CAfile "$ca" -purpose any -out /dev/null
cd "$T"
kill -TERM "$demo"
wait "$demo" 2>/dev/null || true
expect_fail "Ctrl-C (SIGTERM) stops the demo's service" curl -sf "http://127.0.0.1:$port/healthzd"
finish
