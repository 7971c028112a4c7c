"""Durability and operation of `signet serve`: kill -9 at random moments under load and restart
(every accepted request reaches a final state, completed artifacts stay downloadable and
unchanged), `signet audit verify` detecting edited and removed events, the first-start default,
seed files (errors naming the entry, idempotence, JSON), the data-directory lock, and the
`signet submit` client. Signed outputs are checked with openssl, with tampered controls."""
import hashlib, json, os, random, shutil, sqlite3, stat, subprocess, sys, threading, time, uuid


def sha256_hex(text):
    return hashlib.sha256(text.encode()).hexdigest()

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from service_lib import AC_ALL_CMS, Client, R, SIGNET, Server, Workspace, cms_verify, make_zip, unzip_to, wait_final

ws = Workspace(with_pgp=False)
ORG = str(uuid.uuid4())
ws.write("ac.xml", AC_ALL_CMS)


def seed_text(ac="ac.xml", extra_policy=""):
    return f"""
organization: {{id: "{ORG}", name: "Durable"}}
users:
  - {{name: ci, kind: ci, token: "ci-token"}}
  - {{name: alice, kind: interactive, token: "alice-token", roles: [GlobalAdministrator]}}
certificates:
  - {{slug: cert, key: pki/cs.key, certificate: pki/cs.crt, chain: pki/ca.crt}}
projects:
  - slug: app
    artifact-configurations:
      - {{slug: default, file: {ac}}}
    signing-policies:
      - {{slug: test-signing, certificate: cert, submitters: [ci, alice]}}
      - {{slug: approval, certificate: cert, submitters: [ci], approvers: [alice], required-approvals: 1}}
{extra_policy}"""


seed = ws.write("seed.yaml", seed_text())
B = f"/api/v1/{ORG}"


