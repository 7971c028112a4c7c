#!/usr/bin/env bash
# End to end: `signet sign` Authenticode-signs PE files (root <pe-file> and PEs inside a zip),
# with RFC 3161 timestamps from a local TSA, sha1 + sha256 append (E12), version-resource
# restrictions and <authenticode-verify>; osslsigncode (each signature with -index N) and sbverify
# judge every output, with tampered negative controls; `signet verify` reports every signature.
HERE="$(cd "$(dirname "$0")" && pwd)"
source "$HERE/lib.sh"
make_pki

# ---- TSA certificate, openssl ts configuration and the local TSA ------------------------------
cd "$T/pki"
cat >> ext.cnf <<'CNF'
[tsa]
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=critical,timeStamping
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
CNF
openssl req -new -newkey rsa:2048 -nodes -keyout tsa.key -out tsa.csr -subj "/CN=Test TSA" 2>/dev/null
openssl x509 -req -in tsa.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out tsa.crt -days 30 -extfile ext.cnf -extensions tsa 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout other.key -out other.crt -days 30 -subj "/CN=Other Root CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
echo 01 > tsa-serial
cat > tsa.cnf <<CNF
[ tsa ]
default_tsa = tsa_config1
[ tsa_config1 ]
dir = $T/pki
serial = $T/pki/tsa-serial
crypto_device = builtin
signer_cert = $T/pki/tsa.crt
certs = $T/pki/ca.crt
signer_key = $T/pki/tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha1, sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
CNF
cd "$T"
/usr/bin/python3 "$HERE/tsa_server.py" "$T/pki/tsa.cnf" 0 > tsa.port &
TSA_PID=$!
trap 'kill $TSA_PID 2>/dev/null || true; cleanup' EXIT
for _ in $(seq 50); do grep -q PORT tsa.port 2>/dev/null && break; sleep 0.1; done
TSA="http://127.0.0.1:$(awk '/PORT/{print $2}' tsa.port)/"
DEAD="http://127.0.0.1:9/"

# ---- PE fixtures (TOOLBOX.md §3.1, §3.2) ----------------------------------------------------------
mkdir -p src && cd src
printf '#include <stdio.h>\nint main(void){puts("hello");return 0;}\n' > hello.c
cat > ver.rc <<'RC'
#include <winver.h>
1 VERSIONINFO
FILEVERSION 1,2,3,4
PRODUCTVERSION 1,2,3,4
BEGIN
  BLOCK "StringFileInfo"
  BEGIN
    BLOCK "040904b0"
    BEGIN
      VALUE "CompanyName", "ACME Inc."
      VALUE "FileVersion", "1.2.3.4"
      VALUE "LegalCopyright", "(c) ACME"
      VALUE "OriginalFilename", "app.exe"
      VALUE "ProductName", "MyProduct"
      VALUE "ProductVersion", "1.2.3.4"
    END
  END
END
RC
x86_64-w64-mingw32-windres ver.rc -O coff -o ver.o
x86_64-w64-mingw32-gcc -O2 -s -o app.exe hello.c ver.o
printf '__declspec(dllexport) int add(int a,int b){return a+b;}\n' > lib.c
x86_64-w64-mingw32-gcc -shared -O2 -s -o common.dll lib.c
printf 'typedef unsigned long long U; U efi_main(void*h,void*s){return 0;}\n' > efi.c
x86_64-w64-mingw32-gcc -O2 -ffreestanding -nostdlib -shared -Wl,--subsystem,10 -Wl,-dll -e efi_main -o boot.efi efi.c
mkdir -p z/bin z/libs z/efi && cp app.exe z/bin/ && cp common.dll z/libs/ && cp boot.efi z/efi/
(cd z && zip -q -r ../../app.zip bin libs efi)
cp app.exe ../app.exe
cd "$T"

KEYS=(--key pki/cs.key --cert pki/cs.crt --chain pki/ca.crt)
ossl() { ossl_verify "$2" -TSA-CAfile "$T/pki/ca.crt" -index "$1"; }

# ---- root <pe-file>, timestamped: the dead TSA is skipped -----------------------------------------
cat > pe.xml <<'XML'
<?xml version="1.0" encoding="utf-8"?>
<artifact-configuration xmlns="http://signpath.io/artifact-configuration/v1">
  <pe-file product-name="MyProduct" product-version="1.2.3.4" company-name="ACME Inc." original-filename="${file.name}">
    <authenticode-sign description="My Product" description-url="https://acme.example/product"/>
  </pe-file>
