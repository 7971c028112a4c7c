#!/usr/bin/env bash
# End to end deep signing: the PE files inside an MSI (wixl, files in a subdirectory) and inside
# cabinets (gcab, stored and MSZIP) are Authenticode-signed, then the container itself. Every
# signature is checked with osslsigncode on the container and on the extracted files (msiextract,
# gcab -x), each with a tampered control; msiinfo shows the File table updated; summary
# information restrictions reject a mismatch.
source "$(dirname "$0")/lib.sh"
make_pki

mkdir -p src/libs && cd src
printf '#include <stdio.h>\nint main(void){puts("hello");return 0;}\n' > hello.c
x86_64-w64-mingw32-gcc -O2 -s -o main.exe hello.c
printf '__declspec(dllexport) int add(int a,int b){return a+b;}\n' > lib.c
x86_64-w64-mingw32-gcc -shared -O2 -s -o libs/common.dll lib.c
printf 'read me\n' > readme.txt
cat > product.wxs <<'XML'
<?xml version="1.0" encoding="utf-8"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
 <Product Id="*" Name="MyProduct" Language="1033" Version="1.2.3" Manufacturer="ACME Inc."
    UpgradeCode="12345678-1234-1234-1234-123456789012">
  <Package Compressed="yes" Description="MyProduct" Manufacturer="ACME Inc."/>
  <Media Id="1" Cabinet="product.cab" EmbedCab="yes"/>
  <Directory Id="TARGETDIR" Name="SourceDir"><Directory Id="ProgramFilesFolder"><Directory Id="INSTALLDIR" Name="MyProduct">
   <Component Id="Main" Guid="12345678-1234-1234-1234-123456789013"><File Id="MainExe" Source="main.exe" KeyPath="yes"/></Component>
   <Component Id="Readme" Guid="12345678-1234-1234-1234-123456789015"><File Id="ReadmeTxt" Source="readme.txt" KeyPath="yes"/></Component>
   <Directory Id="LIBS" Name="libs">
    <Component Id="Libs" Guid="12345678-1234-1234-1234-123456789014"><File Id="CommonDll" Source="libs/common.dll" KeyPath="yes"/></Component>
   </Directory>
  </Directory></Directory></Directory>
  <Feature Id="Complete" Level="1"><ComponentRef Id="Main"/><ComponentRef Id="Readme"/><ComponentRef Id="Libs"/></Feature>
 </Product>
</Wix>
XML
wixl -o ../MyProduct.v1.2.3.msi product.wxs 2>/dev/null
gcab -c ../app.cab main.exe libs/common.dll readme.txt
gcab -c -z ../appz.cab main.exe libs/common.dll readme.txt
cd "$T"
KEYS=(--key pki/cs.key --cert pki/cs.crt --chain pki/ca.crt)

# ---- MSI (SignPath example E3 shape) ------------------------------------------------------------
msi_config() {  # subject author
  cat <<XML
<?xml version="1.0" encoding="utf-8"?>
<artifact-configuration xmlns="http://signpath.io/artifact-configuration/v1">
  <msi-file path="MyProduct.v*.msi" subject="$1" author="$2">
    <directory path="libs">
      <pe-file path="common.dll"><authenticode-sign/></pe-file>
    </directory>
    <pe-file path="main.exe"><authenticode-sign/></pe-file>
    <authenticode-sign/>
  </msi-file>
</artifact-configuration>
XML
}
msi_config MyProduct "ACME Inc." > msi.xml
expect_ok "inspect lists the installed layout" "$SIGNET" inspect --config msi.xml MyProduct.v1.2.3.msi
expect_output 'libs/common.dll'
expect_output 'main.exe'
expect_ok "deep-sign the MSI" "$SIGNET" sign --config msi.xml MyProduct.v1.2.3.msi -o signed.msi "${KEYS[@]}"
expect_ok "osslsigncode verifies the MSI" ossl_verify signed.msi
expect_output 'Signature verification: ok'
expect_ok "msiinfo reads the signed MSI" msiinfo streams signed.msi
expect_output 'DigitalSignature'
mkdir x && (cd x && msiextract ../signed.msi >/dev/null)
for f in main.exe libs/common.dll; do
  expect_ok "inner $f verifies" ossl_verify "x/Program Files/MyProduct/$f"
  flip_byte "x/Program Files/MyProduct/$f" 200
  expect_fail "tampered inner $f fails" ossl_verify "x/Program Files/MyProduct/$f.tampered"
