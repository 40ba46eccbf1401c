"""The chaos campaign's scenarios. Each returns a dict of figures and a list of failures."""
import collections
import hashlib
import json
import os
import random
import re
import threading
import time

from harness import ROOT

FIXTURES = os.path.join(ROOT, "Tests", "TrainingTests", "Fixtures")
# Setup events say what an attempt does; a retried attempt says it again (allowed repeats).
# Events of one attempt: a job that a fault moved to a second attempt (a lost worker, or a
# database that went away mid-write: "Attempt N ended because ...") repeats them, and must
# otherwise match the uninterrupted run.
ATTEMPT_EVENTS = ("Fine-tuning job started", "Worker lost on attempt", "Attempt ", "Resuming from checkpoint", "Training file", "Validation file",
                  "Training examples", "Validation examples", "LoRA", "Training ", "Plan", "Training took")


def job_body(kind, files):
    if kind == "classification":
        hyper = {"n_epochs": 1, "batch_size": 4, "max_seq_length": 32, "learning_rate": 1e-4, "logging_steps": 2,
                 "eval_strategy": "steps", "eval_steps": 4, "save_strategy": "steps", "save_steps": 4, "save_total_limit": 1}
        return {"model": "all-MiniLM-L6-v2", "training_file": files["reviews"], "validation_file": files["reviews-validation"],
                "seed": 7, "suffix": "chaos", "method": {"type": "supervised", "supervised": {"hyperparameters": hyper}}}
    hyper = {"n_epochs": 1, "batch_size": 4, "max_seq_length": 64, "learning_rate": 2e-3, "logging_steps": 1,
             "eval_strategy": "steps", "eval_steps": 3, "save_strategy": "steps", "save_steps": 3, "save_total_limit": 1,
             "lora": {"r": 8, "target_modules": ["q_proj", "v_proj"]}}
    return {"model": "SmolLM2-135M-Instruct", "training_file": files["chat"], "validation_file": files["chat-validation"],
            "seed": 7, "suffix": "chaos", "method": {"type": "supervised", "supervised": {"hyperparameters": hyper}}}


def upload_fixtures(anneal):
    return {"reviews": anneal.upload(os.path.join(FIXTURES, "reviews-train.jsonl")),
            "reviews-validation": anneal.upload(os.path.join(FIXTURES, "reviews-validation.jsonl")),
            "chat": anneal.upload(os.path.join(FIXTURES, "chat", "train.jsonl")),
            "chat-validation": anneal.upload(os.path.join(FIXTURES, "chat", "validation.jsonl"))}


def run_job(anneal, body):
    status, _, data = anneal.create(body)
    assert status == 200, data
    return json.loads(data)["id"]


def reference(anneal, kind, files):
    """An uninterrupted run on one worker: its weights, metrics, events and duration."""
    started = time.time()
    job = run_job(anneal, job_body(kind, files))
    done = anneal.wait(job)
    assert done["status"] == "succeeded", done
    return {"job": job, "seconds": time.time() - started, "weights": anneal.weights(job), "metrics": anneal.metrics(job),
            "events": [e["message"] for e in anneal.events(job)]}


IDS = re.compile(r"\b(ftjob|ftckpt|file|ftevent|ft:[^ ]*)-[A-Za-z0-9]+")
TIMING = re.compile(r",? ?\w*(per_second|runtime)\w*=[^,]+")


def same_run(message):
    """An event message without what differs between two runs of one job: ids and timings."""
    return TIMING.sub("", IDS.sub(lambda m: m.group(1) + "-*", message))


def without_timings(metrics):
    return [(kind, step, json.dumps({k: v for k, v in json.loads(values).items() if "per_second" not in k and "runtime" not in k},
                                     sort_keys=True)) for kind, step, values in metrics]