</artifact-configuration>
XML
expect_ok "sign a root PE with a dead and a live TSA" "$SIGNET" sign -q --config pe.xml app.exe -o app-signed.exe \
  "${KEYS[@]}" --timestamp-url "$DEAD" --timestamp-url "$TSA"
expect_ok "osslsigncode verifies the signature" ossl 0 app-signed.exe
expect_output 'Timestamp Server Signature verification: ok'
expect_output 'Text description: My Product'
expect_ok "sbverify verifies the signature" sbverify --cert pki/ca.crt app-signed.exe
flip_byte app-signed.exe 1100 app-tampered.exe
expect_fail "osslsigncode rejects a tampered byte" ossl 0 app-tampered.exe
expect_fail "sbverify rejects a tampered byte" sbverify --cert pki/ca.crt app-tampered.exe
expect_fail "osslsigncode rejects another CA" osslsigncode verify -CAfile pki/other.crt -in app-signed.exe

expect_ok "signet verify reports the timestamped signature" "$SIGNET" verify app-signed.exe --ca pki/ca.crt --tsa-ca pki/ca.crt
expect_output '^OK +Authenticode +.*app-signed.exe +signer: CN=Test Code Signer +sha256 +\(timestamp 20[0-9-]+T[0-9:]+Z by CN=Test TSA \(trusted\); chain trusted'
expect_fail "signet verify fails a tampered PE" "$SIGNET" verify app-tampered.exe --ca pki/ca.crt
expect_output '^FAIL +Authenticode .*modified after signing'
expect_fail "signet verify fails with another CA" "$SIGNET" verify app-signed.exe --ca pki/other.crt
expect_output 'not trusted'

# ---- only dead TSAs: a clear error naming them, no output -----------------------------------------
expect_fail "only dead TSAs fail" "$SIGNET" sign -q --config pe.xml app.exe -o dead.exe "${KEYS[@]}" \
  --timestamp-url "$DEAD" --timestamp-url "http://127.0.0.1:1/ts"
expect_output "TSA http://127.0.0.1:9/: connection refused"
expect_output "TSA http://127.0.0.1:1/ts: connection refused"
[ ! -e dead.exe ] || fail "a failed run left dead.exe behind"
pass "no partial output after a TSA failure"

# ---- restriction mismatch names file, attribute, expected and actual ------------------------------
sed 's/product-name="MyProduct"/product-name="OtherProduct"/' pe.xml > mismatch.xml
expect_fail "a product-name mismatch rejects the run" "$SIGNET" sign -q --config mismatch.xml app.exe -o mm.exe "${KEYS[@]}"
expect_output "app.exe.*product-name is \"MyProduct\", expected \"OtherProduct\""
[ ! -e mm.exe ] || fail "a rejected run left mm.exe behind"
sed 's/original-filename="${file.name}"/original-filename="${file.name}" copyright="(c) Nobody"/' pe.xml > mismatch2.xml
expect_fail "a copyright mismatch rejects the run" "$SIGNET" sign -q --config mismatch2.xml app.exe -o mm.exe "${KEYS[@]}"
expect_output "copyright is \"\(c\) ACME\", expected \"\(c\) Nobody\""

# ---- E12: sha1 then sha256 with append ------------------------------------------------------------
cat > e12.xml <<'XML'
<?xml version="1.0" encoding="utf-8"?>
<artifact-configuration xmlns="http://signpath.io/artifact-configuration/v1">
  <pe-file>
    <authenticode-sign hash-algorithm="sha1" description="E12" description-url="https://example.com"/>
    <authenticode-sign hash-algorithm="sha256" append="true"/>
  </pe-file>
</artifact-configuration>
XML
expect_ok "E12: sign sha1 then append sha256" "$SIGNET" sign -q --config e12.xml app.exe -o e12.exe "${KEYS[@]}" --timestamp-url "$TSA"
expect_ok "E12: signature 0 (sha1) verifies" ossl 0 e12.exe
expect_output 'Message digest algorithm  : SHA1'
expect_output 'Timestamp Server Signature verification: ok'
expect_ok "E12: signature 1 (sha256) verifies" ossl 1 e12.exe
expect_output 'Message digest algorithm  : SHA256'
expect_output 'Timestamp Server Signature verification: ok'
flip_byte e12.exe 1100 e12-tampered.exe
expect_fail "E12: tampered, signature 0 fails" ossl 0 e12-tampered.exe
expect_fail "E12: tampered, signature 1 fails" ossl 1 e12-tampered.exe
expect_ok "signet verify lists both signatures" "$SIGNET" verify e12.exe --ca pki/ca.crt
expect_output '^OK +Authenticode +.*sha1'
expect_output '^OK +Authenticode nested #1 +.*sha256'

