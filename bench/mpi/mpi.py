"""One job across processes with MPI (`anneal mpi-worker` under mpirun), against the same job in
one process: see bench/mpi/README.md. Needs a binary built with ANNEAL_MPI=1 (ANNEAL_BIN).
    --parity   scripts/test: 2 ranks against 1 process, loss per step within 1e-5 relative,
               the same final accuracy
    (default)  the scaling figures: per-step compute and allreduce time for 1, 2 and 4 ranks"""
import argparse
import json
import os
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "chaos"))
from harness import ROOT, Anneal, PostgreSQL  # noqa: E402

FIXTURES = os.path.join(ROOT, "Tests", "TrainingTests", "Fixtures")


def body(files, nodes, epochs, batch):
    # dropout 0: each rank draws its dropout masks from a stream of its own, so with dropout the
    # ranks compute different (equally valid) masks than one process would.
    return {"model": "all-MiniLM-L6-v2", "training_file": files["train"], "validation_file": files["validation"],
            "suffix": f"mpi-{nodes}", "seed": 7, "nodes": nodes,
            "method": {"type": "supervised", "supervised": {"hyperparameters": {
                "n_epochs": epochs, "batch_size": batch, "max_seq_length": 64, "logging_steps": 1, "dropout": 0,
                "eval_strategy": "epoch", "save_strategy": "epoch"}}}}


def gang(anneal, ranks):
    """`mpirun -n ranks anneal mpi-worker` through scripts/anneal-gang (a SIGTERM reaches the
    ranks as SIGUSR1), one engine thread per rank."""
    command = [os.path.join(ROOT, "scripts", "anneal-gang"), "--allow-run-as-root", "--oversubscribe", "-n", str(ranks), "--bind-to", "none",
               "-x", "DATABASE_URL", "-x", "ANNEAL_MODELS", "-x", "ANNEAL_THREADS", "-x", "ANNEAL_LEASE_SECONDS", "-x", "ANNEAL_LOG_LEVEL",
               anneal.binary, "mpi-worker"]
    env = dict(anneal.env, ANNEAL_THREADS="1", OMPI_MCA_btl_vader_single_copy_mechanism="none")
    return subprocess.Popen(command, env=env, stdout=anneal.log(f"gang-{ranks}"), stderr=subprocess.STDOUT)


def run(anneal, files, nodes, epochs, batch):
    status, _, data = anneal.create(body(files, nodes, epochs, batch))
    assert status == 200, data
    job = json.loads(data)["id"]
    started = time.time()
    done = anneal.wait(job, seconds=1800)
    seconds = time.time() - started
    if done["status"] != "succeeded":
        raise AssertionError(f"{nodes}-node job {job} {done['status']}: {done.get('error')}")
    metrics = anneal.get(f"/v1/fine_tuning/jobs/{job}/metrics")["data"]
    train = {m["step"]: m["metrics"] for m in metrics if m["kind"] == "train"}
    evals = [m["metrics"] for m in metrics if m["kind"] == "eval"]
    return job, train, evals, seconds


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--parity", action="store_true")
    args = parser.parse_args()
    binary = os.environ.get("ANNEAL_BIN", os.path.join(ROOT, ".build/release/anneal"))
    pg = PostgreSQL()
    pg.start()
    anneal = Anneal(binary, pg.url, lease=30, threads=1)
    failures, gangs = [], []
    try:
        anneal.setup()
        anneal.start_api()
        if args.parity:
            anneal.start_worker(lease=30)  # validates files and trains the one-process jobs
            files = {"train": anneal.upload(os.path.join(FIXTURES, "reviews-train.jsonl")),
                     "validation": anneal.upload(os.path.join(FIXTURES, "reviews-validation.jsonl"))}
            _, one, one_eval, _ = run(anneal, files, 1, epochs=2, batch=8)
            gangs.append(gang(anneal, 2))
            _, two, two_eval, _ = run(anneal, files, 2, epochs=2, batch=8)
            worst = 0.0
            for step in sorted(one):
                a, b = one[step]["loss"], two.get(step, {}).get("loss")
                if b is None:
                    failures.append(f"step {step}: no loss from the 2-rank run")
                    continue
                worst = max(worst, abs(a - b) / abs(a))
            if sorted(one) != sorted(two):
                failures.append(f"steps differ: {sorted(one)} against {sorted(two)}")
            if worst > 1e-5:
                failures.append(f"loss differs by {worst:.2e} relative at worst, over 1e-5")
            accuracy = [(e.get("accuracy"), f.get("accuracy")) for e, f in zip(one_eval, two_eval)]
            if not accuracy or any(a != b for a, b in accuracy):
                failures.append(f"eval accuracy differs: {accuracy}")
            print(f"mpi parity: {len(one)} steps, worst relative loss difference {worst:.2e}; eval accuracy (1 process, 2 ranks): {accuracy}")
            print(f"mpi parity: 2-rank step timing: {[(s, two[s].get('compute_seconds'), two[s].get('allreduce_seconds')) for s in sorted(two)][:3]}")
            failures += language_model(anneal, gangs[-1])
            failures += drain(anneal, pg, files, gangs)
        else:
            scaling(anneal, gangs)
    finally:
        for g in gangs:
            if g.poll() is None:
                g.send_signal(signal.SIGTERM)
                try:
                    g.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    g.kill()
        anneal.stop()
        pg.remove()
    for f in failures:
        print(f"FAIL {f}")
    sys.exit(1 if failures else 0)


