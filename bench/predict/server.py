"""A throwaway Anneal server with one small fine-tuned classifier, for bench/predict/run.

Creates a database bench_predict_PID on a PostgreSQL server whose role may create databases,
migrates it, makes a key, starts `anneal serve` on a free port, uploads the 48 labelled reviews
of Tests/TrainingTests/Fixtures and fine-tunes all-MiniLM-L6-v2 on them for one short epoch
(the weights do not matter, only that /predict has a fine-tuned head to run). Everything is
stopped and dropped on exit.

Standalone, it keeps the server up until Ctrl-C and prints the flags for scripts/check-export
and bench/predict/run:  python3 bench/predict/server.py [ADMIN_DATABASE_URL]
"""
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:55432/postgres"
HYPERPARAMETERS = {"n_epochs": 1, "batch_size": 8, "max_seq_length": 32, "save_strategy": "no"}


def call(url, key, method="GET", body=None, content_type="application/json"):
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
    req = urllib.request.Request(url, data=body, method=method, headers={"Authorization": f"Bearer {key}"})
    if body is not None:
        req.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(req, timeout=120) as response:
            return json.load(response)
    except urllib.error.HTTPError as error:
        raise RuntimeError(f"{method} {url}: HTTP {error.code}: {error.read().decode(errors='replace')[:500]}") from None


class Server:
    """Context manager: a started server with a fine-tuned model; yields itself (url, key, model)."""

    def __init__(self, admin_url=None, binary=None, log=print):
        self.admin_url = admin_url or os.environ.get("BENCH_DATABASE_URL") or DEFAULT_ADMIN_URL
        self.binary = binary or os.environ.get("ANNEAL_BIN") or os.path.join(ROOT, ".build/release/anneal")
        self.log = log
        self.database = f"bench_predict_{os.getpid()}"
        self.process = None
        self.created = False
        self.logfile = None
        self.url = self.key = self.model = None

    def psql(self, sql):
        subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", self.admin_url, "-c", sql], check=True, stdout=subprocess.DEVNULL)

    def __enter__(self):
        try:
            self.start()
            self.train()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def start(self):
        if not os.access(self.binary, os.X_OK):
            raise RuntimeError(f"no anneal binary at {self.binary} (set ANNEAL_BIN)")
        self.psql(f"CREATE DATABASE {self.database}")
        self.created = True
        env = dict(os.environ, DATABASE_URL=self.admin_url.rsplit("/", 1)[0] + "/" + self.database)
        subprocess.run([self.binary, "migrate"], env=env, check=True, stdout=subprocess.DEVNULL)
        self.key = subprocess.run([self.binary, "keys", "create", "--tenant", "bench"], env=env, check=True,
                                  capture_output=True, text=True).stdout.strip()
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        self.logfile = tempfile.NamedTemporaryFile(prefix="anneal-bench-predict.", suffix=".log", delete=False)
        env.update(ANNEAL_PORT=str(port), ANNEAL_HOST="127.0.0.1", ANNEAL_MODELS=os.path.join(ROOT, "models"),
                   ANNEAL_LOG_LEVEL="warn")
        self.process = subprocess.Popen([self.binary, "serve"], env=env, stdout=self.logfile, stderr=subprocess.STDOUT)
        for _ in range(300):
            if self.process.poll() is not None:
                raise RuntimeError(f"anneal serve exited with {self.process.returncode}; see {self.logfile.name}")
            try:
                urllib.request.urlopen(self.url + "/healthz", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError(f"anneal serve not ready after 30 s; see {self.logfile.name}")
        self.log(f"server {self.url} ({self.binary}, database {self.database}, log {self.logfile.name})")

    def train(self):
        with open(os.path.join(ROOT, "Tests/TrainingTests/Fixtures/reviews-train.jsonl"), "rb") as f:
            data = f.read()
        upload = call(f"{self.url}/v1/files?purpose=fine-tune&filename=reviews-train.jsonl", self.key, "POST", data,
                      "application/jsonl")
        job = call(f"{self.url}/v1/fine_tuning/jobs", self.key, "POST", {
            "model": "all-MiniLM-L6-v2", "training_file": upload["id"], "suffix": "bench",
            "method": {"type": "supervised", "supervised": {"hyperparameters": HYPERPARAMETERS}}})
        started = time.monotonic()
        while job["status"] not in ("succeeded", "failed", "cancelled"):
            if time.monotonic() - started > 900:
                raise RuntimeError(f"job {job['id']} still {job['status']} after 15 minutes")
            time.sleep(1)
            job = call(f"{self.url}/v1/fine_tuning/jobs/{job['id']}", self.key)
        if job["status"] != "succeeded":
            raise RuntimeError(f"job {job['id']} {job['status']}: {job.get('error')}")
        self.model = job["fine_tuned_model"]
        self.log(f"trained {self.model} in {time.monotonic() - started:.0f} s")

    def __exit__(self, *exc):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.log("anneal serve did not stop 40 s after SIGTERM; killing it")
                self.process.kill()
                self.process.wait()
        if self.created:
            self.psql(f"DROP DATABASE IF EXISTS {self.database}")
        if self.logfile:
            self.logfile.close()
            interrupted = exc[0] in (None, KeyboardInterrupt, SystemExit)
            if interrupted and (self.process is None or self.process.returncode == 0):
                os.remove(self.logfile.name)
            else:
                self.log(f"kept the server log {self.logfile.name}")


if __name__ == "__main__":
    # SIGTERM as well as Ctrl-C must stop the server and drop the database.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with Server(sys.argv[1] if len(sys.argv) > 1 else None) as server:
        print(f"--url {server.url} --key {server.key} --model {server.model}", flush=True)
        try:
            signal.pause()
        except KeyboardInterrupt:
            pass