def compare(anneal, job, ref, failures, what):
    """Weights, metrics and events of a finished job against the uninterrupted run."""
    done = anneal.wait(job)
    if done["status"] != "succeeded":
        failures.append(f"{what}: {done['status']} {done.get('error')}")
        return False
    same = True
    if anneal.weights(job) != ref["weights"]:
        failures.append(f"{what}: weights differ from the uninterrupted run's")
        same = False
    if without_timings(anneal.metrics(job)) != without_timings(ref["metrics"]):
        failures.append(f"{what}: metrics differ (lost, duplicated or changed rows)")
        same = False
    events = collections.Counter(same_run(e["message"]) for e in anneal.events(job))
    wanted = collections.Counter(same_run(m) for m in ref["events"])
    lost = [m for m in wanted if events[m] < wanted[m] and not m.startswith(ATTEMPT_EVENTS)]
    repeated = [m for m in events if events[m] > wanted.get(m, 0) and not m.startswith(ATTEMPT_EVENTS)
                and not m.startswith("Worker shutting down")]
    if lost or repeated:
        failures.append(f"{what}: events lost {lost[:3]}, repeated or new {repeated[:3]}")
        same = False
    return same


def claimed_at(log_path, job, since):
    """When the worker whose log this is claimed `job` (its 'job claimed' line), polled."""
    deadline = time.time() + 120
    while time.time() < deadline:
        with open(log_path) as f:
            for line in f:
                if '"job claimed"' in line and job in line:
                    return time.time() - since
        time.sleep(0.05)
    return float("nan")


def worker_death(anneal, pg, kind, files, kills, rng):
    """kill -9 of the worker running a job, at a checkpoint write, at an evaluation step or at a
    random moment; a fresh worker takes the job after its lease expires."""
    failures, recovered, phases, to_claim, to_finish = [], 0, collections.Counter(), [], []
    anneal.stop_workers()
    worker = anneal.start_worker()
    ref = reference(anneal, kind, files)
    eval_every = job_body(kind, files)["method"]["supervised"]["hyperparameters"]["eval_steps"]
    real, n_round = 0, 0
    while real < kills and n_round < 3 * kills:
        job = run_job(anneal, job_body(kind, files))
        how = ("checkpoint write", "evaluation step", "random moment")[real % 3]
        n_round += 1
        deadline = time.time() + ref["seconds"] * 3
        if how == "random moment":
            time.sleep(rng.uniform(0.1, 0.7) * ref["seconds"])
        while time.time() < deadline:
            if how == "checkpoint write":
                busy = pg.psql("SELECT count(*) FROM pg_stat_activity WHERE query ILIKE '%checkpoint_chunk%' AND state <> 'idle'")
                if busy != "0":
                    break
            elif how == "evaluation step":
                step = anneal.get(f"/v1/fine_tuning/jobs/{job}").get("progress", {}) or {}
                if isinstance(step, dict) and step.get("step", 0) and step["step"] % eval_every == 0:
                    break
            else:
                break
            time.sleep(0.01)
        status = anneal.get(f"/v1/fine_tuning/jobs/{job}")["status"]
        killed = time.time()
        worker.kill()
        worker.wait()
        worker = anneal.start_worker()
        if status != "running":  # the moment fell outside the run (still validating, or done): not a kill of a running job
            phases[f"missed ({status})"] += 1
            anneal.wait(job)
            continue
        real += 1
        phases[how] += 1
        to_claim.append(claimed_at(worker.log_path, job, killed))
        if compare(anneal, job, ref, failures, f"{kind} kill {real} ({how})"):
            recovered += 1
        to_finish.append(time.time() - killed)
    if real < kills:
        failures.append(f"only {real} of {kills} kills landed while the job was running")
    anneal.stop_workers()
    claims = [t for t in to_claim if t == t]
    return {"kind": kind, "kills": real, "recovered identical": recovered, "phases": dict(phases),
            "reference seconds": round(ref["seconds"], 1),
            "kill to claim p50/max s": f"{sorted(claims)[len(claims) // 2]:.1f}/{max(claims):.1f}" if claims else "-",
            "kill to finish max s": round(max(to_finish), 1) if to_finish else "-"}, failures


