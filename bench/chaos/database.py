"""Chaos scenarios around the database: PostgreSQL restarts under load and mid-training, and
exactly-once submission and claiming."""
import collections
import os
import json
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from scenarios import compare, job_body, reference, run_job


class Load:
    """Threads calling read routes as fast as they are answered; every answer is recorded as
    (time, status, Retry-After). Status 0 is a refused or reset connection to the API."""

    def __init__(self, anneal, paths, threads=4):
        self.anneal, self.paths, self.threads = anneal, paths, threads
        self.answers, self.stop = [], threading.Event()

    def run(self, n):
        i = n
        while not self.stop.is_set():
            path = self.paths[i % len(self.paths)]
            status, headers, _ = self.anneal.call("GET", path, timeout=10)
            self.answers.append((time.time(), status, headers.get("Retry-After"), path))
            i += 1
            time.sleep(0.005)

    def __enter__(self):
        self.workers = [threading.Thread(target=self.run, args=(n,)) for n in range(self.threads)]
        for t in self.workers:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.workers:
            t.join()


def pg_restart(anneal, pg, files, modes):
    """PostgreSQL restarted (fast, then immediate shutdown) under request load and while a job
    trains: answers are 200 or 503 with Retry-After, never a 500 or a dropped connection; the
    API recovers by itself; the job ends with the uninterrupted run's weights, metrics and events."""
    failures, figures = [], {}
    anneal.stop_workers()
    anneal.start_worker()
    ref = reference(anneal, "classification", files)
    job = run_job(anneal, job_body("classification", files))
    paths = ["/readyz", "/v1/files?limit=5", f"/v1/fine_tuning/jobs/{job}", f"/v1/fine_tuning/jobs/{job}/events?limit=5"]
    with Load(anneal, paths) as load:
        windows = []
        for mode in modes:
            # Wait for the job to be training, so the restart lands mid-run.
            deadline = time.time() + 120
            while time.time() < deadline and not anneal.get(f"/v1/fine_tuning/jobs/{job}").get("progress"):
                time.sleep(0.05)
            down = time.time()
            pg.restart(mode)
            up = time.time()
            # Recovery: the first 200 of a database-backed route after the restart finished.
            deadline = up + 30
            while time.time() < deadline:
                status, _, _ = anneal.call("GET", "/v1/files?limit=1", timeout=5)
                if status == 200:
                    break
                time.sleep(0.02)
            windows.append((mode, down, up, time.time() - up))
            time.sleep(2)
        compare(anneal, job, ref, failures, "job trained across the restarts")
    statuses = collections.Counter(s for _, s, _, _ in load.answers)
    bad = [(t, s) for t, s, _, _ in load.answers if s not in (200, 503)]
    no_retry = collections.Counter(p.split("?")[0] for _, s, r, p in load.answers if s == 503 and not r)
    if bad:
        failures.append(f"answers other than 200 and 503 under restarts: {collections.Counter(s for _, s in bad)}")
    if no_retry:
        failures.append(f"answers 503 without Retry-After: {dict(no_retry)}")
    for mode, down, up, recovery in windows:
        figures[f"{mode}: restart s"] = round(up - down, 2)
        figures[f"{mode}: API recovered s after"] = round(recovery, 2)
    figures["answers"] = dict(statuses)
    anneal.stop_workers()
    return figures, failures


def exactly_once(anneal, pg, files, submissions, clients, jobs_for_workers, workers):
    """`submissions` job creations from `clients` threads, every other one retried with its
    Idempotency-Key: each stored once, retries answered with the original. Then `workers`
    worker processes on one database share `jobs_for_workers` small jobs: each claimed once."""
    failures = []
    anneal.stop_workers()
    body = {"model": "all-MiniLM-L6-v2", "training_file": files["reviews"], "suffix": "once",
            "method": {"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 1, "batch_size": 16, "max_seq_length": 16,
                                                                                  "save_strategy": "no", "eval_strategy": "no"}}}}
    answers = collections.defaultdict(list)

    def submit(i):
        key = f"once-{uuid.uuid4()}"
        for _ in range(2 if i % 2 else 1):
            status, headers, data = anneal.create(body, idempotency=key)
            answers[key].append((status, json.loads(data).get("id") if status == 200 else None, headers.get("Idempotent-Replayed")))

    started = time.time()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(submit, range(submissions)))
    seconds = time.time() - started
    ids = set()
    for key, results in answers.items():
        if any(status != 200 for status, _, _ in results) or len({job for _, job, _ in results}) != 1:
            failures.append(f"{key}: {results}")
        if len(results) == 2 and results[1][2] != "true":
            failures.append(f"{key}: the retry was not marked Idempotent-Replayed")
        ids.update(job for _, job, _ in results)
    stored = int(pg.psql("SELECT count(*) FROM fine_tuning_job WHERE suffix = 'once'"))
    if stored != submissions or len(ids) != submissions:
        failures.append(f"{submissions} submissions: {len(ids)} distinct ids answered, {stored} jobs stored")
    pg.psql("UPDATE fine_tuning_job SET status = 'cancelled', finished_at = now() WHERE suffix = 'once' AND finished_at IS NULL")

    # Several workers, one queue: each job claimed once.
    small = {**body, "suffix": "claims"}
    created = [run_job(anneal, small) for _ in range(jobs_for_workers)]
    # The production lease (30 s): this checks that live workers never share a job. The
    # campaign's 3-s lease (for fast recovery after kills) lets a heartbeat that stalls for a
    # few seconds on 2 loaded cores look like a dead worker, whose job is then rightly rescued.
    for _ in range(workers):
        anneal.start_worker(lease=30)
    for job in created:
        done = anneal.wait(job, seconds=900)
        if done["status"] != "succeeded":
            failures.append(f"{job}: {done['status']}")
    claims = collections.Counter()
    for worker in anneal.workers:
        with open(worker.log_path) as f:
            for line in f:
                if '"job claimed"' in line:  # once to validate its files, once to train
                    entry = json.loads(line)
                    claims[(entry["job"], entry["status"])] += 1
    twice = [job for job in created if claims[(job, "validating_files")] != 1 or claims[(job, "running")] != 1]
    if twice:
        failures.append(f"jobs not claimed exactly once per phase: {[(j, claims[(j, 'validating_files')], claims[(j, 'running')]) for j in twice]}")
    anneal.stop_workers()
    return {"submissions": submissions, "clients": clients, "stored once": f"{stored}/{submissions}",
            "submissions/s": round(submissions * 1.5 / seconds), "claimed once": f"{jobs_for_workers - len(twice)}/{jobs_for_workers}",
            "workers": workers}, failures


