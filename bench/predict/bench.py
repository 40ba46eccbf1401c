"""POST /predict under concurrent batch-1 load with hey, next to ONNX Runtime in-process.

See bench/predict/README.md. Run through bench/predict/run, which installs hey and picks the
Python (torch, transformers, onnx, onnxruntime).
"""
import argparse
import importlib.machinery
import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ in bench/predict or scripts/ (neither is ignored by git)
import server  # noqa: E402  (bench/predict/server.py)

# The download and /predict client of scripts/check-export (a script without .py, so loaded by path).
_loader = importlib.machinery.SourceFileLoader("check_export", os.path.join(ROOT, "scripts", "check-export"))
_spec = importlib.util.spec_from_loader("check_export", _loader)
check_export = importlib.util.module_from_spec(_spec)
_loader.exec_module(check_export)

# hey sends one body for all its requests; a short review sentence, as a classifier sees them.
DEFAULT_TEXT = "A sharp, funny and moving film with a great cast."
# Issue #17's single-request case: 32 tokens with [CLS] and [SEP].
TEXT_32 = "A sharp, funny and moving film with a great cast, a clever script and a score that stays with you long after the credits roll, truly."
# Its batch case: 32 real review snippets (11 to 57 tokens), one request, against ONNX Runtime on the same batch.
REVIEWS = os.path.join(ROOT, "Tests", "TrainingTests", "Fixtures", "reviews-train.jsonl")


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]


def hey(url, key, body_path, seconds=None, requests=None, concurrency=32):
    """Runs hey against /predict; returns (requests/s, p50 s, p99 s, {status: count}, {error: count})."""
    limit = ["-z", f"{seconds}s"] if seconds else ["-n", str(requests)]
    out = subprocess.run(["hey", *limit, "-c", str(concurrency), "-m", "POST", "-D", body_path,
                          "-T", "application/json", "-H", f"Authorization: Bearer {key}", "-t", "60", f"{url}/predict"],
                         check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    latency = {int(p): float(s) for p, s in re.findall(r"(\d+)% in ([\d.]+) secs", out)}
    statuses = {int(code): int(n) for code, n in re.findall(r"\[(\d+)\]\s+(\d+) responses", out)}
    errors = {}
    if "Error distribution:" in out:
        for line in out.split("Error distribution:")[1].strip().splitlines():
            if m := re.match(r"\s*\[(\d+)\]\s+(.*)", line):
                errors[m.group(2)] = int(m.group(1))
    if 50 not in latency:
        sys.exit(f"hey printed no latency distribution:\n{out}")
    # With fewer than about 100 requests hey prints no 99th percentile: its 95th stands in.
    return rps, latency[50], latency.get(99) or latency.get(95), statuses, errors


def batch_texts():
    with open(REVIEWS, encoding="utf-8") as f:
        return [json.loads(line)["text"] for line in f if line.strip()][:32]


def bench_single(url, key, model, seconds):
    """#17's cases through hey with one client: TEXT_32 alone, then the 32 reviews in one request."""
    results = {}
    for name, inputs in (("single", TEXT_32), ("batch", batch_texts())):
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump({"model": model, "inputs": inputs}, f)
            body = f.name
        try:
            hey(url, key, body, requests=50, concurrency=1)
            rps, p50, p99, statuses, errors = hey(url, key, body, seconds=seconds, concurrency=1)
        finally:
            os.remove(body)
        if set(statuses) != {200} or errors:
            sys.exit(f"FAIL {name}: status codes {statuses}, errors {errors}")
        results[name] = {"rps": rps, "p50": p50, "p99": p99}
    return results


def bench_anneal(url, key, model, text, seconds, concurrency):
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump({"model": model, "inputs": text}, f)
        body = f.name
    try:
        # The first request after a start loads the weights from PostgreSQL into the model cache.
        started = time.monotonic()
        check_export.predict(url, key, model, [text])
        first = time.monotonic() - started
        # A warm-up, timed apart; its failures count like the measured run's.
        warm = hey(url, key, body, requests=8 * concurrency, concurrency=concurrency)
        rps, p50, p99, statuses, errors = hey(url, key, body, seconds=seconds, concurrency=concurrency)
    finally:
        os.remove(body)
    non200 = sum(sum(n for code, n in s.items() if code != 200) + sum(e.values()) for s, e in ((warm[3], warm[4]), (statuses, errors)))
    if not statuses.get(200):
        sys.exit(f"FAIL no request succeeded: status codes {statuses}, errors {errors}")
    return {"first": first, "rps": rps, "p50": p50, "p99": p99, "statuses": statuses, "errors": errors, "non200": non200}


def export_onnx(folder, path):
    """The classifier as ONNX (logits), batch and sequence axes dynamic."""
    import warnings
    import torch
    from transformers import AutoModelForSequenceClassification
    model = AutoModelForSequenceClassification.from_pretrained(folder).eval()

    class Logits(torch.nn.Module):  # a plain tensor output instead of a ModelOutput
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.inner(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).logits

    ids = torch.ones(2, 8, dtype=torch.long)
    names = ["input_ids", "attention_mask", "token_type_ids"]
    axes = {name: {0: "batch", 1: "sequence"} for name in names}
    axes["logits"] = {0: "batch"}
    # dynamo=False: the TorchScript exporter, which needs no onnxscript (not in the venv). Its
    # tracer warnings are about shape checks that are constant for BERT; the bench compares the
    # exported logits with /predict's, which would show a bad trace.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(Logits(model), (ids, torch.ones_like(ids), torch.zeros_like(ids)), path, input_names=names,
                          output_names=["logits"], dynamic_axes=axes, opset_version=17, dynamo=False)
    return model.config


