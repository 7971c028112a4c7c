#!/usr/bin/env bash
# End to end: PowerShell files (every extension, UTF-8 with and without BOM, UTF-16LE, LF and
# CRLF), Windows Script Host files (.js .vbs .wsf) and a security catalog signed by `signet sign`
# at the root and inside a zip.
# - PowerShell and catalogs: osslsigncode 2.9 verifies; a one-character edit fails (rc 1).
# - .js/.vbs/.wsf: no verifier exists on Linux (osslsigncode rejects them). They are checked by
#   script_check.py below, written from the documented format independently of Signet's C++: it
#   recomputes the file digest from the text, compares it and the SIP GUID with the signature's
#   SpcIndirectDataContent, checks messageDigest, and `openssl dgst -verify` checks the RSA
#   signature over the signed attributes. Whether Windows accepts them is not verified here.
source "$(dirname "$0")/lib.sh"
export LC_ALL=C  # sed and printf work on bytes
make_pki
command -v osslsigncode >/dev/null || fail "osslsigncode is not installed (TOOLBOX.md)"
PY=/usr/bin/python3

cat > script_check.py <<'PY'
# script_check.py FILE CERT: verify the Authenticode signature block of a script (see above).
import hashlib, os, subprocess, sys, tempfile
path, cert = sys.argv[1], sys.argv[2]
ext = os.path.splitext(path)[1].lower()
KINDS = {  # begin, end, prefix, suffix, BOM hashed, charset without BOM, WSH position, SIP GUID
    '.ps1': ('# SIG # Begin signature block', '# SIG # End signature block', '# ', '', True, 'utf-8', False,
             '1fcc3b60594b084eb724d2c6297ef351'),
    '.ps1xml': ('<!-- SIG # Begin signature block -->', '<!-- SIG # End signature block -->', '<!-- ', ' -->',
                True, 'utf-8', False, '1fcc3b60594b084eb724d2c6297ef351'),
    '.js': ('// SIG // Begin signature block', '// SIG // End signature block', '// SIG // ', '', False,
            'cp1252', True, '10e0c906ce38d411a2a300104bd35090'),
    '.vbs': ("'' SIG '' Begin signature block", "'' SIG '' End signature block", "'' SIG '' ", '', False,
             'cp1252', True, '4ef029169927b54d8fe5ace10f17ebab'),
    '.wsf': ('<signature>', '</signature>', '** SIG ** ', '', False, 'utf-8', True,
             '7005611ace38d411a2a300104bd35090'),
}
KINDS['.psm1'] = KINDS['.psd1'] = KINDS['.ps1']
KINDS['.psc1'] = KINDS['.cdxml'] = KINDS['.ps1xml']
begin, end, prefix, suffix, bom_hashed, charset, wsh, guid = KINDS[ext]
raw = open(path, 'rb').read()
if raw.startswith(b'\xff\xfe'):
    bom, text = '\ufeff', raw[2:].decode('utf-16-le')
elif raw.startswith(b'\xef\xbb\xbf'):
    bom, text = '\ufeff', raw[3:].decode('utf-8')
else:
    bom, text = '', raw.decode(charset)
block_start = text.rfind('\r\n' + begin + '\r\n')
assert block_start >= 0, 'no signature block'
block_end = text.index(end + '\r\n', block_start) + len(end) + 2
lines = text[block_start + 2:block_end - 2].split('\r\n')
assert lines[0] == begin and lines[-1] == end, 'block shape'
body = lines[1:-1]
assert all(l.startswith(prefix) and l.endswith(suffix) for l in body), 'line shape'
b64 = [l[len(prefix):len(l) - len(suffix)] for l in body]
assert all(len(x) == 64 for x in b64[:-1]) and 0 < len(b64[-1]) <= 64, 'line length'
import base64
der = base64.b64decode(''.join(b64), validate=True)
content = text[:block_start] + text[block_end:]
if ext == '.wsf':
    assert text[block_end:].startswith('</job>'), 'wsf block before </job>'
    pos = content.rfind('</job>')
    assert pos == block_start, 'wsf block not before the last </job>'
else:
    assert block_end == len(text), 'block is not at the end'
    pos = len(content)