def language_model(anneal, _gang):
    """LoRA on SmolLM2 with the chat fixtures, one process against 2 ranks: each rank's share
    of a micro-batch is its scored tokens, and mean_token_accuracy counts every rank's tokens."""
    chat = os.path.join(FIXTURES, "chat")
    files = {"train": anneal.upload(os.path.join(chat, "train.jsonl")), "validation": anneal.upload(os.path.join(chat, "validation.jsonl"))}
    runs = []
    for nodes in (1, 2):
        lm = {"model": "SmolLM2-135M-Instruct", "training_file": files["train"], "validation_file": files["validation"], "seed": 7,
              "suffix": f"mpi-lm-{nodes}", "nodes": nodes, "method": {"type": "supervised", "supervised": {"hyperparameters": {
                  "n_epochs": 1, "batch_size": 6, "max_seq_length": 64, "learning_rate": 2e-3, "logging_steps": 1,
                  "eval_strategy": "epoch", "save_strategy": "epoch", "lora": {"r": 8, "target_modules": ["q_proj", "v_proj"]}}}}}
        status, _, data = anneal.create(lm)
        assert status == 200, data
        job = json.loads(data)["id"]
        done = anneal.wait(job, seconds=900)
        if done["status"] != "succeeded":
            return [f"the {nodes}-node language-model job {done['status']}: {done.get('error')}"]
        metrics = anneal.get(f"/v1/fine_tuning/jobs/{job}/metrics")["data"]
        runs.append(({m["step"]: m["metrics"] for m in metrics if m["kind"] == "train"},
                     [m["metrics"] for m in metrics if m["kind"] == "eval"]))
    (one, one_eval), (two, two_eval) = runs
    failures, worst = [], 0.0
    for step in sorted(one):
        for name in ("loss", "mean_token_accuracy"):
            a, b = one[step][name], two.get(step, {}).get(name)
            if b is None:
                failures.append(f"language model step {step}: no {name} from the 2-rank run")
                continue
            worst = max(worst, abs(a - b) / max(abs(a), 1e-12))
    if worst > 1e-5:
        failures.append(f"language model: loss or token accuracy differs by {worst:.2e} relative at worst, over 1e-5")
    eval_loss = [(e.get("loss"), f.get("loss")) for e, f in zip(one_eval, two_eval)]
    if not eval_loss or any(abs(a - b) > 1e-5 * abs(a) for a, b in eval_loss):
        failures.append(f"language model eval loss differs: {eval_loss}")
    print(f"mpi parity, language model (LoRA): {len(one)} steps, worst relative difference of loss and token accuracy {worst:.2e}; "
          f"eval loss {eval_loss}")
    return failures


def drain(anneal, pg, files, gangs):
    """SIGTERM to a gang mid-job: rank 0 checkpoints and hands the job back within 10 s, a new
    gang resumes it from that checkpoint, and its losses are the uninterrupted run's."""
    failures = []
    job_body = body(files, 2, epochs=8, batch=4)  # 96 short steps
    job_body["method"]["supervised"]["hyperparameters"].update(save_strategy="no", eval_strategy="no")
    status, _, data = anneal.create(job_body)
    job = json.loads(data)["id"]
    reference_job = json.loads(anneal.create(job_body)[2])["id"]  # claimed after the first: the uninterrupted run
    deadline = time.time() + 300
    while (anneal.get(f"/v1/fine_tuning/jobs/{job}").get("progress") or {}).get("step", 0) < 20 and time.time() < deadline:
        time.sleep(0.05)
    sent = time.time()
    gangs[-1].send_signal(signal.SIGTERM)
    while pg.psql(f"SELECT count(*) FROM fine_tuning_job WHERE id = '{job}' AND locked_by IS NOT NULL") != "0" and time.time() - sent < 60:
        time.sleep(0.05)
    handover = time.time() - sent
    gangs[-1].wait(timeout=60)
    gangs.append(gang(anneal, 2))
    for j in (job, reference_job):
        if anneal.wait(j, seconds=600)["status"] != "succeeded":
            failures.append(f"{j} did not succeed after the gang's shutdown")
    messages = [e["message"] for e in anneal.events(job)]
    saved = [m.split(": ")[-1] for m in messages if m.startswith("Checkpoint saved")]
    resumed = [m for m in messages if m.startswith("Resuming from checkpoint")]
    if handover > 10:
        failures.append(f"the gang handed its job back {handover:.1f} s after SIGTERM, over 10 s")
    if not saved or not resumed or saved[0] not in resumed[0]:
        failures.append(f"the job did not resume from the checkpoint written at shutdown: saved {saved}, {resumed}")
    losses = lambda j: {m["step"]: m["metrics"]["loss"] for m in anneal.get(f"/v1/fine_tuning/jobs/{j}/metrics")["data"] if m["kind"] == "train"}
    if losses(job) != losses(reference_job):
        failures.append("the resumed job's losses differ from the uninterrupted run's")
    print(f"mpi drain: SIGTERM at step 20 handed the job back in {handover:.2f} s; {resumed[0] if resumed else 'no resume'}; "
          f"losses {'equal' if losses(job) == losses(reference_job) else 'differ'}")
    return failures


