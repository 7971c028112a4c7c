#!/usr/bin/env python3
"""End-to-end throughput of `signet serve`: submit, process, download of a small artifact.

Starts the service on a loopback port with a seed (EC P-256 test key, a zip with one file that
gets a detached CMS signature), then runs, at each concurrency level, clients that each loop over
SubmitWithArtifact -> Status (server-side wait) -> SignedArtifact on keep-alive connections.
Prints requests/s and p50/p99 latency per level. Python stdlib only.

  /usr/bin/python3 bench/service_bench.py PATH/TO/signet [--requests N] [--levels 1,8,64] [--scratch-dir DIR]
                                             [--data DIR] [--sync full|normal] [--workers N]
"""
import argparse, http.client, io, json, os, shutil, subprocess, sys, tempfile, threading, time, uuid, zipfile

ap = argparse.ArgumentParser()
ap.add_argument("signet")
ap.add_argument("--requests", type=int, default=0, help="requests per level (default: max(200, 8 x concurrency))")
ap.add_argument("--levels", default="1,8,64")
ap.add_argument("--sync", default="full", help="SQLite synchronous mode of the server (full or normal)")
ap.add_argument("--workers", default="", help="signing workers of the server (default: its own)")
ap.add_argument("--scratch-dir", default="", help="signet serve --scratch-dir (the engine's scratch space)")
ap.add_argument("--data", default="/var/tmp", help="parent of the server's data directory (default /var/tmp: a disk, "
                "and away from /tmp, where compilers' file churn slows ext4 inode allocation)")
args = ap.parse_args()

work = tempfile.mkdtemp(prefix="signet-service-bench-", dir=args.data)
ORG = str(uuid.uuid4())
TOKEN = "bench-" + uuid.uuid4().hex


def sh(*cmd):
    subprocess.run(cmd, check=True, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def setup():
    sh("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key",
       "-out", "ca.crt", "-days", "30", "-subj", "/CN=Bench CA", "-addext", "basicConstraints=critical,CA:TRUE",
       "-addext", "keyUsage=critical,keyCertSign")
    sh("openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "cs.key",
       "-out", "cs.csr", "-subj", "/CN=Bench Signer")
    with open(os.path.join(work, "ext.cnf"), "w") as f:
        f.write("[cs]\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning\n")
    sh("openssl", "x509", "-req", "-in", "cs.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out",
       "cs.crt", "-days", "30", "-extfile", "ext.cnf", "-extensions", "cs")
    with open(os.path.join(work, "ac.xml"), "w") as f:
        f.write("""<?xml version="1.0" encoding="utf-8"?>
<artifact-configuration xmlns="http://signpath.io/artifact-configuration/v1">
  <zip-file>
    <file path="payload.txt">
      <create-cms-signature output-encoding="der" output-file-name="${file.name}.p7s"/>
    </file>
  </zip-file>
</artifact-configuration>
""")
    with open(os.path.join(work, "seed.json"), "w") as f:
        json.dump({
            "organization": {"id": ORG, "name": "Bench"},
            "users": [{"name": "ci", "kind": "ci", "token": TOKEN}],
            "certificates": [{"slug": "cert", "key": "cs.key", "certificate": "cs.crt", "chain": "ca.crt"}],
            "projects": [{"slug": "bench", "artifact-configurations": [{"slug": "default", "file": "ac.xml"}],
                          "signing-policies": [{"slug": "test-signing", "certificate": "cert", "submitters": ["ci"]}]}],
        }, f)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("payload.txt", "x" * 1024)
        z.writestr("readme.md", "small artifact\n")
    return buf.getvalue()


def multipart(artifact):
    b = "bench" + uuid.uuid4().hex
    parts = []
    for k, v in (("projectSlug", "bench"), ("signingPolicySlug", "test-signing")):
        parts.append(f'--{b}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode())
    parts.append(f'--{b}\r\nContent-Disposition: form-data; name="artifact"; filename="app.zip"\r\n'
                 f'Content-Type: application/octet-stream\r\n\r\n'.encode() + artifact + b"\r\n")
    parts.append(f"--{b}--\r\n".encode())
    return b"".join(parts), "multipart/form-data; boundary=" + b


def start_server():
    data = os.path.join(work, "data")
    cmd = [args.signet, "serve", "--data", data, "--listen", "127.0.0.1:0", "--seed", os.path.join(work, "seed.json"),
           "--quiet", "--sync", args.sync]
    if args.workers:
        cmd += ["--workers", args.workers]
    if args.scratch_dir:
        cmd += ["--scratch-dir", args.scratch_dir]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=open(os.path.join(work, "serve.log"), "w"), text=True)
    for line in p.stdout:
        if "listening on http://" in line:
            return p, int(line.rsplit(":", 1)[1])
    sys.exit("signet serve did not start; see " + os.path.join(work, "serve.log"))


def client(port, n, body, ctype, latencies, errors):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    auth = {"Authorization": "Bearer " + TOKEN}
    base = f"/api/v1/{ORG}/SigningRequests"
    for _ in range(n):
        t0 = time.perf_counter()
        try:
            conn.request("POST", base + "/SubmitWithArtifact", body=body, headers={**auth, "Content-Type": ctype})
            r = conn.getresponse()
            created = json.loads(r.read())
            if r.status != 201:
                raise RuntimeError(f"submit: {r.status} {created}")
            rid = created["signingRequestId"]
            conn.request("GET", f"{base}/{rid}/Status?waitForCompletionTimeoutInSeconds=60", headers=auth)
            r = conn.getresponse()
            st = json.loads(r.read())
            if st.get("status") != "Completed":
                raise RuntimeError(f"status: {st}")
            conn.request("GET", f"{base}/{rid}/SignedArtifact", headers=auth)
            r = conn.getresponse()
            signed = r.read()
            if r.status != 200 or not signed.startswith(b"PK"):
                raise RuntimeError(f"download: {r.status}")
            latencies.append(time.perf_counter() - t0)
        except Exception as e:  # noqa: BLE001 - counted and shown
            errors.append(str(e))
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)


def pct(sorted_values, p):
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, int(round(p / 100.0 * (len(sorted_values) - 1))))
    return sorted_values[k]


def main():
    artifact = setup()
    body, ctype = multipart(artifact)
    server, port = start_server()
    print(f"signet serve on 127.0.0.1:{port}, data in {work}; artifact {len(artifact)} bytes zip, 1 CMS signature (EC P-256); "
          f"sqlite synchronous={args.sync}; scratch {args.scratch_dir or '$TMPDIR'}; {os.cpu_count()} cores")
    print(f"{'concurrency':>11} {'requests':>8} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6}")
    try:
        client(port, 5, body, ctype, [], [])  # warm-up (keys loaded, caches filled)
        for level in [int(x) for x in args.levels.split(",")]:
            total = args.requests or max(200, 8 * level)
            per = [total // level + (1 if i < total % level else 0) for i in range(level)]
            lat, errs = [], []
            threads = [threading.Thread(target=client, args=(port, per[i], body, ctype, lat, errs)) for i in range(level)]
            t0 = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            wall = time.perf_counter() - t0
            lat.sort()
            print(f"{level:>11} {total:>8} {len(lat) / wall:>8.1f} {pct(lat, 50) * 1000:>8.1f} {pct(lat, 99) * 1000:>8.1f} "
                  f"{len(errs):>6}")
            if errs:
                print("  first error:", errs[0])
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


main()
