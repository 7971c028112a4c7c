# Shared helpers for the integration tests: a scratch directory, a test PKI, OpenPGP keys and
# assertions. Each test sources this file; failures print a clear line and exit 1.
set -euo pipefail
: "${SIGNET:?SIGNET must point to the signet binary}"
T=$(mktemp -d "${TMPDIR:-/tmp}/signet-it-XXXXXX")
cleanup() { gpgconf --homedir "$T/gnupg" --kill gpg-agent >/dev/null 2>&1 || true; rm -rf "$T"; }
trap cleanup EXIT
cd "$T"
PASSED=0

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { PASSED=$((PASSED + 1)); echo "ok - $*"; }
# expect_ok DESC CMD...: the command must exit 0.
expect_ok() { local d=$1; shift; if "$@" > "$T/last.out" 2>&1; then pass "$d"; else cat "$T/last.out" >&2; fail "$d"; fi; }
# expect_fail DESC CMD...: the command must exit non-zero.
expect_fail() { local d=$1; shift; if "$@" > "$T/last.out" 2>&1; then cat "$T/last.out" >&2; fail "$d (unexpectedly succeeded)"; else pass "$d"; fi; }
# expect_output REGEX: the last command's output must match (grep -E).
expect_output() { grep -Eq -- "$1" "$T/last.out" || { cat "$T/last.out" >&2; fail "output does not match: $1"; }; }

make_pki() {
  mkdir -p "$T/pki" && cd "$T/pki"
  cat > ext.cnf <<'CNF'
[cs]
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=codeSigning
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
CNF
  openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 30 -subj "/CN=Test Root CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  openssl req -new -newkey rsa:2048 -nodes -keyout cs.key -out cs.csr -subj "/CN=Test Code Signer" 2>/dev/null
  openssl x509 -req -in cs.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out cs.crt -days 30 -extfile ext.cnf -extensions cs 2>/dev/null
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ec.key 2>/dev/null
  openssl req -new -key ec.key -out ec.csr -subj "/CN=Test EC Signer" 2>/dev/null
  openssl x509 -req -in ec.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out ec.crt -days 30 -extfile ext.cnf -extensions cs 2>/dev/null
  openssl pkcs12 -export -inkey cs.key -in cs.crt -certfile ca.crt -out cs.p12 -passout pass:p12pass 2>/dev/null
  openssl pkcs8 -topk8 -in cs.key -out cs-enc.key -passout pass:s3cret 2>/dev/null
  openssl x509 -in cs.crt -pubkey -noout > cs.pub
  openssl x509 -in ec.crt -pubkey -noout > ec.pub
  cd "$T"
}

# make_pgp NAME ALGO PASSPHRASE: secret key in $T/pgp/NAME.sec.asc, keyrings NAME.pub.gpg / .asc
make_pgp() {
  local name=$1 algo=$2 pass=$3
  export GNUPGHOME="$T/gnupg"; mkdir -p -m700 "$GNUPGHOME" "$T/pgp"
  gpg --batch --quiet --pinentry-mode loopback --passphrase "$pass" \
    --quick-generate-key "$name <$name@example.com>" "$algo" sign 1y 2>/dev/null
  gpg --batch --quiet --pinentry-mode loopback --passphrase "$pass" --armor --export-secret-keys "$name" > "$T/pgp/$name.sec.asc"
  gpg --batch --quiet --export "$name" > "$T/pgp/$name.pub.gpg"
  gpg --batch --quiet --armor --export "$name" > "$T/pgp/$name.pub.asc"
}

# ossl_verify FILE [OPTION...]: osslsigncode verifies FILE's Authenticode signature against the test CA.
ossl_verify() { local f=$1; shift; osslsigncode verify -CAfile "$T/pki/ca.crt" "$@" -in "$f"; }
# flip_byte FILE OFFSET [OUT]: a copy of FILE with one bit of the byte at OFFSET flipped, written to
# OUT (default FILE.tampered): a negative control that always differs from the original.
flip_byte() {
  /usr/bin/python3 -c "import sys; b=bytearray(open(sys.argv[1],'rb').read()); b[int(sys.argv[2])]^=1; open(sys.argv[3],'wb').write(b)" "$1" "$2" "${3:-$1.tampered}"
}

finish() { echo "$PASSED passed, 0 failed"; }
