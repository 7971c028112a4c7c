#!/usr/bin/env python3
"""Signet benchmarks: wall time and peak RSS of `signet sign` against openssl on the same input.

1. One large file (BENCH_SIZE_MB, default 1 GiB) stored in a zip, given a detached CMS signature.
   References: `openssl dgst -sha256` of the file (the hashing limit) and `openssl cms -sign -binary`.
2. A zip of BENCH_FILES (default 2,000) small files, each given a detached CMS signature.
   Reference: `openssl cms -sign` run once per file (what a script would do), and CPU use / wall
   time to show both cores at work.
"""
import os, resource, shutil, subprocess, sys, tempfile, time, zipfile

signet, root = sys.argv[1], sys.argv[2]
size_mb = int(os.environ.get("BENCH_SIZE_MB", "1024"))
nfiles = int(os.environ.get("BENCH_FILES", "2000"))
work = os.environ.get("BENCH_DIR") or tempfile.mkdtemp(prefix="signet-bench-")
os.makedirs(work, exist_ok=True)


def run(cmd, **kw):
    """Runs cmd; returns (wall seconds, peak RSS MiB, cpu seconds) of that child alone."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    # A fresh python process per measurement keeps ru_maxrss per command (it is a maximum).
    wrapper = [sys.executable, "-c",
               "import resource,subprocess,sys;r=subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL);"
               "u=resource.getrusage(resource.RUSAGE_CHILDREN);"
               "print(u.ru_maxrss, u.ru_utime+u.ru_stime, file=sys.stderr);sys.exit(r.returncode)"] + cmd
    p = subprocess.run(wrapper, stderr=subprocess.PIPE, text=True, **kw)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"benchmark command failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr}")
    rss_kb, cpu = p.stderr.strip().splitlines()[-1].split()
    del before
    return wall, int(rss_kb) / 1024.0, float(cpu)


def best(cmd, n=3):
    results = [run(cmd) for _ in range(n)]
    return min(results, key=lambda r: r[0])


def pki():
    d = os.path.join(work, "pki")
    if not os.path.exists(os.path.join(d, "signing.key")):
        subprocess.run(["bash", os.path.join(root, "scripts/dev-pki.sh"), work], check=True)
    return os.path.join(d, "signing.key"), os.path.join(d, "signing.crt"), os.path.join(d, "ca.crt")


key, cert, ca = pki()
cfg = os.path.join(work, "cms.xml")
with open(cfg, "w") as f:
    f.write("""<?xml version="1.0" encoding="utf-8"?>
<artifact-configuration xmlns="http://signpath.io/artifact-configuration/v1">
  <zip-file>
    <file-set>
      <include path="**/*.bin" max-matches="unbounded"/>
      <for-each>
        <create-cms-signature output-encoding="der" output-file-name="${file.name}.p7s" rsa-padding="pkcs1"/>
      </for-each>
    </file-set>
  </zip-file>
</artifact-configuration>
""")
rows = []

# 1. One large file in a zip.
big = os.path.join(work, "big.bin")
if not os.path.exists(big) or os.path.getsize(big) != size_mb << 20:
    with open(big, "wb") as f:
        chunk = os.urandom(1 << 20)
        for i in range(size_mb):
            f.write(chunk[i % 256:] + chunk[:i % 256])
bigzip = os.path.join(work, "big.zip")
if not os.path.exists(bigzip):
    with zipfile.ZipFile(bigzip, "w", zipfile.ZIP_STORED, allowZip64=True) as z:
        z.write(big, "payload/big.bin")
out = os.path.join(work, "big-signed.zip")
subprocess.run(["cat", big], stdout=subprocess.DEVNULL, check=True)  # warm the page cache
dgst = best(["openssl", "dgst", "-sha256", big])
cms = best(["openssl", "cms", "-sign", "-binary", "-in", big, "-signer", cert, "-inkey", key, "-md", "sha256",
            "-outform", "DER", "-out", os.path.join(work, "big.p7s")])
sig = best([signet, "sign", "--quiet", "--config", cfg, bigzip, "-o", out, "--key", key, "--cert", cert])
os.remove(out)
rows.append(("large", f"{size_mb} MiB stored in a zip, detached CMS", dgst, cms, sig))

# 2. Many small files.
smallzip = os.path.join(work, "small.zip")
srcdir = os.path.join(work, "small")
if not os.path.exists(smallzip):
    os.makedirs(srcdir, exist_ok=True)
    with zipfile.ZipFile(smallzip, "w", zipfile.ZIP_DEFLATED) as z:
        for i in range(nfiles):
            data = os.urandom(2048) + bytes(2048)
            p = os.path.join(srcdir, f"f{i:05d}.bin")
            with open(p, "wb") as f:
                f.write(data)
            z.writestr(f"files/d{i % 20:02d}/f{i:05d}.bin", data)
loop = os.path.join(work, "loop.sh")
with open(loop, "w") as f:
    f.write(f'for x in {srcdir}/*.bin; do openssl cms -sign -binary -in "$x" -signer {cert} -inkey {key} '
            f'-md sha256 -outform DER -out "$x.p7s" || exit 1; done\n')
ref_loop = best(["bash", loop], n=1)
out = os.path.join(work, "small-signed.zip")
small = best([signet, "sign", "--quiet", "--config", cfg, smallzip, "-o", out, "--key", key, "--cert", cert])
os.remove(out)

print(f"\nSignet benchmark ({os.cpu_count()} cores), best of 3 unless noted\n")
print(f"{'case':<44} {'tool':<34} {'wall s':>8} {'peak RSS MiB':>13} {'CPU/wall':>9}")


def line(case, tool, r):
    print(f"{case:<44} {tool:<34} {r[0]:8.3f} {r[1]:13.1f} {r[2] / r[0]:9.2f}")


_, case, dgst, cms, sig = rows[0]
line(case, "openssl dgst -sha256 (limit)", dgst)
line(case, "openssl cms -sign -binary", cms)
line(case, "signet sign", sig)
line(f"{nfiles} small files, detached CMS each", "openssl cms -sign loop (1 run)", ref_loop)
line(f"{nfiles} small files, detached CMS each", "signet sign", small)
print()
print(f"large file: signet / openssl dgst = {sig[0] / dgst[0]:.2f}x (goal <= 1.15x); "
      f"signet / openssl cms = {sig[0] / cms[0]:.2f}x; peak RSS {sig[1]:.1f} MiB (goal <= 64)")
print(f"small files: openssl loop / signet = {ref_loop[0] / small[0]:.1f}x faster; "
      f"signet CPU/wall = {small[2] / small[0]:.2f} (2.0 = both cores busy); peak RSS {small[1]:.1f} MiB")
if not os.environ.get("BENCH_DIR"):
    shutil.rmtree(work, ignore_errors=True)