# ---- PEs inside a zip, then authenticode-verify on the result -------------------------------------
cat > zip.xml <<'XML'
<?xml version="1.0" encoding="utf-8"?>
<artifact-configuration xmlns="http://signpath.io/artifact-configuration/v1">
  <zip-file>
    <pe-file path="bin/app.exe" product-name="MyProduct"><authenticode-sign/></pe-file>
    <pe-file path="libs/common.dll"><authenticode-sign hash-algorithm="sha384"/></pe-file>
    <pe-file path="efi/boot.efi"><authenticode-sign/></pe-file>
  </zip-file>
</artifact-configuration>
XML
expect_ok "deep-sign PEs inside a zip" "$SIGNET" sign -q --config zip.xml app.zip -o app-signed.zip "${KEYS[@]}" --timestamp-url "$TSA"
mkdir out && (cd out && unzip -q ../app-signed.zip)
for f in bin/app.exe libs/common.dll efi/boot.efi; do
  expect_ok "zip: $f verifies (osslsigncode)" ossl 0 "out/$f"
  expect_output 'Timestamp Server Signature verification: ok'
done
expect_ok "zip: boot.efi verifies (sbverify)" sbverify --cert pki/ca.crt out/efi/boot.efi
expect_ok "signet verify reports the PEs inside the zip" "$SIGNET" verify app-signed.zip --ca pki/ca.crt
expect_output '^OK +Authenticode +app-signed.zip/bin/app.exe'
expect_output '^OK +Authenticode +app-signed.zip/libs/common.dll .*sha384'
expect_output '^OK +Authenticode +app-signed.zip/efi/boot.efi'

cat > verify.xml <<'XML'
<?xml version="1.0" encoding="utf-8"?>
<artifact-configuration xmlns="http://signpath.io/artifact-configuration/v1">
  <zip-file>
    <pe-file path="bin/app.exe"><authenticode-verify/></pe-file>
    <pe-file path="libs/common.dll"><authenticode-verify/><authenticode-sign append="true"/></pe-file>
  </zip-file>
</artifact-configuration>
XML
expect_ok "authenticode-verify passes with --trust CA" "$SIGNET" sign -q --config verify.xml app-signed.zip -o verified.zip \
  "${KEYS[@]}" --trust pki/ca.crt
mkdir out2 && (cd out2 && unzip -q ../verified.zip)
expect_ok "verify + append: the original signature still verifies" ossl 0 out2/libs/common.dll
expect_ok "verify + append: the appended signature verifies" ossl 1 out2/libs/common.dll
# Failure cases on one file (with several failing files the engine reports only one of them).
cat > verify1.xml <<'XML'
<?xml version="1.0" encoding="utf-8"?>
<artifact-configuration xmlns="http://signpath.io/artifact-configuration/v1">
  <zip-file>
    <pe-file path="bin/app.exe"><authenticode-verify/><authenticode-sign append="true"/></pe-file>
  </zip-file>
</artifact-configuration>
XML
expect_fail "authenticode-verify fails with another CA" "$SIGNET" sign -q --config verify1.xml app-signed.zip -o v2.zip \
  "${KEYS[@]}" --trust pki/other.crt
expect_output "app-signed.zip/bin/app.exe: Authenticode verification failed: Authenticode by CN=Test Code Signer: .*not trusted"
expect_fail "authenticode-verify fails on unsigned files" "$SIGNET" sign -q --config verify1.xml app.zip -o v3.zip \
  "${KEYS[@]}" --trust pki/ca.crt
expect_output "app.zip/bin/app.exe: Authenticode verification failed: the file is not signed"
expect_fail "authenticode-verify without --trust is an error" "$SIGNET" sign -q --config verify1.xml app-signed.zip -o v4.zip "${KEYS[@]}"
expect_output "pass --trust"
[ ! -e v2.zip ] && [ ! -e v3.zip ] && [ ! -e v4.zip ] || fail "a rejected run left output behind"
pass "rejected runs leave no output"
finish
