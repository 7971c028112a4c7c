#!/usr/bin/env bash
# End to end: a zip holding files and a nested zip is signed with CMS, raw, OpenPGP and XML-DSig
# directives; every signature is checked by an independent tool, each with a tampered control.
source "$(dirname "$0")/lib.sh"
make_pki
make_pgp rsa rsa3072 ''
make_pgp ed ed25519 'pgp pass'

mkdir -p in/docs in/inner/lib && cd in
printf 'release notes\n' > docs/notes.txt
head -c 300000 /dev/urandom > docs/blob.bin
printf 'not matched\n' > readme.md
cat > sbom.xml <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<bom xmlns="http://cyclonedx.org/schema/bom/1.5" version="1"><components><component type="library"><name>x</name></component></components></bom>
XML
printf 'inner a\n' > inner/lib/a.so
printf 'inner b\n' > inner/lib/b.so
(cd inner && zip -q -r ../inner.zip lib) && rm -rf inner
zip -q -r ../app.zip docs readme.md sbom.xml && zip -q -0 ../app.zip inner.zip
cd "$T"

cat > ac.xml <<'XML'
<?xml version="1.0" encoding="utf-8"?>
<artifact-configuration xmlns="http://signpath.io/artifact-configuration/v1">
  <zip-file>
    <directory path="docs">
      <file path="notes.txt">
        <create-cms-signature output-encoding="pem" output-file-name="${file.name}.p7s" rsa-padding="pkcs1"/>
        <create-cms-signature output-encoding="der" output-file-name="${file.name}.pss.p7s" rsa-padding="pss" hash-algorithm="sha384"/>
        <create-gpg-signature output-file-name="${file.name}.asc"/>
      </file>
      <file path="blob.bin">
        <create-raw-signature output-file-name="${file.name}.sig" hash-algorithm="sha256" rsa-padding="pkcs1"/>
        <create-gpg-signature output-file-name="${file.name}.gpg" output-encoding="binary" hash-algorithm="sha512"/>
      </file>
    </directory>
    <xml-file path="sbom.xml" root-element-name="bom">
      <xml-sign key-info-x509-data="whole-chain"/>
    </xml-file>
    <zip-file path="inner.zip">
      <file-set>
        <include path="lib/*.so" max-matches="unbounded"/>
        <for-each>
          <create-cms-signature output-encoding="der" output-file-name="${file.name}.p7s" rsa-padding="pss"/>
        </for-each>
      </file-set>
    </zip-file>
  </zip-file>
</artifact-configuration>
XML

expect_ok "config validates" "$SIGNET" config validate ac.xml
expect_ok "inspect shows the matches" "$SIGNET" inspect --config ac.xml app.zip
expect_output 'app.zip/docs/notes.txt.*<file'
expect_output 'readme.md.*not matched'
expect_ok "sign with RSA key, chain and OpenPGP key" "$SIGNET" sign --config ac.xml app.zip -o signed.zip \
  --key pki/cs.key --cert pki/cs.crt --chain pki/ca.crt --pgp-key pgp/rsa.sec.asc --report report.json
expect_ok "output is a valid zip" unzip -tq signed.zip
mkdir out && (cd out && unzip -q ../signed.zip && mkdir inner && cd inner && unzip -q ../inner.zip)

cms_ok() { openssl cms -verify -binary -purpose any -CAfile pki/ca.crt -inform "$1" -in "$2" -content "$3" -out /dev/null; }
expect_ok "CMS PEM pkcs1 verifies (openssl)" cms_ok PEM out/docs/notes.txt.p7s out/docs/notes.txt
expect_ok "CMS DER pss sha384 verifies (openssl)" cms_ok DER out/docs/notes.txt.pss.p7s out/docs/notes.txt
expect_ok "nested zip: CMS a.so verifies" cms_ok DER out/inner/lib/a.so.p7s out/inner/lib/a.so
expect_ok "nested zip: CMS b.so verifies" cms_ok DER out/inner/lib/b.so.p7s out/inner/lib/b.so
cp out/docs/notes.txt tampered.txt && printf 'x' >> tampered.txt
expect_fail "CMS over tampered content fails" cms_ok PEM out/docs/notes.txt.p7s tampered.txt

