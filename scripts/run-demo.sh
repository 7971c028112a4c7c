#!/usr/bin/env bash
# `make run`: signs the bundled sample with a development PKI and shows how to use Signet.
set -euo pipefail
signet=$(realpath "$1")
root=$(cd "$(dirname "$0")/.." && pwd)
var=$root/var
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
