#!/usr/bin/env python3
"""Authenticode PE benchmarks: Signet against osslsigncode and the hashing limit, same input, same run.

  /usr/bin/python3 bench/pe_bench.py PATH/TO/signet

1. A PE of BENCH_PE_MB (default 1024) MiB: a mingw hello.exe with a large overlay (trailing data,
   which Authenticode hashes). Timed: `openssl dgst -sha256` of the file (the hashing limit),
   `signet sign` with <authenticode-sign/> (digest, signature, copy, checksum) and
   `osslsigncode sign -h sha256`. Both outputs are checked with `osslsigncode verify`.
2. A zip of BENCH_DLLS (default 2000) small DLLs deep-signed by one `signet sign` run, against a
   shell loop of `osslsigncode sign` over the same DLLs.
Environment: BENCH_DIR (scratch, default a temp dir, removed afterwards), BENCH_RUNS (default 3).
"""
import os, shutil, subprocess, sys, tempfile, time, zipfile

signet = os.path.abspath(sys.argv[1])
pe_mb = int(os.environ.get("BENCH_PE_MB", "1024"))
ndlls = int(os.environ.get("BENCH_DLLS", "2000"))
runs = int(os.environ.get("BENCH_RUNS", "3"))
work = os.environ.get("BENCH_DIR") or tempfile.mkdtemp(prefix="signet-pe-bench-")
os.makedirs(work, exist_ok=True)


def sh(cmd, **kw):
    subprocess.run(cmd, shell=True, check=True, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)


def run(cmd):
    """Runs cmd in a fresh python process; returns (wall s, peak RSS MiB, cpu s) of that command."""
    wrapper = [sys.executable, "-c",
               "import resource,subprocess,sys;r=subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL);"
               "u=resource.getrusage(resource.RUSAGE_CHILDREN);"
               "print(u.ru_maxrss, u.ru_utime+u.ru_stime, file=sys.stderr);sys.exit(r.returncode)"] + cmd
    t0 = time.perf_counter()
    p = subprocess.run(wrapper, stderr=subprocess.PIPE, text=True, cwd=work)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"benchmark command failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr}")
    rss_kb, cpu = p.stderr.strip().splitlines()[-1].split()
    return wall, int(rss_kb) / 1024.0, float(cpu)


def best(cmd, n=runs, cleanup=None):
    results = []
    for _ in range(n):
        results.append(run(cmd))
        if cleanup and os.path.exists(cleanup):
            os.remove(cleanup)
    return min(results, key=lambda r: r[0])


# ---- inputs -------------------------------------------------------------------------------------
sh("""set -e
test -e cs.key || {
  printf '[cs]\\nbasicConstraints=CA:FALSE\\nkeyUsage=critical,digitalSignature\\nextendedKeyUsage=codeSigning\\n' > ext.cnf
  openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 30 -subj "/CN=Bench CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
  openssl req -new -newkey rsa:2048 -nodes -keyout cs.key -out cs.csr -subj "/CN=Bench Signer"
  openssl x509 -req -in cs.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out cs.crt -days 30 -extfile ext.cnf -extensions cs
  cat cs.crt ca.crt > cs-chain.crt
}
test -e hello.exe || {
  printf '#include <stdio.h>\\nint main(void){puts("hello");return 0;}\\n' > hello.c
  x86_64-w64-mingw32-gcc -O2 -s -o hello.exe hello.c
  printf '__declspec(dllexport) int add(int a,int b){return a+b;}\\n' > lib.c
  x86_64-w64-mingw32-gcc -shared -O2 -s -o lib.dll lib.c
}
""")
big = os.path.join(work, "big.exe")
if not os.path.exists(big) or os.path.getsize(big) < pe_mb << 20:
    with open(big, "wb") as f:
        f.write(open(os.path.join(work, "hello.exe"), "rb").read())
        chunk = os.urandom(1 << 20)
        for i in range(pe_mb):
            f.write(chunk[i % 251:] + chunk[:i % 251])

with open(os.path.join(work, "pe.xml"), "w") as f:
    f.write("""<?xml version="1.0" encoding="utf-8"?>
<artifact-configuration xmlns="http://signpath.io/artifact-configuration/v1">
  <pe-file><authenticode-sign/></pe-file>
</artifact-configuration>
""")
with open(os.path.join(work, "dlls.xml"), "w") as f:
    f.write("""<?xml version="1.0" encoding="utf-8"?>
<artifact-configuration xmlns="http://signpath.io/artifact-configuration/v1">
  <zip-file>
    <pe-file-set>
      <include path="**/*.dll" max-matches="unbounded"/>
      <for-each><authenticode-sign/></for-each>
    </pe-file-set>
  </zip-file>
</artifact-configuration>
""")
keys = ["--key", "cs.key", "--cert", "cs.crt", "--chain", "ca.crt"]

