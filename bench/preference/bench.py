"""DPO and ORPO on real preference pairs: see bench/preference/README.md. Run through bench/preference/run.

Starts a throwaway server (bench/predict/server.py's, which trains in-process), uploads the
chatterbot preference pairs (scripts/fetch-chatterbot), runs a DPO job and an ORPO job on
SmolLM2-135M-Instruct with LoRA, and prints each evaluation of the held-out pairs: the
preference accuracy (the share of pairs whose preferred answer gets the higher implied reward),
the mean reward margin and the loss.
"""
import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "bench", "predict"))
sys.dont_write_bytecode = True
import server  # noqa: E402  (bench/predict/server.py)


def main():
    parser = argparse.ArgumentParser(description="DPO and ORPO jobs on chatterbot preference pairs, with held-out accuracy.")
    parser.add_argument("--pairs", type=int, default=0, help="use only the first N training pairs (0: all)")
    parser.add_argument("--methods", default="dpo,orpo")
    parser.add_argument("--beta", type=float, default=0.1)
    parser.add_argument("--peft", help="a Python with torch, transformers and peft: load each job's LoRA download in PEFT and compare")
    parser.add_argument("--database-url", help=f"admin URL for the server's database ({server.DEFAULT_ADMIN_URL})")
    args = parser.parse_args()
    data = os.path.join(ROOT, "data", "chatterbot")
    subprocess.run([os.path.join(ROOT, "scripts", "fetch-chatterbot"), data], check=True)
    with open(os.path.join(data, "preference-train.jsonl"), "rb") as f:
        train = f.read()
    if args.pairs:
        train = b"".join(train.splitlines(keepends=True)[:args.pairs])
    with open(os.path.join(data, "preference-validation.jsonl"), "rb") as f:
        validation = f.read()
    s = server.Server(args.database_url, log=lambda line: print(line, flush=True))
    rows = []
    try:
        s.start()
        upload = lambda name, body: server.call(f"{s.url}/v1/files?purpose=fine-tune&filename={name}", s.key, "POST", body,
                                                "application/jsonl")["id"]
        files = upload("preference-train.jsonl", train), upload("preference-validation.jsonl", validation)
        steps = (len(train.splitlines()) + 7) // 8  # one epoch of 8 pairs a step, evaluated at each third
        for method in args.methods.split(","):
            hyper = {"n_epochs": 1, "batch_size": 8, "learning_rate": 5e-4, "max_length": 96, "beta": args.beta, "logging_steps": 10,
                     "eval_strategy": "steps", "eval_steps": max(1, steps // 3), "save_strategy": "no",
                     "lora": {"r": 8, "lora_alpha": 16, "target_modules": ["q_proj", "v_proj"]}}
            started = time.monotonic()
            job = server.call(f"{s.url}/v1/fine_tuning/jobs", s.key, "POST", {
                "model": "SmolLM2-135M-Instruct", "training_file": files[0], "validation_file": files[1], "seed": 1,
                "suffix": method, "method": {"type": method, method: {"hyperparameters": hyper}}})
            while job["status"] not in ("succeeded", "failed", "cancelled"):
                time.sleep(2)
                job = server.call(f"{s.url}/v1/fine_tuning/jobs/{job['id']}", s.key)
            if job["status"] != "succeeded":
                raise RuntimeError(f"{method} job {job['id']} {job['status']}: {job.get('error')}")
            seconds = time.monotonic() - started
            metrics = server.call(f"{s.url}/v1/fine_tuning/jobs/{job['id']}/metrics", s.key)["data"]
            evals = [(m["step"], m["metrics"]) for m in metrics if m["kind"] == "eval"]
            print(f"\n{method}: {job['id']} in {seconds:.0f} s; held-out pairs, by step:", flush=True)
            for step, m in evals:
                print(f"  step {step}: accuracy {m['rewards/accuracies']:.3f}, margin {m['rewards/margins']:.3f}, loss {m['loss']:.4f}", flush=True)
            rows.append((method, len(train.splitlines()), len(validation.splitlines()), evals[-1][0], seconds, evals[-1][1]))
            if args.peft:  # the adapter's download in PEFT: each token's log-probability against Anneal's
                check = subprocess.run([args.peft, os.path.join(ROOT, "bench", "prefix", "peft_check.py"), "--url", s.url, "--key", s.key,
                                        "--chat", job["fine_tuned_model"], "--validation", os.path.join(data, "preference-validation.jsonl"), "-"])
                if check.returncode != 0:
                    raise RuntimeError(f"the {method} adapter differs in PEFT")
    finally:
        s.__exit__(None, None, None)

    print("\n| method | training pairs | held-out pairs | steps | seconds | held-out accuracy | mean margin | loss |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for method, n, v, steps, seconds, m in rows:
        print(f"| {method} | {n} | {v} | {steps} | {seconds:.0f} | {m['rewards/accuracies']:.3f} | {m['rewards/margins']:.3f} | {m['loss']:.4f} |")


if __name__ == "__main__":
    main()