def api_death(anneal, pg, kills, rng):
    """kill -9 of the API process while clients upload files and create jobs (with Idempotency-Key):
    no half-written file is listed, every listed file has the bytes sent, a retried upload works,
    and a retried creation gives the one job of its key."""
    failures = []
    sent, keys, first = {}, {}, {}  # filename -> sha256; key -> body; key -> job id of a 200
    lock = threading.Lock()
    stop = threading.Event()

    def client(n, cycle):
        i = 0
        while not stop.is_set():
            i += 1
            name = f"up-{cycle}-{n}-{i}.jsonl"
            line = json.dumps({"text": f"round {cycle} client {n} upload {i} " + "x" * 200, "label": "a" if i % 2 else "b"}) + "\n"
            content = (line * ((1 << 20) // len(line))).encode()
            with lock:
                sent[name] = hashlib.sha256(content).hexdigest()
            status, _, data = anneal.call("POST", f"/v1/files?purpose=fine-tune&filename={name}", raw=content, timeout=30)
            if status != 200:
                continue
            key = f"job-{cycle}-{n}-{i}"
            body = {"model": "all-MiniLM-L6-v2", "training_file": json.loads(data)["id"], "suffix": "api-death"}
            with lock:
                keys[key] = body
            status, _, data = anneal.create(body, idempotency=key)
            if status == 200:
                with lock:
                    first[key] = json.loads(data)["id"]

    outcomes = collections.Counter()
    for cycle in range(kills):
        stop.clear()
        threads = [threading.Thread(target=client, args=(n, cycle)) for n in range(4)]
        for t in threads:
            t.start()
        time.sleep(rng.uniform(3.0, 8.0))
        anneal.kill_api()
        stop.set()
        for t in threads:
            t.join()
        outcomes["uploads before the kill"] = len(sent)
        anneal.start_api()
        for key, body in list(keys.items()):
            status, headers, data = anneal.create(body, idempotency=key)
            if status != 200:
                failures.append(f"retried creation {key}: {status} {data[:200]!r}")
                continue
            job = json.loads(data)["id"]
            outcomes["creation retries replayed" if headers.get("Idempotent-Replayed") == "true" else "creation retries created"] += 1
            if key in first and first[key] != job:
                failures.append(f"{key}: the retry gave {job}, the first call {first[key]}")
            first[key] = job
        after = None
        while True:
            page = anneal.get("/v1/files?limit=100" + (f"&after={after}" if after else ""))
            for item in page["data"]:
                if item["filename"] in sent and item["filename"].startswith(f"up-{cycle}-"):
                    status, _, content = anneal.call("GET", f"/v1/files/{item['id']}/content", timeout=60)
                    outcomes["listed uploads checked"] += 1
                    if status != 200 or hashlib.sha256(content).hexdigest() != sent[item["filename"]]:
                        failures.append(f"file {item['id']} ({item['filename']}) is listed with other bytes than were sent")
            if not page["has_more"]:
                break
            after = page["data"][-1]["id"]
        retry = anneal.call("POST", "/v1/files?purpose=fine-tune&filename=retry.jsonl", raw=b'{"text": "a", "label": "x"}\n')
        outcomes["retried upload 200" if retry[0] == 200 else f"retried upload {retry[0]}"] += 1
    stored = int(pg.psql("SELECT count(*) FROM fine_tuning_job WHERE suffix = 'api-death'"))
    if stored != len(set(first.values())) or len(set(first.values())) != len(keys):
        failures.append(f"{len(keys)} keys, {len(set(first.values()))} distinct jobs answered, {stored} stored")
    pg.psql("UPDATE fine_tuning_job SET status = 'cancelled', finished_at = now() WHERE suffix = 'api-death' AND finished_at IS NULL")
    return {"kills": kills, "jobs stored once": f"{stored}/{len(keys)}", **dict(outcomes)}, failures
