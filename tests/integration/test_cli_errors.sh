#!/usr/bin/env bash
# Bad input gets one clear line per problem naming file/element/line, a non-zero exit code, and
# no output file.
source "$(dirname "$0")/lib.sh"
make_pki
mkdir in && printf 'a\n' > in/a.txt && printf 'b\n' > in/b.txt && printf '<root/>\n' > in/c.xml
(cd in && zip -q ../app.zip a.txt b.txt c.xml)
KEY=(--key pki/cs.key --cert pki/cs.crt)
write() { cat > "$1"; }
no_output() { [ ! -e out.zip ] || fail "output was created"; ls -a | grep 'out.zip.*tmp' >/dev/null && fail "temp output left"; pass "no output file"; }

write missing-attr.xml <<'XML'
<?xml version="1.0"?>
<artifact-configuration xmlns="http://signpath.io/artifact-configuration/v1">
  <zip-file>
    <file path="a.txt">
      <create-cms-signature output-encoding="pem"/>
    </file>
  </zip-file>
</artifact-configuration>
XML
expect_fail "missing output-file-name is rejected" "$SIGNET" sign --config missing-attr.xml app.zip -o out.zip "${KEY[@]}"
expect_output 'missing-attr.xml:5:[0-9]+: .*output-file-name'
no_output
expect_fail "config validate reports it too" "$SIGNET" config validate missing-attr.xml
expect_output 'missing-attr.xml:5:[0-9]+: .*output-file-name'

write counts.xml <<'XML'
<?xml version="1.0"?>
<artifact-configuration xmlns="http://signpath.io/artifact-configuration/v1">
  <zip-file>
    <file path="missing.txt">
      <create-cms-signature output-encoding="pem" output-file-name="${file.name}.p7s" rsa-padding="pkcs1"/>
    </file>
    <file path="*.txt">
      <create-cms-signature output-encoding="pem" output-file-name="${file.name}.p7s" rsa-padding="pkcs1"/>
    </file>
  </zip-file>
</artifact-configuration>
XML
expect_fail "match violations are all reported before signing" "$SIGNET" sign --config counts.xml app.zip -o out.zip "${KEY[@]}"
expect_output 'counts.xml:4:[0-9]+: .*missing.txt.*matched 0 files.*at least 1'
expect_output 'counts.xml:7:[0-9]+: .*\*\.txt.*matched 2 files.*at most 1'
no_output

write padding.xml <<'XML'
<?xml version="1.0"?>
<artifact-configuration xmlns="http://signpath.io/artifact-configuration/v1">
  <zip-file>
    <file path="a.txt">
      <create-cms-signature output-encoding="pem" output-file-name="${file.name}.p7s"/>
    </file>
  </zip-file>
</artifact-configuration>
XML
expect_fail "rsa-padding is required for RSA keys" "$SIGNET" sign --config padding.xml app.zip -o out.zip "${KEY[@]}"
expect_output 'rsa-padding'
no_output

write ok.xml <<'XML'
<?xml version="1.0"?>
<artifact-configuration xmlns="http://signpath.io/artifact-configuration/v1">
  <parameters><parameter name="name" required="true"/></parameters>
  <zip-file>
    <file path="${name}">
      <create-cms-signature output-encoding="pem" output-file-name="${file.name}.p7s" rsa-padding="pkcs1"/>
    </file>
  </zip-file>
</artifact-configuration>
XML
expect_fail "a required parameter without value is named" "$SIGNET" sign --config ok.xml app.zip -o out.zip "${KEY[@]}"
expect_output "name"
no_output
expect_fail "an undeclared --param is rejected" "$SIGNET" sign --config ok.xml app.zip -o out.zip "${KEY[@]}" --param name=a.txt --param nope=1
expect_output 'nope'
expect_fail "a wrong key password is reported" "$SIGNET" sign --config ok.xml app.zip -o out.zip --key pki/cs-enc.key --key-pass wrong --cert pki/cs.crt --param name=a.txt
expect_output 'cs-enc.key'
no_output
expect_fail "a PKCS#11 URI is a clear error for now" "$SIGNET" sign --config ok.xml app.zip -o out.zip --key 'pkcs11:token=x;object=y' --param name=a.txt
expect_output 'PKCS#11'
expect_fail "a directive without its key is reported before signing" "$SIGNET" sign --config ok.xml app.zip -o out.zip --param name=a.txt
expect_output 'ok.xml:6:[0-9]+: .*--key'
no_output
expect_ok "the same run with its key works" "$SIGNET" sign --config ok.xml app.zip -o out.zip "${KEY[@]}" --param name=a.txt
rm -f out.zip

write pe.xml <<'XML'
<?xml version="1.0"?>
<artifact-configuration xmlns="http://signpath.io/artifact-configuration/v1">
  <zip-file>
    <jar-file path="a.txt"><jar-sign/></jar-file>
  </zip-file>
</artifact-configuration>
XML
expect_fail "a format not supported yet is rejected at plan time" "$SIGNET" sign --config pe.xml app.zip -o out.zip "${KEY[@]}"
expect_output 'pe.xml:4:[0-9]+: .*not supported yet'
no_output

write xmlroot.xml <<'XML'
<?xml version="1.0"?>
<artifact-configuration xmlns="http://signpath.io/artifact-configuration/v1">
  <zip-file>
    <xml-file path="c.xml" root-element-name="bom"><xml-sign/></xml-file>
  </zip-file>
</artifact-configuration>
XML
expect_fail "an xml-file restriction mismatch names file, attribute, expected and actual" "$SIGNET" sign --config xmlroot.xml app.zip -o out.zip "${KEY[@]}"
expect_output 'xmlroot.xml:4:[0-9]+: .*c.xml.*root-element-name.*root.*bom'
no_output

# Hostile archives.
/usr/bin/python3 - <<'PY'
import zipfile
with zipfile.ZipFile("evil.zip", "w") as z:
    z.writestr("../escape.txt", "x")
with zipfile.ZipFile("dup.zip", "w") as z:
    z.writestr("a.txt", "x")
    z.writestr("A.TXT", "y")
PY
write any.xml <<'XML'
<?xml version="1.0"?>
<artifact-configuration xmlns="http://signpath.io/artifact-configuration/v1">
  <zip-file>
    <file path="*.txt" min-matches="0" max-matches="unbounded">
      <create-cms-signature output-encoding="pem" output-file-name="${file.name}.p7s" rsa-padding="pkcs1"/>
    </file>
  </zip-file>
</artifact-configuration>
XML
expect_fail "path traversal in a zip is rejected" "$SIGNET" sign --config any.xml evil.zip -o out.zip "${KEY[@]}"
expect_output '\.\./escape.txt'
no_output
expect_fail "duplicate entry names are rejected" "$SIGNET" sign --config any.xml dup.zip -o out.zip "${KEY[@]}"
expect_output '(a.txt|A.TXT).*duplicate|duplicate.*(a.txt|A.TXT)'
no_output
head -c 100 app.zip > truncated.zip
expect_fail "a truncated zip is rejected" "$SIGNET" sign --config any.xml truncated.zip -o out.zip "${KEY[@]}"
no_output
expect_fail "verify fails on an unsigned file" "$SIGNET" verify app.zip
finish