def disk_full(binary, files_dir, rng):
    """PostgreSQL on a 400 MiB tmpfs that the campaign fills while a LoRA job trains and a client
    uploads: uploads get 507 (never a 500, nothing half-stored is listed), the checkpoint written
    before stays valid, and once space is freed the job resumes from it and succeeds."""
    import shutil
    import subprocess
    import tempfile
    from harness import Anneal, PostgreSQL
    from scenarios import job_body, upload_fixtures
    failures, figures = [], {}
    mount = tempfile.mkdtemp(prefix="anneal-chaos-disk.")
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=400M", "tmpfs", mount], capture_output=True).returncode != 0:
        shutil.rmtree(mount, ignore_errors=True)
        return {"skipped": "cannot mount a tmpfs here (needs root)"}, []
    pg = PostgreSQL(os.path.join(mount, "pg"), options="-c max_wal_size=64MB -c min_wal_size=32MB")
    anneal = None
    try:
        pg.start()
        anneal = Anneal(binary, pg.url)
        anneal.setup()
        anneal.start_api()
        files = upload_fixtures(anneal)
        anneal.start_worker()
        status, _, data = anneal.create(job_body("lora-lm", files))
        job = json.loads(data)["id"]
        deadline = time.time() + 300
        while time.time() < deadline and not anneal.get(f"/v1/fine_tuning/jobs/{job}/checkpoints")["data"]:
            time.sleep(0.05)
        before = anneal.get(f"/v1/fine_tuning/jobs/{job}/checkpoints")["data"]
        # Fill the disk, then try an upload.
        filler = os.path.join(mount, "filler")
        subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=1M"], capture_output=True)
        answers = collections.Counter()
        upload = b'{"text": "a", "label": "x"}\n' * 40000
        for _ in range(5):
            status, _, data = anneal.call("POST", "/v1/files?purpose=fine-tune&filename=full.jsonl", raw=upload, timeout=30)
            answers[status] += 1
            if status not in (200, 503, 507) or (status == 507 and b"disk space" not in data):
                failures.append(f"an upload on a full disk got {status}: {data[:200]!r}")
            time.sleep(1)
        figures["uploads on a full disk"] = dict(answers)
        time.sleep(rng.uniform(3, 6))  # the job hits the full disk at its next metrics or checkpoint write
        os.remove(filler)
        if not pg.running():  # PostgreSQL stops when it cannot write its WAL; an operator starts it again
            figures["PostgreSQL had stopped"] = True
            pg.start_again()
        done = anneal.wait(job, seconds=600)
        figures["job"] = done["status"]
        if done["status"] != "succeeded":
            failures.append(f"the job ended {done['status']}: {done.get('error')}")
        messages = [e["message"] for e in anneal.events(job)]
        figures["job events"] = [m for m in messages if "disk" in m or "Resuming" in m or "Worker lost" in m][:4]
        listed = [f for f in anneal.get("/v1/files?limit=100")["data"] if f["filename"] == "full.jsonl"]
        for item in listed:
            status, _, content = anneal.call("GET", f"/v1/files/{item['id']}/content")
            if content != upload:
                failures.append(f"{item['id']} is listed with other bytes than were sent")
        figures["uploads stored"] = len(listed)
        figures["checkpoint before the fill"] = f"step {before[0]['step_number']}" if before else "none"
    finally:
        if anneal:
            anneal.stop()
        pg.stop("immediate")
        subprocess.run(["umount", mount], capture_output=True)
        shutil.rmtree(mount, ignore_errors=True)
    return figures, failures
