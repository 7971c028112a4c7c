"""Helpers for the service integration tests: a test PKI and OpenPGP key, a seed, starting
`signet serve` on a free loopback port, an HTTP client with multipart encoding, a webhook
receiver, and pass/fail bookkeeping. Python standard library only (run with /usr/bin/python3)."""
import http.client, http.server, json, os, shutil, signal, socket, subprocess, sys, tempfile, threading, time, uuid
import urllib.parse, zipfile

SIGNET = os.environ.get("SIGNET") or (sys.argv[1] if len(sys.argv) > 1 else "")
if not SIGNET:
    sys.exit("SIGNET must point to the signet binary")


class Results:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, cond, desc, detail=""):
        if cond:
            self.passed += 1
            print("ok - " + desc, flush=True)
        else:
            self.failed += 1
            print("FAIL: " + desc + (("\n      " + str(detail)[:2000]) if detail != "" else ""), flush=True)
        return cond

    def finish(self):
        print(f"{self.passed} passed, {self.failed} failed", flush=True)
        sys.exit(1 if self.failed else 0)


R = Results()


def run(*cmd, cwd=None, check=True, env=None):
    p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    if check and p.returncode != 0:
        raise RuntimeError(f"command failed ({p.returncode}): {' '.join(cmd)}\n{p.stdout}\n{p.stderr}")
    return p


class Workspace:
    """A temp directory with a PKI (RSA 2048 CA + code signing cert), an OpenPGP key and files."""

    def __init__(self, with_pgp=True):
        self.dir = tempfile.mkdtemp(prefix="signet-svc-")
        self.pki = os.path.join(self.dir, "pki")
        os.makedirs(self.pki)
        p = self.pki
        with open(os.path.join(p, "ext.cnf"), "w") as f:
            f.write("[cs]\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n"
                    "extendedKeyUsage=codeSigning\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n")
        run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "30",
            "-subj", "/CN=Service Test Root CA", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=p)
        run("openssl", "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", "cs.key", "-out", "cs.csr",
            "-subj", "/CN=Service Test Signer", cwd=p)
        run("openssl", "x509", "-req", "-in", "cs.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", "cs.crt", "-days", "30", "-extfile", "ext.cnf", "-extensions", "cs", cwd=p)
        # An unrelated CA for negative controls.
        run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "other.key", "-out", "other.crt",
            "-days", "30", "-subj", "/CN=Unrelated CA", cwd=p)
        self.gnupg = None
        if with_pgp:
            self.gnupg = os.path.join(self.dir, "gnupg")
            os.makedirs(self.gnupg, mode=0o700)
            env = dict(os.environ, GNUPGHOME=self.gnupg)
            run("gpg", "--batch", "--quiet", "--pinentry-mode", "loopback", "--passphrase", "",
                "--quick-generate-key", "Service Test <svc@example.com>", "ed25519", "sign", "1y", env=env)
            with open(os.path.join(self.dir, "secret.asc"), "w") as f:
                f.write(run("gpg", "--batch", "--quiet", "--armor", "--export-secret-keys", "--pinentry-mode", "loopback",
                            "--passphrase", "", env=env).stdout)
            with open(os.path.join(self.dir, "public.gpg"), "wb") as f:
                f.write(subprocess.run(["gpg", "--batch", "--quiet", "--export"], env=env, stdout=subprocess.PIPE,
                                       check=True).stdout)

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def write(self, name, text):
        with open(self.path(name), "w") as f:
            f.write(text)
        return self.path(name)

    def cleanup(self):
        if self.gnupg:
            subprocess.run(["gpgconf", "--homedir", self.gnupg, "--kill", "gpg-agent"], stderr=subprocess.DEVNULL)
        shutil.rmtree(self.dir, ignore_errors=True)


AC_NS = "http://signpath.io/artifact-configuration/v1"
AC_ALL_CMS = f"""<?xml version="1.0" encoding="utf-8"?>
<artifact-configuration xmlns="{AC_NS}">
  <zip-file>
    <file-set>
      <include path="**/*" max-matches="unbounded"/>
      <for-each>
        <create-cms-signature output-encoding="pem" output-file-name="${{file.name}}.p7s" rsa-padding="pkcs1"/>
      </for-each>
    </file-set>
  </zip-file>
</artifact-configuration>
"""
AC_PARAMS = f"""<?xml version="1.0" encoding="utf-8"?>
<artifact-configuration xmlns="{AC_NS}">
  <parameters>
    <parameter name="version" required="true"/>
    <parameter name="flavor" default-value="plain"/>
  </parameters>
  <zip-file>
    <file path="app-${{version}}.txt">
      <create-cms-signature output-encoding="pem" output-file-name="${{file.name}}.p7s" rsa-padding="pkcs1"/>
    </file>
  </zip-file>
</artifact-configuration>
"""
AC_GPG = f"""<?xml version="1.0" encoding="utf-8"?>
<artifact-configuration xmlns="{AC_NS}">
  <zip-file>
    <file path="notes.txt">
      <create-gpg-signature output-file-name="${{file.name}}.asc"/>
    </file>
  </zip-file>
</artifact-configuration>
"""


