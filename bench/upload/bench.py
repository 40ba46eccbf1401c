"""Streaming uploads: see bench/upload/README.md. Run through bench/upload/run.

Starts a throwaway server (bench/predict/server.py, no training), then sends a fine-tune file
of --gib GiB built from the Rotten Tomatoes fixture, twice (raw with Content-Length; multipart
with chunked transfer encoding, as clients that do not know the size send it), downloads it once,
and samples the server's resident memory all along. The file is generated while it is sent, so
the client holds one block, not the file.
"""
import argparse
import hashlib
import http.client
import importlib.util
import json
import os
import sys
import tarfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "bench", "predict"))
sys.dont_write_bytecode = True
import server  # noqa: E402  (bench/predict/server.py)

# The memory sampler of bench/load/bench.py (a module named like this one, so loaded by path).
_spec = importlib.util.spec_from_file_location("load_bench", os.path.join(ROOT, "bench", "load", "bench.py"))
_load = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_load)
RSSSampler, rss_mib = _load.RSSSampler, _load.rss_mib

MiB = 1 << 20
BOUNDARY = "anneal-bench-upload-7f3a"


def block():
    """About 1 MiB of whole JSONL lines: the review fixture, repeated."""
    with open(os.path.join(ROOT, "Tests/TrainingTests/Fixtures/reviews-train.jsonl"), "rb") as f:
        lines = [line for line in f.read().splitlines(keepends=True) if line.strip()]
    out, i = bytearray(), 0
    while len(out) < MiB:
        out += lines[i % len(lines)]
        i += 1
    return bytes(out), i


class Dataset:
    """`size` bytes of whole lines, produced block by block; hashes what it produced."""

    def __init__(self, gib):
        self.block, self.lines_per_block = block()
        self.blocks = int(gib * 1024 * MiB) // len(self.block)
        self.size = self.blocks * len(self.block)
        self.examples = self.blocks * self.lines_per_block
        self.sha = hashlib.sha256()

    def pieces(self):
        for _ in range(self.blocks):
            self.sha.update(self.block)
            yield self.block


def post(url, key, path, body, headers, chunked=False):
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=600)
    connection.request("POST", path, body=body, headers={"Authorization": f"Bearer {key}", **headers},
                       encode_chunked=chunked)
    response = connection.getresponse()
    data = response.read()
    connection.close()
    if response.status != 200:
        raise RuntimeError(f"POST {path}: {response.status} {data[:500]!r}")
    return json.loads(data)


def multipart(dataset):
    yield (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nfine-tune\r\n"
           f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.jsonl\"\r\n"
           "Content-Type: application/jsonl\r\n\r\n").encode()
    yield from dataset.pieces()
    yield f"\r\n--{BOUNDARY}--\r\n".encode()


def download(url, key, file_id):
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=600)
    connection.request("GET", f"/v1/files/{file_id}/content", headers={"Authorization": f"Bearer {key}"})
    response = connection.getresponse()
    sha, size = hashlib.sha256(), 0
    while piece := response.read(4 * MiB):
        sha.update(piece)
        size += len(piece)
    connection.close()
    return size, sha.hexdigest()


def model_download(s, rows):
    """A LoRA fine-tune of SmolLM2 (one epoch of the chat fixture), downloaded merged: a tar
    whose model.safetensors holds the whole model in float32 (about 540 MB). The server loads
    the merged model once and streams the file from its weights."""
    fixtures = os.path.join(ROOT, "Tests/TrainingTests/Fixtures/chat")
    with open(os.path.join(fixtures, "train.jsonl"), "rb") as f:
        upload = server.call(f"{s.url}/v1/files?purpose=fine-tune&filename=chat.jsonl", s.key, "POST", f.read(), "application/jsonl")
    hyper = {"n_epochs": 1, "batch_size": 4, "max_seq_length": 64, "save_strategy": "no",
             "lora": {"r": 8, "target_modules": ["q_proj", "v_proj"]}}
    job = server.call(f"{s.url}/v1/fine_tuning/jobs", s.key, "POST", {
        "model": "SmolLM2-135M-Instruct", "training_file": upload["id"], "suffix": "download",
        "method": {"type": "supervised", "supervised": {"hyperparameters": hyper}}})
    deadline = time.monotonic() + 900
    while job["status"] not in ("succeeded", "failed", "cancelled") and time.monotonic() < deadline:
        time.sleep(1)
        job = server.call(f"{s.url}/v1/fine_tuning/jobs/{job['id']}", s.key)
    if job["status"] != "succeeded":
        raise RuntimeError(f"job {job['id']} {job['status']}: {job.get('error')}")
    host, port = s.url.removeprefix("http://").split(":")
    before = rss_mib(s.process.pid)
    started = time.monotonic()
    with RSSSampler(s.process.pid) as rss:
        connection = http.client.HTTPConnection(host, int(port), timeout=600)
        connection.request("GET", f"/v1/models/{job['fine_tuned_model']}/download?merged=true",
                           headers={"Authorization": f"Bearer {s.key}"})
        response = connection.getresponse()
        sizes, header = {}, None
        with tarfile.open(fileobj=response, mode="r|") as tar:
            for member in tar:
                reader = tar.extractfile(member)
                first = reader.read(8)
                if member.name.endswith("model.safetensors"):
                    length = int.from_bytes(first, "little")
                    header = json.loads(reader.read(length))
                while reader.read(4 * MiB):
                    pass
                sizes[member.name.split("/")[-1]] = member.size
        connection.close()
    seconds = time.monotonic() - started
    weights = sizes.get("model.safetensors", 0)
    ok = response.status == 200 and header is not None and "model.embed_tokens.weight" in header and weights > 500 * MiB
    # While it loads, the base's GGUF file is mapped (its pages count in RSS until it is unmapped).
    base = os.path.join(ROOT, "models", "SmolLM2-135M-Instruct")
    mapped = sum(os.path.getsize(os.path.join(base, f)) for f in os.listdir(base) if f.endswith(".gguf"))
    ok = ok and rss.peak - before <= (weights + mapped) / MiB + 64
    rows.append(("model download, merged SmolLM2", sum(sizes.values()), seconds, before, rss.peak, ok))
    print(f"model download: {len(sizes)} files, model.safetensors {weights / MiB:.0f} MiB, {seconds:.1f} s, "
          f"RSS {before:.0f} MiB before, peak {rss.peak:.0f} MiB (+{rss.peak - before:.0f}; the float32 model and "
          f"the {mapped / MiB:.0f} MiB GGUF mapped while loading: {(weights + mapped) / MiB:.0f})", flush=True)