# ---- 1. one large PE ------------------------------------------------------------------------------
sh("cat big.exe > /dev/null")  # warm the page cache
dgst = best(["openssl", "dgst", "-sha256", big])
sh("rm -f big-signet.exe big-ossl.exe dlls/*.signed")
sig = best([signet, "sign", "--quiet", "--config", "pe.xml", "big.exe", "-o", "big-signet.exe"] + keys,
           cleanup=os.path.join(work, "big-signet.exe"))
ossl = best(["osslsigncode", "sign", "-certs", "cs-chain.crt", "-key", "cs.key", "-h", "sha256", "-in", "big.exe",
             "-out", "big-ossl.exe"], n=max(1, runs - 1), cleanup=os.path.join(work, "big-ossl.exe"))
# Keep one output of each for the verification below.
sh(f"{signet} sign --quiet --config pe.xml big.exe -o big-signet.exe {' '.join(keys)}")
sh("osslsigncode sign -certs cs-chain.crt -key cs.key -h sha256 -in big.exe -out big-ossl.exe")
for out in ("big-signet.exe", "big-ossl.exe"):
    r = subprocess.run(["osslsigncode", "verify", "-CAfile", "ca.crt", "-in", out], cwd=work, capture_output=True,
                       text=True)
    if r.returncode != 0:
        sys.exit(f"{out} does not verify:\n{r.stdout}{r.stderr}")
for out in ("big-signet.exe", "big-ossl.exe"):
    os.remove(os.path.join(work, out))

# ---- 2. many small DLLs in a zip ------------------------------------------------------------------
dll_dir = os.path.join(work, "dlls")
dll_zip = os.path.join(work, "dlls.zip")
if not os.path.exists(dll_zip):
    os.makedirs(dll_dir, exist_ok=True)
    base = open(os.path.join(work, "lib.dll"), "rb").read()
    with zipfile.ZipFile(dll_zip, "w", zipfile.ZIP_DEFLATED) as z:
        for i in range(ndlls):
            data = base + i.to_bytes(4, "little") * 4  # distinct overlays, distinct digests
            with open(os.path.join(dll_dir, f"lib{i:05d}.dll"), "wb") as f:
                f.write(data)
            z.writestr(f"bin/d{i % 20:02d}/lib{i:05d}.dll", data)
with open(os.path.join(work, "loop.sh"), "w") as f:
    f.write("for x in dlls/*.dll; do osslsigncode sign -certs cs-chain.crt -key cs.key -h sha256 "
            "-in \"$x\" -out \"$x.signed\" >/dev/null || exit 1; done\n")
loop = best(["bash", "loop.sh"], n=1)
sh("rm -f dlls/*.signed")
deep = best([signet, "sign", "--quiet", "--config", "dlls.xml", "dlls.zip", "-o", "dlls-signed.zip"] + keys,
            cleanup=os.path.join(work, "dlls-signed.zip"))
# Spot check: one DLL of Signet's output verifies.
sh("rm -rf chk && mkdir chk && " + signet + " sign --quiet --config dlls.xml dlls.zip -o dlls-signed.zip "
   + " ".join(keys) + " && cd chk && unzip -q ../dlls-signed.zip bin/d00/lib00000.dll && "
   "osslsigncode verify -CAfile ../ca.crt -in bin/d00/lib00000.dll")

print(f"\nSignet Authenticode benchmark ({os.cpu_count()} cores), best of {runs} unless noted\n")
print(f"{'case':<36} {'tool':<34} {'wall s':>8} {'CPU s':>7} {'peak RSS MiB':>13} {'CPU/wall':>9}")


def line(case, tool, r):
    print(f"{case:<36} {tool:<34} {r[0]:8.3f} {r[2]:7.3f} {r[1]:13.1f} {r[2] / r[0]:9.2f}")


case = f"{pe_mb} MiB PE (overlay), sha256"
line(case, "openssl dgst -sha256 (limit)", dgst)
line(case, "signet sign", sig)
line(case, f"osslsigncode sign (best of {max(1, runs - 1)})", ossl)
line(f"{ndlls} DLLs in a zip", "osslsigncode sign loop (1 run)", loop)
line(f"{ndlls} DLLs in a zip", "signet sign (deep)", deep)
print()
# The machine may be shared: CPU time (user + sys) is the steadier comparison, wall time the goal.
print(f"large PE: signet / openssl dgst = {sig[0] / dgst[0]:.2f}x wall, {sig[2] / dgst[2]:.2f}x CPU (goal <= 1.15x); "
      f"osslsigncode / openssl dgst = {ossl[0] / dgst[0]:.2f}x; signet peak RSS {sig[1]:.1f} MiB (goal <= 64), "
      f"osslsigncode {ossl[1]:.1f} MiB")
print(f"deep signing: osslsigncode loop / signet = {loop[0] / deep[0]:.1f}x faster wall, "
      f"{loop[2] / deep[2]:.1f}x less CPU (goal >= 10x); "
      f"{1000 * loop[0] / ndlls:.1f} ms vs {1000 * deep[0] / ndlls:.2f} ms per DLL")
if not os.environ.get("BENCH_DIR"):
    shutil.rmtree(work, ignore_errors=True)
