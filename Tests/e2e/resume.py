"""Crash-safe training against a live Anneal whose API runs without workers: separate
`anneal worker` processes train real all-MiniLM-L6-v2 jobs. A worker killed with SIGKILL
mid-run, and a job paused and resumed mid-run, both end with weights bit-identical to an
uninterrupted run (same seed, data and thread count); cancel stops a running job; early
stopping stops; `anneal predict` and the model download work; another tenant sees none of it.
Prints 'resume: N passed, N failed'. Needs ANNEAL_BIN, ANNEAL_URL, ANNEAL_KEY,
ANNEAL_OTHER_KEY and DATABASE_URL (for the workers)."""
import hashlib
import io
import json
import os
import signal
import subprocess
import sys
import tarfile
import time
import urllib.error
import urllib.request

from checks import check, finish

URL, KEY, OTHER, BIN = os.environ["ANNEAL_URL"], os.environ["ANNEAL_KEY"], os.environ["ANNEAL_OTHER_KEY"], os.environ["ANNEAL_BIN"]
FIXTURES = os.path.join(os.path.dirname(__file__), "..", "TrainingTests", "Fixtures")
# 48 examples at batch 4: 12 steps, a checkpoint every 4 (each ~270 MB with the AdamW state).
HYPER = {"n_epochs": 1, "batch_size": 4, "max_seq_length": 32, "learning_rate": 1e-4, "logging_steps": 2,
         "eval_strategy": "no", "save_strategy": "steps", "save_steps": 4, "save_total_limit": 1}
# A short lease, so a killed worker's job is requeued within seconds.
WORKER_ENV = dict(os.environ, ANNEAL_THREADS="2", ANNEAL_LEASE_SECONDS="3", ANNEAL_WORKERS="1")
workers = []