openssl dgst -sha256 -binary out/docs/blob.bin > blob.dgst
expect_ok "raw signature verifies (openssl pkeyutl)" openssl pkeyutl -verify -pubin -inkey pki/cs.pub -in blob.dgst \
  -sigfile out/docs/blob.bin.sig -pkeyopt digest:sha256
expect_ok "raw signature verifies (openssl dgst)" openssl dgst -sha256 -verify pki/cs.pub -signature out/docs/blob.bin.sig out/docs/blob.bin
printf 'x' | dd of=out/docs/blob.bin bs=1 seek=1000 conv=notrunc 2>/dev/null
expect_fail "raw signature over tampered file fails" openssl dgst -sha256 -verify pki/cs.pub -signature out/docs/blob.bin.sig out/docs/blob.bin
(cd out && unzip -q -o ../signed.zip docs/blob.bin)

expect_ok "OpenPGP armored verifies (gpgv)" gpgv --keyring "$T/pgp/rsa.pub.gpg" out/docs/notes.txt.asc out/docs/notes.txt
expect_ok "OpenPGP armored verifies (rnp)" rnp --homedir "$T/rnp" --keyfile pgp/rsa.pub.asc --verify out/docs/notes.txt.asc --source out/docs/notes.txt
expect_ok "OpenPGP binary sha512 verifies (gpgv)" gpgv --keyring "$T/pgp/rsa.pub.gpg" out/docs/blob.bin.gpg out/docs/blob.bin
expect_fail "OpenPGP over tampered content fails (gpgv)" gpgv --keyring "$T/pgp/rsa.pub.gpg" out/docs/notes.txt.asc tampered.txt
expect_fail "OpenPGP over tampered content fails (rnp)" rnp --homedir "$T/rnp" --keyfile pgp/rsa.pub.asc --verify out/docs/notes.txt.asc --source tampered.txt

expect_ok "XML-DSig verifies (xmlsec1)" xmlsec1 --verify --trusted-pem pki/ca.crt out/sbom.xml
sed 's/<name>x</<name>y</' out/sbom.xml > sbom-tampered.xml
expect_fail "tampered XML fails (xmlsec1)" xmlsec1 --verify --trusted-pem pki/ca.crt sbom-tampered.xml

# Unchanged entries are copied raw: same bytes, same metadata.
cmp_entries() {
  /usr/bin/python3 - "$@" <<'PY'
import sys, zipfile
a, b = zipfile.ZipFile(sys.argv[1]), zipfile.ZipFile(sys.argv[2])
for name in ("readme.md", "docs/notes.txt", "docs/blob.bin"):
    x, y = a.getinfo(name), b.getinfo(name)
    assert (x.date_time, x.compress_type, x.CRC, x.compress_size, x.extra) == (y.date_time, y.compress_type, y.CRC, y.compress_size, y.extra), name
    assert a.read(name) == b.read(name), name
names = b.namelist()
assert names.index("docs/notes.txt.p7s") == names.index("docs/notes.txt") + 1, names
PY
}
expect_ok "unchanged entries are copied raw and signatures sit beside their file" cmp_entries app.zip signed.zip

expect_ok "report lists every entry with digests" /usr/bin/python3 -c '
import json, sys
r = json.load(open("report.json"))
e = {x["path"]: x for x in r["entries"]}
n = e["app.zip/docs/notes.txt"]
assert [d["directive"] for d in n["directives"]] == ["create-cms-signature", "create-cms-signature", "create-gpg-signature"], n
assert n["sha256_before"] == n["sha256_after"] and len(n["sha256_before"]) == 64
assert e["app.zip/readme.md"]["matched"] is None
x = e["app.zip/sbom.xml"]; assert x["sha256_before"] != x["sha256_after"]
assert "app.zip/inner.zip/lib/a.so" in e
'