def bench_ort(folder, text, seconds, concurrency, threads):
    import numpy as np
    import onnxruntime as ort
    import torch
    import transformers
    from transformers import AutoTokenizer
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    torch.set_num_threads(threads)
    path = os.path.join(folder, "model.onnx")
    config = export_onnx(folder, path)
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    tokenizer = AutoTokenizer.from_pretrained(folder)
    limit = min(512, config.max_position_embeddings)

    def classify(item):
        # Tokenization is inside the timed call: Anneal's server tokenizes every request too.
        encoded = tokenizer(item, truncation=True, max_length=limit, return_tensors="np")
        feed = {name: encoded[name].astype(np.int64) for name in ("input_ids", "attention_mask", "token_type_ids")}
        return session.run(["logits"], feed)[0][0]

    logits = classify(text)
    for _ in range(20):
        classify(text)

    def loop(deadline, latencies):
        while (start := time.perf_counter()) < deadline:
            classify(text)
            latencies.append(time.perf_counter() - start)

    results = {"logits": {config.id2label[i]: float(v) for i, v in enumerate(logits)}}

    def timed(call, seconds):
        for _ in range(20):
            call()
        latencies, deadline = [], time.perf_counter() + seconds
        while (start := time.perf_counter()) < deadline:
            call()
            latencies.append(time.perf_counter() - start)
        return {"rps": len(latencies) / sum(latencies), "p50": percentile(latencies, 50), "p99": percentile(latencies, 99)}

    # #17's cases, one caller: TEXT_32 alone, and the 32 reviews as one padded batch.
    results["single"] = timed(lambda: classify(TEXT_32), seconds)
    texts = batch_texts()

    def classify_batch():
        encoded = tokenizer(texts, truncation=True, max_length=limit, padding=True, return_tensors="np")
        feed = {name: encoded[name].astype(np.int64) for name in ("input_ids", "attention_mask", "token_type_ids")}
        return session.run(["logits"], feed)[0]

    results["batch"] = timed(classify_batch, seconds)
    for name, clients in (("sequential", 1), ("concurrent", concurrency)):
        lists = [[] for _ in range(clients)]
        started = time.perf_counter()
        workers = [threading.Thread(target=loop, args=(started + seconds, lists[i])) for i in range(clients)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        elapsed = time.perf_counter() - started
        latencies = [x for values in lists for x in values]
        results[name] = {"rps": len(latencies) / elapsed, "p50": percentile(latencies, 50), "p99": percentile(latencies, 99)}
    return results


def table(anneal, ort, concurrency, threads):
    rows = [(f"anneal /predict, {concurrency} hey clients", anneal),
            (f"onnxruntime, 1 caller (intra_op {threads})", ort["sequential"]),
            (f"onnxruntime, {concurrency} python threads", ort["concurrent"])]
    print(f"\n{'':42} {'requests/s':>11} {'p50 ms':>9} {'p99 ms':>9}")
    for name, r in rows:
        print(f"{name:42} {r['rps']:11.1f} {r['p50'] * 1e3:9.2f} {r['p99'] * 1e3:9.2f}")
    for name, o in (("1 caller", ort["sequential"]), (f"{concurrency} threads", ort["concurrent"])):
        print(f"{'ratio anneal / onnxruntime ' + name:42} {anneal['rps'] / o['rps']:11.2f} "
              f"{anneal['p50'] / o['p50']:9.2f} {anneal['p99'] / o['p99']:9.2f}")
    print("(requests/s ratio above 1: anneal serves more; latency ratios above 1: anneal is slower)")


def single_table(anneal, ort):
    """#17's targets: batch-1 p50 at 32 tokens at most ONNX Runtime's, batch-32 samples/s at least its."""
    print(f"\n{'one client (issue #17)':42} {'samples/s':>11} {'p50 ms':>9} {'p99 ms':>9}")
    for name, r, size in (("anneal /predict, 32 tokens", anneal["single"], 1), ("onnxruntime, 32 tokens", ort["single"], 1),
                          ("anneal /predict, batch of 32 reviews", anneal["batch"], 32),
                          ("onnxruntime, batch of 32 reviews", ort["batch"], 32)):
        print(f"{name:42} {r['rps'] * size:11.1f} {r['p50'] * 1e3:9.2f} {r['p99'] * 1e3:9.2f}")
    latency, throughput = anneal["single"]["p50"] / ort["single"]["p50"], anneal["batch"]["rps"] / ort["batch"]["rps"]
    print(f"ratio: batch-1 p50 anneal/onnxruntime {latency:.2f} (target at most 1.0), "
          f"batch-32 samples/s anneal/onnxruntime {throughput:.2f} (target at least 1.0)")


def run_anneal(url, key, model, args):
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores", flush=True)
    single = bench_single(url, key, model, args.seconds)
    anneal = bench_anneal(url, key, model, args.text, args.seconds, args.concurrency)
    anneal.update(single)
    served = check_export.predict(url, key, model, [args.text])[0]
    print(f"anneal: {anneal['rps']:.1f} requests/s, p50 {anneal['p50'] * 1e3:.2f} ms, p99 {anneal['p99'] * 1e3:.2f} ms, "
          f"non-200 {anneal['non200']}", flush=True)
    return anneal, served


def main():
    parser = argparse.ArgumentParser(description="POST /predict under load with hey, next to ONNX Runtime in-process.")
    parser.add_argument("--url", help="an existing server; without it one is started on a fresh database")
    parser.add_argument("--key")
    parser.add_argument("--model", help="a fine-tuned model id of the key's tenant")
    parser.add_argument("--database-url", help=f"admin URL for the started server's database ({server.DEFAULT_ADMIN_URL})")
    parser.add_argument("--seconds", type=int, default=20, help="hey duration (20)")
    parser.add_argument("--ort-seconds", type=int, default=10, help="duration of each ONNX Runtime run (10)")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="ONNX Runtime intra_op_num_threads (2)")
    parser.add_argument("--text", default=DEFAULT_TEXT)
    args = parser.parse_args()
    if args.url and not (args.key and args.model):
        parser.error("--url needs --key and --model")

    with tempfile.TemporaryDirectory(prefix="bench-predict.") as dest:
        if args.url:
            anneal, served = run_anneal(args.url.rstrip("/"), args.key, args.model, args)
            folder = check_export.download(args.url.rstrip("/"), args.key, args.model, dest)
        else:
            # The ONNX side runs after the server is stopped, so an idle server takes no CPU from it.
            with server.Server(args.database_url, log=lambda line: print(line, flush=True)) as s:
                anneal, served = run_anneal(s.url, s.key, s.model, args)
                folder = check_export.download(s.url, s.key, s.model, dest)
        ort = bench_ort(folder, args.text, args.ort_seconds, args.concurrency, args.threads)

    print(f"first /predict of the run: {anneal['first'] * 1e3:.0f} ms (it loads the model if the server had not yet)")
    print(f"hey: status codes {anneal['statuses']}, errors {anneal['errors'] or 'none'}")
    diff = max(abs(served[label] - ort["logits"][label]) for label in served)
    print(f"logits /predict vs onnxruntime on the bench text: max abs diff {diff:.2e}")
    table(anneal, ort, args.concurrency, args.threads)
    single_table(anneal, ort)
    print(f"onnxruntime measured for {args.ort_seconds} s each: one caller in a loop, then {args.concurrency} "
          f"python threads calling session.run on one shared session; tokenization included on both sides")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    if anneal["non200"]:
        print(f"FAIL {anneal['non200']} non-200 responses or errors")
        sys.exit(1)


if __name__ == "__main__":
    main()
