"""Prefix tuning on real data through the API: see bench/prefix/README.md. Run through bench/prefix/run.

Starts a throwaway server (bench/predict/server.py's, which trains in-process), runs a
prefix-tuning job on SmolLM2-135M-Instruct (chatterbot conversations, scripts/fetch-chatterbot)
and one on all-MiniLM-L6-v2 (Rotten Tomatoes snippets, scripts/fetch-rotten-tomatoes), each with
`eval_on_start` (the base alone on the validation set, before training), and prints the base's
validation loss beside the prefix-tuned one. With --peft PYTHON (a Python with torch,
transformers and peft: the reference venv), downloads both fine-tunes as PEFT folders and runs
peft_check.py, which loads them with PeftModel.from_pretrained over the bases and compares with
Anneal's served numbers: the classifier's logits (/predict raw_scores) and the language model's
token log-probabilities (/v1/completions echo).
"""
import argparse
import json
import os
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "bench", "predict"))
sys.dont_write_bytecode = True
import server  # noqa: E402  (bench/predict/server.py)


def lines(path, count):
    with open(path, "rb") as f:
        data = f.read().splitlines(keepends=True)
    return b"".join(data[:count] if count else data)


def run_job(s, files, model, hyperparameters, suffix):
    started = time.monotonic()
    job = server.call(f"{s.url}/v1/fine_tuning/jobs", s.key, "POST", {
        "model": model, "training_file": files[0], "validation_file": files[1], "seed": 1, "suffix": suffix,
        "method": {"type": "supervised", "supervised": {"hyperparameters": hyperparameters}}})
    while job["status"] not in ("succeeded", "failed", "cancelled"):
        time.sleep(2)
        job = server.call(f"{s.url}/v1/fine_tuning/jobs/{job['id']}", s.key)
    if job["status"] != "succeeded":
        raise RuntimeError(f"{suffix} job {job['id']} {job['status']}: {job.get('error')}")
    evals = [(m["step"], m["metrics"]) for m in server.call(f"{s.url}/v1/fine_tuning/jobs/{job['id']}/metrics", s.key)["data"]
             if m["kind"] == "eval"]
    return job, evals, time.monotonic() - started


def main():
    parser = argparse.ArgumentParser(description="Prefix-tuning jobs on real data, against their bases and PEFT.")
    parser.add_argument("--examples", type=int, default=480, help="chatterbot training conversations (0: all 1,824)")
    parser.add_argument("--reviews", type=int, default=2000, help="Rotten Tomatoes training snippets (0: all)")
    parser.add_argument("--tokens", type=int, default=20, help="num_virtual_tokens")
    parser.add_argument("--peft", help="a Python with torch, transformers and peft: compare the downloads in PEFT")
    parser.add_argument("--database-url", help=f"admin URL for the server's database ({server.DEFAULT_ADMIN_URL})")
    args = parser.parse_args()
    chat, reviews = os.path.join(ROOT, "data", "chatterbot"), os.path.join(ROOT, "data", "rotten_tomatoes")
    subprocess.run([os.path.join(ROOT, "scripts", "fetch-chatterbot"), chat], check=True)
    subprocess.run([os.path.join(ROOT, "scripts", "fetch-rotten-tomatoes"), reviews], check=True)
    s = server.Server(args.database_url, log=lambda line: print(line, flush=True))
    rows, models = [], {}
    try:
        s.start()
        upload = lambda name, body: server.call(f"{s.url}/v1/files?purpose=fine-tune&filename={name}", s.key, "POST", body,
                                                "application/jsonl")["id"]
        prefix = {"num_virtual_tokens": args.tokens}
        cases = [
            ("chat", "SmolLM2-135M-Instruct", os.path.join(chat, "train.jsonl"), args.examples, os.path.join(chat, "validation.jsonl"),
             {"n_epochs": 1, "batch_size": 8, "learning_rate": 1e-2, "max_seq_length": 64, "eval_on_start": True, "eval_strategy": "epoch",
              "save_strategy": "no", "logging_steps": 10, "prefix_tuning": prefix}),
            ("reviews", "all-MiniLM-L6-v2", os.path.join(reviews, "train.jsonl"), args.reviews, os.path.join(reviews, "validation.jsonl"),
             {"n_epochs": 1, "batch_size": 16, "learning_rate": 1e-2, "max_seq_length": 64, "eval_on_start": True, "eval_strategy": "epoch",
              "save_strategy": "no", "logging_steps": 20, "prefix_tuning": prefix}),
        ]
        for suffix, model, train, count, validation, hyperparameters in cases:
            files = upload(suffix + "-train.jsonl", lines(train, count)), upload(suffix + "-validation.jsonl", lines(validation, 0))
            job, evals, seconds = run_job(s, files, model, hyperparameters, suffix)
            base, tuned = evals[0][1], evals[-1][1]
            print(f"\n{model} ({suffix}): {job['id']} in {seconds:.0f} s, {evals[-1][0]} steps; validation loss "
                  f"base {base['loss']:.4f} → prefix-tuned {tuned['loss']:.4f}", flush=True)
            rows.append((model, suffix, len(lines(train, count).splitlines()), evals[-1][0], seconds, base, tuned))
            models[suffix] = job["fine_tuned_model"]
        if args.peft:
            check = subprocess.run([args.peft, os.path.join(HERE, "peft_check.py"), "--url", s.url, "--key", s.key,
                                    "--chat", models["chat"], "--reviews", models["reviews"],
                                    "--validation", os.path.join(chat, "validation.jsonl"), os.path.join(reviews, "validation.jsonl")])
            if check.returncode != 0:
                raise RuntimeError("the PEFT comparison failed")
    finally:
        s.__exit__(None, None, None)

    print("\n| model | data | training examples | steps | seconds | base validation loss | prefix-tuned validation loss | accuracy base → tuned |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for model, suffix, n, steps, seconds, base, tuned in rows:
        accuracy = f"{base['accuracy']:.3f} → {tuned['accuracy']:.3f}" if "accuracy" in tuned else \
            f"{base['mean_token_accuracy']:.3f} → {tuned['mean_token_accuracy']:.3f} (tokens)"
        print(f"| {model} | {suffix} | {n} | {steps} | {seconds:.0f} | {base['loss']:.4f} | {tuned['loss']:.4f} | {accuracy} |")


if __name__ == "__main__":
    main()
