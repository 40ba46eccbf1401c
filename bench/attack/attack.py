"""Hostile clients against a live `anneal serve` on loopback: see bench/attack/README.md.

Starts its own server on a fresh database (bench/predict/server.py, without a fine-tune), then
runs each attack while a prober opens a new connection for GET /healthz every 20 ms, and prints
the probe's latency, the server's memory and what the attackers were answered. Every attack is
bounded in connections and seconds and stops its sockets at the end.
"""
import argparse
import os
import selectors
import socket
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "bench", "predict"))
sys.dont_write_bytecode = True
import server  # noqa: E402  (bench/predict/server.py)


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))] if ordered else float("nan")


class Prober:
    """GET /healthz on a new connection every `interval` s; latencies, failures and peak RSS."""

    def __init__(self, port, pid, interval=0.02):
        self.port, self.pid, self.interval = port, pid, interval
        self.latencies, self.failures, self.peak = [], 0, 0.0
        self.stop = threading.Event()

    def probe(self):
        started = time.perf_counter()
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: probe\r\nConnection: close\r\n\r\n")
                data = b""
                while chunk := s.recv(4096):
                    data += chunk
            if not data.startswith(b"HTTP/1.1 200"):
                raise OSError(data[:40])
            self.latencies.append(time.perf_counter() - started)
        except OSError:
            self.failures += 1

    def run(self):
        while not self.stop.is_set():
            self.probe()
            self.peak = max(self.peak, rss_mib(self.pid))
            time.sleep(self.interval)

    def __enter__(self):
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


def slowloris(port, connections, seconds):
    """`connections` clients each sending one byte of a never-ending head a second. Returns what
    they were answered (status line or 'closed') and how many were still open at the end."""
    selector = selectors.DefaultSelector()
    head = b"GET /healthz HTTP/1.1\r\nHost: slow\r\nX-Slow: " + b"a" * 100000
    clients = []
    for _ in range(connections):
        s = socket.create_connection(("127.0.0.1", port))
        s.setblocking(False)
        clients.append([s, 0, None])
        selector.register(s, selectors.EVENT_READ, clients[-1])
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        tick = time.monotonic()
        for client in clients:
            if client[2] is None:
                try:
                    client[0].send(head[client[1]:client[1] + 1])
                    client[1] += 1
                except OSError:
                    client[2] = "closed"
        while time.monotonic() - tick < 1:
            for key, _ in selector.select(timeout=0.1):
                client = key.data
                try:
                    data = client[0].recv(4096)
                except OSError:
                    data = b""
                if client[2] is None:
                    client[2] = data.split(b"\r\n")[0].decode(errors="replace")[:12] if data else "closed"
                selector.unregister(client[0])
    answers = {}
    for client in clients:
        answers[client[2] or "open"] = answers.get(client[2] or "open", 0) + 1
        client[0].close()
    return answers