expect_ok "signet verify reports every signature" "$SIGNET" verify signed.zip --ca pki/ca.crt --cert pki/cs.crt --pgp-key pgp/rsa.pub.asc
expect_output '^OK +CMS .*notes.txt.p7s'
expect_output '^OK +OpenPGP .*notes.txt.asc'
expect_output '^OK +XML-DSig .*sbom.xml'
expect_output '^OK +CMS .*inner.zip/lib/b.so.p7s'
expect_output '^OK +raw .*blob.bin.sig'
expect_fail "signet verify fails without the raw signature's certificate" "$SIGNET" verify signed.zip --ca pki/ca.crt --pgp-key pgp/rsa.pub.asc
expect_output '^FAIL +raw .*blob.bin.sig'
cp signed.zip tampered.zip && mkdir t && (cd t && unzip -q ../signed.zip docs/notes.txt && printf x >> docs/notes.txt && zip -q ../tampered.zip docs/notes.txt)
expect_fail "signet verify fails on a tampered file" "$SIGNET" verify tampered.zip --ca pki/ca.crt --cert pki/cs.crt --pgp-key pgp/rsa.pub.asc
expect_output '^FAIL +CMS .*notes.txt.p7s'
expect_output '^FAIL +OpenPGP .*notes.txt.asc'

# EC key, Ed25519 OpenPGP key with a passphrase from the environment, PKCS#12 and encrypted PKCS#8.
expect_ok "sign with EC key and passphrase-protected Ed25519 OpenPGP key" env SIGNET_PGP_PASS='pgp pass' \
  "$SIGNET" sign --config ac.xml app.zip -o signed-ec.zip --key pki/ec.key --cert pki/ec.crt --pgp-key pgp/ed.sec.asc
mkdir out-ec && (cd out-ec && unzip -q ../signed-ec.zip)
expect_ok "ECDSA CMS verifies" cms_ok PEM out-ec/docs/notes.txt.p7s out-ec/docs/notes.txt
expect_ok "ECDSA raw verifies" openssl dgst -sha256 -verify pki/ec.pub -signature out-ec/docs/blob.bin.sig out-ec/docs/blob.bin
expect_ok "Ed25519 OpenPGP verifies (gpgv)" gpgv --keyring "$T/pgp/ed.pub.gpg" out-ec/docs/notes.txt.asc out-ec/docs/notes.txt
expect_ok "Ed25519 OpenPGP verifies (rnp)" rnp --homedir "$T/rnp" --keyfile pgp/ed.pub.asc --verify out-ec/docs/notes.txt.asc --source out-ec/docs/notes.txt
expect_ok "ECDSA XML-DSig verifies (xmlsec1)" xmlsec1 --verify --trusted-pem pki/ca.crt out-ec/sbom.xml
expect_ok "sign with PKCS#12 (password from SIGNET_KEY_PASS)" env SIGNET_KEY_PASS=p12pass \
  "$SIGNET" sign --config ac.xml app.zip -o signed-p12.zip --key pki/cs.p12 --pgp-key pgp/rsa.sec.asc
expect_ok "sign with encrypted PKCS#8" "$SIGNET" sign --config ac.xml app.zip -o signed-p8.zip \
  --key pki/cs-enc.key --key-pass s3cret --cert pki/cs.crt --pgp-key pgp/rsa.sec.asc
mkdir out-p12 && (cd out-p12 && unzip -q ../signed-p12.zip)
expect_ok "PKCS#12 CMS verifies with embedded chain" cms_ok PEM out-p12/docs/notes.txt.p7s out-p12/docs/notes.txt
finish