hashed = (bom if bom_hashed else '') + content
data = hashed.encode('utf-16-le')
if wsh:
    data += (len(content[:pos].encode('utf-16-le')) // 2).to_bytes(4, 'little')
file_digest = hashlib.sha256(data).digest()

def tlv(b, i):
    tag, l = b[i], b[i + 1]
    if l < 0x80:
        return tag, i + 2, i + 2 + l
    n = l & 0x7f
    start = i + 2 + n
    return tag, start, start + int.from_bytes(b[i + 2:start], 'big')
def kids(b, start, stop):
    out, i = [], start
    while i < stop:
        t, s, e = tlv(b, i)
        out.append((t, i, s, e))
        i = e
    return out
_, s, e = tlv(der, 0)
ci = kids(der, s, e)
sd = kids(der, ci[1][2], ci[1][3])            # [0] EXPLICIT -> SignedData
sd = kids(der, sd[0][2], sd[0][3])
encap = kids(der, sd[2][2], sd[2][3])
econ = kids(der, encap[1][2], encap[1][3])[0]  # SpcIndirectDataContent
spc_value = der[econ[2]:econ[3]]
data_attr, digest_info = kids(der, econ[2], econ[3])
sip = kids(der, data_attr[2], data_attr[3])[1]
sip_guid = kids(der, sip[2], sip[3])[1]
assert der[sip_guid[2]:sip_guid[3]].hex() == guid, 'SIP GUID'
claimed = kids(der, digest_info[2], digest_info[3])[1]
assert der[claimed[2]:claimed[3]] == file_digest, 'file digest mismatch'
signer = kids(der, sd[-1][2], sd[-1][3])[0]
si = kids(der, signer[2], signer[3])
attrs = [k for k in si if k[0] == 0xa0][0]
sig = [k for k in si if k[0] == 0x04][-1]
for a in kids(der, attrs[2], attrs[3]):
    oid, vals = kids(der, a[2], a[3])
    if der[oid[2]:oid[3]] == bytes.fromhex('2a864886f70d010904'):  # messageDigest
        v = kids(der, vals[2], vals[3])[0]
        assert der[v[2]:v[3]] == hashlib.sha256(spc_value).digest(), 'messageDigest'
signed_attrs = b'\x31' + der[attrs[1] + 1:attrs[3]]
with tempfile.TemporaryDirectory() as d:
    open(d + '/a', 'wb').write(signed_attrs)
    open(d + '/s', 'wb').write(der[sig[2]:sig[3]])
    subprocess.run(['openssl', 'x509', '-in', cert, '-pubkey', '-noout', '-out', d + '/k'], check=True)
    r = subprocess.run(['openssl', 'dgst', '-sha256', '-verify', d + '/k', '-signature', d + '/s', d + '/a'],
                       capture_output=True, text=True)
    assert r.returncode == 0 and 'Verified OK' in r.stdout, 'RSA signature: ' + r.stdout + r.stderr
print('OK', path)
PY

# ---- fixtures ----------------------------------------------------------------------------------
# write NAME ENCODING TEXT: utf8 (LF as given), utf8bom-crlf, utf16-crlf (UTF-16LE with BOM)
write() {
  local name=$1 enc=$2 text=$3
  case $enc in
    utf8) printf '%s' "$text" > "$name" ;;
    utf8bom-crlf) { printf '\xef\xbb\xbf'; printf '%s' "$text" | sed 's/$/\r/'; } > "$name" ;;
    utf16-crlf) { printf '\xff\xfe'; printf '%s' "$text" | sed 's/$/\r/' | iconv -f UTF-8 -t UTF-16LE; } > "$name" ;;
  esac
}
PS_TEXT=$'Write-Output "gr\xc3\xbc\xc3\x9fe \xe2\x82\xac"\n# done\n'
XML_TEXT=$'<?xml version="1.0" encoding="utf-8"?>\n<Types><!-- gr\xc3\xbc\xc3\x9fe --></Types>\n'
mkdir -p in/ps in/wsh
for ext in ps1 psm1 psd1 ps1xml psc1 cdxml; do
  case $ext in ps1xml|psc1|cdxml) text=$XML_TEXT ;; *) text=$PS_TEXT ;; esac
  for enc in utf8 utf8bom-crlf utf16-crlf; do write "in/ps/$enc.$ext" $enc "$text"; done
done
for enc in utf8bom-crlf utf16-crlf; do
  write in/wsh/$enc.js $enc $'WScript.Echo("gr\xc3\xbc\xc3\x9fe");\n'
  write in/wsh/$enc.vbs $enc $'WScript.Echo "gr\xc3\xbc\xc3\x9fe"\n'
  write in/wsh/$enc.wsf $enc $'<package>\n<job id="a"><script language="JScript">WScript.Echo(1);</script>\n</job>\n<job id="b"><script language="VBScript">WScript.Echo "\xc3\xbc"</script>\n</job>\n</package>\n'