done
cmp -s "x/Program Files/MyProduct/readme.txt" src/readme.txt && pass "unmatched readme.txt unchanged" || fail "readme.txt changed"
# The File table carries the signed sizes.
for f in MainExe:main.exe CommonDll:libs/common.dll; do
  key=${f%%:*} path=${f#*:}
  size=$(stat -c %s "x/Program Files/MyProduct/$path")
  orig=$(stat -c %s "src/$path")
  # Captured first: `msiinfo | grep -q` under pipefail fails at random when grep exits early (SIGPIPE).
  table=$(msiinfo export signed.msi File | tr -d '\r')
  grep -qP "^$key\t[^\t]*\t[^\t]*\t$size\t" <<<"$table" && pass "File.FileSize of $key is $size" ||
    { echo "$table" >&2; fail "File.FileSize of $key is not $size"; }
  [ "$size" != "$orig" ] || fail "$path did not grow when signed"
  # wixl hashed these unversioned files: MsiFileHash must hold the MD5 of the signed bytes.
  want=$(/usr/bin/python3 -c "import hashlib,struct,sys; print('\t'.join(str(v) for v in struct.unpack('<4i', hashlib.md5(open(sys.argv[1],'rb').read()).digest())))" "x/Program Files/MyProduct/$path")
  hashes=$(msiinfo export signed.msi MsiFileHash | tr -d '\r')
  grep -qP "^$key\t0\t$want\$" <<<"$hashes" && pass "MsiFileHash of $key matches" ||
    { echo "$hashes" >&2; fail "MsiFileHash of $key is not the MD5 of the signed file"; }
done
# Negative control: a byte inside the embedded cabinet.
off=$(/usr/bin/python3 -c "import sys; d=open('signed.msi','rb').read(); print(d.find(b'MSCF')+5000)")
flip_byte signed.msi "$off"
expect_fail "tampered MSI fails" ossl_verify signed.msi.tampered

msi_config OtherProduct "ACME Inc." > msi-bad.xml
expect_fail "subject mismatch rejects the run" "$SIGNET" sign --config msi-bad.xml MyProduct.v1.2.3.msi -o bad.msi "${KEYS[@]}"
expect_output 'subject is "MyProduct", expected "OtherProduct"'
[ ! -e bad.msi ] && pass "no output on rejection" || fail "output written despite rejection"
msi_config MyProduct "Someone Else" > msi-bad2.xml
expect_fail "author mismatch rejects the run" "$SIGNET" sign --config msi-bad2.xml MyProduct.v1.2.3.msi -o bad.msi "${KEYS[@]}"
expect_output 'author is "ACME Inc."'

# ---- CAB, stored and MSZIP -----------------------------------------------------------------------
cat > cab.xml <<'XML'
<?xml version="1.0" encoding="utf-8"?>
<artifact-configuration xmlns="http://signpath.io/artifact-configuration/v1">
  <cab-file>
    <pe-file path="main.exe"><authenticode-sign/></pe-file>
    <pe-file path="libs/common.dll"><authenticode-sign hash-algorithm="sha384"/></pe-file>
    <authenticode-sign/>
  </cab-file>
</artifact-configuration>
XML
for cab in app appz; do
  expect_ok "deep-sign $cab.cab" "$SIGNET" sign --config cab.xml $cab.cab -o $cab-signed.cab "${KEYS[@]}"
  expect_ok "osslsigncode verifies $cab.cab" ossl_verify $cab-signed.cab
  expect_ok "gcab lists $cab-signed.cab" gcab -t $cab-signed.cab
  mkdir $cab-x && (cd $cab-x && gcab -x ../$cab-signed.cab)
  for f in main.exe libs/common.dll; do
    expect_ok "inner $f of $cab verifies" ossl_verify "$cab-x/$f"
  done
  cmp -s $cab-x/readme.txt src/readme.txt && pass "$cab readme.txt unchanged" || fail "$cab readme.txt changed"
  size=$(stat -c %s $cab-signed.cab)
  flip_byte $cab-signed.cab $((size / 2))
  expect_fail "tampered $cab.cab fails" ossl_verify $cab-signed.cab.tampered
done

# append: a sha1 signature, then a nested sha256 one; each verifies on its own.
cat > cab-append.xml <<'XML'
<?xml version="1.0" encoding="utf-8"?>
<artifact-configuration xmlns="http://signpath.io/artifact-configuration/v1">
  <cab-file>
    <authenticode-sign hash-algorithm="sha1"/>
    <authenticode-sign hash-algorithm="sha256" append="true"/>
  </cab-file>
</artifact-configuration>
XML
expect_ok "sign a cabinet twice (append)" "$SIGNET" sign --config cab-append.xml appz.cab -o appz-dual.cab "${KEYS[@]}"
for i in 0 1; do
  expect_ok "signature $i of the dual-signed cabinet verifies" ossl_verify appz-dual.cab -index $i
done
expect_output 'SHA256'
cat > msi-append.xml <<'XML'
<?xml version="1.0" encoding="utf-8"?>
<artifact-configuration xmlns="http://signpath.io/artifact-configuration/v1">
  <msi-file><authenticode-sign append="true"/></msi-file>
</artifact-configuration>
XML
expect_fail "append is refused for MSI" "$SIGNET" sign --config msi-append.xml MyProduct.v1.2.3.msi -o x.msi "${KEYS[@]}"
expect_output 'append'

finish