def make_zip(path, files):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(name, data)
    with open(path, "rb") as f:
        return f.read()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Server:
    """`signet serve` on a random loopback port; stdout lines are kept in self.out."""

    def __init__(self, data, seed=None, extra=(), env=None):
        self.data = data
        cmd = [SIGNET, "serve", "--data", data, "--listen", "127.0.0.1:0"]
        if seed:
            cmd += ["--seed", seed]
        cmd += list(extra)
        self.log = open(os.path.join(os.path.dirname(data.rstrip("/")) or ".", "serve-%d.log" % time.time_ns()), "w")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self.log, text=True, env=env)
        self.out = []
        self.port = None
        deadline = time.time() + 60
        for line in self.proc.stdout:
            self.out.append(line.rstrip("\n"))
            if "listening on http://" in line:
                self.port = int(line.rsplit(":", 1)[1])
                break
            if time.time() > deadline:
                break
        if self.port is None:
            self.proc.wait(timeout=30)
            raise RuntimeError("signet serve did not start:\n" + "\n".join(self.out) + "\n" + self.log_text())
        # Keep draining stdout so the server never blocks on a full pipe.
        threading.Thread(target=lambda: [self.out.append(l.rstrip("\n")) for l in self.proc.stdout], daemon=True).start()

    def log_text(self):
        self.log.flush()
        with open(self.log.name) as f:
            return f.read()

    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill9()
        return self.proc.returncode


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = {k.lower(): v for k, v in headers}
        self.body = body

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            return {}

    def detail(self):
        j = self.json()
        return j.get("detail", "") if isinstance(j, dict) else ""

    def __repr__(self):
        return f"<HTTP {self.status} {self.body[:400]!r}>"


class Client:
    def __init__(self, port, token=None):
        self.port = port
        self.token = token

    def request(self, method, path, body=None, headers=None, token="default", chunked=False):
        h = dict(headers or {})
        tok = self.token if token == "default" else token
        if tok is not None:
            h["Authorization"] = "Bearer " + tok
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            if chunked:
                conn.request(method, path, body=iter([body[i:i + 65536] for i in range(0, len(body), 65536)]),
                             headers=h, encode_chunked=True)
            else:
                conn.request(method, path, body=body, headers=h)
            r = conn.getresponse()
            return Response(r.status, r.getheaders(), r.read())
        finally:
            conn.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, fields=None, files=None, **kw):
        if fields is None and files is None:
            return self.request("POST", path, body=b"", **kw)
        body, ctype = multipart(fields or [], files or [])
        headers = dict(kw.pop("headers", {}) or {})
        headers["Content-Type"] = ctype
        return self.request("POST", path, body=body, headers=headers, **kw)


def multipart(fields, files, boundary=None):
    """fields: [(name, value)]; files: [(name, filename, bytes)]."""
    b = boundary or ("----signet" + uuid.uuid4().hex)
    out = []
    for k, v in fields:
        out.append(f'--{b}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n'.encode() + str(v).encode() + b"\r\n")
    for k, fn, data in files:
        out.append(f'--{b}\r\nContent-Disposition: form-data; name="{k}"; filename="{fn}"\r\n'
                   f'Content-Type: application/octet-stream\r\n\r\n'.encode() + data + b"\r\n")
    out.append(f"--{b}--\r\n".encode())
    return b"".join(out), "multipart/form-data; boundary=" + b


def wait_final(client, base, rid, timeout=60):
    deadline = time.time() + timeout
    while True:
        r = client.get(f"{base}/SigningRequests/{rid}/Status?waitForCompletionTimeoutInSeconds=10")
        j = r.json()
        if r.status != 200:
            return j
        if j.get("isFinalStatus") or time.time() > deadline:
            return j


def wait_status(client, base, rid, workflow, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        j = client.get(f"{base}/SigningRequests/{rid}/Status").json()
        if j.get("workflowStatus") == workflow:
            return True
        time.sleep(0.05)
    return False


def cms_verify(ws, content_path, sig_path, ca, encoding="PEM"):
    p = subprocess.run(["openssl", "cms", "-verify", "-binary", "-inform", encoding, "-in", sig_path, "-content",
                        content_path, "-CAfile", ca, "-purpose", "any", "-out", os.devnull],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return p.returncode == 0, p.stderr


def unzip_to(data, dest):
    import io
    os.makedirs(dest, exist_ok=True)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        z.extractall(dest)
        return z.namelist()


class WebhookReceiver:
    """Records POSTs; answers 200 with a body the service must store."""

    def __init__(self):
        self.calls = []
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                outer.calls.append({"path": self.path, "headers": dict(self.headers), "body": body})
                reply = b'{"received":true}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self):
        return f"http://127.0.0.1:{self.port}/hook"

    def stop(self):
        self.httpd.shutdown()
