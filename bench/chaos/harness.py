"""The pieces the chaos campaign runs on: a private PostgreSQL it may restart, an API process and
worker processes it may kill, and an HTTP client. Loopback only; every process is the
campaign's own and is stopped at the end."""
import hashlib
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import tarfile
import tempfile
import time
import urllib.error
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sh(script):
    """Runs bash with scripts/lib/postgres.sh sourced."""
    subprocess.run(["bash", "-c", f". {ROOT}/scripts/lib/postgres.sh; {script}"], check=True)


class PostgreSQL:
    """A private cluster (fsync on, as in production) that the campaign restarts."""

    def __init__(self, directory=None, options=""):
        self.dir = directory or tempfile.mkdtemp(prefix="anneal-chaos-pg.")
        self.options = options
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self):
        sh(f"pg_start {self.dir} {self.port} '{self.options}'")

    def restart(self, mode):
        """`pg_ctl restart -m fast|immediate`: down, then up again with the same options."""
        sh(f'as_postgres "$(pg_bindir)/pg_ctl" -D {self.dir}/pgdata -m {mode} -w -t 60 restart >/dev/null')

    def stop(self, mode="fast"):
        sh(f'as_postgres "$(pg_bindir)/pg_ctl" -D {self.dir}/pgdata -m {mode} -w stop >/dev/null 2>&1 || true')

    def start_again(self):
        sh(f'as_postgres "$(pg_bindir)/pg_ctl" -D {self.dir}/pgdata -l {self.dir}/postgres.log -w -t 60 start >/dev/null')

    def running(self):
        return subprocess.run(["bash", "-c", f'. {ROOT}/scripts/lib/postgres.sh; as_postgres "$(pg_bindir)/pg_ctl" -D {self.dir}/pgdata status'],
                              capture_output=True).returncode == 0

    def psql(self, sql):
        out = subprocess.run(["psql", "-qAt", "-v", "ON_ERROR_STOP=1", self.url, "-c", sql], check=True, capture_output=True, text=True)
        return out.stdout.strip()

    def remove(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class Anneal:
    """`anneal serve` without workers, and `anneal worker` processes, on one database."""

    def __init__(self, binary, database_url, lease=3, threads=2, log_dir=None):
        self.binary, self.database_url = binary, database_url
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_dir = log_dir or tempfile.mkdtemp(prefix="anneal-chaos-logs.")
        self.env = dict(os.environ, DATABASE_URL=database_url, ANNEAL_PORT=str(self.port), ANNEAL_HOST="127.0.0.1",
                        ANNEAL_MODELS=os.path.join(ROOT, "models"), ANNEAL_LEASE_SECONDS=str(lease),
                        ANNEAL_THREADS=str(threads), ANNEAL_WORKERS="0", ANNEAL_LOG_LEVEL="info")
        self.api = None
        self.workers = []
        self.count = 0

    def setup(self):
        subprocess.run([self.binary, "migrate"], env=self.env, check=True, stdout=subprocess.DEVNULL)
        make = lambda tenant: subprocess.run([self.binary, "keys", "create", "--tenant", tenant], env=self.env, check=True,
                                             capture_output=True, text=True).stdout.strip()
        self.key, self.other_key = make("chaos"), make("chaos-other")

    def log(self, name):
        self.count += 1
        self.last_log = os.path.join(self.log_dir, f"{self.count:03d}-{name}.log")
        return open(self.last_log, "w")

    def start_api(self):
        self.api = subprocess.Popen([self.binary, "serve"], env=self.env, stdout=self.log("api"), stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                urllib.request.urlopen(self.url + "/healthz", timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("anneal serve did not answer in 60 s")

    def kill_api(self):
        self.api.send_signal(signal.SIGKILL)
        self.api.wait()

    def start_worker(self, lease=None):
        """A worker process; `lease` (seconds) overrides the campaign's short lease."""
        env = dict(self.env, ANNEAL_WORKERS="1", **({"ANNEAL_LEASE_SECONDS": str(lease)} if lease else {}))
        worker = subprocess.Popen([self.binary, "worker"], env=env, stdout=self.log("worker"), stderr=subprocess.STDOUT)
        worker.log_path = self.last_log
        self.workers.append(worker)
        return worker

    def stop_workers(self):
        for worker in self.workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
        for worker in self.workers:
            try:
                worker.wait(timeout=40)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
        self.workers = []

    def stop(self):
        self.stop_workers()
        if self.api and self.api.poll() is None:
            self.api.send_signal(signal.SIGTERM)
            self.api.wait(timeout=40)

    # HTTP

    def call(self, method, path, body=None, raw=None, key=None, headers=None, timeout=60):
        """(status, headers, bytes); a refused or reset connection is status 0."""
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        request = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers={"Authorization": "Bearer " + (key or self.key), **(headers or {})})
        if body is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()
        except (OSError, urllib.error.URLError) as error:
            return 0, {}, str(error).encode()

    def get(self, path):
        status, _, data = self.call("GET", path)
        assert status == 200, f"GET {path}: {status} {data[:300]!r}"
        return json.loads(data)

    def upload(self, path, name=None):
        with open(path, "rb") as f:
            status, _, data = self.call("POST", f"/v1/files?purpose=fine-tune&filename={name or os.path.basename(path)}", raw=f.read())
        assert status == 200, data
        return json.loads(data)["id"]

    def create(self, body, key=None, idempotency=None):
        headers = {"Idempotency-Key": idempotency} if idempotency else None
        return self.call("POST", "/v1/fine_tuning/jobs", body, key=key, headers=headers)

    def wait(self, job, statuses=("succeeded", "failed", "cancelled"), seconds=600):
        deadline = time.time() + seconds
        current = {}
        while time.time() < deadline:
            status, _, data = self.call("GET", f"/v1/fine_tuning/jobs/{job}")
            if status == 200:
                current = json.loads(data)
                if current["status"] in statuses:
                    return current
            time.sleep(0.2)
        raise AssertionError(f"{job} still {current.get('status')} after {seconds} s")

    def events(self, job):
        """Every event, oldest first (the API lists newest first, 100 a page)."""
        events, after = [], None
        while True:
            page = self.get(f"/v1/fine_tuning/jobs/{job}/events?limit=100" + (f"&after={after}" if after else ""))
            events += page["data"]
            if not page["has_more"] or not page["data"]:
                return list(reversed(events))
            after = page["data"][-1]["id"]

    def metrics(self, job):
        return [(m["kind"], m["step"], json.dumps(m["metrics"], sort_keys=True)) for m in self.get(f"/v1/fine_tuning/jobs/{job}/metrics")["data"]]

    def weights(self, job):
        """SHA-256 over every safetensors file of the model download: tensor table and data, not
        the metadata (which names the model)."""
        model = self.get(f"/v1/fine_tuning/jobs/{job}")["fine_tuned_model"]
        status, _, data = self.call("GET", f"/v1/models/{model}/download", timeout=300)
        assert status == 200, data[:300]
        digest = hashlib.sha256()
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            for member in sorted((m for m in tar.getmembers() if m.name.endswith(".safetensors")), key=lambda m: os.path.basename(m.name)):
                blob = tar.extractfile(member).read()
                size = int.from_bytes(blob[:8], "little")
                header = json.loads(blob[8:8 + size])
                header.pop("__metadata__", None)
                digest.update(json.dumps(header, sort_keys=True).encode() + blob[8 + size:])
        return digest.hexdigest()