def idle_keepalive(port, connections, seconds):
    """`connections` clients that each make one keep-alive request, then hold the connection idle
    for `seconds`. Returns how many got their 200 and how many were still open at the end."""
    clients, ok = [], 0
    for i in range(connections):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: idle\r\n\r\n")
        clients.append(s)
        if i % 500 == 499:  # read the answers in batches, so the connects do not wait on them
            for c in clients[-500:]:
                ok += c.recv(4096).startswith(b"HTTP/1.1 200")
    for c in clients[len(clients) // 500 * 500:]:
        ok += c.recv(4096).startswith(b"HTTP/1.1 200")
    time.sleep(seconds)
    still_open = 0
    for c in clients:
        c.setblocking(False)
        try:
            still_open += c.recv(1) == b"" and 0 or 1
        except BlockingIOError:
            still_open += 1
        except OSError:
            pass
        c.close()
    return {"200": ok, "open at the end": still_open}


def oversized(port):
    """One request of each oversized kind; returns {kind: status line}."""
    cases = {
        "header of 64 KiB": b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 65536 + b"\r\n\r\n",
        "10,000 headers": b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"X-A: b\r\n" * 10000 + b"\r\n",
        "target of 64 KiB": b"GET /" + b"a" * 65536 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        "body of 2 GiB announced": b"POST /v1/fine_tuning/jobs HTTP/1.1\r\nHost: x\r\nContent-Length: 2147483648\r\n\r\n",
        "JSON nested 100,000 deep": None,
        "chunk size of 2^64": b"POST /v1/fine_tuning/jobs HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFF\r\n",
    }
    nested = b"[" * 100000 + b"]" * 100000
    cases["JSON nested 100,000 deep"] = (b"POST /v1/fine_tuning/jobs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + KEY.encode()
                                         + b"\r\nContent-Type: application/json\r\nContent-Length: " + str(len(nested)).encode()
                                         + b"\r\n\r\n" + nested)
    answers = {}
    for name, request in cases.items():
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            try:
                s.sendall(request)
            except OSError:
                pass  # the server may answer and close before taking all of it
            try:
                answers[name] = s.recv(4096).split(b"\r\n")[0].decode(errors="replace")
            except OSError as error:
                answers[name] = f"error {error}"
    return answers


KEY = ""


def main():
    global KEY
    parser = argparse.ArgumentParser(description="Slowloris, idle keep-alive floods and oversized requests against anneal serve.")
    parser.add_argument("--slowloris", type=int, default=1000, help="slow clients (1000)")
    parser.add_argument("--slowloris-seconds", type=int, default=40, help="how long they trickle (40: past the 30 s head timeout)")
    parser.add_argument("--idle", type=int, default=10000, help="idle keep-alive connections (10000)")
    parser.add_argument("--idle-seconds", type=int, default=20)
    parser.add_argument("--database-url", help=f"admin URL for the server's database ({server.DEFAULT_ADMIN_URL})")
    args = parser.parse_args()

    s = server.Server(args.database_url, log=lambda line: print(line, flush=True))
    try:
        s.start()
        KEY = s.key
        port = int(s.url.rsplit(":", 1)[1])
        pid = s.process.pid
        results = []
        with Prober(port, pid) as baseline:
            time.sleep(3)
        results.append(("no attack (3 s)", baseline, {}))
        attacks = [
            (f"slowloris: {args.slowloris} clients, 1 byte/s for {args.slowloris_seconds} s",
             lambda: slowloris(port, args.slowloris, args.slowloris_seconds)),
            (f"{args.idle} idle keep-alive connections for {args.idle_seconds} s",
             lambda: idle_keepalive(port, args.idle, args.idle_seconds)),
            ("oversized requests", lambda: oversized(port)),
        ]
        for name, attack in attacks:
            print(f"attack: {name}", flush=True)
            with Prober(port, pid) as probe:
                answers = attack()
            results.append((name, probe, answers))
        alive = s.process.poll() is None
    finally:
        s.__exit__(None, None, None)

    print(f"\nserver RSS at start {results[0][1].peak:.0f} MiB; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print(f"{'during':58} {'probes':>6} {'failed':>6} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'peak RSS MiB':>12}")
    for name, probe, _ in results:
        lat = probe.latencies
        print(f"{name:58} {len(lat):6} {probe.failures:6} {percentile(lat, 50) * 1e3:7.2f} {percentile(lat, 99) * 1e3:7.2f} "
              f"{(max(lat) if lat else float('nan')) * 1e3:7.2f} {probe.peak:12.0f}")
    for name, _, answers in results[1:]:
        print(f"{name}: " + ", ".join(f"{k}: {v}" for k, v in answers.items()))
    worst = max(percentile(p.latencies, 99) for _, p, _ in results)
    failures = sum(p.failures for _, p, _ in results)
    print(f"server still up: {alive}; worst health p99 {worst * 1e3:.1f} ms; failed probes {failures}")
    if not alive or worst > 0.05 or failures:
        sys.exit("FAIL the server went down, or a health check failed or took over 50 ms at p99")


if __name__ == "__main__":
    main()