def serve_fails(data, seed_path, *extra):
    p = subprocess.run([SIGNET, "serve", "--data", data, "--listen", "127.0.0.1:0", "--seed", seed_path, *extra],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
    return p.returncode, p.stdout + p.stderr


def audit_verify(data):
    p = subprocess.run([SIGNET, "audit", "verify", "--data", data], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return p.returncode, p.stdout + p.stderr


try:
    # ---- kill -9 under load, restart, nothing lost ---------------------------------------------------
    data = ws.path("data")
    many = {f"files/f{i:03d}.bin": os.urandom(64) for i in range(100)}
    BIG = make_zip(ws.path("many.zip"), many)
    accepted = {}     # id -> True
    completed = {}    # id -> sha256 of the signed artifact seen before a kill
    for round_ in range(3):
        server = Server(data, seed=seed, extra=["--workers", "1", "--engine-threads", "1", "--quiet"])
        ci = Client(server.port, "ci-token")
        if round_ == 0:
            # One request certainly completes before the first kill, however slow the machine.
            r = ci.post(f"{B}/SigningRequests/SubmitWithArtifact",
                        fields=[("projectSlug", "app"), ("signingPolicySlug", "test-signing")],
                        files=[("artifact", "many.zip", BIG)])
            accepted[r.json()["signingRequestId"]] = True
            wait_final(ci, B, r.json()["signingRequestId"], timeout=120)
        for rid in list(accepted):
            if rid in completed:
                continue
            st = ci.get(f"{B}/SigningRequests/{rid}/Status").json()
            if st.get("status") == "Completed":
                completed[rid] = hashlib.sha256(ci.get(f"{B}/SigningRequests/{rid}/SignedArtifact").body).hexdigest()
        stop = threading.Event()

        def load():
            for _ in range(3):  # bounded: the restart must finish them all quickly
                if stop.is_set():
                    return
                try:
                    r = ci.post(f"{B}/SigningRequests/SubmitWithArtifact",
                                fields=[("projectSlug", "app"), ("signingPolicySlug", "test-signing")],
                                files=[("artifact", "many.zip", BIG)])
                    if r.status == 201:
                        accepted[r.json()["signingRequestId"]] = True
                except OSError:
                    return

        threads = [threading.Thread(target=load) for _ in range(2)]
        for t in threads:
            t.start()
        if round_ == 1:
            # This kill lands while a request is being signed.
            deadline = time.time() + 20
            while time.time() < deadline and not any(
                    ci.get(f"{B}/SigningRequests/{rid}/Status").json().get("workflowStatus") == "Processing"
                    for rid in list(accepted)):
                time.sleep(0.01)
        else:
            time.sleep(random.uniform(0.5, 1.5))
        # Remember what is complete right now, then kill without warning.
        for rid in list(accepted):
            if rid not in completed:
                r = ci.get(f"{B}/SigningRequests/{rid}/Status")
                if r.json().get("status") == "Completed":
                    completed[rid] = hashlib.sha256(ci.get(f"{B}/SigningRequests/{rid}/SignedArtifact").body).hexdigest()
        server.kill9()
        stop.set()
        for t in threads:
            t.join()
    R.check(len(accepted) >= 3 and len(completed) >= 1,
            f"kill -9 rounds: {len(accepted)} requests accepted, {len(completed)} completed before a kill", "")
    server = Server(data, seed=seed, extra=["--workers", "2"])
    ci = Client(server.port, "ci-token")
    finals = {rid: wait_final(ci, B, rid, timeout=120) for rid in accepted}
    R.check(all(s.get("status") == "Completed" for s in finals.values()),
            "after restart every accepted request reaches Completed", {k: v for k, v in finals.items() if v.get("status") != "Completed"})
    same = all(hashlib.sha256(ci.get(f"{B}/SigningRequests/{rid}/SignedArtifact").body).hexdigest() == sha
               for rid, sha in completed.items())
    R.check(same, "artifacts completed before a kill are still downloadable and byte-identical (never re-signed)")
    interrupted = [e for e in Client(server.port, "alice-token").get(f"/api/v1-pre/{ORG}/AuditLog/Events?limit=1000").json()
                   .get("events", []) if "interrupted" in json.dumps(e.get("data", {}))]
    R.check(len(interrupted) >= 1, f"{len(interrupted)} signing run(s) interrupted by kill -9 were queued again at restart")
    last = sorted(accepted)[0]
    d = ws.path("crash-out")
    unzip_to(ci.get(f"{B}/SigningRequests/{last}/SignedArtifact").body, d)
    ok, err = cms_verify(ws, os.path.join(d, "files/f007.bin"), os.path.join(d, "files/f007.bin.p7s"), ws.path("pki/ca.crt"))
    R.check(ok, "a request finished after the restart verifies with openssl cms", err)
    with open(os.path.join(d, "files/f007.bin"), "ab") as f:
        f.write(b"x")
    ok, _ = cms_verify(ws, os.path.join(d, "files/f007.bin"), os.path.join(d, "files/f007.bin.p7s"), ws.path("pki/ca.crt"))
    R.check(not ok, "tampered file fails verification (negative control)")
    leftovers = os.listdir(os.path.join(data, "tmp"))
    R.check(leftovers == [] or all(n.startswith("in-") for n in leftovers), "no stale temporary files after recovery", leftovers)
    rc, out = audit_verify(data)
    R.check(rc == 0, "audit chain intact after kill -9 rounds", out)

    # ---- the data directory is locked -----------------------------------------------------------------
    rc, out = serve_fails(data, seed)
    R.check(rc != 0 and "another signet serve" in out, "a second signet serve on the same data directory is refused", out)
    R.check(server.stop() == 0, "signet serve stops on SIGTERM")

    # ---- audit verify detects edits and removals ----------------------------------------------------
    db = os.path.join(data, "signet.db")
    rc, out = audit_verify(data)
    R.check(rc == 0 and "intact" in out, "audit verify: intact log passes", out)
    backup = ws.path("backup.db")

    def copy(src, dst):
        with sqlite3.connect(src) as s, sqlite3.connect(dst) as d_:
            s.backup(d_)

    copy(db, backup)
    with sqlite3.connect(db) as c:
        try:
            c.execute("UPDATE audit_events SET action = 'x' WHERE seq = 2")
            blocked = False
        except sqlite3.DatabaseError as e:
            blocked = "append-only" in str(e)
    R.check(blocked, "audit events cannot be updated through SQL while the append-only trigger is in place")

    def tamper(sql, desc, expect):
        copy(backup, db)
        with sqlite3.connect(db) as c:
            c.execute("DROP TRIGGER IF EXISTS audit_events_no_update")
            c.execute("DROP TRIGGER IF EXISTS audit_events_no_delete")
            c.execute(sql)
        rc, out = audit_verify(data)
        R.check(rc != 0 and expect in out, f"audit verify detects {desc}", out)

    tamper("UPDATE audit_events SET data = '{\"sha256\":\"forged\"}' WHERE seq = 5", "an edited event's data",
           "audit event 5: content does not match")
    tamper("UPDATE audit_events SET actor_name = 'mallory' WHERE seq = 9", "an edited actor", "audit event 9")
    tamper("DELETE FROM audit_events WHERE seq = 7", "a removed event", "events 7..7 are missing")
    tamper("DELETE FROM audit_events WHERE seq = (SELECT MAX(seq) FROM audit_events)", "removal of the newest event",
           "newest events removed")
    # An attacker who also fixes the edited event's own hash still breaks the next link.
    copy(backup, db)
    with sqlite3.connect(db) as c:
        c.execute("DROP TRIGGER audit_events_no_update")
        row = c.execute("SELECT seq, time_ms, org_id, actor_id, actor_name, action, subject_type, subject_id, data, prev_hash "
                        "FROM audit_events WHERE seq = 4").fetchone()
        seq, t, org, aid, aname, action, stype, sid, data_, prev = row
        import datetime
        ts = datetime.datetime.fromtimestamp(t / 1000, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{t % 1000:03d}Z"
        canon = json.dumps({"seq": seq, "time": ts, "organizationId": org, "actorId": aid, "actorName": "mallory",
                            "action": action, "subjectType": stype, "subjectId": sid, "data": json.loads(data_)},
                           sort_keys=True, separators=(",", ":"), ensure_ascii=True)
        h = hashlib.sha256(bytes.fromhex(prev) + canon.encode()).hexdigest()
        c.execute("UPDATE audit_events SET actor_name = 'mallory', hash = ? WHERE seq = 4", (h,))
    rc, out = audit_verify(data)
    R.check(rc != 0 and "audit event 5: previous hash does not match" in out and "audit event 4:" not in out,
            "audit verify: re-hashing an edited event is caught by the next event's link", out)
    copy(backup, db)
    rc, out = audit_verify(data)
    R.check(rc == 0, "audit verify passes again on the restored database", out)
    rc, out = audit_verify(ws.path("nowhere"))
    R.check(rc != 0 and "signet.db" in out, "audit verify without a database: error", out)

    # ---- first start without a seed ---------------------------------------------------------------
    fresh = ws.path("fresh")
    server = Server(fresh)
    text = "\n".join(server.out)
    token_file = os.path.join(fresh, "admin-token")
    token = open(token_file).read().strip()
    R.check(token and token in text and "admin token" in text, "first start prints the admin token", text)
    R.check(stat.S_IMODE(os.stat(token_file).st_mode) == 0o600, "DIR/admin-token has mode 0600")
    R.check(stat.S_IMODE(os.stat(os.path.join(fresh, "pki", "signing.key")).st_mode) == 0o600, "the generated key has mode 0600")
    org = open(os.path.join(fresh, "organization-id")).read().strip()
    admin = Client(server.port, token)
    demo = make_zip(ws.path("demo.zip"), {"README.txt": "hello\n", "bin/tool.exe": b"MZ" + b"\0" * 100})
    r = admin.post(f"/api/v1/{org}/SigningRequests/SubmitWithArtifact",
                   fields=[("projectSlug", "demo"), ("signingPolicySlug", "test-signing")], files=[("artifact", "demo.zip", demo)])
    R.check(r.status == 201, "default: admin submits to demo/test-signing", r)
    st = wait_final(admin, f"/api/v1/{org}", r.json().get("signingRequestId"))
    R.check(st.get("status") == "Completed", "default: demo request completes", st)
    d = ws.path("demo-out")
    unzip_to(admin.get(f"/api/v1/{org}/SigningRequests/{r.json()['signingRequestId']}/SignedArtifact").body, d)
    ca = os.path.join(fresh, "pki", "ca.crt")
    ok, err = cms_verify(ws, os.path.join(d, "bin/tool.exe"), os.path.join(d, "bin/tool.exe.p7s"), ca)
    R.check(ok, "default: signature chains to the generated dev CA (openssl cms -verify)", err)
    ok, _ = cms_verify(ws, os.path.join(d, "README.txt"), os.path.join(d, "bin/tool.exe.p7s"), ca)
    R.check(not ok, "default: signature over a different file fails (negative control)")
    cert_text = subprocess.run(["openssl", "x509", "-in", os.path.join(fresh, "pki", "signing.crt"), "-noout", "-text"],
                               stdout=subprocess.PIPE, text=True).stdout
    R.check("Code Signing" in cert_text and "CA:FALSE" in cert_text, "default: the test-signing certificate is a code-signing leaf")
    cit = open(os.path.join(fresh, "ci-token")).read().strip()
    cic = Client(server.port, cit)
    r = cic.post(f"/api/v1/{org}/SigningRequests/SubmitWithArtifact",
                 fields=[("projectSlug", "demo"), ("signingPolicySlug", "release-signing")], files=[("artifact", "demo.zip", demo)])
    R.check(r.status == 201 and r.json().get("workflowStatus") == "WaitingForApproval", "default: release-signing needs one approval", r)
    admin.post(f"/api/v1/{org}/SigningRequests/{r.json()['signingRequestId']}/Approve")
    R.check(wait_final(cic, f"/api/v1/{org}", r.json()["signingRequestId"]).get("status") == "Completed",
            "default: the admin's approval completes the release request")
    server.stop()
    server = Server(fresh)
    R.check("admin token" not in "\n".join(server.out) and open(token_file).read().strip() == token,
            "restart without a seed keeps the organization and token (no second bootstrap)", server.out)
    server.stop()

    # ---- seed files ---------------------------------------------------------------------------------
    bad = ws.write("bad1.yaml", seed_text().replace("required-approvals: 1}", "required-approvals: 1, colour: red}"))
    rc, out = serve_fails(ws.path("d1"), bad)
    R.check(rc != 0 and "signing-policies[1] 'approval'" in out and "unknown key 'colour'" in out and "bad1.yaml:" in out,
            "seed: an unknown key stops start-up naming the entry and line", out)
    bad = ws.write("bad2.yaml", seed_text().replace("pki/cs.key", "pki/missing.key"))
    rc, out = serve_fails(ws.path("d2"), bad)
    R.check(rc != 0 and "certificates[0] 'cert'" in out and "file not found" in out, "seed: a missing key file names the entry", out)
    ws.write("broken.xml", AC_ALL_CMS.replace("<file-set>", "<file-set bogus=\"1\">"))
    bad = ws.write("bad3.yaml", seed_text(ac="broken.xml"))
    rc, out = serve_fails(ws.path("d3"), bad)
    R.check(rc != 0 and "artifact-configurations[0] 'default'" in out and "invalid artifact configuration" in out and
            "broken.xml:4:" in out, "seed: an invalid artifact configuration names the entry and its line:col", out)
    bad = ws.write("bad4.yaml", seed_text().replace("submitters: [ci, alice]", "submitters: [ci, mallory]"))
    rc, out = serve_fails(ws.path("d4"), bad)
    R.check(rc != 0 and "'mallory' is not a defined user" in out, "seed: an unknown submitter is named", out)
    bad = ws.write("bad5.yaml", "organization: [unclosed\n")
    rc, out = serve_fails(ws.path("d5"), bad)
    R.check(rc != 0 and "bad5.yaml:" in out and "YAML" in out, "seed: malformed YAML names the file and position", out)
    js = ws.write("seed.json", json.dumps({
        "organization": {"id": ORG, "name": "Durable"},
        "users": [{"name": "ci", "kind": "ci", "token": "ci-token"}],
        "certificates": [{"slug": "cert", "key": "pki/cs.key", "certificate": "pki/cs.crt", "chain": "pki/ca.crt"}],
        "projects": [{"slug": "app", "artifact-configurations": [{"slug": "default", "file": "ac.xml"}],
                      "signing-policies": [{"slug": "test-signing", "certificate": "cert", "submitters": ["ci"]}]}]}))
    d6 = ws.path("d6")
    server = Server(d6, seed=js, extra=["--scratch-dir", ws.path("scratch")])
    R.check(any("applied (" in l for l in server.out), "seed: JSON is accepted", server.out)
    r = Client(server.port, "ci-token").post(f"{B}/SigningRequests/SubmitWithArtifact",
                                             fields=[("projectSlug", "app"), ("signingPolicySlug", "test-signing")],
                                             files=[("artifact", "a.zip", demo)])
    R.check(wait_final(Client(server.port, "ci-token"), B, r.json().get("signingRequestId")).get("status") == "Completed",
            "--scratch-dir: signing runs use the given scratch space", r)
    server.stop()
    server = Server(d6, seed=js)
    R.check(any("applied (0 change(s))" in l for l in server.out), "seed: applying the same seed again changes nothing", server.out)
    server.stop()
    ws.write("ac2.xml", AC_ALL_CMS.replace("**/*", "*"))
    js2 = ws.write("seed2.json", open(js).read().replace("ac.xml", "ac2.xml"))
    server = Server(d6, seed=js2)
    R.check(any("applied (1 change(s))" in l for l in server.out), "seed: a changed configuration file adds one version", server.out)
    r = Client(server.port, "ci-token").post(f"{B}/SigningRequests/SubmitWithArtifact",
                                             fields=[("projectSlug", "app"), ("signingPolicySlug", "test-signing")],
                                             files=[("artifact", "a.zip", demo)])
    R.check(r.json().get("artifactConfigurationVersion") == 2, "seed: requests use the new version", r)
    server.stop()

    # ---- large uploads stream to disk with bounded memory -------------------------------------------------
    server = Server(data, seed=seed, extra=["--quiet"])
    block = os.urandom(1 << 20)
    n_blocks = 200
    big_sha = hashlib.sha256()
    for _ in range(n_blocks):
        big_sha.update(block)

    def rss_peak_mib(pid):
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
        return 0.0

    before = rss_peak_mib(server.proc.pid)
    ci = Client(server.port, "ci-token")
    r = ci.post(f"{B}/SigningRequests/SubmitWithoutArtifact", fields=[
        ("projectSlug", "app"), ("signingPolicySlug", "approval"), ("unsignedArtifactMetadata.fileName", "big.bin"),
        ("unsignedArtifactMetadata.sha256Hash", big_sha.hexdigest())])
    up = f"{B}/SigningRequests/{r.json().get('signingRequestId')}/UploadUnsignedArtifact"
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=300)
    conn.putrequest("POST", up)
    conn.putheader("Authorization", "Bearer ci-token")
    conn.putheader("Content-Type", "application/octet-stream")
    conn.putheader("Content-Length", str(n_blocks << 20))
    conn.endheaders()
    for _ in range(n_blocks):
        conn.send(block)
    resp = conn.getresponse()
    resp.read()
    conn.close()
    R.check(resp.status == 202, f"a {n_blocks} MiB raw upload is accepted and its SHA-256 matches", resp.status)
    # The same size through the multipart submission route.
    boundary = "bigboundary" + uuid.uuid4().hex
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="projectSlug"\r\n\r\napp\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="signingPolicySlug"\r\n\r\napproval\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="artifact"; filename="big.bin"\r\n\r\n').encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=300)
    conn.putrequest("POST", f"{B}/SigningRequests/SubmitWithArtifact")
    conn.putheader("Authorization", "Bearer ci-token")
    conn.putheader("Content-Type", "multipart/form-data; boundary=" + boundary)
    conn.putheader("Content-Length", str(len(head) + (n_blocks << 20) + len(tail)))
    conn.endheaders()
    conn.send(head)
    for _ in range(n_blocks):
        conn.send(block)
    conn.send(tail)
    resp = conn.getresponse()
    created = json.loads(resp.read() or b"{}")
    conn.close()
    R.check(resp.status == 201 and created.get("unsignedArtifact", {}).get("sha256") == big_sha.hexdigest(),
            f"a {n_blocks} MiB multipart submission streams to the artifact store intact", created)
    peak = rss_peak_mib(server.proc.pid)
    R.check(peak - before < 64, f"server memory stays bounded during {2 * n_blocks} MiB of uploads "
            f"(peak RSS {peak:.0f} MiB, {before:.0f} MiB before)")
    server.stop()

    # ---- password-protected keys: from an environment variable, never logged ------------------------------
    subprocess.run(["openssl", "pkcs8", "-topk8", "-in", ws.path("pki/cs.key"), "-out", ws.path("pki/cs-enc.key"),
                    "-passout", "pass:Pa55-w0rd"], check=True)
    enc = ws.write("enc.yaml", seed_text().replace("key: pki/cs.key,", "key: pki/cs-enc.key, password-env: SIGNET_TEST_KEY_PASS,"))
    rc, out = serve_fails(ws.path("d7"), enc)
    R.check(rc != 0 and "certificates[0] 'cert'" in out and "SIGNET_TEST_KEY_PASS" in out,
            "seed: an encrypted key without its password variable stops start-up naming the variable", out)
    env = dict(os.environ, SIGNET_TEST_KEY_PASS="Guess-8472")
    p = subprocess.run([SIGNET, "serve", "--data", ws.path("d7"), "--listen", "127.0.0.1:0", "--seed", enc],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60, env=env)
    R.check(p.returncode != 0 and "password" in (p.stdout + p.stderr) and "Guess-8472" not in (p.stdout + p.stderr),
            "seed: a wrong key password is reported without echoing it", p.stdout + p.stderr)
    server = Server(ws.path("d7"), seed=enc, env=dict(os.environ, SIGNET_TEST_KEY_PASS="Pa55-w0rd"))
    c7 = Client(server.port, "ci-token")
    r = c7.post(f"{B}/SigningRequests/SubmitWithArtifact", fields=[("projectSlug", "app"), ("signingPolicySlug", "test-signing")],
                files=[("artifact", "demo.zip", demo)])
    st = wait_final(c7, B, r.json().get("signingRequestId"))
    R.check(st.get("status") == "Completed", "an encrypted key with password-env signs", st)
    d = ws.path("enc-out")
    unzip_to(c7.get(f"{B}/SigningRequests/{r.json()['signingRequestId']}/SignedArtifact").body, d)
    ok, err = cms_verify(ws, os.path.join(d, "README.txt"), os.path.join(d, "README.txt.p7s"), ws.path("pki/ca.crt"))
    R.check(ok, "signature made with the encrypted key verifies (openssl)", err)
    server.stop()
    R.check("Pa55-w0rd" not in server.log_text() and "Pa55-w0rd" not in "\n".join(server.out), "the key password is never logged")
    with sqlite3.connect(os.path.join(ws.path("d7"), "signet.db")) as c:
        dump = "\n".join(c.iterdump())
    R.check("Pa55-w0rd" not in dump and "ci-token" not in dump and sha256_hex("ci-token") in dump,
            "the database holds token hashes, no tokens and no key password")

    # ---- signet submit -------------------------------------------------------------------------------
    server = Server(data, seed=seed)
    url = server.url()
    out = ws.path("submitted-signed.zip")
    p = subprocess.run([SIGNET, "submit", "--url", url, "--organization", ORG, "--token", "ci-token", "--project", "app",
                        "--policy", "test-signing", ws.path("demo.zip"), "-o", out], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=120)
    R.check(p.returncode == 0 and os.path.exists(out), "signet submit: submits, waits, downloads", p.stderr)
    R.check("Completed" in p.stderr and "submitted signing request" in p.stderr, "signet submit: progress on stderr", p.stderr)
    d = ws.path("submit-out")
    unzip_to(open(out, "rb").read(), d)
    ok, err = cms_verify(ws, os.path.join(d, "README.txt"), os.path.join(d, "README.txt.p7s"), ws.path("pki/ca.crt"))
    R.check(ok, "signet submit: the downloaded artifact verifies with openssl", err)
    p = subprocess.run([SIGNET, "submit", "--url", url + "/api/", "--organization", ORG, "--token", "ci-token", "--project", "app",
                        "--policy", "nope", ws.path("demo.zip"), "-o", ws.path("x.zip")], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=60)
    R.check(p.returncode != 0 and "404" in p.stderr and "signing policy 'nope' not found" in p.stderr and
            not os.path.exists(ws.path("x.zip")), "signet submit: the server's problem detail and a non-zero exit", p.stderr)
    proc = subprocess.Popen([SIGNET, "submit", "--url", url, "--organization", ORG, "--token", "ci-token", "--project", "app",
                             "--policy", "approval", "--description", "deny me", ws.path("demo.zip"), "-o", ws.path("y.zip")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    alice = Client(server.port, "alice-token")
    rid = None
    for _ in range(100):
        reqs = alice.get(f"/api/v1-pre/{ORG}/SigningRequests?limit=1").json().get("signingRequests", [])
        if reqs and reqs[0].get("description") == "deny me":
            rid = reqs[0]["id"]
            break
        time.sleep(0.1)
    alice.post(f"{B}/SigningRequests/{rid}/Deny", fields=[("reason", "not today")])
    _, err = proc.communicate(timeout=60)
    R.check(proc.returncode != 0 and "Denied" in err and "not today" in err and not os.path.exists(ws.path("y.zip")),
            "signet submit: a denied request ends non-zero with the reason", err)
    p = subprocess.run([SIGNET, "submit", "--url", url, "--organization", ORG, "--token", "ci-token", "--project", "app",
                        "--policy", "approval", "--timeout", "1", ws.path("demo.zip"), "-o", ws.path("z.zip")],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
    R.check(p.returncode != 0 and "did not finish" in p.stderr, "signet submit: gives up after --timeout", p.stderr)
    p = subprocess.run([SIGNET, "submit", "--url", url, "--organization", ORG, "--token", "wrong", "--project", "app",
                        "--policy", "test-signing", ws.path("demo.zip"), "-o", ws.path("w.zip")],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
    R.check(p.returncode != 0 and "401" in p.stderr and "not valid" in p.stderr, "signet submit: a bad token reports 401", p.stderr)
    server.stop()
finally:
    ws.cleanup()
R.finish()
