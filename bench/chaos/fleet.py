"""The fleet scenario: 2 API processes and 3 worker processes on one PostgreSQL, as KEDA and a
Deployment would run them, share a queue of small jobs while workers are killed (SIGKILL) or
drained (SIGTERM, as on a scale-down or a rolling update) at random and replaced at once."""
import collections
import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

LEASE = 5  # seconds: a killed worker's job is rescued this long after its last heartbeat
HANDOVER_LIMIT = 10  # seconds from SIGTERM until the job is free for another worker


def start_second_api(anneal, port):
    env = dict(anneal.env, ANNEAL_PORT=str(port))
    api = subprocess.Popen([anneal.binary, "serve"], env=env, stdout=anneal.log("api-2"), stderr=subprocess.STDOUT)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).close()
            return api
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("the second API did not answer in 60 s")


def fleet(anneal, pg, files, jobs, rng, free_port):
    failures = []
    anneal.stop_workers()
    port = free_port()
    second = start_second_api(anneal, port)
    apis = [anneal.url, f"http://127.0.0.1:{port}"]
    body = {"model": "all-MiniLM-L6-v2", "training_file": files["reviews"], "suffix": "fleet",
            "method": {"type": "supervised", "supervised": {"hyperparameters": {
                "n_epochs": 1, "batch_size": 8, "max_seq_length": 16, "save_strategy": "steps", "save_steps": 3,
                "save_total_limit": 1, "eval_strategy": "no",
                # LoRA: checkpoints of a few hundred kB. A full fine-tune's (270 MB each, weights and
                # AdamW's moments) filled the disk in a 200-job run.
                "lora": {"r": 4}}}}}
    host = socket.gethostname()

    def submit(i):
        # Half the jobs through each API process.
        request = urllib.request.Request(apis[i % 2] + "/v1/fine_tuning/jobs", data=json.dumps(body).encode(), method="POST",
                                         headers={"Authorization": "Bearer " + anneal.key, "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())["id"]

    started = time.time()
    with ThreadPoolExecutor(8) as pool:
        created = list(pool.map(submit, range(jobs)))
    workers = [anneal.start_worker(lease=LEASE) for _ in range(3)]
    kills = collections.Counter()
    handovers, drained_jobs = [], []

    def unfinished():
        return int(pg.psql("SELECT count(*) FROM fine_tuning_job WHERE suffix = 'fleet' AND finished_at IS NULL"))

    deadline = time.time() + 60 + jobs * 6
    while unfinished() and time.time() < deadline:
        time.sleep(rng.uniform(0.7, 3))
        live = [w for w in workers if w.poll() is None]
        if not live:
            continue
        victim = rng.choice(live)
        name = f"{host}-{victim.pid}-w0"
        held = pg.psql(f"SELECT id || ' ' || status || ' ' || (max_attempts - attempt) FROM fine_tuning_job WHERE locked_by = '{name}'").split()
        # A job whose worker dies on its last attempt rightly fails (worker_lost): such a job's
        # worker is drained instead, so that every job must succeed.
        last_attempt = held and held[1] == "running" and int(held[2]) <= 0
        if rng.random() < 0.5 and not last_attempt:
            victim.send_signal(signal.SIGKILL)
            victim.wait()
            kills["SIGKILL"] += 1
        else:
            sent = time.time()
            victim.send_signal(signal.SIGTERM)
            kills["SIGTERM"] += 1
            if held and held[1] == "running":
                # The lease must be handed back (the job queued, or finished meanwhile) well before it could expire.
                while time.time() - sent < 30:
                    if pg.psql(f"SELECT count(*) FROM fine_tuning_job WHERE id = '{held[0]}' AND locked_by = '{name}'") == "0":
                        break
                    time.sleep(0.05)
                handovers.append(time.time() - sent)
                drained_jobs.append(held[0])
            victim.wait(timeout=60)
        workers.remove(victim)
        workers.append(anneal.start_worker(lease=LEASE))
    seconds = time.time() - started

    statuses = collections.Counter(pg.psql("SELECT status FROM fine_tuning_job WHERE suffix = 'fleet'").split())
    if statuses != {"succeeded": jobs}:
        failures.append(f"job statuses {dict(statuses)}, expected {jobs} succeeded")
    # Exactly once: one success per job in the logs of every worker, one model, one success event.
    successes = collections.Counter()
    for worker in anneal.workers:
        with open(worker.log_path) as f:
            for line in f:
                if '"job succeeded"' in line:
                    successes[json.loads(line)["job"]] += 1
    twice = [job for job in created if successes[job] != 1]
    if twice:
        failures.append(f"jobs not finished exactly once: {[(job, successes[job]) for job in twice][:10]}")
    models = pg.psql("SELECT count(*), count(DISTINCT job_id) FROM model WHERE job_id IN "
                     "(SELECT id FROM fine_tuning_job WHERE suffix = 'fleet')").split("|")
    if models != [str(jobs), str(jobs)]:
        failures.append(f"models: {models[0]} rows for {models[1]} jobs, expected one each for {jobs}")
    done_events = pg.psql("SELECT count(*) FROM fine_tuning_job_event e JOIN fine_tuning_job j ON j.id = e.job_id "
                          "WHERE j.suffix = 'fleet' AND e.message LIKE 'The job has successfully completed%'")
    if done_events != str(jobs):
        failures.append(f"{done_events} completion events for {jobs} jobs")
    slow = [round(h, 1) for h in handovers if h > HANDOVER_LIMIT]
    if slow:
        failures.append(f"SIGTERM handovers over {HANDOVER_LIMIT} s: {slow}")
    # A drained job resumes from the checkpoint its worker wrote on the way out (when it had
    # trained a step since its last one; otherwise from that one).
    drained = collections.Counter()
    for job in drained_jobs:
        messages = [m for m in pg.psql(f"SELECT message FROM fine_tuning_job_event WHERE job_id = '{job}' ORDER BY seq").split("\n")]
        shutdown = next((i for i, m in enumerate(messages) if m.startswith("Worker shutting down")), None)
        if shutdown is None:
            drained["finished before the signal's step"] += 1
            continue
        saved = next((m for m in reversed(messages[:shutdown]) if m.startswith("Checkpoint saved at step")), None)
        resume = next((m for m in messages[shutdown:] if m.startswith("Resuming from checkpoint")), None)
        if saved is None:
            drained["stopped before its first checkpoint"] += 1
        elif resume and saved.split(": ")[-1] in resume:
            drained["resumed from the checkpoint written at shutdown"] += 1
        else:
            failures.append(f"{job}: after the shutdown it did not resume from {saved.split(': ')[-1]}")
    second.send_signal(signal.SIGTERM)
    second.wait(timeout=40)
    anneal.stop_workers()
    return {"jobs": jobs, "API processes": 2, "worker processes": 3, "kills": dict(kills), "succeeded once": f"{jobs - len(twice)}/{jobs}",
            "SIGTERM handover max s": round(max(handovers), 2) if handovers else None,
            "drained in training": len(drained_jobs), **dict(drained),
            "jobs/min": round(jobs / seconds * 60, 1)}, failures