done
printf 'WScript.Echo("gr\xfc\xdfe \x80");\n' > in/wsh/ansi.js      # no BOM: Windows-1252
printf 'WScript.Echo "gr\xfc\xdfe"\r\n' > in/wsh/ansi.vbs
printf '<job><script language="JScript">WScript.Echo("\xc3\xbc");</script></job>\n' > in/wsh/utf8.wsf
(cd in && zip -q -r ../scripts.zip ps wsh)
cp in/ps/utf8.ps1 hello.ps1

# ---- a root <powershell-file> ----------------------------------------------------------------
cat > root.xml <<'XML'
<?xml version="1.0" encoding="utf-8"?>
<artifact-configuration xmlns="http://signpath.io/artifact-configuration/v1">
  <powershell-file><authenticode-sign hash-algorithm="sha384"/></powershell-file>
</artifact-configuration>
XML
expect_ok "sign a root .ps1" "$SIGNET" sign -q --config root.xml hello.ps1 -o hello-signed.ps1 --key pki/cs.key --cert pki/cs.crt --chain pki/ca.crt
expect_ok "osslsigncode verifies the root .ps1" ossl_verify hello-signed.ps1
expect_output 'Message digest algorithm  : SHA384'
expect_ok "the signature block is CRLF after LF text" grep -q $'^# SIG # End signature block\r$' hello-signed.ps1
sed 's/Write-Output/Write-OutpuT/' hello-signed.ps1 > hello-tampered.ps1
expect_fail "a one-character edit fails" ossl_verify hello-tampered.ps1
expect_output 'MISMATCH'
expect_ok "re-signing a signed .ps1 replaces its block" "$SIGNET" sign -q --config root.xml hello-signed.ps1 -o hello-resigned.ps1 --key pki/cs.key --cert pki/cs.crt --chain pki/ca.crt
[ "$(grep -c 'Begin signature block' hello-resigned.ps1)" = 1 ] || fail "two signature blocks after re-signing"
expect_ok "osslsigncode verifies the re-signed .ps1" ossl_verify hello-resigned.ps1

# ---- scripts inside a zip ----------------------------------------------------------------------
cat > zip.xml <<'XML'
<?xml version="1.0" encoding="utf-8"?>
<artifact-configuration xmlns="http://signpath.io/artifact-configuration/v1">
  <zip-file>
    <powershell-file-set>
      <include path="ps/*.ps1" max-matches="unbounded"/>
      <include path="ps/*.psm1" max-matches="unbounded"/>
      <include path="ps/*.psd1" max-matches="unbounded"/>
      <include path="ps/*.ps1xml" max-matches="unbounded"/>
      <include path="ps/*.psc1" max-matches="unbounded"/>
      <include path="ps/*.cdxml" max-matches="unbounded"/>
      <for-each><authenticode-sign/></for-each>
    </powershell-file-set>
    <windows-script-file-set>
      <include path="wsh/*.js" max-matches="unbounded"/>
      <include path="wsh/*.vbs" max-matches="unbounded"/>
      <include path="wsh/*.wsf" max-matches="unbounded"/>
      <for-each><authenticode-sign/></for-each>
    </windows-script-file-set>
  </zip-file>