def call(method, path, body=None, key=KEY, raw=None, timeout=120):
    """(status, bytes) of one request; JSON bodies are encoded."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    request = urllib.request.Request(URL + path, data=data, method=method, headers={"Authorization": "Bearer " + key})
    if body is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def get(path, key=KEY):
    status, data = call("GET", path, key=key)
    assert status == 200, f"GET {path}: {status} {data[:300]!r}"
    return json.loads(data)




def start_worker():
    worker = subprocess.Popen([BIN, "worker"], env=WORKER_ENV, stdout=subprocess.DEVNULL)
    workers.append(worker)
    return worker


def upload(name):
    with open(os.path.join(FIXTURES, name), "rb") as f:
        status, data = call("POST", f"/v1/files?purpose=fine-tune&filename={name}", raw=f.read())
    assert status == 200, data
    return json.loads(data)["id"]


def create(hyper=HYPER, validation=None):
    body = {"model": "all-MiniLM-L6-v2", "training_file": state["train"], "seed": 7, "suffix": "e2e",
            "method": {"type": "supervised", "supervised": {"hyperparameters": hyper}}}
    if validation:
        body["validation_file"] = validation
    status, data = call("POST", "/v1/fine_tuning/jobs", body)
    assert status == 200, data
    return json.loads(data)["id"]


def wait(job, statuses, seconds=300):
    deadline = time.time() + seconds
    while time.time() < deadline:
        current = get(f"/v1/fine_tuning/jobs/{job}")
        if current["status"] in statuses:
            return current
        time.sleep(0.2)
    raise AssertionError(f"{job} still {current['status']} after {seconds} s: {current.get('error')}")


def wait_for_checkpoint(job, seconds=300):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if get(f"/v1/fine_tuning/jobs/{job}/checkpoints")["data"]:
            return
        time.sleep(0.1)
    raise AssertionError(f"{job} wrote no checkpoint in {seconds} s")


def events(job):
    return [e["message"] for e in get(f"/v1/fine_tuning/jobs/{job}/events?limit=100")["data"]]


def weights(job):
    """SHA-256 of the downloaded model.safetensors' tensor table and data (not its metadata,
    which names the model)."""
    model = get(f"/v1/fine_tuning/jobs/{job}")["fine_tuned_model"]
    status, data = call("GET", f"/v1/models/{model}/download")
    assert status == 200, data[:300]
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith("/model.safetensors"))
        blob = tar.extractfile(member).read()
    size = int.from_bytes(blob[:8], "little")
    header = json.loads(blob[8:8 + size])
    header.pop("__metadata__", None)
    return hashlib.sha256(json.dumps(header, sort_keys=True).encode() + blob[8 + size:]).hexdigest()


state = {}


@check("an uninterrupted reference run on a separate worker process")
def _():
    state["train"], state["validation"] = upload("reviews-train.jsonl"), upload("reviews-validation.jsonl")
    job = create()
    start_worker()
    done = wait(job, ("succeeded", "failed", "cancelled"))
    assert done["status"] == "succeeded", done
    state["reference"], state["reference_weights"] = job, weights(job)


@check("a worker killed with SIGKILL mid-run: another resumes from the checkpoint, bit-identical")
def _():
    for worker in workers:  # only the worker to be killed may take the job
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0, "anneal worker did not exit 0 on SIGTERM"
    job = create()
    victim = start_worker()
    wait_for_checkpoint(job)
    victim.kill()
    victim.wait()
    assert get(f"/v1/fine_tuning/jobs/{job}")["status"] == "running"
    start_worker()
    done = wait(job, ("succeeded", "failed", "cancelled"))
    assert done["status"] == "succeeded", done
    assert any(m.startswith("Resuming from checkpoint") for m in events(job)), events(job)
    assert weights(job) == state["reference_weights"], "weights differ from the uninterrupted run's"
    state["killed"] = job


@check("pause mid-run, then resume: bit-identical too")
def _():
    job = create()
    wait_for_checkpoint(job)
    status, data = call("POST", f"/v1/fine_tuning/jobs/{job}/pause")
    assert status == 200, data
    wait(job, ("paused",), 30)
    time.sleep(1)
    assert get(f"/v1/fine_tuning/jobs/{job}")["status"] == "paused"
    status, data = call("POST", f"/v1/fine_tuning/jobs/{job}/resume")
    assert status == 200, data
    done = wait(job, ("succeeded", "failed", "cancelled"))
    assert done["status"] == "succeeded", done
    assert any(m.startswith("Resuming from checkpoint") for m in events(job)), events(job)
    assert weights(job) == state["reference_weights"], "weights differ from the uninterrupted run's"


@check("cancel mid-run stops the job and frees the worker")
def _():
    job = create()
    wait_for_checkpoint(job)
    status, data = call("POST", f"/v1/fine_tuning/jobs/{job}/cancel")
    assert status == 200, data
    assert wait(job, ("cancelled", "succeeded", "failed"), 10)["status"] == "cancelled"
    state["after_cancel"] = create({**HYPER, "save_strategy": "no"})
    assert wait(state["after_cancel"], ("succeeded", "failed", "cancelled"))["status"] == "succeeded"


@check("early stopping ends a job whose validation loss does not improve")
def _():
    hyper = {**HYPER, "learning_rate": 0.0, "eval_strategy": "steps", "eval_steps": 1, "save_strategy": "no",
             "early_stopping_patience": 2}
    job = create(hyper, validation=state["validation"])
    done = wait(job, ("succeeded", "failed", "cancelled"))
    assert done["status"] == "succeeded", done
    assert "Early stopping after step 3" in events(job), events(job)


@check("anneal predict classifies stdin lines with a fine-tuned model")
def _():
    model = get(f"/v1/fine_tuning/jobs/{state['killed']}")["fine_tuned_model"]
    out = subprocess.run([BIN, "predict", "--model", model], input=b"A sharp, funny film.\nDull.\n",
                         capture_output=True, env=WORKER_ENV, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = [json.loads(line) for line in out.stdout.decode().splitlines()]
    assert len(lines) == 2 and all({s["label"] for s in line} == {"fresh", "rotten"} for line in lines), lines
    status, data = call("POST", "/predict", {"model": model, "inputs": ["A sharp, funny film.", "Dull."]})
    assert status == 200, data
    served = json.loads(data)
    for mine, theirs in zip(lines, served):
        assert [s["label"] for s in mine] == [s["label"] for s in theirs], (mine, theirs)
        assert all(abs(a["score"] - b["score"]) < 1e-6 for a, b in zip(mine, theirs)), (mine, theirs)


@check("another tenant cannot see, predict with or download the jobs and models")
def _():
    job = state["killed"]
    model = get(f"/v1/fine_tuning/jobs/{job}")["fine_tuned_model"]
    assert call("GET", f"/v1/fine_tuning/jobs/{job}", key=OTHER)[0] == 404
    assert call("GET", f"/v1/fine_tuning/jobs/{job}/checkpoints", key=OTHER)[0] == 404
    assert call("GET", f"/v1/models/{model}", key=OTHER)[0] == 404
    assert call("GET", f"/v1/models/{model}/download", key=OTHER)[0] == 404
    assert call("POST", "/predict", {"model": model, "inputs": "x"}, key=OTHER)[0] == 404
    assert model not in [m["id"] for m in get("/v1/models", key=OTHER)["data"]]


for worker in workers:
    if worker.poll() is None:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
finish("resume")
