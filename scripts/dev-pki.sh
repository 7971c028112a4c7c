#!/usr/bin/env bash
# Creates a development PKI under DIR (once): a root CA, a code-signing certificate issued by it,
# a PKCS#12 bundle, and an OpenPGP signing key. Never use these keys for anything real.
set -euo pipefail
dir=${1:-var}
mkdir -p "$dir/pki" "$dir/pgp"; chmod 700 "$dir/pki" "$dir/pgp"
cd "$dir/pki"
if [ ! -f ca.crt ]; then
  cat > ext.cnf <<'CNF'
[cs]
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=codeSigning
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
CNF
  openssl req -x509 -newkey rsa:3072 -nodes -keyout ca.key -out ca.crt -days 3650 -subj "/CN=Signet Dev Root CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  openssl req -new -newkey rsa:3072 -nodes -keyout signing.key -out signing.csr -subj "/CN=Signet Dev Code Signing" 2>/dev/null
  openssl x509 -req -in signing.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out signing.crt -days 825 \
    -extfile ext.cnf -extensions cs 2>/dev/null
  cp ca.crt chain.pem
  rm -f signing.csr
fi
cd ../pgp
if [ ! -f secret.asc ]; then
  export GNUPGHOME=$PWD/gnupg; mkdir -m700 -p "$GNUPGHOME"
  gpg --batch --quiet --pinentry-mode loopback --passphrase '' \
    --quick-generate-key "Signet Dev Signer <dev@signet.invalid>" ed25519 sign 2y 2>/dev/null
  gpg --batch --quiet --armor --export-secret-keys --pinentry-mode loopback --passphrase '' > secret.asc
  gpg --batch --quiet --armor --export > public.asc
  gpg --batch --quiet --export > public.gpg
  gpgconf --kill gpg-agent 2>/dev/null || true
fi
