"""Backpressure under load with hey: see bench/load/README.md. Run through bench/load/run.

Starts a throwaway server with a fine-tuned classifier (bench/predict/server.py), then for
/predict and /v1/completions and each concurrency level runs hey for a fixed time with one CSV
row per request, and samples the server's resident memory meanwhile.
"""
import argparse
import csv
import io
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "bench", "predict"))
sys.dont_write_bytecode = True
import server  # noqa: E402  (bench/predict/server.py)


def percentile(values, p):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]


def rss_mib(pid, field="VmRSS"):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


class RSSSampler:
    """The largest VmRSS of `pid` while the `with` block runs, sampled every 20 ms."""

    def __init__(self, pid):
        self.pid, self.peak, self.stop = pid, 0.0, threading.Event()

    def __enter__(self):
        def sample():
            while not self.stop.is_set():
                self.peak = max(self.peak, rss_mib(self.pid))
                time.sleep(0.02)
        self.thread = threading.Thread(target=sample, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


def hey(url, path, key, body, seconds, concurrency):
    """hey -o csv for `seconds`: (seconds elapsed, [(status, latency s)]); status 0 is a connection
    error or a timeout (hey's -t 30)."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(body, f)
        body_path = f.name
    try:
        started = time.monotonic()
        out = subprocess.run(["hey", "-z", f"{seconds}s", "-c", str(concurrency), "-m", "POST", "-D", body_path,
                              "-T", "application/json", "-H", f"Authorization: Bearer {key}", "-t", "30", "-o", "csv",
                              f"{url}{path}"], check=True, capture_output=True, text=True).stdout
        elapsed = time.monotonic() - started
    finally:
        os.remove(body_path)
    rows = [(int(row["status-code"]), float(row["response-time"])) for row in csv.DictReader(io.StringIO(out))]
    return elapsed, rows


def level(s, name, path, body, seconds, concurrency):
    with RSSSampler(s.process.pid) as rss:
        elapsed, rows = hey(s.url, path, s.key, body, seconds, concurrency)
    ok = [t for code, t in rows if code == 200]
    refused = [t for code, t in rows if code == 429]
    other = {}
    for code, _ in rows:
        if code not in (200, 429):
            other[code] = other.get(code, 0) + 1
    return {"route": name, "clients": concurrency, "ok": len(ok), "rps": len(ok) / elapsed,
            "p50": percentile(ok, 50), "p99": percentile(ok, 99), "refused": len(refused),
            "refused_p99": percentile(refused, 99), "other": other, "peak_rss": rss.peak}


def main():
    parser = argparse.ArgumentParser(description="/predict and /v1/completions past their concurrency limit, with hey.")
    parser.add_argument("--seconds", type=int, default=15, help="hey duration per level (15)")
    parser.add_argument("--levels", default="16,64,256", help="concurrent clients (16,64,256)")
    parser.add_argument("--limit", type=int, default=32, help="ANNEAL_MAX_CONCURRENT_REQUESTS for the server (32)")
    parser.add_argument("--database-url", help=f"admin URL for the server's database ({server.DEFAULT_ADMIN_URL})")
    parser.add_argument("--max-tokens", type=int, default=16, help="completion length (16)")
    args = parser.parse_args()
    levels = [int(n) for n in args.levels.split(",")]
    os.environ["ANNEAL_MAX_CONCURRENT_REQUESTS"] = str(args.limit)

    results = []
    with server.Server(args.database_url, log=lambda line: print(line, flush=True)) as s:
        routes = [("/predict", "/predict", {"model": s.model, "inputs": "A sharp, funny and moving film with a great cast."}),
                  ("/v1/completions", "/v1/completions", {"model": "SmolLM2-135M-Instruct", "prompt": "The best film of the year is",
                                                          "max_tokens": args.max_tokens, "temperature": 0})]
        idle = rss_mib(s.process.pid)
        for name, path, body in routes:
            hey(s.url, path, s.key, body, 3, 4)  # warm-up: loads the model
            for clients in levels:
                r = level(s, name, path, body, args.seconds, clients)
                results.append(r)
                print(f"{name} {clients} clients: {r['ok']} ok ({r['rps']:.1f}/s), {r['refused']} refused, other {r['other']}, "
                      f"peak RSS {r['peak_rss']:.0f} MiB", flush=True)
        text = urllib.request.urlopen(s.url + "/metrics", timeout=10).read().decode()
        rejected = [line for line in text.splitlines() if line.startswith("anneal_concurrency_rejected_total")]

    print(f"\nlimit {args.limit} requests in flight per model; server RSS idle after start {idle:.0f} MiB; "
          f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print(f"{'route':18} {'clients':>7} {'ok/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'429s':>7} {'429 p99 ms':>10} {'other':>8} {'peak RSS MiB':>12}")
    for r in results:
        other = sum(r["other"].values())
        print(f"{r['route']:18} {r['clients']:7} {r['rps']:8.1f} {r['p50'] * 1e3:8.1f} {r['p99'] * 1e3:8.1f} {r['refused']:7} "
              f"{r['refused_p99'] * 1e3:10.1f} {other:8} {r['peak_rss']:12.0f}")
    print("/metrics: " + "; ".join(rejected))
    failures = [r for r in results if r["other"]]
    if failures:
        sys.exit(f"FAIL responses other than 200 and 429 (0 = timeout or connection error): {[(r['route'], r['clients'], r['other']) for r in failures]}")


if __name__ == "__main__":
    main()