def scaling(anneal, gangs):
    """The same job (Rotten Tomatoes snippets, global batch 32) on gangs of 1, 2 and 4 ranks, each
    alone on the queue (a gang validates its jobs' files itself)."""
    data = os.path.join(ROOT, "data", "rotten_tomatoes")
    if not os.path.exists(os.path.join(data, "train.jsonl")):
        subprocess.run([os.path.join(ROOT, "scripts", "fetch-rotten-tomatoes"), data], check=True)
    # The first 1,600 snippets: 50 steps at batch 32 per run.
    with open(os.path.join(data, "train.jsonl")) as f:
        lines = f.readlines()[:1600]
    subset = os.path.join(anneal.log_dir, "train-1600.jsonl")
    with open(subset, "w") as f:
        f.writelines(lines)
    files = {"train": anneal.upload(subset), "validation": anneal.upload(os.path.join(data, "validation.jsonl"))}
    rows = []
    for ranks in (1, 2, 4):
        g = gang(anneal, ranks)
        gangs.append(g)
        _, train_metrics, evals, seconds = run(anneal, files, ranks, epochs=1, batch=32)
        steps = sorted(train_metrics)[2:]  # the first steps warm up
        compute = sum(train_metrics[s]["compute_seconds"] for s in steps) / len(steps)
        allreduce = sum(train_metrics[s]["allreduce_seconds"] for s in steps) / len(steps)
        rows.append((ranks, compute, allreduce, seconds, evals[-1].get("accuracy") if evals else None))
        g.send_signal(signal.SIGTERM)
        g.wait(timeout=120)
    cpu = open("/proc/cpuinfo").read().split("model name")[1].split(":")[1].splitlines()[0].strip()
    print(f"\nbench/mpi on {cpu}, {os.cpu_count()} cores, one engine thread per rank; "
          f"{time.strftime('%Y-%m-%d', time.gmtime())}\n")
    print("| ranks | compute s/step | allreduce s/step | step s | speed-up of a step | job s | accuracy |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    base = rows[0][1] + rows[0][2]
    for ranks, compute, allreduce, seconds, accuracy in rows:
        print(f"| {ranks} | {compute:.4f} | {allreduce:.4f} | {compute + allreduce:.4f} | {base / (compute + allreduce):.2f} | "
              f"{seconds:.0f} | {accuracy} |")
    project(compute=rows[0][1], gradient_bytes=4 * parameters(os.path.join(ROOT, "models", "all-MiniLM-L6-v2")))


def parameters(folder, labels=2):
    """The trained parameters of a full fine-tune: every tensor of the base, and the head."""
    import math
    import struct
    with open(os.path.join(folder, "model.safetensors"), "rb") as f:
        header = json.loads(f.read(struct.unpack("<Q", f.read(8))[0]))
    header.pop("__metadata__", None)
    hidden = json.load(open(os.path.join(folder, "config.json")))["hidden_size"]
    return sum(math.prod(t["shape"]) for t in header.values()) + hidden * labels + labels


def project(compute, gradient_bytes, latency=30e-6):
    """The speed-up of a step on N nodes (README.md): the measured one-process compute split N
    ways, plus a ring allreduce of the gradients over links of the given bandwidth."""
    print(f"\nprojected speed-up of a step, from {compute:.3f} s of compute per step on one rank here and "
          f"{gradient_bytes / 1e6:.0f} MB of gradients:\n")
    print("| nodes | 1 Gb/s | 10 Gb/s | 25 Gb/s | 100 Gb/s |")
    print("| --- | --- | --- | --- | --- |")
    for n in (2, 4, 8, 16, 32):
        cells = []
        for gbit in (1, 10, 25, 100):
            bandwidth = gbit * 1e9 / 8
            allreduce = 2 * (n - 1) / n * gradient_bytes / bandwidth + 2 * (n - 1) * latency
            cells.append(f"{compute / (compute / n + allreduce):.1f}")
        print(f"| {n} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