</artifact-configuration>
XML
expect_ok "sign scripts inside a zip" "$SIGNET" sign -q --config zip.xml scripts.zip -o scripts-signed.zip --key pki/cs.key --cert pki/cs.crt --chain pki/ca.crt
mkdir out && (cd out && unzip -q ../scripts-signed.zip)
n=0
for f in out/ps/*; do
  expect_ok "osslsigncode verifies ${f#out/}" ossl_verify "$f"
  expect_ok "script_check.py agrees on ${f#out/}" $PY script_check.py "$f" pki/cs.crt
  n=$((n + 1))
done
[ $n = 18 ] || fail "expected 18 PowerShell files, found $n"
cmp <(head -c "$(stat -c %s in/ps/utf16-crlf.ps1)" out/ps/utf16-crlf.ps1) in/ps/utf16-crlf.ps1 \
  || fail "the UTF-16 text before the signature block changed"
head -c 2 out/ps/utf16-crlf.psm1 | cmp - <(printf '\xff\xfe') || fail "UTF-16 BOM lost"
n=0
for f in out/wsh/*; do
  expect_ok "script_check.py verifies ${f#out/} (no Windows verifier here)" $PY script_check.py "$f" pki/cs.crt
  n=$((n + 1))
done
[ $n = 9 ] || fail "expected 9 Windows scripts, found $n"
expect_output 'OK'
grep -q $'^</signature>\r$' out/wsh/utf8.wsf || fail ".wsf has no </signature> line"

# Negative controls: one character changed.
sed 's/gr/Gr/' out/ps/utf8.psd1 > t.psd1
expect_fail "tampered .psd1 fails osslsigncode" ossl_verify t.psd1
for f in utf8bom-crlf.js ansi.vbs utf8.wsf; do
  sed 's/WScript/WSCript/' "out/wsh/$f" > "t-$f"
  expect_fail "tampered $f fails script_check.py" $PY script_check.py "t-$f" pki/cs.crt
  expect_output 'file digest mismatch'
done
$PY -c "
d=open('out/wsh/utf16-crlf.vbs','rb').read(); open('t-utf16.vbs','wb').write(d.replace(b'W\\0', b'w\\0', 1))"
cmp -s t-utf16.vbs out/wsh/utf16-crlf.vbs && fail "tamper did not change the file"
expect_fail "tampered UTF-16 .vbs fails script_check.py" $PY script_check.py t-utf16.vbs pki/cs.crt
expect_output "file digest mismatch"
# Wrong certificate: the RSA check must fail.
openssl req -x509 -newkey rsa:2048 -nodes -keyout other.key -out other.crt -days 1 -subj "/CN=Other" 2>/dev/null
expect_fail "script_check.py rejects another key" $PY script_check.py out/wsh/ansi.js other.crt
expect_output 'RSA signature'

# ---- a security catalog ------------------------------------------------------------------------
cat > cat.cnf <<'CNF'
asn1 = SEQUENCE:contentinfo
[contentinfo]
type = OID:pkcs7-signedData
content = EXPLICIT:0,SEQUENCE:signeddata
[signeddata]
version = INTEGER:1
digestAlgs = SET:empty
encap = SEQUENCE:encap
signers = SET:empty
[empty]
[encap]
ctype = OID:1.3.6.1.4.1.311.10.1
content = EXPLICIT:0,SEQUENCE:ctl
[ctl]
usage = SEQUENCE:usage
listid = FORMAT:HEX,OCTETSTRING:00112233445566778899AABBCCDDEEFF
thisupdate = UTCTIME:260101000000Z
subjalg = SEQUENCE:subjalg
[usage]
u1 = OID:1.3.6.1.4.1.311.12.1.1
[subjalg]
alg = OID:1.3.6.1.4.1.311.12.1.2
par = NULL
CNF
openssl asn1parse -genconf cat.cnf -out unsigned.cat -noout
cat > cat.xml <<'XML'
<?xml version="1.0" encoding="utf-8"?>
<artifact-configuration xmlns="http://signpath.io/artifact-configuration/v1">
  <catalog-file><authenticode-sign/></catalog-file>
</artifact-configuration>
XML
sed 's|<authenticode-sign/>|<authenticode-sign hash-algorithm="sha1" append="true"/>|' cat.xml > cat-append.xml
expect_ok "sign a catalog" "$SIGNET" sign -q --config cat.xml unsigned.cat -o signed.cat --key pki/cs.key --cert pki/cs.crt --chain pki/ca.crt
expect_ok "osslsigncode verifies the catalog" ossl_verify signed.cat
expect_output 'Signature verification: ok'
flip_byte signed.cat "$($PY -c "print(open('signed.cat','rb').read().index(bytes.fromhex('ccddeeff')))")" tampered.cat
expect_fail "a tampered catalog fails" ossl_verify tampered.cat
expect_ok "append a nested signature to the catalog" "$SIGNET" sign -q --config cat-append.xml signed.cat -o nested.cat --key pki/cs.key --cert pki/cs.crt --chain pki/ca.crt
expect_ok "osslsigncode verifies the catalog with a nested signature" ossl_verify nested.cat
openssl asn1parse -inform DER -in nested.cat > nested.txt
grep -q ':1.3.6.1.4.1.311.2.4.1' nested.txt || fail "no nested signature attribute"
[ "$(grep -c ':1.3.6.1.4.1.311.10.1' nested.txt)" -ge 2 ] || fail "the nested signature does not wrap the CTL"

finish