def main():
    parser = argparse.ArgumentParser(description="2 GiB uploads and a download, with the server's memory.")
    parser.add_argument("--gib", type=float, default=2.0, help="file size in GiB (2)")
    parser.add_argument("--no-model", action="store_true", help="skip the model download (it trains SmolLM2 for one short epoch)")
    parser.add_argument("--database-url", help=f"admin URL for the server's database ({server.DEFAULT_ADMIN_URL})")
    args = parser.parse_args()
    os.environ["ANNEAL_MAX_UPLOAD_BYTES"] = str(int(args.gib * 1024 * MiB) + 64 * MiB)
    s = server.Server(args.database_url, log=lambda line: print(line, flush=True))
    rows = []
    try:
        s.start()
        idle = rss_mib(s.process.pid)
        print(f"server RSS idle {idle:.0f} MiB", flush=True)
        for name in ("raw, Content-Length", "multipart, chunked"):
            dataset = Dataset(args.gib)
            before = rss_mib(s.process.pid)
            started = time.monotonic()
            with RSSSampler(s.process.pid) as rss:
                if name.startswith("raw"):
                    created = post(s.url, s.key, "/v1/files?purpose=fine-tune&filename=big.jsonl", dataset.pieces(),
                                   {"Content-Type": "application/jsonl", "Content-Length": str(dataset.size)})
                else:
                    created = post(s.url, s.key, "/v1/files", multipart(dataset),
                                   {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}, chunked=True)
            seconds = time.monotonic() - started
            ok = created["bytes"] == dataset.size and created.get("example_count") == dataset.examples
            rows.append((f"upload, {name}", dataset.size, seconds, before, rss.peak, ok))
            print(f"{rows[-1][0]}: {dataset.size / MiB:.0f} MiB in {seconds:.1f} s, peak RSS {rss.peak:.0f} MiB, "
                  f"bytes and examples {'match' if ok else 'DIFFER'} ({created.get('example_count')} examples)", flush=True)
        before = rss_mib(s.process.pid)
        started = time.monotonic()
        with RSSSampler(s.process.pid) as rss:
            size, sha = download(s.url, s.key, created["id"])
        seconds = time.monotonic() - started
        ok = size == dataset.size and sha == dataset.sha.hexdigest()
        rows.append(("download (streamed)", size, seconds, before, rss.peak, ok))
        print(f"download: {size / MiB:.0f} MiB in {seconds:.1f} s, peak RSS {rss.peak:.0f} MiB, "
              f"SHA-256 {'matches' if ok else 'DIFFERS'}", flush=True)
        if not args.no_model:
            model_download(s, rows)
    finally:
        s.__exit__(None, None, None)

    print(f"\nserver RSS idle {idle:.0f} MiB; the issue's bound is growth of at most 64 MiB\n")
    print("| transfer | MiB | seconds | MiB/s | RSS before MiB | peak RSS MiB | growth over idle MiB | growth over before MiB | content checks |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, size, seconds, before, peak, ok in rows:
        print(f"| {name} | {size / MiB:.0f} | {seconds:.1f} | {size / MiB / seconds:.0f} | {before:.0f} | {peak:.0f} | {peak - idle:.0f} | "
              f"{peak - before:.0f} | {'yes' if ok else 'NO'} |")
    # A file transfer stays within 64 MiB of idle; a model download holds the loaded model and at
    # most 64 MiB more (checked in model_download).
    files = [row for row in rows if not row[0].startswith("model")]
    if not all(row[5] for row in rows) or any(row[4] - idle > 64 for row in files):
        sys.exit(1)


if __name__ == "__main__":
    main()
