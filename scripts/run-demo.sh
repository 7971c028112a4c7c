#!/usr/bin/env bash
# `make run`: signs the bundled sample with a development PKI and shows how to use Signet.
set -euo pipefail
signet=$(realpath "$1")
root=$(cd "$(dirname "$0")/.." && pwd)
# SIGNET_VAR: where the PKI, the sample and the service data go; SIGNET_LISTEN: the address to serve on.
var=${SIGNET_VAR:-$root/var}
bash "$root/scripts/dev-pki.sh" "$var"
rm -f "$var/sample-1.0.0.zip"
(cd "$root/examples/sample/content" && zip -q -X -r "$var/sample-1.0.0.zip" docs bin sbom.xml LICENSE.txt)
cfg=$root/examples/sample/artifact-configuration.xml

echo "== signet config validate"
"$signet" config validate "$cfg"
echo "== signet inspect"
"$signet" inspect --config "$cfg" "$var/sample-1.0.0.zip"
echo "== signet sign"
"$signet" sign --config "$cfg" "$var/sample-1.0.0.zip" -o "$var/sample-1.0.0-signed.zip" \
  --key "$var/pki/signing.key" --cert "$var/pki/signing.crt" --chain "$var/pki/chain.pem" \
  --pgp-key "$var/pgp/secret.asc" --report "$var/report.json"
echo "== signet verify"
"$signet" verify "$var/sample-1.0.0-signed.zip" --ca "$var/pki/ca.crt" --cert "$var/pki/signing.crt" --pgp-key "$var/pgp/public.asc"
echo "== independent check of one signature with openssl"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && unzip -q "$var/sample-1.0.0-signed.zip")
openssl cms -verify -binary -inform PEM -in "$tmp/docs/release-notes.txt.p7s" -content "$tmp/docs/release-notes.txt" \
  -CAfile "$var/pki/ca.crt" -purpose any -out /dev/null
cat <<TXT

Signed artifact: $var/sample-1.0.0-signed.zip   (report: $var/report.json)
Development PKI: $var/pki (CA, code-signing key and certificate), $var/pgp (OpenPGP key)

Try it yourself:
  $signet sign --config $cfg $var/sample-1.0.0.zip -o /tmp/out.zip \\
      --key $var/pki/signing.key --cert $var/pki/signing.crt --chain $var/pki/chain.pem --pgp-key $var/pgp/secret.asc
  $signet verify /tmp/out.zip --ca $var/pki/ca.crt --cert $var/pki/signing.crt --pgp-key $var/pgp/public.asc
TXT

# ---- the signing service -------------------------------------------------------------------------
# `signet serve` in the foreground (Ctrl-C stops it). The first start creates an organization, an
# admin token, a development CA and a demo project under var/service; later starts reuse them.
listen=${SIGNET_LISTEN:-127.0.0.1:8080}
url=http://$listen
data=$var/service
mkdir -p "$data"
echo
echo "== signet serve --data $data --listen $listen   (log: $var/service.log)"
"$signet" serve --data "$data" --listen "$listen" > "$var/service.out" 2> "$var/service.log" &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$tmp"' INT TERM EXIT
for _ in $(seq 1 300); do
  grep -q "listening on" "$var/service.out" 2>/dev/null && break
  kill -0 "$server" 2>/dev/null || { cat "$var/service.log" >&2; echo "signet serve did not start (is $listen in use?)" >&2; exit 1; }
  sleep 0.1
done
cat "$var/service.out"
token=$(cat "$data/admin-token")
org=$(cat "$data/organization-id")
echo "== signet submit (the demo project signs every file of the zip with a detached CMS signature)"
"$signet" submit --url "$url" --organization "$org" --token "$token" --project demo --policy test-signing \
  "$var/sample-1.0.0.zip" -o "$var/sample-1.0.0-service-signed.zip"
cat <<TXT

Signing service: $url   (organization $org, OpenAPI: $url/api/openapi.json)
Admin token:     $token   (also in $data/admin-token; a CI user's token is in $data/ci-token)

Submit, wait for the result, download with curl (copy and paste the three commands):
  ID=\$(curl -sf -H "Authorization: Bearer $token" -F projectSlug=demo -F signingPolicySlug=test-signing \\
       -F "artifact=@$var/sample-1.0.0.zip" "$url/api/v1/$org/SigningRequests/SubmitWithArtifact" \\
       | sed -n 's/.*"signingRequestId":"\([^"]*\)".*/\\1/p')
  curl -sf -H "Authorization: Bearer $token" "$url/api/v1/$org/SigningRequests/\$ID/Status?waitForCompletionTimeoutInSeconds=30"
  curl -sf -H "Authorization: Bearer $token" -o signed.zip "$url/api/v1/$org/SigningRequests/\$ID/SignedArtifact"
Or in one step:
  $signet submit --url $url --organization $org --token $token --project demo --policy test-signing \\
       $var/sample-1.0.0.zip -o /tmp/signed.zip
release-signing needs one approval: submit with the CI token, then approve as admin:
  curl -X POST -H "Authorization: Bearer $token" "$url/api/v1/$org/SigningRequests/\$ID/Approve"

Serving in the foreground; Ctrl-C stops the service.
TXT
wait $server
